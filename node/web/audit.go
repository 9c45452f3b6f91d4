package web

import (
	"bufio"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/twinfed/twinfed"
)

// Problem kinds of a catalogue (CatalogueProblem.Kind).
const (
	ProblemMissing      = "missing"      // in English, not in the catalogue
	ProblemStale        = "stale"        // in the catalogue, no longer in English
	ProblemUntranslated = "untranslated" // identical to English and not on the allowlist
	ProblemPlaceholders = "placeholders" // a {{.X}} lost or added
	ProblemPlural       = "plural"       // a plural form the language's CLDR rules pick is missing
	ProblemEmpty        = "empty"        // an empty text
	ProblemKind         = "kind"         // plural in English, simple here, or the reverse
)

// CatalogueProblem is one fault of one message of a catalogue.
type CatalogueProblem struct {
	Lang   string // the catalogue's language
	File   string // its path under node/web
	ID     string // the message id
	Kind   string // ProblemMissing, ProblemStale, …
	Detail string // what is wrong, for a person
}

func (p CatalogueProblem) String() string {
	s := p.File + ": " + p.Kind + " " + fmt.Sprintf("%q", p.ID)
	if p.Detail != "" {
		s += ": " + p.Detail
	}
	return s
}

// CatalogueStatus is how complete one UI language's catalogue is.
type CatalogueStatus struct {
	Lang       string
	Exists     bool               // locales/active.<lang>.toml exists
	Messages   int                // messages of the English catalogue
	Translated int                // English's messages translated without a problem
	Problems   []CatalogueProblem // every problem, by message id
}

// Percent is how much of English the catalogue translates, 0 to 100,
// rounded down (100 only when nothing is missing).
func (s CatalogueStatus) Percent() int {
	if s.Messages == 0 {
		return 0
	}
	return s.Translated * 100 / s.Messages
}

// PluralSampleCounts are the counts every plural message is rendered with
// to find the forms a language's CLDR rules pick for integers: 0 to 200
// reach every form of the 36 languages' rules but the "many" of French,
// Italian, Spanish, Portuguese and Catalan (whole millions), which 1000000
// reaches.
var PluralSampleCounts = func() []int {
	var out []int
	for i := 0; i <= 200; i++ {
		out = append(out, i)
	}
	return append(out, 1000, 1000000)
}()

var placeholderRE = regexp.MustCompile(`\{\{-?\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*-?\}\}`)

// verbRE finds the fmt verbs of a formatted error message's id (Errorf:
// Catalog.ErrorText formats the translation with the same arguments).
var verbRE = regexp.MustCompile(`%[-+# 0]*[0-9]*[dsqv]`)

// placeholders is the set of {{.X}} in s, sorted, space-separated, then
// the fmt verbs of s in their order (a translation keeps both).
func placeholders(s string) string {
	var out []string
	for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
		if p := "{{." + m[1] + "}}"; !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return strings.Join(append(out, verbRE.FindAllString(s, -1)...), " ")
}

// parseAllowlist reads same-as-english.txt, the translations that may be
// identical to English (names, the programme's terms, a word a language
// uses as English does): one line each, a language code or * for every
// language, then a message id, then why. It returns language or * → ids.
func parseAllowlist(text string) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		if out[f[0]] == nil {
			out[f[0]] = map[string]bool{}
		}
		out[f[0]][f[1]] = true
	}
	return out
}

// Allowed reports whether message id may be identical to English in lang.
func (c *Catalog) Allowed(lang, id string) bool {
	return c.allow["*"][id] || c.allow[lang][id]
}

// Translation is lang's own text of simple message id, without falling
// back to English as T does; false when lang's catalogue lacks it.
func (c *Catalog) Translation(lang, id string) (string, bool) {
	s, ok := c.simple[lang][id]
	return s, ok
}

// MessageIDs returns the ids of the English catalogue, sorted.
func (c *Catalog) MessageIDs() []string {
	var out []string
	for _, m := range c.files["en"].Messages {
		out = append(out, m.ID)
	}
	sort.Strings(out)
	return out
}

// Source is the English text of message id (a plural message's "other"
// form), what a translator translates; "" for an unknown id.
func (c *Catalog) Source(id string) string {
	for _, m := range c.files["en"].Messages {
		if m.ID == id {
			return m.Other
		}
	}
	return ""
}

// forms are a message's texts by plural form ("other" for a simple one).
func forms(m *i18n.Message) map[string]string {
	out := map[string]string{}
	for form, s := range map[string]string{"zero": m.Zero, "one": m.One, "two": m.Two, "few": m.Few, "many": m.Many, "other": m.Other} {
		if s != "" {
			out[form] = s
		}
	}
	return out
}

func isPlural(m *i18n.Message) bool {
	return m.Zero != "" || m.One != "" || m.Two != "" || m.Few != "" || m.Many != ""
}

func hasLetter(s string) bool { return strings.ContainsFunc(s, unicode.IsLetter) }

// Audit checks every UI language's catalogue against English: missing and
// stale messages, texts left in English (minus the allowlist,
// locales/same-as-english.txt), placeholders lost or added, empty texts,
// and plural forms: each plural message is rendered through go-i18n, as
// TN renders it, for PluralSampleCounts, and every form the language's
// rules pick must be there. It returns the 36 languages in the order of
// twinfed.UILanguages (those without a catalogue with Exists false). The
// catalogues are embedded, so the answer is computed once.
func (c *Catalog) Audit() []CatalogueStatus {
	c.auditOnce.Do(func() { c.audit = c.runAudit() })
	return c.audit
}

func (c *Catalog) runAudit() []CatalogueStatus {
	en := map[string]*i18n.Message{}
	for _, m := range c.files["en"].Messages {
		en[m.ID] = m
	}
	ids := make([]string, 0, len(en))
	for id := range en {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []CatalogueStatus
	for _, lang := range twinfed.UILanguageCodes() {
		st := CatalogueStatus{Lang: lang, Messages: len(en)}
		mf := c.files[lang]
		if mf == nil {
			out = append(out, st)
			continue
		}
		st.Exists = true
		if lang == "en" {
			st.Translated = len(en)
			out = append(out, st)
			continue
		}
		file := "active." + lang + ".toml"
		add := func(id, kind, detail string) {
			st.Problems = append(st.Problems, CatalogueProblem{Lang: lang, File: file, ID: id, Kind: kind, Detail: detail})
		}
		have := map[string]*i18n.Message{}
		for _, m := range mf.Messages {
			have[m.ID] = m
		}
		loc := i18n.NewLocalizer(c.bundle, lang)
		for _, id := range ids {
			e, m := en[id], have[id]
			if m == nil {
				add(id, ProblemMissing, "")
				continue
			}
			n := len(st.Problems)
			ef, mfForms := forms(e), forms(m)
			switch {
			case isPlural(e) != isPlural(m):
				add(id, ProblemKind, fmt.Sprintf("plural in English: %v, here: %v", isPlural(e), isPlural(m)))
			case isPlural(e):
				var all strings.Builder
				for _, s := range ef {
					all.WriteString(s)
				}
				want := placeholders(all.String())
				for _, form := range []string{"zero", "one", "two", "few", "many", "other"} {
					s, ok := mfForms[form]
					if !ok {
						continue
					}
					got := placeholders(s)
					if extra := minus(got, want); extra != "" {
						add(id, ProblemPlaceholders, fmt.Sprintf("form %s adds %s", form, extra))
					}
					if form == "other" && got != want {
						add(id, ProblemPlaceholders, fmt.Sprintf("form other has [%s], English has [%s]", got, want))
					}
				}
				seen := map[string]bool{}
				for _, count := range PluralSampleCounts {
					_, err := loc.Localize(&i18n.LocalizeConfig{MessageID: id, PluralCount: count, TemplateData: map[string]any{"Count": count}})
					if err != nil && !seen[err.Error()] {
						seen[err.Error()] = true
						add(id, ProblemPlural, fmt.Sprintf("%v (first needed for %d)", err, count))
					}
				}
				if ef["other"] == mfForms["other"] && hasLetter(ef["other"]) && !c.Allowed(lang, id) {
					add(id, ProblemUntranslated, fmt.Sprintf("%q", ef["other"]))
				}
			default:
				s, want := m.Other, e.Other
				if strings.TrimSpace(s) == "" {
					add(id, ProblemEmpty, "")
					break
				}
				if got, w := placeholders(s), placeholders(want); got != w {
					add(id, ProblemPlaceholders, fmt.Sprintf("[%s], English has [%s]", got, w))
				}
				if s == want && hasLetter(s) && !c.Allowed(lang, id) {
					add(id, ProblemUntranslated, fmt.Sprintf("%q", s))
				}
			}
			if len(st.Problems) == n {
				st.Translated++
			}
		}
		var stale []string
		for id := range have {
			if en[id] == nil {
				stale = append(stale, id)
			}
		}
		sort.Strings(stale)
		for _, id := range stale {
			add(id, ProblemStale, "not in active.en.toml any more: remove it, or rename it as English did")
		}
		out = append(out, st)
	}
	return out
}

// minus is the placeholders of set a (as placeholders returns them) that
// set b lacks.
func minus(a, b string) string {
	var out []string
	bs := strings.Fields(b)
	for _, p := range strings.Fields(a) {
		if !slices.Contains(bs, p) {
			out = append(out, p)
		}
	}
	return strings.Join(out, " ")
}
