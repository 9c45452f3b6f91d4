package web

import (
	"embed"
	"fmt"
	"net/http"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed locales/*.toml
var localeFS embed.FS

// Catalog holds the UI's message catalogues (locales/active.<lang>.toml,
// one per language; add a file to add a language). Simple messages are
// resolved once at start-up into maps, so that rendering a page costs map
// lookups; plural messages go through go-i18n with CLDR plural rules.
type Catalog struct {
	bundle  *i18n.Bundle
	langs   []string // offered, first is the node's default
	matcher language.Matcher
	simple  map[string]map[string]string // lang → id → text
	locs    map[string]*i18n.Localizer
}

// NewCatalog loads the embedded catalogues and offers langs (the first is
// the default). Every offered language must have a catalogue.
func NewCatalog(langs []string) (*Catalog, error) {
	if len(langs) == 0 {
		langs = []string{"en"}
	}
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	c := &Catalog{bundle: b, langs: langs, simple: map[string]map[string]string{}, locs: map[string]*i18n.Localizer{}}
	files := map[string]*i18n.MessageFile{}
	entries, err := localeFS.ReadDir("locales")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		mf, err := b.LoadMessageFileFS(localeFS, "locales/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("web: catalogue %s: %w", e.Name(), err)
		}
		files[mf.Tag.String()] = mf
	}
	var tags []language.Tag
	for _, l := range langs {
		mf, ok := files[l]
		if !ok {
			return nil, fmt.Errorf("web: no catalogue for language %q (have locales/active.<lang>.toml for %v)", l, keys(files))
		}
		tags = append(tags, mf.Tag)
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
	}
	if en, ok := files["en"]; ok && c.simple["en"] == nil {
		loc := i18n.NewLocalizer(b, "en")
		c.locs["en"] = loc
		m := map[string]string{}
		for _, msg := range en.Messages {
			if s, err := loc.Localize(&i18n.LocalizeConfig{MessageID: msg.ID}); err == nil {
				m[msg.ID] = s
			}
		}
		c.simple["en"] = m
	}
	c.matcher = language.NewMatcher(tags)
	return c, nil
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Languages returns the offered languages, default first.
func (c *Catalog) Languages() []string { return c.langs }

// Offered reports whether lang is offered.
func (c *Catalog) Offered(lang string) bool {
	for _, l := range c.langs {
		if l == lang {
			return true
		}
	}
	return false
}

// Pick chooses the page language: the member's choice, then the language
// cookie, then Accept-Language, then the node's default.
func (c *Catalog) Pick(memberChoice string, r *http.Request) string {
	if c.Offered(memberChoice) {
		return memberChoice
	}
	if ck, err := r.Cookie(cookieLang); err == nil && c.Offered(ck.Value) {
		return ck.Value
	}
	if al := r.Header.Get("Accept-Language"); al != "" {
		tags, _, err := language.ParseAcceptLanguage(al)
		if err == nil && len(tags) > 0 {
			_, idx, conf := c.matcher.Match(tags...)
			if conf != language.No {
				return c.langs[idx]
			}
		}
	}
	return c.langs[0]
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

// TN returns a plural message with count n (the message's {{.Count}}).
func (c *Catalog) TN(lang, id string, n int) string {
	loc := c.locs[lang]
	if loc == nil {
		loc = c.locs["en"]
	}
	if loc == nil {
		return id
	}
	s, err := loc.Localize(&i18n.LocalizeConfig{MessageID: id, PluralCount: n, TemplateData: map[string]any{"Count": n}})
	if err != nil {
		return strings.ReplaceAll(id, "{{.Count}}", fmt.Sprint(n))
	}
	return s
}
