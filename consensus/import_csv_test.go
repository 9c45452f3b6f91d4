package consensus

import (
	"bytes"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// TestParseSchoolsCSVBody_MatchesOnePiece checks the import's CSV parsed
// in pieces against the same body parsed at once: the same schools in
// the same order, or the same refusal (the first in the body, with its
// line numbers), wherever the bad line, the empty lines and the pieces'
// cuts fall, on 2 to 4 cores.
func TestParseSchoolsCSVBody_MatchesOnePiece(t *testing.T) {
	const n = 6000
	lines := make([]string, n)
	for i := range lines {
		lines[i] = fmt.Sprintf("IT,Scuola primaria statale numero %d,Scuola %d,Roma,Lazio,RM-%06d,primary,,,%d", i, i, i, i%6)
	}
	head := "country,legal_name,public_name,city,region,national_number,level,institution,status,course_years\n"
	body := func(ls []string, eol string, last bool) []byte {
		b := []byte(head + strings.Join(ls, eol))
		if last {
			b = append(b, eol...)
		}
		return b
	}
	check := func(name string, b []byte) {
		t.Helper()
		if len(b) < parallelCSVBytes || bytes.IndexByte(b, '"') >= 0 {
			t.Fatalf("%s: the body would be parsed in one piece", name)
		}
		want, werr := parseSchoolsCSV(bytes.NewReader(b), 0)
		got, err := parseSchoolsCSVBody(b)
		switch {
		case (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error():
			t.Errorf("%s: error %v, want %v", name, err, werr)
		case werr == nil && len(want) < n-1:
			t.Fatalf("%s: one piece read %d schools", name, len(want))
		case !reflect.DeepEqual(got, want):
			t.Errorf("%s: %d schools differ from one piece's %d", name, len(got), len(want))
		}
	}
	// Lines near each cut of 2, 3 and 4 pieces, and the first and last.
	near := []int{0, 1, n - 2, n - 1}
	for k := 2; k <= 4; k++ {
		for d := -3; d <= 3; d++ {
			near = append(near, n/k+d, min(2*n/k+d, n-1))
		}
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for procs := 2; procs <= 4; procs++ {
		runtime.GOMAXPROCS(procs)
		check(fmt.Sprintf("%d cores, clean", procs), body(lines, "\n", true))
		check(fmt.Sprintf("%d cores, no last line end", procs), body(lines, "\n", false))
		check(fmt.Sprintf("%d cores, CRLF", procs), body(lines, "\r\n", true))
		check(fmt.Sprintf("%d cores, leading empty lines", procs), append([]byte("\n\n"), body(lines, "\n", true)...))
		for _, at := range near {
			for _, bad := range []string{
				"", // an empty line: no record
				"IT,Scuola,primary",
				"IT,Scuola,,,,,primary,,,five",
				"IT,Scuola,,,,,primary,,,5,extra",
				"IT,Sc\ruola,,,,,primary,,,5",
			} {
				ls := append([]string(nil), lines...)
				ls[at] = bad
				check(fmt.Sprintf("%d cores, line %d %q", procs, at, bad), body(ls, "\n", true))
				// A second refusal later: the first one is the answer.
				ls[min(at+n/3, n-1)] = "IT,x"
				check(fmt.Sprintf("%d cores, line %d %q and a later one", procs, at, bad), body(ls, "\n", true))
			}
		}
		// Empty lines everywhere: records no longer one a line.
		ls := make([]string, 0, 2*n)
		for i, l := range lines {
			ls = append(ls, l)
			if i%7 == 0 {
				ls = append(ls, "")
			}
		}
		check(fmt.Sprintf("%d cores, empty lines", procs), body(ls, "\n", true))
		ls[len(ls)/2+1] = "IT,x"
		check(fmt.Sprintf("%d cores, empty lines and a refusal", procs), body(ls, "\n", true))
	}
}
