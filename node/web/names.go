package web

import (
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/twinfed/twinfed"
)

// Language and country names come from CLDR through
// golang.org/x/text/language/display, which names all 36 UI languages
// and every participating country in each of the 36. Three corrections
// to the CLDR release x/text carries:
//
//   - English country names are the programme's own (countries.csv:
//     "Türkiye", "North Macedonia", "Palestine");
//   - North Macedonia has its name since 2019 in every language (the
//     CLDR data still says "Macedonia", or worse);
//   - Norwegian Bokmål (nb) is named through "no": x/text's nb region
//     names are Danish ("Østrig" for Østerrike), and Portuguese through
//     pt-PT (the programme's Portuguese is Portugal's, CLDR's pt is
//     Brazil's).

// northMacedonia is the country's name in each UI language.
var northMacedonia = map[string]string{
	"bg": "Северна Македония", "cs": "Severní Makedonie", "da": "Nordmakedonien", "de": "Nordmazedonien",
	"el": "Βόρεια Μακεδονία", "en": "North Macedonia", "es": "Macedonia del Norte", "et": "Põhja-Makedoonia",
	"fi": "Pohjois-Makedonia", "fr": "Macédoine du Nord", "ga": "an Mhacadóin Thuaidh", "hr": "Sjeverna Makedonija",
	"hu": "Észak-Macedónia", "it": "Macedonia del Nord", "lt": "Šiaurės Makedonija", "lv": "Ziemeļmaķedonija",
	"mt": "il-Maċedonja ta’ Fuq", "nl": "Noord-Macedonië", "pl": "Macedonia Północna", "pt": "Macedónia do Norte",
	"ro": "Macedonia de Nord", "sk": "Severné Macedónsko", "sl": "Severna Makedonija", "sv": "Nordmakedonien",
	"sq": "Maqedonia e Veriut", "bs": "Sjeverna Makedonija", "sr": "Северна Македонија", "mk": "Северна Македонија",
	"is": "Norður-Makedónía", "nb": "Nord-Makedonia", "tr": "Kuzey Makedonya", "hy": "Հյուսիսային Մակեդոնիա",
	"az": "Şimali Makedoniya", "ka": "ჩრდილოეთ მაკედონია", "uk": "Північна Македонія", "ar": "مقدونيا الشمالية",
}

// names are the language and country names in one reader's language,
// computed once per offered language: a page asks map lookups only.
type names struct {
	langs     map[string]string // language code → its name, capitalised as a list item
	countries map[string]string // country code → its name
	rank      map[string]int    // country code → its place in the reader's alphabetical order
}

// namerTag is the CLDR locale that names things for readers of lang.
func namerTag(lang string) language.Tag {
	switch lang {
	case "nb":
		return language.Norwegian
	case "pt":
		return language.EuropeanPortuguese
	}
	return language.Make(lang)
}

// newNames names every UI language, every language a member may
// teach in and every participating country for readers of lang.
func newNames(lang string) names {
	tag := namerTag(lang)
	n := names{langs: map[string]string{}, countries: map[string]string{}, rank: map[string]int{}}
	ln, rn := display.Languages(tag), display.Regions(tag)
	codes := append(twinfed.UILanguageCodes(), twinfed.Languages...)
	for _, code := range codes {
		name := ""
		if ln != nil {
			name = ln.Name(language.Make(code))
		}
		if name == "" {
			name = display.Self.Name(language.Make(code)) // never the code
		}
		n.langs[code] = capitalise(lang, name)
	}
	for _, c := range twinfed.SeedCountries() {
		name := ""
		switch {
		case lang == "en":
			name = c.Name
		case c.Code == "MK" && northMacedonia[lang] != "":
			name = northMacedonia[lang]
		case rn != nil:
			if r, err := language.ParseRegion(c.Code); err == nil {
				name = rn.Name(r)
			}
		}
		if name == "" {
			name = c.Name
		}
		n.countries[c.Code] = capitalise(lang, name)
	}
	// The reader's alphabetical order (CLDR collation: Ö after O in
	// German, after Z in Swedish), for lists of countries to choose from.
	order := make([]string, 0, len(n.countries))
	for code := range n.countries {
		order = append(order, code)
	}
	coll := collate.New(tag)
	sort.Slice(order, func(i, j int) bool { return coll.CompareString(n.countries[order[i]], n.countries[order[j]]) < 0 })
	for i, code := range order {
		n.rank[code] = i
	}
	return n
}

// SortCountries returns countries in the alphabetical order of their
// names for readers of lang (a copy; countries is left as it is).
func (c *Catalog) SortCountries(lang string, countries []*twinfed.Country) []*twinfed.Country {
	rank := c.namesOf(lang).rank
	out := slices.Clone(countries)
	slices.SortStableFunc(out, func(a, b *twinfed.Country) int {
		ra, oka := rank[a.Code]
		rb, okb := rank[b.Code]
		switch {
		case oka && okb:
			return ra - rb
		case oka:
			return -1
		case okb:
			return 1
		}
		return strings.Compare(a.Code, b.Code)
	})
	return out
}

// capitalise writes the first letter of s in capitals, as a name that
// stands alone (an option, the start of a list) is written, with the
// casing rules of lang (Turkish i → İ). Georgian is left as it is: its
// capitals (Mtavruli) are not used to begin a word.
func capitalise(lang, s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError || lang == "ka" {
		return s
	}
	return cases.Upper(language.Make(lang)).String(s[:size]) + s[size:]
}

// Endonym is language code's name in itself, as the language switcher
// shows it ("Deutsch", "Ελληνικά", "العربية").
func Endonym(code string) string {
	name := display.Self.Name(language.Make(code))
	if code == "nb" {
		name = "norsk bokmål"
	}
	if name == "" {
		return code
	}
	return capitalise(code, name)
}

// LanguageName is the name of language code for readers of lang; a
// code it does not know (a project's language typed as free text) is
// returned as it is.
func (c *Catalog) LanguageName(lang, code string) string {
	if s, ok := c.namesOf(lang).langs[code]; ok {
		return s
	}
	return code
}

// CountryName is the name of country code (as the registry writes it)
// for readers of lang; an unknown code is returned as it is.
func (c *Catalog) CountryName(lang, code string) string {
	if s, ok := c.namesOf(lang).countries[code]; ok {
		return s
	}
	return code
}

// namesOf returns the names for readers of lang (English's for a
// language not offered).
func (c *Catalog) namesOf(lang string) names {
	if n, ok := c.names[lang]; ok {
		return n
	}
	return c.names["en"]
}

// LanguageList joins the names of codes for readers of lang.
func (c *Catalog) LanguageList(lang string, codes []string) string {
	out := make([]string, len(codes))
	for i, code := range codes {
		out[i] = c.LanguageName(lang, code)
	}
	return strings.Join(out, ", ")
}

// CountryList joins the names of country codes for readers of lang.
func (c *Catalog) CountryList(lang string, codes []string) string {
	out := make([]string, len(codes))
	for i, code := range codes {
		out[i] = c.CountryName(lang, code)
	}
	return strings.Join(out, ", ")
}
