package consensus

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/twinfed/twinfed"
)

// decodeHot decodes the answers of a node's hot paths (a batch's results,
// a write's result, a school) and of a follower's (the leader's results
// of forwarded commands), as the registry writes them
// (appendHotJSON), without reflection: decoding a batch's answer with
// encoding/json was a quarter of a writing node's CPU. It reports false,
// leaving out as it was, for anything it does not know for sure (another
// type, an error or a country in a result, an escaped string, a field it
// does not know, a null): encoding/json decodes those, with the same
// outcome (TestDecodeHot_MatchesEncodingJSON).
func decodeHot(b []byte, out any) bool {
	d := hotDecoder{b: b}
	return d.decode(out)
}

// decodeHotShared is decodeHot with every string decoded a part of one
// copy of b, one allocation instead of one a string: for what lives no
// longer than b would (a member's request, a school read to answer it),
// as a string kept keeps the whole copy.
func decodeHotShared(b []byte, out any) bool {
	d := hotDecoder{b: b, s: string(b), shared: true}
	return d.decode(out)
}

// decode decodes d.b into out, which is left as it was on false.
func (d *hotDecoder) decode(out any) bool {
	switch v := out.(type) {
	case *BatchResult:
		var r BatchResult
		if d.batchResult(&r) && d.end() {
			*v = r
			return true
		}
	case *WriteResult:
		var r WriteResult
		if d.writeResult(&r) && d.end() {
			*v = r
			return true
		}
	case *twinfed.School:
		var s twinfed.School
		if d.school(&s) && d.end() {
			*v = s
			return true
		}
	case *internalResult:
		var r batchItemResult
		if d.batchItemResult(&r) && d.end() && !r.NotLeader && !r.Unknown {
			*v = r.internalResult
			return true
		}
	case *batchResult:
		var r batchResult
		if d.object(func(key []byte) bool {
			if string(key) != "results" || r.Results != nil {
				return false
			}
			r.Results = make([]batchItemResult, 0, 16)
			return d.array(func() bool {
				r.Results = append(r.Results, batchItemResult{})
				return d.batchItemResult(&r.Results[len(r.Results)-1])
			})
		}) && d.end() {
			*v = r
			return true
		}
	}
	return false
}

// hotDecoder reads the JSON in b from i; each method reports whether what
// it read was of the form it knows.
type hotDecoder struct {
	b []byte
	i int
	// s is b as a string when shared: strings are parts of it.
	s      string
	shared bool
}

func (d *hotDecoder) ws() {
	for d.i < len(d.b) && (d.b[d.i] == ' ' || d.b[d.i] == '\n' || d.b[d.i] == '\t' || d.b[d.i] == '\r') {
		d.i++
	}
}

// byte reads c, after any white space.
func (d *hotDecoder) byte(c byte) bool {
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// end reports whether only white space is left.
func (d *hotDecoder) end() bool {
	d.ws()
	return d.i == len(d.b)
}

// raw reads a string without escapes, of valid UTF-8, and returns its
// bytes (a part of b).
func (d *hotDecoder) raw() ([]byte, bool) {
	if !d.byte('"') {
		return nil, false
	}
	start := d.i
	for d.i < len(d.b) {
		switch c := d.b[d.i]; {
		case c == '"':
			s := d.b[start:d.i]
			d.i++
			if !utf8.Valid(s) {
				return nil, false
			}
			return s, true
		case c == '\\' || c < 0x20:
			return nil, false
		}
		d.i++
	}
	return nil, false
}

// str reads a string without escapes, of valid UTF-8.
func (d *hotDecoder) str() (string, bool) {
	r, ok := d.raw()
	switch {
	case !ok:
		return "", false
	case d.shared:
		return d.s[d.i-1-len(r) : d.i-1], true
	}
	return string(r), true
}

// number reads the text of an integer (an optional minus, then digits).
func (d *hotDecoder) number() (string, bool) {
	d.ws()
	start := d.i
	if d.i < len(d.b) && d.b[d.i] == '-' {
		d.i++
	}
	digits := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	if d.i == digits || d.b[digits] == '0' && d.i-digits > 1 {
		return "", false
	}
	if d.i < len(d.b) && (d.b[d.i] == '.' || d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		return "", false
	}
	return string(d.b[start:d.i]), true
}

func (d *hotDecoder) uint64() (uint64, bool) {
	s, ok := d.number()
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 10, 64)
	return v, err == nil
}

func (d *hotDecoder) int() (int, bool) {
	s, ok := d.number()
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, strconv.IntSize)
	return int(v), err == nil
}

// object reads an object, calling field for each key; field reads the
// value.
func (d *hotDecoder) object(field func(key []byte) bool) bool {
	if !d.byte('{') {
		return false
	}
	if d.byte('}') {
		return true
	}
	for {
		key, ok := d.raw()
		if !ok || !d.byte(':') || !field(key) {
			return false
		}
		if d.byte('}') {
			return true
		}
		if !d.byte(',') {
			return false
		}
	}
}

// array reads an array, calling elem for each element.
func (d *hotDecoder) array(elem func() bool) bool {
	if !d.byte('[') {
		return false
	}
	if d.byte(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if d.byte(']') {
			return true
		}
		if !d.byte(',') {
			return false
		}
	}
}

func (d *hotDecoder) batchResult(r *BatchResult) bool {
	return d.object(func(key []byte) bool {
		var ok bool
		switch string(key) {
		case "index":
			r.Index, ok = d.uint64()
		case "results":
			if r.Results != nil {
				return false // repeated: encoding/json's to decode
			}
			r.Results = make([]BatchWriteResult, 0, 16)
			ok = d.array(func() bool {
				r.Results = append(r.Results, BatchWriteResult{})
				return d.writeResult(&r.Results[len(r.Results)-1].WriteResult)
			})
		}
		return ok
	})
}

func (d *hotDecoder) writeResult(r *WriteResult) bool {
	return d.object(func(key []byte) bool { return d.writeResultField(r, key) })
}

// writeResultField reads the value of r's field key.
func (d *hotDecoder) writeResultField(r *WriteResult, key []byte) bool {
	var ok bool
	switch string(key) {
	case "index":
		r.Index, ok = d.uint64()
	case "school":
		if r.School != nil {
			return false // repeated: encoding/json's to decode
		}
		r.School = new(twinfed.School)
		ok = d.school(r.School)
	case "ids":
		if r.IDs != nil {
			return false
		}
		r.IDs = make([]string, 0, 16)
		ok = d.array(func() bool {
			id, ok := d.str()
			r.IDs = append(r.IDs, id)
			return ok
		})
	case "count":
		r.Count, ok = d.int()
	case "replayed":
		r.Replayed, ok = d.bool()
	}
	return ok
}

// bool reads true or false.
func (d *hotDecoder) bool() (bool, bool) {
	d.ws()
	switch {
	case len(d.b)-d.i >= 4 && string(d.b[d.i:d.i+4]) == "true":
		d.i += 4
		return true, true
	case len(d.b)-d.i >= 5 && string(d.b[d.i:d.i+5]) == "false":
		d.i += 5
		return false, true
	}
	return false, false
}

// batchItemResult reads a result of a forwarded command as the leader
// writes it (appendInternalResultJSON): a write's result, with a batch
// entry's results, or not taken.
func (d *hotDecoder) batchItemResult(r *batchItemResult) bool {
	return d.object(func(key []byte) bool {
		var ok bool
		switch string(key) {
		case "results":
			if r.Results != nil {
				return false // repeated: encoding/json's to decode
			}
			r.Results = make([]BatchWriteResult, 0, 16)
			ok = d.array(func() bool {
				r.Results = append(r.Results, BatchWriteResult{})
				return d.writeResult(&r.Results[len(r.Results)-1].WriteResult)
			})
		case "not_leader":
			r.NotLeader, ok = d.bool()
		case "unknown":
			r.Unknown, ok = d.bool()
		default:
			ok = d.writeResultField(&r.WriteResult, key)
		}
		return ok
	})
}

func (d *hotDecoder) school(s *twinfed.School) bool {
	return d.object(func(key []byte) bool {
		var ok bool
		var v string
		switch string(key) {
		case "id":
			s.ID, ok = d.str()
		case "country":
			s.Country, ok = d.str()
		case "legal_name":
			s.LegalName, ok = d.str()
		case "public_name":
			s.PublicName, ok = d.str()
		case "city":
			s.City, ok = d.str()
		case "region":
			s.Region, ok = d.str()
		case "national_number":
			s.NationalNumber, ok = d.str()
		case "level":
			v, ok = d.str()
			s.Level = twinfed.SchoolLevel(v)
		case "course_years":
			s.CourseYears, ok = d.int()
		case "institution":
			v, ok = d.str()
			s.Institution = twinfed.Institution(v)
		case "status":
			v, ok = d.str()
			s.Status = twinfed.SchoolStatus(v)
		case "validated_by":
			s.ValidatedBy, ok = d.str()
		case "created":
			ok = d.time(&s.Created)
		case "updated":
			ok = d.time(&s.Updated)
		}
		return ok
	})
}

// time reads a time as time.Time's UnmarshalJSON does (RFC 3339).
func (d *hotDecoder) time(t *time.Time) bool {
	v, ok := d.raw()
	return ok && t.UnmarshalText(v) == nil
}
