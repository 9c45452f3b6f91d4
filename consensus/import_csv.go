package consensus

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/twinfed/twinfed"
)

// An import's CSV is parsed in pieces, one a core, when it has no quote
// at all: its records then end at its line ends, so that the body splits
// there. The follower the file is posted to parses and checks the whole
// file before proposing any chunk, on one core while the other waited.
// The pieces' schools are joined in the order of the body, and a refusal
// is the one the whole file parsed at once gives (the first in the body),
// with the same line numbers (TestParseSchoolsCSVBody_MatchesOnePiece).

// parallelCSVBytes: a smaller body is parsed as one piece.
const parallelCSVBytes = 256 << 10

// csvHeader resolves the columns of csvColumns from an import's header.
func csvHeader(head []string) ([len(csvColumns)]int, error) {
	var col [len(csvColumns)]int
	for c, name := range csvColumns {
		col[c] = -1
		for i, h := range head {
			if strings.TrimSpace(strings.ToLower(h)) == name {
				col[c] = i // the last of repeated columns, as before
			}
		}
	}
	for _, req := range []int{0, 1, 6} { // country, legal_name, level
		if col[req] < 0 {
			return col, twinfed.Errorf(twinfed.EINVALID, "the CSV header lacks the column %q; columns: country, legal_name, public_name, city, region, national_number, level, institution, status, course_years", csvColumns[req])
		}
	}
	return col, nil
}

// parseSchoolsCSV is ParseSchoolsCSV with room made for about rows
// schools at once (an import's body counts its lines), so that the list
// is not copied as it grows.
func parseSchoolsCSV(r io.Reader, rows int) ([]twinfed.School, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, twinfed.Errorf(twinfed.EINVALID, "the CSV has no header row")
	}
	col, err := csvHeader(head)
	if err != nil {
		return nil, err
	}
	p := csvPiece{schools: make([]twinfed.School, 0, rows)}
	p.parse(cr, &col)
	if p.err != nil {
		return nil, p.refusal(0, 0)
	}
	return p.schools, nil
}

// csvPiece is the records of one piece of a CSV body, parsed up to the
// first refused one (err, the fail-th record of the piece).
type csvPiece struct {
	body    []byte
	schools []twinfed.School
	fail    int
	err     error
	cyErr   bool // err is course_years'
}

// parse reads the records of cr into p.schools.
func (p *csvPiece) parse(cr *csv.Reader, col *[len(csvColumns)]int) {
	get := func(rec []string, c int) string {
		if i := col[c]; i >= 0 && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return
		}
		if err != nil {
			p.fail, p.err = len(p.schools), err
			return
		}
		p.schools = append(p.schools, twinfed.School{Country: get(rec, 0), LegalName: get(rec, 1), PublicName: get(rec, 2),
			City: get(rec, 3), Region: get(rec, 4), NationalNumber: get(rec, 5),
			Level: twinfed.SchoolLevel(get(rec, 6)), Institution: twinfed.Institution(get(rec, 7)),
			Status: twinfed.SchoolStatus(get(rec, 8))})
		if cy := get(rec, 9); cy != "" {
			if p.schools[len(p.schools)-1].CourseYears, err = strconv.Atoi(cy); err != nil {
				p.fail, p.err, p.cyErr = len(p.schools)-1, err, true
				return
			}
		}
	}
}

// refusal is p's error as the whole body parsed at once gives it: before
// records came before the piece's first, on lines lines before its first
// line.
func (p *csvPiece) refusal(before, lines int) error {
	line := 2 + before + p.fail // the header is line 1, as ever counted in records
	if p.cyErr {
		return twinfed.Errorf(twinfed.EINVALID, "CSV line %d: course_years must be a whole number", line)
	}
	err := p.err
	if pe := (*csv.ParseError)(nil); lines > 0 && errors.As(err, &pe) {
		moved := *pe
		moved.StartLine += lines
		moved.Line += lines
		err = &moved
	}
	return twinfed.Errorf(twinfed.EINVALID, "CSV line %d: %v", line, err)
}

// parseSchoolsCSVBody parses an import's CSV body, in pieces on every core
// when it has no quote and is large enough.
func parseSchoolsCSVBody(body []byte) ([]twinfed.School, error) {
	lines := bytes.Count(body, []byte{'\n'})
	procs := runtime.GOMAXPROCS(0)
	if procs < 2 || len(body) < parallelCSVBytes || lines >= 1<<18 || bytes.IndexByte(body, '"') >= 0 {
		// Room for each line, up to 2^18 schools (60 MB): a body of empty
		// lines makes no larger list than an import of that many schools.
		return parseSchoolsCSV(bytes.NewReader(body), min(lines, 1<<18))
	}
	cr := csv.NewReader(bytes.NewReader(body))
	head, err := cr.Read()
	if err != nil {
		return nil, twinfed.Errorf(twinfed.EINVALID, "the CSV has no header row")
	}
	col, err := csvHeader(head)
	if err != nil {
		return nil, err
	}
	// The pieces: the rest of the body cut at the first line end after
	// each procs-th of it, each parsed into its own part of one list, room
	// made for each of its lines.
	off := int(cr.InputOffset())
	rest := body[off:]
	out := make([]twinfed.School, 0, lines+1)
	pieces := make([]csvPiece, 0, procs)
	before := []int{bytes.Count(body[:off], []byte{'\n'})} // the lines before each piece
	for k, base := procs, 0; k > 0 && len(rest) > 0; k-- {
		n := len(rest)
		if k > 1 {
			if i := bytes.IndexByte(rest[n/k:], '\n'); i >= 0 {
				n = n/k + i + 1
			}
		}
		nl := bytes.Count(rest[:n], []byte{'\n'})
		room := nl
		if rest[n-1] != '\n' {
			room++
		}
		pieces = append(pieces, csvPiece{body: rest[:n], schools: out[base : base : base+room]})
		before = append(before, before[len(before)-1]+nl)
		base += room
		rest = rest[n:]
	}
	var wg sync.WaitGroup
	for i := range pieces {
		wg.Go(func() {
			p := &pieces[i]
			pr := csv.NewReader(bytes.NewReader(p.body))
			pr.ReuseRecord = true
			pr.FieldsPerRecord = len(head) // as the header sets it for one reader
			p.parse(pr, &col)
		})
	}
	wg.Wait()
	for i := range pieces {
		p := &pieces[i]
		if p.err != nil {
			return nil, p.refusal(len(out), before[i])
		}
		// In place when the pieces before had a record on each line.
		out = append(out, p.schools...)
	}
	return out, nil
}
