package twinfed

import (
	"encoding/csv"
	"slices"
	"strings"
)

// UILanguage is a language the web UI can be offered in: every official
// language of every participating country.
type UILanguage struct {
	Code string // ISO 639-1, as the catalogues are named (active.<code>.toml)
	RTL  bool   // written right to left
}

// UILanguages are the 36 languages a node may offer: the 24 official
// languages of the EU, then those of the other programme and neighbourhood
// countries. Serbian (sr) is written in Cyrillic; Norwegian is Bokmål (nb).
var UILanguages = []UILanguage{
	{Code: "bg"}, {Code: "cs"}, {Code: "da"}, {Code: "de"}, {Code: "el"}, {Code: "en"}, {Code: "es"}, {Code: "et"},
	{Code: "fi"}, {Code: "fr"}, {Code: "ga"}, {Code: "hr"}, {Code: "hu"}, {Code: "it"}, {Code: "lt"}, {Code: "lv"},
	{Code: "mt"}, {Code: "nl"}, {Code: "pl"}, {Code: "pt"}, {Code: "ro"}, {Code: "sk"}, {Code: "sl"}, {Code: "sv"},
	{Code: "sq"}, {Code: "bs"}, {Code: "sr"}, {Code: "mk"}, {Code: "is"}, {Code: "nb"}, {Code: "tr"}, {Code: "hy"},
	{Code: "az"}, {Code: "ka"}, {Code: "uk"}, {Code: "ar", RTL: true},
}

// UILanguageCodes returns the codes of UILanguages, in their order.
func UILanguageCodes() []string {
	out := make([]string, len(UILanguages))
	for i, l := range UILanguages {
		out[i] = l.Code
	}
	return out
}

// IsUILanguage reports whether code is one of UILanguages.
func IsUILanguage(code string) bool {
	return slices.ContainsFunc(UILanguages, func(l UILanguage) bool { return l.Code == code })
}

// TextDirection is the direction a page in language code is written in:
// "rtl" or "ltr" (the values of HTML's dir attribute).
func TextDirection(code string) string {
	for _, l := range UILanguages {
		if l.Code == code && l.RTL {
			return "rtl"
		}
	}
	return "ltr"
}

// CountryLanguages returns the official languages of a participating
// country among UILanguages, the most spoken first (countries.csv's
// languages column): ["nl", "fr", "de"] for BE. An unknown country has
// none.
func CountryLanguages(country string) []string {
	rows, err := csv.NewReader(strings.NewReader(countriesCSV)).ReadAll()
	if err != nil {
		panic("twinfed: embedded countries.csv: " + err.Error())
	}
	for _, r := range rows[1:] {
		if r[0] == country {
			return strings.Fields(r[3])
		}
	}
	return nil
}

// DefaultUILanguages is what a node of country offers when its
// configuration names no language: the country's official languages,
// then English (the programme's common language), each once.
func DefaultUILanguages(country string) []string {
	out := CountryLanguages(country)
	if !slices.Contains(out, "en") {
		out = append(out, "en")
	}
	return out
}
