package web

import (
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"unicode"

	"github.com/twinfed/twinfed"
)

// tinyCatalogues is a catalogue of one message for each of langs.
func tinyCatalogues(langs ...string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for _, l := range langs {
		fsys["active."+l+".toml"] = &fstest.MapFile{Data: []byte(`"hello" = "hello ` + l + `"` + "\n")}
	}
	return fsys
}

func TestCatalog_Pick(t *testing.T) {
	offered := []string{"sr", "en", "nb", "pt", "hr", "bs", "ar", "de"}
	c, err := LoadCatalog(tinyCatalogues(offered...), offered)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ accept, want string }{
		{"no", "nb"}, {"nn-NO", "nb"}, {"nb-NO,nb;q=0.9", "nb"},
		{"pt-BR", "pt"}, {"pt-PT,pt;q=0.8", "pt"},
		{"sr-Latn-RS", "sr"}, {"sr-ME", "sr"},
		{"hr-HR,hr;q=0.9,en;q=0.5", "hr"}, {"bs-BA", "bs"},
		{"ar-JO,ar;q=0.9", "ar"}, {"ar-TN", "ar"},
		{"de-CH", "de"}, {"de-AT,en;q=0.5", "de"},
		{"fi-FI", "sr"}, // nothing close: the node's default
		{"ja,en;q=0.3", "en"},
		{"", "sr"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if tc.accept != "" {
			r.Header.Set("Accept-Language", tc.accept)
		}
		if got := c.Pick("", r); got != tc.want {
			t.Errorf("Pick(Accept-Language %q) = %q, want %q", tc.accept, got, tc.want)
		}
	}
	// The member's choice, then the cookie, win over the header.
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Accept-Language", "de")
	if got := c.Pick("ar", r); got != "ar" {
		t.Errorf("the member's choice ar gave %q", got)
	}
	if got := c.Pick("fr", r); got != "de" {
		t.Errorf("a member's choice not offered (fr) gave %q, want the header's de", got)
	}
	if c.Dir("ar") != "rtl" || c.Dir("de") != "ltr" {
		t.Errorf("Dir: ar %s, de %s", c.Dir("ar"), c.Dir("de"))
	}
}

func TestCatalog_Refuses(t *testing.T) {
	if _, err := LoadCatalog(tinyCatalogues("en"), []string{"en", "de"}); err == nil || !strings.Contains(err.Error(), `no catalogue for language "de"`) {
		t.Errorf("a language without a catalogue: %v", err)
	}
	if _, err := LoadCatalog(tinyCatalogues("en"), []string{"xx"}); err == nil || !strings.Contains(err.Error(), `"xx" is not a UI language; use one of bg, cs`) {
		t.Errorf("an unknown language: %v", err)
	}
}

// TestNames: every UI language and every participating country has a
// name in each of the 36 languages, never its code, in the reader's
// script; the corrections of names.go hold.
func TestNames(t *testing.T) {
	codes := twinfed.UILanguageCodes()
	c, err := LoadCatalog(tinyCatalogues(codes...), codes)
	if err != nil {
		t.Fatal(err)
	}
	for _, reader := range codes {
		for _, code := range append(codes, twinfed.Languages...) {
			name := c.LanguageName(reader, code)
			if name == "" || strings.EqualFold(name, code) {
				t.Errorf("language %s for %s readers: %q", code, reader, name)
			}
		}
		for _, country := range twinfed.SeedCountries() {
			name := c.CountryName(reader, country.Code)
			if name == "" || name == country.Code {
				t.Errorf("country %s for %s readers: %q", country.Code, reader, name)
			}
		}
	}
	for _, code := range codes {
		if e := Endonym(code); e == code || e == "" {
			t.Errorf("Endonym(%s) = %q", code, e)
		}
	}
	for _, tc := range []struct{ got, want string }{
		{Endonym("de"), "Deutsch"}, {Endonym("el"), "Ελληνικά"}, {Endonym("ar"), "العربية"},
		{Endonym("nb"), "Norsk bokmål"}, {Endonym("sr"), "Српски"}, {Endonym("it"), "Italiano"},
		{c.LanguageName("it", "de"), "Tedesco"}, {c.LanguageName("fr", "ga"), "Irlandais"},
		{c.LanguageName("tr", "it"), "İtalyanca"}, // Turkish capital İ
		{c.LanguageName("ka", "de"), "გერმანული"}, // no Mtavruli
		{Endonym("ka"), "ქართული"}, {Endonym("pt"), "Português"},
		{c.LanguageName("it", "pt"), "Portoghese"}, {c.LanguageName("el", "sr"), "Σερβικά"},
		{c.CountryName("it", "ES"), "Spagna"}, {c.CountryName("en", "TR"), "Türkiye"},
		{c.CountryName("el", "MK"), "Βόρεια Μακεδονία"}, {c.CountryName("de", "MK"), "Nordmazedonien"},
		{c.CountryName("nb", "AT"), "Østerrike"}, // not Danish "Østrig"
		{c.CountryName("pt", "CZ"), "Chéquia"},   // Portugal's Portuguese
		{c.CountryName("uk", "UA"), "Україна"},
		{c.CountryName("it", "XX"), "XX"}, {c.LanguageName("it", "Klingon"), "Klingon"},
		{c.LanguageList("fr", []string{"it", "en"}), "Italien, Anglais"},
		{c.CountryList("es", []string{"IT", "FR"}), "Italia, Francia"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	// Countries to choose from in the reader's alphabetical order.
	var list []*twinfed.Country
	for _, code := range []string{"SE", "AT", "TR", "DE", "EE"} {
		list = append(list, &twinfed.Country{Code: code})
	}
	for lang, want := range map[string]string{
		"de": "DE EE AT SE TR", // Deutschland, Estland, Österreich (Ö with O), Schweden, Türkei
		"sv": "EE SE TR DE AT", // Estland, Sverige, Turkiet, Tyskland, Österrike (Ö after Z)
		"en": "AT EE DE SE TR",
	} {
		var got []string
		for _, c := range c.SortCountries(lang, list) {
			got = append(got, c.Code)
		}
		if strings.Join(got, " ") != want {
			t.Errorf("countries sorted for %s readers: %v, want %s", lang, got, want)
		}
	}

	// Names in the reader's script: Greek for el, Cyrillic for uk, Georgian for ka, Armenian for hy, Arabic for ar.
	for lang, script := range map[string]*unicode.RangeTable{"el": unicode.Greek, "uk": unicode.Cyrillic, "ka": unicode.Georgian, "hy": unicode.Armenian, "ar": unicode.Arabic, "sr": unicode.Cyrillic} {
		if name := c.CountryName(lang, "FR"); !strings.ContainsFunc(name, func(r rune) bool { return unicode.Is(script, r) }) {
			t.Errorf("France for %s readers: %q", lang, name)
		}
	}
}

func TestWithCatalogue(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{[]string{"it", "en"}, []string{"it", "en"}},
		{[]string{"xx", "fr", "en"}, []string{"fr", "en"}},
		{[]string{"xx"}, []string{"en"}},
		{nil, []string{"en"}},
	} {
		if got := WithCatalogue(tc.in); strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("WithCatalogue(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
