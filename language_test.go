package twinfed_test

import (
	"slices"
	"testing"

	"github.com/twinfed/twinfed"
)

func TestUILanguages(t *testing.T) {
	codes := twinfed.UILanguageCodes()
	if len(codes) != 36 {
		t.Fatalf("%d UI languages, want 36: %v", len(codes), codes)
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if seen[c] {
			t.Errorf("%s is listed twice", c)
		}
		seen[c] = true
		if !twinfed.IsUILanguage(c) {
			t.Errorf("IsUILanguage(%q) = false", c)
		}
	}
	for _, c := range []string{"", "xx", "EN", "ca", "no", "sr-Latn"} {
		if twinfed.IsUILanguage(c) {
			t.Errorf("IsUILanguage(%q) = true", c)
		}
	}
	if d := twinfed.TextDirection("ar"); d != "rtl" {
		t.Errorf("TextDirection(ar) = %q", d)
	}
	for _, c := range []string{"en", "el", "uk", "xx"} {
		if d := twinfed.TextDirection(c); d != "ltr" {
			t.Errorf("TextDirection(%s) = %q", c, d)
		}
	}
}

func TestCountryLanguages(t *testing.T) {
	for _, tc := range []struct {
		country string
		want    []string
	}{
		{"IT", []string{"it"}}, {"BE", []string{"nl", "fr", "de"}}, {"IE", []string{"ga", "en"}},
		{"NO", []string{"nb"}}, {"TN", []string{"ar"}}, {"XX", nil},
	} {
		if got := twinfed.CountryLanguages(tc.country); !slices.Equal(got, tc.want) {
			t.Errorf("CountryLanguages(%s) = %v, want %v", tc.country, got, tc.want)
		}
	}
	if got := twinfed.DefaultUILanguages("DE"); !slices.Equal(got, []string{"de", "en"}) {
		t.Errorf("DefaultUILanguages(DE) = %v", got)
	}
	if got := twinfed.DefaultUILanguages("MT"); !slices.Equal(got, []string{"mt", "en"}) {
		t.Errorf("DefaultUILanguages(MT) = %v", got)
	}
	// Every participating country speaks at least one UI language, and
	// every one it lists is a UI language.
	for _, c := range twinfed.SeedCountries() {
		langs := twinfed.CountryLanguages(c.Code)
		if len(langs) == 0 {
			t.Errorf("%s (%s) has no language", c.Code, c.Name)
		}
		for _, l := range langs {
			if !twinfed.IsUILanguage(l) {
				t.Errorf("%s lists %q, not a UI language", c.Code, l)
			}
		}
	}
}
