package web

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"github.com/twinfed/twinfed"
)

//go:embed locales/*.toml locales/same-as-english.txt
var localeFS embed.FS

// Catalog holds the UI's message catalogues (locales/active.<lang>.toml,
// one per language; add a file to add a language) and the language and
// country names (names.go) in each offered language. Simple messages are
// resolved once at start-up into maps, so that rendering a page costs map
// lookups; plural messages go through go-i18n with CLDR plural rules.
type Catalog struct {
	bundle  *i18n.Bundle
	langs   []string // offered, first is the node's default
	matcher language.Matcher
	simple  map[string]map[string]string // lang → id → text
	locs    map[string]*i18n.Localizer
	names   map[string]names // lang → names of languages and countries
	files   map[string]*i18n.MessageFile

	allow     map[string]map[string]bool // same-as-english.txt: language or * → ids
	auditOnce sync.Once
	audit     []CatalogueStatus
}

// NewCatalog loads every embedded catalogue and offers langs (the first
// is the default). Every offered language must be one of the 36 UI
// languages and have a catalogue.
func NewCatalog(langs []string) (*Catalog, error) {
	locales, _ := fs.Sub(localeFS, "locales")
	return LoadCatalog(locales, langs)
}

// LoadCatalog loads the catalogues of a directory such as
// node/web/locales (active.<lang>.toml, and same-as-english.txt, the
// check's allowlist) and offers langs, as NewCatalog does with the
// catalogues built into the binary. `twinfed i18n missing --dir` reads a
// working copy's catalogues with it.
func LoadCatalog(fsys fs.FS, langs []string) (*Catalog, error) {
	if len(langs) == 0 {
		langs = []string{"en"}
	}
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	c := &Catalog{bundle: b, langs: langs, simple: map[string]map[string]string{}, locs: map[string]*i18n.Localizer{},
		names: map[string]names{}, files: map[string]*i18n.MessageFile{}}
	paths, err := fs.Glob(fsys, "active.*.toml")
	if err != nil {
		return nil, err
	}
	for _, path := range paths {
		mf, err := b.LoadMessageFileFS(fsys, path)
		if err != nil {
			return nil, fmt.Errorf("web: catalogue %s: %w", path, err)
		}
		c.files[mf.Tag.String()] = mf
	}
	if c.files["en"] == nil {
		return nil, fmt.Errorf("web: no English catalogue (active.en.toml), the source of every other")
	}
	allow, err := fs.ReadFile(fsys, "same-as-english.txt")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	c.allow = parseAllowlist(string(allow))
	var tags []language.Tag
	for _, l := range append(slices.Clone(langs), "en") {
		if c.simple[l] != nil {
			continue // en, offered
		}
		if !twinfed.IsUILanguage(l) {
			return nil, fmt.Errorf("web: %q is not a UI language; use one of %s", l, strings.Join(twinfed.UILanguageCodes(), ", "))
		}
		mf, ok := c.files[l]
		if !ok {
			return nil, fmt.Errorf("web: no catalogue for language %q (active.<lang>.toml exist for %s)", l, strings.Join(c.CatalogueLanguages(), ", "))
		}
		if len(tags) < len(langs) {
			tags = append(tags, mf.Tag)
		}
		loc := i18n.NewLocalizer(b, l, "en")
		c.locs[l] = loc
		m := map[string]string{}
		for _, msg := range mf.Messages {
			if msg.Other == "" || msg.One != "" {
				continue // plural: resolved per call
			}
			if s, err := loc.Localize(&i18n.LocalizeConfig{MessageID: msg.ID}); err == nil {
				m[msg.ID] = s
			}
		}
		c.simple[l] = m
		c.names[l] = newNames(l)
	}
	c.matcher = language.NewMatcher(tags)
	return c, nil
}

// WithCatalogue returns the languages of langs that have a catalogue
// built in, in their order; English when none has. A node whose
// configuration names no language offers its country's languages that
// have one.
func WithCatalogue(langs []string) []string {
	var out []string
	for _, l := range langs {
		if _, err := fs.Stat(localeFS, "locales/active."+l+".toml"); err == nil && !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		out = []string{"en"}
	}
	return out
}

// CatalogueLanguages returns the languages that have a catalogue, in
// the order of twinfed.UILanguages.
func (c *Catalog) CatalogueLanguages() []string {
	var out []string
	for _, l := range twinfed.UILanguageCodes() {
		if c.files[l] != nil {
			out = append(out, l)
		}
	}
	return out
}

// Languages returns the offered languages, default first.
func (c *Catalog) Languages() []string { return c.langs }

// Offered reports whether lang is offered.
func (c *Catalog) Offered(lang string) bool { return slices.Contains(c.langs, lang) }

// Dir is the direction lang is written in, "ltr" or "rtl" (Arabic).
func (c *Catalog) Dir(lang string) string { return twinfed.TextDirection(lang) }

// Pick chooses the page language: the member's choice, then the language
// cookie, then Accept-Language, then the node's default. Accept-Language
// is matched as CLDR matches languages (golang.org/x/text/language):
// regional variants find their language (pt-BR → pt, fr-BE → fr), no and
// nn find nb, sr-Latn finds sr (Serbian is offered in Cyrillic, which its
// readers read), a language mutually intelligible with an offered one
// finds it when nothing better is offered (da → nb), and each tag's
// quality is honoured.
func (c *Catalog) Pick(memberChoice string, r *http.Request) string {
	if c.Offered(memberChoice) {
		return memberChoice
	}
	if ck, err := r.Cookie(cookieLang); err == nil && c.Offered(ck.Value) {
		return ck.Value
	}
	if al := r.Header.Get("Accept-Language"); al != "" {
		if l, ok := c.match(al); ok {
			return l
		}
	}
	return c.langs[0]
}

// match finds the offered language an Accept-Language header asks for.
func (c *Catalog) match(acceptLanguage string) (string, bool) {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return "", false
	}
	_, idx, conf := c.matcher.Match(tags...)
	if conf == language.No {
		return "", false
	}
	return c.langs[idx], true
}

// T returns the text of message id in lang: the catalogue's, else English,
// else id itself (error messages use their English text as id).
func (c *Catalog) T(lang, id string) string {
	if s, ok := c.simple[lang][id]; ok {
		return s
	}
	if s, ok := c.simple["en"][id]; ok {
		return s
	}
	return id
}

// TN returns a plural message with count n (the message's {{.Count}}). A
// form the catalogue lacks (which the catalogue check refuses) falls back
// to its "other" form, never to the message id.
func (c *Catalog) TN(lang, id string, n int) string {
	loc := c.locs[lang]
	if loc == nil {
		loc = c.locs["en"]
	}
	s, err := loc.Localize(&i18n.LocalizeConfig{MessageID: id, PluralCount: n, TemplateData: map[string]any{"Count": n}})
	if err != nil && s == "" {
		return strings.ReplaceAll(id, "{{.Count}}", fmt.Sprint(n))
	}
	return s
}

// ErrorText is the message of err in lang: a message Errorf formatted is
// translated by its format (a message id that keeps the format's verbs)
// and formatted again with its arguments; any other by its text. An
// unexpected error reads "Something went wrong…".
func (c *Catalog) ErrorText(lang string, err error) string {
	if twinfed.ErrorCode(err) == twinfed.EINTERNAL {
		return c.T(lang, "Something went wrong on our side. Please try again later.")
	}
	if format, args := twinfed.ErrorFormat(err); format != "" {
		if tr := c.T(lang, format); tr != format || lang == "en" {
			return fmt.Sprintf(tr, args...)
		}
	}
	return c.T(lang, twinfed.ErrorMessage(err))
}
