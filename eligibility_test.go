package twinfed_test

import (
	"strings"
	"testing"

	"github.com/twinfed/twinfed"
)

func TestEligibility_CheckRole(t *testing.T) {
	e := twinfed.ItalianEligibility()
	for _, tc := range []struct {
		role string
		rule string // "" when eligible
	}{
		{"teacher", ""},
		{"lab_teacher", ""},
		{"librarian", ""},
		{"administrative_staff", twinfed.RuleRefusedRoles},
		{"professional_educator", twinfed.RuleRefusedRoles},
		{"janitor", twinfed.RuleAcceptedRoles},
	} {
		err := e.CheckRole(tc.role)
		checkRule(t, tc.role, err, tc.rule, "role")
	}
}

func TestEligibility_CheckSchool(t *testing.T) {
	e := twinfed.ItalianEligibility()
	for _, tc := range []struct {
		name  string
		level twinfed.SchoolLevel
		inst  twinfed.Institution
		years int
		rule  string
	}{
		{"state primary", twinfed.LevelPrimary, twinfed.InstitutionState, 0, ""},
		{"recognised private", twinfed.LevelUpperSecondary, twinfed.InstitutionRecognisedPrivate, 0, ""},
		{"vocational 3 years", twinfed.LevelVocational, twinfed.InstitutionState, 3, ""},
		{"vocational 2 years", twinfed.LevelVocational, twinfed.InstitutionState, 2, twinfed.RuleMinVocationalYears},
		{"university", twinfed.LevelOther, twinfed.InstitutionUniversity, 0, twinfed.RuleRefusedInstitutions},
		{"adult education", twinfed.LevelUpperSecondary, twinfed.InstitutionAdultEducation, 0, twinfed.RuleRefusedInstitutions},
		{"other kind", twinfed.LevelPrimary, twinfed.InstitutionOther, 0, twinfed.RuleAcceptedInst},
		{"other level", twinfed.LevelOther, twinfed.InstitutionState, 0, twinfed.RuleAcceptedLevels},
	} {
		err := e.CheckSchool(&twinfed.School{Level: tc.level, Institution: tc.inst, CourseYears: tc.years})
		checkRule(t, tc.name, err, tc.rule, "school")
	}
	open := twinfed.Eligibility{AcceptedRoles: twinfed.SchoolRoles, AcceptedInstitutions: twinfed.Institutions}
	if err := open.CheckSchool(&twinfed.School{Level: twinfed.LevelVocational, Institution: twinfed.InstitutionUniversity}); err != nil {
		t.Errorf("an open policy refuses: %v", err)
	}
}

func checkRule(t *testing.T, name string, err error, rule, field string) {
	t.Helper()
	switch {
	case rule == "" && err != nil:
		t.Errorf("%s: refused: %v", name, err)
	case rule == "":
	case twinfed.ErrorCode(err) != twinfed.EFORBIDDEN || !strings.Contains(twinfed.ErrorMessage(err), "(agency rule "+rule+")") || twinfed.ErrorFields(err)[field] == "":
		t.Errorf("%s: got %v, want EFORBIDDEN citing %s on %s", name, err, rule, field)
	}
}

func TestEligibility_Problems(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(e *twinfed.Eligibility)
		want []string // "key: start of the problem", in order; none for a sound policy
	}{
		{"italian", func(e *twinfed.Eligibility) {}, nil},
		{"unknown role", func(e *twinfed.Eligibility) { e.AcceptedRoles = append(e.AcceptedRoles, "janitor") }, []string{`eligibility.accepted_roles[7]: "janitor" is unknown`}},
		{"unknown kind", func(e *twinfed.Eligibility) { e.RefusedInstitutions = []twinfed.Institution{"bank"} }, []string{`eligibility.refused_institutions[0]: "bank" is unknown`}},
		{"unknown level", func(e *twinfed.Eligibility) { e.AcceptedLevels = []twinfed.SchoolLevel{"college"} }, []string{`eligibility.accepted_levels[0]: "college" is unknown`}},
		{"no roles", func(e *twinfed.Eligibility) { e.AcceptedRoles = nil }, []string{"eligibility.accepted_roles: is empty: nobody could register"}},
		{"no kinds", func(e *twinfed.Eligibility) { e.AcceptedInstitutions = nil }, []string{"eligibility.accepted_institutions: is empty"}},
		{"role in both", func(e *twinfed.Eligibility) { e.RefusedRoles = append(e.RefusedRoles, "teacher") }, []string{`eligibility.refused_roles: "teacher" is both accepted and refused`}},
		{"kind in both", func(e *twinfed.Eligibility) { e.RefusedInstitutions = append(e.RefusedInstitutions, "state") }, []string{`eligibility.refused_institutions: "state" is both accepted and refused`}},
		{"negative years", func(e *twinfed.Eligibility) { e.MinVocationalYears = -1 }, []string{"eligibility.min_vocational_years: must not be negative"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := twinfed.ItalianEligibility()
			tc.edit(&e)
			var got []string
			e.Problems(func(key, problem string) { got = append(got, key+": "+problem) })
			if len(got) != len(tc.want) {
				t.Fatalf("got %q, want %d problem(s) %q", got, len(tc.want), tc.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tc.want[i]) {
					t.Errorf("problem %d: got %q, want %q…", i, got[i], tc.want[i])
				}
			}
		})
	}
}
