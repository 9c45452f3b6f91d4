package twinfed_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/twinfed/twinfed"
)

func TestCheckPreferences(t *testing.T) {
	valid := func() twinfed.Preferences {
		return twinfed.Preferences{Description: "<p>Hello</p>", Languages: []string{"it", "en"}, PupilAges: []int{12, 10, 12},
			Subjects: []string{"music"}, Interests: []string{" robotics ", "", "STEM"}, Public: []string{twinfed.PublicSchool}}
	}
	for _, tc := range []struct {
		name   string
		edit   func(pr *twinfed.Preferences)
		fields []string // nil: valid
	}{
		{"valid", func(pr *twinfed.Preferences) {}, nil},
		{"description of 4000", func(pr *twinfed.Preferences) { pr.Description = strings.Repeat("a", 4000) }, nil},
		{"long description", func(pr *twinfed.Preferences) { pr.Description = strings.Repeat("a", 4001) }, []string{"description"}},
		{"no language", func(pr *twinfed.Preferences) { pr.Languages = nil }, []string{"languages"}},
		{"unknown language", func(pr *twinfed.Preferences) { pr.Languages = []string{"xx"} }, []string{"languages"}},
		{"no ages", func(pr *twinfed.Preferences) { pr.PupilAges = nil }, []string{"pupil_ages"}},
		{"age 26", func(pr *twinfed.Preferences) { pr.PupilAges = []int{26} }, []string{"pupil_ages"}},
		{"negative age", func(pr *twinfed.Preferences) { pr.PupilAges = []int{-1} }, []string{"pupil_ages"}},
		{"no subject", func(pr *twinfed.Preferences) { pr.Subjects = nil }, []string{"subjects"}},
		{"unknown subject", func(pr *twinfed.Preferences) { pr.Subjects = []string{"alchemy"} }, []string{"subjects"}},
		{"long interest", func(pr *twinfed.Preferences) { pr.Interests = []string{strings.Repeat("a", 61)} }, []string{"interests"}},
		{"21 interests", func(pr *twinfed.Preferences) { pr.Interests = slices.Repeat([]string{"x"}, 21) }, []string{"interests"}},
		{"unknown public field", func(pr *twinfed.Preferences) { pr.Public = []string{"email"} }, []string{"public"}},
		{"several", func(pr *twinfed.Preferences) { pr.Languages, pr.Subjects = nil, nil }, []string{"languages", "subjects"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pr := valid()
			tc.edit(&pr)
			err := twinfed.CheckPreferences(&pr)
			if tc.fields == nil {
				if err != nil {
					t.Fatalf("CheckPreferences: %v", err)
				}
				return
			}
			if twinfed.ErrorCode(err) != twinfed.EINVALID {
				t.Fatalf("CheckPreferences = %v, want EINVALID", err)
			}
			e := err.(*twinfed.Error)
			for _, f := range tc.fields {
				if e.Fields[f] == "" {
					t.Errorf("no message for %s in %v", f, e.Fields)
				}
			}
			if len(e.Fields) != len(tc.fields) {
				t.Errorf("fields %v, want only %v", e.Fields, tc.fields)
			}
		})
	}
	t.Run("normalised", func(t *testing.T) {
		pr := valid()
		if err := twinfed.CheckPreferences(&pr); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(pr.PupilAges, []int{10, 12}) || !slices.Equal(pr.Interests, []string{"robotics", "STEM"}) {
			t.Errorf("ages %v, interests %q: want sorted ages without repeats and trimmed interests without empty ones", pr.PupilAges, pr.Interests)
		}
	})
}
