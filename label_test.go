package twinfed_test

import (
	"slices"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
)

func TestSchoolYear(t *testing.T) {
	for _, tc := range []struct {
		at   string
		want string
	}{
		{"2025-08-31T23:59:59Z", "2024-2025"},
		{"2025-09-01T00:00:00Z", "2025-2026"},
		{"2026-01-15T10:00:00Z", "2025-2026"},
		{"2026-12-31T10:00:00Z", "2026-2027"},
	} {
		at, _ := time.Parse(time.RFC3339, tc.at)
		if got := twinfed.SchoolYearOf(at); got != tc.want {
			t.Errorf("SchoolYear(%s) = %s, want %s", tc.at, got, tc.want)
		}
	}
}

func TestValidLabelScore(t *testing.T) {
	for _, tc := range []struct {
		score int
		want  bool
	}{
		{-1, false}, {0, true}, {15, true}, {30, true}, {31, false},
	} {
		if got := twinfed.ValidLabelScore(tc.score); got != tc.want {
			t.Errorf("ValidLabelScore(%d) = %v, want %v", tc.score, got, tc.want)
		}
	}
}

func TestEuropeanLabelCountries(t *testing.T) {
	nql := func(country, year string) twinfed.QualityLabel {
		return twinfed.QualityLabel{ProjectID: "p", Country: country, SchoolYear: year, Score: 20}
	}
	tests := []struct {
		name   string
		labels []twinfed.QualityLabel
		want   []string
	}{
		{"none", nil, nil},
		{"one country", []twinfed.QualityLabel{nql("IT", "2025-2026")}, nil},
		{"one country twice", []twinfed.QualityLabel{nql("IT", "2025-2026"), nql("IT", "2025-2026")}, nil},
		{"two countries, two years", []twinfed.QualityLabel{nql("IT", "2025-2026"), nql("FR", "2024-2025")}, nil},
		{"two countries", []twinfed.QualityLabel{nql("IT", "2025-2026"), nql("FR", "2025-2026")}, []string{"IT", "FR"}},
		{"three, one repeated, one of another year", []twinfed.QualityLabel{nql("ES", "2025-2026"), nql("IT", "2024-2025"), nql("ES", "2025-2026"), nql("FR", "2025-2026")}, []string{"ES", "FR"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := twinfed.EuropeanLabelCountries(tt.labels, "2025-2026"); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
