package federation

// The fast path of EncodeActivity and DecodeActivity. go-fed's streams
// package builds and resolves a typed value through hundreds of generated
// functions (a Person embedded in an Update is tried against each
// vocabulary type in turn, each failure an fmt.Errorf): about 90 µs for a
// Follow and more for an Update{Person}, the largest CPU cost of an inbox
// request after the signature. The shapes Twinfed sends most (every property
// a URL or a plain value, or an embedded Person) are read and written here
// straight from and to the JSON map, by the same rules as go-fed's generated
// code; anything else, and any value go-fed must judge (a string that is not
// an absolute URL where one is expected, an alias for the ActivityStreams
// namespace, a property we do not send), goes to go-fed as before.
// FuzzDecodeActivity checks both paths against each other.

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/twinfed/twinfed"
)

const nsActivityStreamsHTTP = "http://www.w3.org/ns/activitystreams"

// simpleType reports whether t is one of the activity types we exchange,
// the types newAS2Activity builds (TestSimpleType_MatchesGoFed).
func simpleType(t twinfed.ActivityType) bool {
	switch t {
	case twinfed.ActivityFollow, twinfed.ActivityAccept, twinfed.ActivityReject, twinfed.ActivityUndo,
		twinfed.ActivityCreate, twinfed.ActivityUpdate, twinfed.ActivityDelete, twinfed.ActivityInvite,
		twinfed.ActivityJoin, twinfed.ActivityLeave, twinfed.ActivityAnnounce, twinfed.ActivityFlag, twinfed.ActivityLike:
		return true
	}
	return false
}

// encodeSimple writes an activity with no embedded object exactly as
// EncodeActivity's go-fed path does: the same map through the same encoder.
// ok is false for any other activity, and for a value go-fed must refuse.
func encodeSimple(a *twinfed.Activity) (body []byte, ok bool) {
	if a.Profile != nil || a.Note != nil || a.Project != nil || a.Forum != nil || a.Event != nil || a.Training != nil || a.Space != nil || a.Likes != nil || !simpleType(a.Type) {
		return nil, false
	}
	iri := func(raw string) (string, bool) {
		if twinfed.PlainURL(raw) { // what mustURL and String would give
			return raw, true
		}
		u, err := mustURL(raw)
		if err != nil {
			return "", false
		}
		return u.String(), true
	}
	m := make(map[string]any, 10)
	m["type"] = string(a.Type)
	if m["id"], ok = iri(a.ID); !ok {
		return nil, false
	}
	if m["actor"], ok = iri(a.Actor); !ok {
		return nil, false
	}
	switch len(a.To) {
	case 0:
	case 1:
		if m["to"], ok = iri(a.To[0]); !ok {
			return nil, false
		}
	default:
		to := make([]any, len(a.To))
		for i, r := range a.To {
			if to[i], ok = iri(r); !ok {
				return nil, false
			}
		}
		m["to"] = to
	}
	if a.Object != "" {
		if m["object"], ok = iri(a.Object); !ok {
			return nil, false
		}
	}
	if a.Target != "" {
		if m["target"], ok = iri(a.Target); !ok {
			return nil, false
		}
	}
	if a.Summary != "" {
		m["summary"] = a.Summary
	}
	if !a.Published.IsZero() {
		m["published"] = a.Published.UTC().Format(time.RFC3339)
	}
	if a.Contact {
		m[propContact] = true
	}
	m["@context"] = []any{nsActivityStreams, map[string]string{"twinfed": nsTwinfed}}
	b, err := encodeJSON(m)
	if err != nil {
		return nil, false
	}
	return b, true
}

// encodeJSON is how every AS2 document is written: sorted keys, no HTML
// escaping, no trailing newline.
func encodeJSON(m map[string]any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// decodeSimple reads the activity in m (already checked to be a JSON object
// of a supported type) as go-fed would, when every property is one it knows
// how go-fed reads: id, actor, to, object (a URL or a Person), target,
// summary, published, twinfed:contact. ok is false otherwise; the caller then
// asks go-fed.
func decodeSimple(m map[string]any, typeName string) (a *twinfed.Activity, ok bool) {
	if !plainContext(m["@context"]) {
		return nil, false
	}
	a = &twinfed.Activity{Type: twinfed.ActivityType(typeName)}
	for k, v := range m {
		switch k {
		case "@context", "type":
		case "id":
			if a.ID, ok = iriValue(v); !ok {
				return nil, false
			}
		case "actor":
			if a.Actor, ok = iriValue(v); !ok {
				return nil, false
			}
		case "to":
			switch t := v.(type) {
			case string:
				s, ok := iriValue(t)
				if !ok {
					return nil, false
				}
				a.To = []string{s}
			case []any:
				for _, e := range t {
					s, ok := iriValue(e)
					if !ok {
						return nil, false
					}
					a.To = append(a.To, s)
				}
			default:
				return nil, false
			}
		case "object":
			switch o := v.(type) {
			case string:
				if a.Object, ok = iriValue(o); !ok {
					return nil, false
				}
			case map[string]any:
				p, ok := personSimple(o)
				if !ok {
					return nil, false
				}
				a.Profile, a.Object = p, p.ID
			default:
				return nil, false
			}
		case "target":
			if a.Target, ok = iriValue(v); !ok {
				return nil, false
			}
		case "summary":
			if a.Summary, ok = plainString(v); !ok {
				return nil, false
			}
		case "published":
			if a.Published, ok = dateTimeValue(v); !ok {
				return nil, false
			}
		case propContact:
			// go-fed keeps it as an unknown property; DecodeActivity reads
			// it only when it is a boolean.
			if b, isBool := v.(bool); isBool {
				a.Contact = b
			}
		default:
			return nil, false
		}
	}
	if _, err := mustURL(a.ID); err != nil {
		return nil, false
	}
	if _, err := mustURL(a.Actor); err != nil {
		return nil, false
	}
	return a, true
}

// personSimple reads an embedded Person as profileFromPerson does after
// go-fed, for the properties personFromProfile writes.
func personSimple(o map[string]any) (p *twinfed.Profile, ok bool) {
	if t, _ := o["type"].(string); t != "Person" {
		return nil, false
	}
	p = &twinfed.Profile{}
	for k, v := range o {
		switch k {
		case "type":
		case "id":
			if p.ID, ok = iriValue(v); !ok {
				return nil, false
			}
		case "preferredUsername":
			if p.Username, ok = plainString(v); !ok {
				return nil, false
			}
		case "name":
			if p.Name, ok = plainString(v); !ok {
				return nil, false
			}
		case "summary":
			if p.Description, ok = plainString(v); !ok {
				return nil, false
			}
		case "icon":
			img, isMap := v.(map[string]any)
			if !isMap || len(img) != 2 || img["type"] != "Image" {
				return nil, false
			}
			if p.PhotoURL, ok = iriValue(img["url"]); !ok {
				return nil, false
			}
		case "updated":
			if p.Updated, ok = dateTimeValue(v); !ok {
				return nil, false
			}
		case propProfile:
			var ext profileExt
			if err := remarshal(v, &ext); err != nil {
				return nil, false
			}
			p.Country, p.SchoolID, p.SchoolName = ext.Country, ext.SchoolID, ext.SchoolName
			p.SchoolLevel, p.Region, p.Role = ext.SchoolLevel, ext.Region, ext.Role
			p.Subjects, p.Languages, p.PupilAges = twinfed.SubjectIDs(ext.Subjects), ext.Languages, ext.PupilAges
			p.Interests, p.Available = ext.Interests, ext.Available
		default:
			return nil, false
		}
	}
	if p.ID == "" {
		return nil, false
	}
	return p, true
}

// iriValue is a value go-fed reads as an IRI: a string that parses as a URL
// with a scheme, as the URL's String.
func iriValue(v any) (string, bool) {
	s, ok := v.(string)
	if !ok {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return "", false
	}
	return u.String(), true
}

// plainString is a string go-fed reads as xsd:string: go-fed tries an IRI
// first, so a string that parses as a URL with a scheme is not one.
func plainString(v any) (string, bool) {
	s, ok := v.(string)
	if !ok {
		return "", false
	}
	if u, err := url.Parse(s); err == nil && u.Scheme != "" {
		return "", false
	}
	return s, true
}

// dateTimeValue is a string go-fed reads as an RFC 3339 xsd:dateTime.
func dateTimeValue(v any) (time.Time, bool) {
	s, ok := plainString(v)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// plainContext reports whether go-fed, given this @context, reads
// ActivityStreams names without a prefix. It follows go-fed's toAliasMap:
// a string names a vocabulary with no alias (both http and https), a map
// sets alias[key] = value for its string values, arrays apply in order.
func plainContext(ctx any) bool {
	var https, http string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			keys := []string{v}
			if strings.HasPrefix(v, "http://") {
				keys = append(keys, "https"+strings.TrimPrefix(v, "http"))
			} else if strings.HasPrefix(v, "https://") {
				keys = append(keys, "http"+strings.TrimPrefix(v, "https"))
			}
			for _, k := range keys {
				switch k {
				case nsActivityStreams:
					https = ""
				case nsActivityStreamsHTTP:
					http = ""
				}
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			if s, ok := v[nsActivityStreams].(string); ok {
				https = s
			}
			if s, ok := v[nsActivityStreamsHTTP].(string); ok {
				http = s
			}
		}
	}
	walk(ctx)
	return https == "" && http == ""
}
