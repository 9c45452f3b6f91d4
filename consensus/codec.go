package consensus

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/twinfed/twinfed"
)

// The binary commands (CmdPutSchoolV2, CmdImportSchoolsV2) carry schools
// in a compact form that every member decodes without reflection: a bulk
// import spends most of its time encoding and decoding schools, three
// times over (once per member), so JSON there costs more than the disk.
//
//	school:  11 strings (id, country, legal name, public name, city,
//	         region, national number, level, institution, status,
//	         validated by), each uvarint length + bytes; course years
//	         (varint); created and updated (time)
//	time:    0 for the zero time, or 1 then varint unix nanoseconds (decoded in UTC)
//	put:     school, by (string), at (time)
//	import:  at (time), count (uvarint), count schools

var errShortCommand = errors.New("binary command: truncated or malformed")

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	return binary.AppendVarint(append(b, 1), t.UnixNano())
}

func appendSchoolBin(b []byte, s *twinfed.School) []byte {
	for _, f := range [...]string{s.ID, s.Country, s.LegalName, s.PublicName, s.City, s.Region, s.NationalNumber,
		string(s.Level), string(s.Institution), string(s.Status), s.ValidatedBy} {
		b = appendString(b, f)
	}
	b = binary.AppendVarint(b, int64(s.CourseYears))
	b = appendTime(b, s.Created)
	return appendTime(b, s.Updated)
}

// binReader decodes the binary commands; the first error sticks. The
// strings it returns are slices of str, one copy of the whole payload: an
// import chunk's 11,000 strings then cost one allocation, not 11,000.
type binReader struct {
	b   []byte
	str string // the payload b started as
	err error
}

func newBinReader(p []byte) binReader { return binReader{b: p, str: string(p)} }

func (r *binReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errShortCommand
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *binReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errShortCommand
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *binReader) string() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.b)) {
		r.err = errShortCommand
		return ""
	}
	at := len(r.str) - len(r.b)
	s := r.str[at : at+int(n)]
	r.b = r.b[n:]
	return s
}

func (r *binReader) time() time.Time {
	if r.err != nil || len(r.b) == 0 {
		r.err = errShortCommand
		return time.Time{}
	}
	flag := r.b[0]
	r.b = r.b[1:]
	switch flag {
	case 0:
		return time.Time{}
	case 1:
		return time.Unix(0, r.varint()).UTC()
	}
	r.err = errShortCommand
	return time.Time{}
}

func (r *binReader) school(s *twinfed.School) {
	s.ID, s.Country, s.LegalName, s.PublicName = r.string(), r.string(), r.string(), r.string()
	s.City, s.Region, s.NationalNumber = r.string(), r.string(), r.string()
	s.Level, s.Institution, s.Status = twinfed.SchoolLevel(r.string()), twinfed.Institution(r.string()), twinfed.SchoolStatus(r.string())
	s.ValidatedBy = r.string()
	s.CourseYears = int(r.varint())
	s.Created, s.Updated = r.time(), r.time()
}

// done reports the first error, or an error when bytes are left over.
func (r *binReader) done() error {
	if r.err == nil && len(r.b) != 0 {
		r.err = errShortCommand
	}
	return r.err
}

func encodePutSchoolBin(c *PutSchoolCommand) []byte {
	b := make([]byte, 0, 1+schoolBinSize(&c.School)+len(c.By)+12)
	b = append(b, byte(CmdPutSchoolV2))
	b = appendSchoolBin(b, &c.School)
	b = appendString(b, c.By)
	return appendTime(b, c.At)
}

func decodePutSchoolBin(p []byte, c *PutSchoolCommand) error {
	r := newBinReader(p)
	r.school(&c.School)
	c.By = r.string()
	c.At = r.time()
	return r.done()
}

func encodeImportBin(c *ImportCommand) []byte {
	n := 1 + 10 + 10
	for i := range c.Schools {
		n += schoolBinSize(&c.Schools[i])
	}
	b := make([]byte, 0, n)
	b = append(b, byte(CmdImportSchoolsV2))
	b = appendTime(b, c.At)
	b = binary.AppendUvarint(b, uint64(len(c.Schools)))
	for i := range c.Schools {
		b = appendSchoolBin(b, &c.Schools[i])
	}
	return b
}

func decodeImportBin(p []byte, c *ImportCommand) error {
	r := newBinReader(p)
	c.At = r.time()
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)) { // every school takes at least one byte
		return errShortCommand
	}
	c.Schools = make([]twinfed.School, n)
	for i := range c.Schools {
		r.school(&c.Schools[i])
	}
	return r.done()
}

// schoolBinSize bounds the size of a school's binary form.
func schoolBinSize(s *twinfed.School) int {
	return 11*binary.MaxVarintLen16 + 3*binary.MaxVarintLen64 + 2 + len(s.ID) + len(s.Country) + len(s.LegalName) + len(s.PublicName) +
		len(s.City) + len(s.Region) + len(s.NationalNumber) + len(s.Level) + len(s.Institution) + len(s.Status) + len(s.ValidatedBy)
}

// appendResultJSON appends the JSON of res, byte for byte what
// json.Marshal writes (TestResultJSON_MatchesEncodingJSON): every keyed
// write stores its result on every member, and encoding/json's
// reflection on it was a fifth of a leader's CPU at 64 writers. Results
// with an error or a country, rare, go through json.Marshal.
func appendResultJSON(b []byte, res *ApplyResult) ([]byte, error) {
	if res.Err != nil || res.Country != nil {
		j, err := json.Marshal(res)
		return append(b, j...), err
	}
	b = append(b, `{"index":`...)
	b = strconv.AppendUint(b, res.Index, 10)
	if res.School != nil {
		b = append(b, `,"school":`...)
		b = appendSchoolJSON(b, res.School)
	}
	if len(res.IDs) > 0 {
		b = append(b, `,"ids":[`...)
		for i, id := range res.IDs {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, id)
		}
		b = append(b, ']')
	}
	if res.Count != 0 {
		b = append(b, `,"count":`...)
		b = strconv.AppendInt(b, int64(res.Count), 10)
	}
	if res.Replayed {
		b = append(b, `,"replayed":true`...)
	}
	if len(res.Results) > 0 {
		b = append(b, `,"results":[`...)
		for i, r := range res.Results {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendResultJSON(b, r); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

// appendSchoolJSON appends the JSON of s, byte for byte what json.Marshal
// writes (TestSchoolJSON_MatchesEncodingJSON), several times faster: the
// state stores schools as JSON, and an import writes thousands of them on
// every member.
func appendSchoolJSON(b []byte, s *twinfed.School) []byte {
	return appendSchoolJSONTimes(b, s, nil)
}

// timeText keeps the RFC 3339 text of the last time it formatted: the
// schools of an import chunk share their creation and update time, and
// formatting it again for each was a seventh of a member's import CPU.
type timeText struct {
	t    time.Time
	text []byte
}

func (c *timeText) append(b []byte, t time.Time) []byte {
	if c == nil {
		return t.AppendFormat(b, time.RFC3339Nano)
	}
	if c.text == nil || !t.Equal(c.t) || t.Location() != c.t.Location() {
		c.t, c.text = t, t.AppendFormat(c.text[:0], time.RFC3339Nano)
	}
	return append(b, c.text...)
}

// appendSchoolJSONTimes is appendSchoolJSON formatting the times through
// tt (nil: each time).
func appendSchoolJSONTimes(b []byte, s *twinfed.School, tt *timeText) []byte {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, s.ID)
	b = append(b, `,"country":`...)
	b = appendJSONString(b, s.Country)
	b = append(b, `,"legal_name":`...)
	b = appendJSONString(b, s.LegalName)
	for _, f := range [...]struct {
		name, v string
	}{{`,"public_name":`, s.PublicName}, {`,"city":`, s.City}, {`,"region":`, s.Region}, {`,"national_number":`, s.NationalNumber}} {
		if f.v != "" {
			b = append(b, f.name...)
			b = appendJSONString(b, f.v)
		}
	}
	b = append(b, `,"level":`...)
	b = appendJSONString(b, string(s.Level))
	if s.CourseYears != 0 {
		b = append(b, `,"course_years":`...)
		b = strconv.AppendInt(b, int64(s.CourseYears), 10)
	}
	b = append(b, `,"institution":`...)
	b = appendJSONString(b, string(s.Institution))
	b = append(b, `,"status":`...)
	b = appendJSONString(b, string(s.Status))
	if s.ValidatedBy != "" {
		b = append(b, `,"validated_by":`...)
		b = appendJSONString(b, s.ValidatedBy)
	}
	if !s.Created.IsZero() {
		b = append(b, `,"created":"`...)
		b = tt.append(b, s.Created)
		b = append(b, '"')
	}
	if !s.Updated.IsZero() {
		b = append(b, `,"updated":"`...)
		b = tt.append(b, s.Updated)
		b = append(b, '"')
	}
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as encoding/json does (HTML characters,
// U+2028 and U+2029 escaped, invalid UTF-8 replaced).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, "\uFFFD"...) // raw, as encoding/json writes it since Go 1.27
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
