package consensus

import (
	"strings"
	"testing"

	"github.com/twinfed/twinfed"
)

// A chunk refused part-way (a duplicate inside it, a bad record, a number
// already taken) leaves the index of national numbers as it was: each of
// its numbers can be imported afterwards, and none names a school.
func TestFSM_RefusedImportLeavesTheNationalNumbers(t *testing.T) {
	f := MustOpenFSM(t)
	mustApply(t, f, CmdSeedCountries, SeedCommand{Countries: twinfed.SeedCountries(), At: at})
	school := func(number string) twinfed.School {
		return twinfed.School{Country: "IT", LegalName: "Scuola " + number, NationalNumber: number, Level: twinfed.LevelPrimary}
	}
	if res := mustApply(t, f, CmdImportSchools, ImportCommand{Schools: []twinfed.School{school("T0")}, At: at}); res.Err != nil {
		t.Fatal(res.Err)
	}
	bad := school("B1")
	bad.Level = "nursery-of-nowhere"
	for _, tc := range []struct {
		name    string
		schools []twinfed.School
		want    string
	}{
		{"duplicate in the chunk", []twinfed.School{school("A1"), school("A2"), school("A1")}, "records 1 and 3 have the same national school number A1"},
		{"bad record", []twinfed.School{school("A1"), school("A2"), bad}, "record 3:"},
		{"number taken", []twinfed.School{school("A1"), school("A2"), school("T0")}, "record 3: the national school number T0 is already school IT-00000001"},
		{"unknown country", []twinfed.School{school("A1"), {Country: "ZZ", LegalName: "x", Level: twinfed.LevelPrimary}}, "record 2: unknown country"},
	} {
		res := mustApply(t, f, CmdImportSchools, ImportCommand{Schools: tc.schools, At: at})
		if res.Err == nil || !strings.Contains(res.Err.Message, tc.want) {
			t.Fatalf("%s: %+v, want an error saying %q", tc.name, res.Err, tc.want)
		}
		for _, n := range []string{"A1", "A2"} {
			if id := f.natnum("IT", n); id != "" {
				t.Fatalf("%s: %s names %q after the refusal", tc.name, n, id)
			}
		}
	}
	res := mustApply(t, f, CmdImportSchools, ImportCommand{Schools: []twinfed.School{school("A1"), school("A2"), school("B1")}, At: at})
	if res.Err != nil || len(res.IDs) != 3 {
		t.Fatalf("the numbers of the refused chunks: %+v", res)
	}
	if id := f.natnum("IT", "A2"); id != res.IDs[1] {
		t.Fatalf("A2 is %q, want %q", id, res.IDs[1])
	}
}
