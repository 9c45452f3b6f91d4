package federation

import (
	"encoding/json"
	"errors"
	"html/template"
	"mime"
	"net/http"
	"regexp"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/federation/signing"
)

// agencyUsername is the agency Service actor's preferredUsername, and the
// user part of its WebFinger address (acct:agency@host).
const agencyUsername = "agency"

func (f *Federation) routes() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/webfinger", f.handleWebFinger)
	mux.HandleFunc("GET /.well-known/nodeinfo", f.handleNodeInfoLinks)
	mux.HandleFunc("GET /nodeinfo/2.1", f.handleNodeInfo)
	mux.HandleFunc("POST /inbox", f.handleInbox)
	mux.HandleFunc("POST "+batchPath, f.handleBatch)
	mux.HandleFunc("POST /users/{name}/inbox", f.handleInbox)
	mux.HandleFunc("GET /users/{name}", f.handlePerson)
	mux.HandleFunc("GET /agency", f.handleAgency)
	mux.HandleFunc("GET /projects/{id}", f.handleGroup)
	mux.HandleFunc("POST /projects/{id}/inbox", f.handleInbox)
	mux.HandleFunc("GET /activities/{id}", f.handleActivity)
	f.diaryRoutes(mux)
	for _, c := range []string{collectionOutbox, collectionFollowers} {
		mux.HandleFunc("GET /users/{name}/"+c, f.collection(c, f.personActor))
		mux.HandleFunc("GET /projects/{id}/"+c, f.collection(c, f.groupActor))
		mux.HandleFunc("GET /agency/"+c, f.collection(c, f.agencyActor))
	}
	f.mux = mux
}

// WantsActivityJSON reports whether r asks for ActivityStreams JSON
// (application/activity+json, or application/ld+json with no profile or the
// ActivityStreams profile) rather than HTML. The node's server routes actor
// and object URLs to the federation's Handler when it is true.
func WantsActivityJSON(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if q, ok := params["q"]; ok && (q == "0" || q == "0.0" || q == "0.00" || q == "0.000") {
			continue
		}
		switch mt {
		case "application/activity+json":
			return true
		case "application/ld+json":
			p, ok := params["profile"]
			if !ok {
				return true
			}
			for _, prof := range strings.Fields(p) {
				if prof == nsActivityStreams {
					return true
				}
			}
		}
	}
	return false
}

func writeJSON(w http.ResponseWriter, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Vary", "Accept")
	w.Write(body)
}

var actorPage = template.Must(template.New("actor").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Name}}</title></head>
<body><h1>{{.Name}}</h1><p>{{.Summary}}</p><p><a href="{{.URL}}">{{.URL}}</a></p></body></html>
`))

func writeActorHTML(w http.ResponseWriter, name, summary, url string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Vary", "Accept")
	actorPage.Execute(w, map[string]string{"Name": name, "Summary": summary, "URL": url})
}

// handlePerson serves a validated member's Person actor (public profile only).
func (f *Federation) handlePerson(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if f.cfg.Actors == nil {
		writeError(w, twinfed.Errorf(twinfed.ENOTFOUND, "no such member"))
		return
	}
	p, err := f.cfg.Actors.LocalProfile(r.Context(), name)
	if err != nil {
		if twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
			f.log.Error("federation: actor", "name", name, "err", err)
		}
		writeError(w, err)
		return
	}
	if !WantsActivityJSON(r) {
		writeActorHTML(w, p.Name, p.Description, p.ID)
		return
	}
	body, err := personDocument(p, f.base, f.keys)
	if err != nil {
		f.log.Error("federation: actor document", "name", name, "err", err)
		writeError(w, err)
		return
	}
	writeJSON(w, ContentTypeActivity, body)
}

// handleAgency serves the agency's Service actor.
func (f *Federation) handleAgency(w http.ResponseWriter, r *http.Request) {
	if !WantsActivityJSON(r) {
		writeActorHTML(w, f.cfg.AgencyName, "National support organisation of "+f.cfg.Country, twinfed.AgencyURL(f.base))
		return
	}
	body, err := serviceDocument(f.base, f.cfg.AgencyName, f.keys)
	if err != nil {
		f.log.Error("federation: agency document", "err", err)
		writeError(w, err)
		return
	}
	writeJSON(w, ContentTypeActivity, body)
}

// handleGroup serves a public project's Group actor: the project itself,
// with the node's key, so that any ActivityPub server can follow the
// project and check what its Group signs.
func (f *Federation) handleGroup(w http.ResponseWriter, r *http.Request) {
	id := twinfed.ProjectURL(f.base, r.PathValue("id"))
	if f.cfg.Projects == nil {
		writeError(w, twinfed.Errorf(twinfed.ENOTFOUND, "no such project"))
		return
	}
	p, err := f.cfg.Projects.LocalProject(r.Context(), id)
	if err != nil {
		if twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
			f.log.Error("federation: group", "project", id, "err", err)
		}
		writeError(w, err)
		return
	}
	if !WantsActivityJSON(r) {
		writeActorHTML(w, p.Title, "", p.ID)
		return
	}
	body, err := groupDocument(p, f.base, r.PathValue("id"), f.keys)
	if err != nil {
		f.log.Error("federation: group document", "project", id, "err", err)
		writeError(w, err)
		return
	}
	writeJSON(w, ContentTypeActivity, body)
}

// handleActivity serves an activity the node sent, to a node that is one of
// its recipients' and proves it with a signed GET. Others get 401 or 404.
func (f *Federation) handleActivity(w http.ResponseWriter, r *http.Request) {
	id := twinfed.ActivityURL(f.base, r.PathValue("id"))
	v, err := f.verifier.Verify(r, nil)
	if err != nil {
		if reason := signing.Reason(err); reason != "" {
			f.refuse(w, reason, err)
			return
		}
		writeError(w, twinfed.Errorf(twinfed.EUNAVAILABLE, "the registry is unavailable; try again later"))
		return
	}
	var body []byte
	var to []string
	err = f.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(prefixAct + id))
		if err != nil {
			return err
		}
		return item.Value(func(b []byte) error {
			var err error
			body, to, err = decodeOutRecord(b)
			return err
		})
	})
	notFound := twinfed.Errorf(twinfed.ENOTFOUND, "no such activity")
	if errors.Is(err, badger.ErrKeyNotFound) {
		writeError(w, notFound)
		return
	}
	if err != nil {
		f.log.Error("federation: read activity", "id", id, "err", err)
		writeError(w, err)
		return
	}
	allowed := v.Host == f.host
	for _, r := range to {
		if twinfed.URLHost(r) == v.Host {
			allowed = true
		}
	}
	if !allowed {
		writeError(w, notFound)
		return
	}
	writeJSON(w, ContentTypeActivity, body)
}

// jrd is a WebFinger answer (RFC 7033).
type jrd struct {
	Subject string    `json:"subject"`
	Aliases []string  `json:"aliases,omitempty"`
	Links   []jrdLink `json:"links"`
}

type jrdLink struct {
	Rel  string `json:"rel"`
	Type string `json:"type,omitempty"`
	Href string `json:"href"`
}

// handleWebFinger answers acct:user@host (and acct:agency@host) with the
// actor's URL.
func (f *Federation) handleWebFinger(w http.ResponseWriter, r *http.Request) {
	res := r.URL.Query().Get("resource")
	var user, host string
	switch {
	case strings.HasPrefix(res, "acct:"):
		u, h, ok := strings.Cut(strings.TrimPrefix(res, "acct:"), "@")
		if !ok || u == "" {
			writeError(w, twinfed.Errorf(twinfed.EINVALID, "resource must be acct:user@host"))
			return
		}
		user, host = u, h
	case strings.HasPrefix(res, "http://") || strings.HasPrefix(res, "https://"):
		host = twinfed.URLHost(res)
		if res == twinfed.AgencyURL(f.base) {
			user = agencyUsername
		} else if f.isDiaryActor(res) {
			user = diaryUserPrefix + projectRID(strings.TrimSuffix(res, "/diary"))
		} else if n, ok := twinfed.UsernameFromActor(f.base, res); ok {
			user = n
		}
	default:
		writeError(w, twinfed.Errorf(twinfed.EINVALID, "resource must be acct:user@host or an actor URL"))
		return
	}
	if !strings.EqualFold(host, f.host) || user == "" {
		writeError(w, twinfed.Errorf(twinfed.ENOTFOUND, "no such account on this node"))
		return
	}
	actor := twinfed.AgencyURL(f.base)
	if d := f.diaryWebFinger(r.Context(), user); d != "" {
		actor = d
	} else if user != agencyUsername {
		if f.cfg.Actors == nil {
			writeError(w, twinfed.Errorf(twinfed.ENOTFOUND, "no such account on this node"))
			return
		}
		p, err := f.cfg.Actors.LocalProfile(r.Context(), user)
		if err != nil {
			writeError(w, err)
			return
		}
		actor = p.ID
	}
	body, _ := json.Marshal(jrd{
		Subject: "acct:" + user + "@" + f.host,
		Aliases: []string{actor},
		Links: []jrdLink{
			{Rel: "self", Type: ContentTypeActivity, Href: actor},
			{Rel: "http://webfinger.net/rel/profile-page", Type: "text/html", Href: actor},
		},
	})
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, "application/jrd+json", body)
}

func (f *Federation) handleNodeInfoLinks(w http.ResponseWriter, r *http.Request) {
	body, _ := json.Marshal(map[string]any{"links": []map[string]string{{
		"rel":  "http://nodeinfo.diaspora.software/ns/schema/2.1",
		"href": f.base + "/nodeinfo/2.1",
	}}})
	writeJSON(w, "application/json", body)
}

// handleNodeInfo serves NodeInfo 2.1.
func (f *Federation) handleNodeInfo(w http.ResponseWriter, r *http.Request) {
	var u twinfed.Usage
	if f.cfg.Usage != nil {
		var err error
		if u, err = f.cfg.Usage.Usage(r.Context()); err != nil {
			f.log.Error("federation: nodeinfo usage", "err", err)
			u = twinfed.Usage{}
		}
	}
	body, _ := json.Marshal(map[string]any{
		"version": "2.1",
		"software": map[string]string{
			"name": "twinfed", "version": SemVer(f.Outbox.cfg.Version),
			"repository": "https://github.com/twinfed/twinfed",
		},
		"protocols": []string{"activitypub"},
		"services":  map[string][]string{"inbound": {}, "outbound": {}},
		// Anyone may pre-register on a node; the agency validates each
		// member before the account opens.
		"openRegistrations": true,
		"usage": map[string]any{
			"users":      map[string]int{"total": u.Users, "activeMonth": u.ActiveMonth, "activeHalfyear": u.ActiveHalfyear},
			"localPosts": u.LocalPosts,
		},
		"metadata": map[string]any{"country": f.cfg.Country, "agency": f.cfg.AgencyName, "approvalRequired": true},
	})
	writeJSON(w, `application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"`, body)
}

// semverRe is SemVer 2.0.0's grammar, as strict NodeInfo parsers apply it.
var semverRe = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)

// gitDescribe is `git describe --tags --always --dirty` of a tagged
// commit: v1.2.3, v1.2.3-dirty, v1.2.3-4-gabc1234(-dirty).
var gitDescribe = regexp.MustCompile(`^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+?)??)(?:-(\d+)-g([0-9a-f]+))?(-dirty)?$`)

// SemVer turns the version the binary was stamped with (git describe's
// output, or "dev") into a SemVer 2.0.0 version for NodeInfo: a tag keeps
// its numbers, commits since the tag and the hash become build metadata
// (v1.2.3-4-gabc1234 → 1.2.3+4.gabc1234); an untagged build is
// 0.0.0-dev+<hash> (0.0.0-dev for "dev").
func SemVer(v string) string {
	v = strings.TrimSpace(v)
	if m := gitDescribe.FindStringSubmatch(v); m != nil {
		out, build := m[1], []string{}
		if m[2] != "" {
			build = append(build, m[2], "g"+m[3])
		}
		if m[4] != "" {
			build = append(build, "dirty")
		}
		if len(build) > 0 {
			out += "+" + strings.Join(build, ".")
		}
		if semverRe.MatchString(out) {
			return out
		}
	}
	var meta []string
	for _, part := range strings.FieldsFunc(v, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-')
	}) {
		if part = strings.Trim(part, "-"); part != "" && part != "dev" {
			meta = append(meta, part)
		}
	}
	if len(meta) == 0 {
		return "0.0.0-dev"
	}
	return "0.0.0-dev+" + strings.Join(meta, ".")
}
