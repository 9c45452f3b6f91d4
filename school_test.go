package twinfed_test

import (
	"strings"
	"testing"

	"github.com/twinfed/twinfed"
)

func TestValidateSchool(t *testing.T) {
	valid := func() twinfed.School {
		return twinfed.School{Country: "IT", LegalName: "IC Uno", City: "Roma", Region: "Lazio", Level: twinfed.LevelPrimary,
			Institution: twinfed.InstitutionState, Status: twinfed.SchoolProposed}
	}
	for _, tc := range []struct {
		name  string
		edit  func(s *twinfed.School)
		field string // "" for a valid school
	}{
		{"valid", func(s *twinfed.School) {}, ""},
		{"vocational 3 years", func(s *twinfed.School) { s.Level, s.CourseYears = twinfed.LevelVocational, 3 }, ""},
		{"vocational 10 years", func(s *twinfed.School) { s.Level, s.CourseYears = twinfed.LevelVocational, 10 }, ""},
		{"vocational, years not given", func(s *twinfed.School) { s.Level = twinfed.LevelVocational }, ""},
		{"11 course years", func(s *twinfed.School) { s.Level, s.CourseYears = twinfed.LevelVocational, 11 }, "course_years"},
		{"negative course years", func(s *twinfed.School) { s.CourseYears = -1 }, "course_years"},
		{"no country", func(s *twinfed.School) { s.Country = "" }, "country"},
		{"no legal name", func(s *twinfed.School) { s.LegalName = "" }, "legal_name"},
		{"long legal name", func(s *twinfed.School) { s.LegalName = strings.Repeat("a", 301) }, "legal_name"},
		{"legal name of 300", func(s *twinfed.School) { s.LegalName = strings.Repeat("a", 300) }, ""},
		{"long public name", func(s *twinfed.School) { s.PublicName = strings.Repeat("a", 301) }, "legal_name"},
		{"long city", func(s *twinfed.School) { s.City = strings.Repeat("a", 201) }, "city"},
		{"long national number", func(s *twinfed.School) { s.NationalNumber = strings.Repeat("1", 65) }, "city"},
		{"unknown level", func(s *twinfed.School) { s.Level = "college" }, "level"},
		{"no institution", func(s *twinfed.School) { s.Institution = "" }, "institution"},
		{"no status", func(s *twinfed.School) { s.Status = "" }, "status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := valid()
			tc.edit(&s)
			err := twinfed.ValidateSchool(&s)
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("got %v, want nil", err)
			case tc.field != "" && err == nil:
				t.Fatalf("got nil, want a problem with %s", tc.field)
			case tc.field != "" && (err.Code != twinfed.EINVALID || err.Fields[tc.field] == "" || len(err.Fields) != 1):
				t.Fatalf("got %v, want one EINVALID problem with %s", err, tc.field)
			}
		})
	}
}
