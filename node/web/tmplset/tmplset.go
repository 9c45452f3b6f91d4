package tmplset

import (
	"errors"
	"fmt"
	"html"
	"html/template"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
)

// Config is what a Set needs of the kit.
type Config struct {
	// Languages are the languages offered, the first the default (the
	// one parsed at once and used for any other language).
	Languages []string
	// Translate returns the text of message id in language lang.
	Translate func(lang, id string) string
	// Funcs are the functions every template may call.
	Funcs template.FuncMap
}

// Set holds every page of the node, parsed per language on first use.
// Adding templates (New, Add, AddWith) happens at assembly and is not
// meant to run beside Page; Page and ParseAll are safe for concurrent use.
type Set struct {
	cfg   Config
	slots map[string]*atomic.Pointer[pages] // language → its parsed pages; the map is fixed by New

	mu     sync.Mutex // held while parsing and adding
	shared []source   // the kit's partials, of every page
	groups []group    // the templates added, in order
	owner  map[string]string
	errs   map[string]error // language → why its set failed to parse
}

// pages is one language's parsed set: the shared partials and each page
// by name.
type pages struct {
	base *template.Template
	page map[string]*template.Template
}

// group is the templates one call of New, Add or AddWith gave.
type group struct {
	pattern string
	src     []source
}

// source is one template file.
type source struct{ name, text string }

// New builds the set with the partials and pages of fsys matching
// pattern (files named _*.html are partials every page may use) and
// parses them in the default language.
func New(cfg Config, fsys fs.FS, pattern string) (*Set, error) {
	if len(cfg.Languages) == 0 {
		return nil, errors.New("tmplset: no language")
	}
	src, err := readTemplates(fsys, pattern)
	if err != nil {
		return nil, err
	}
	s := &Set{cfg: cfg, slots: map[string]*atomic.Pointer[pages]{}, owner: map[string]string{}, errs: map[string]error{}}
	for _, lang := range cfg.Languages {
		s.slots[lang] = new(atomic.Pointer[pages])
	}
	for _, f := range src {
		if isPartial(f.name) {
			s.shared = append(s.shared, f)
		}
	}
	if _, err := s.load(cfg.Languages[0]); err != nil {
		return nil, err
	}
	return s, s.addGroup(src, pattern)
}

// Add parses a feature's templates: the files of fsys matching pattern,
// partials (_*.html) for its own pages and pages named by their file
// name without ".html". A page name already registered is an error.
func (s *Set) Add(fsys fs.FS, pattern string) error {
	src, err := readTemplates(fsys, pattern)
	if err != nil {
		return err
	}
	return s.addGroup(src, pattern)
}

// AddWith is Add with the partials of another feature's files too (the
// files of sfs matching spattern whose names start with "_").
func (s *Set) AddWith(fsys fs.FS, pattern string, sfs fs.FS, spattern string) error {
	src, err := readTemplates(fsys, pattern)
	if err != nil {
		return err
	}
	shared, err := readTemplates(sfs, spattern)
	if err != nil {
		return err
	}
	for _, f := range shared {
		if isPartial(f.name) {
			src = append(src, f)
		}
	}
	return s.addGroup(src, pattern)
}

// addGroup registers src's page names and parses the group in every
// language already parsed (the default one at least).
func (s *Set) addGroup(src []source, pattern string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range src {
		name := pageName(f.name)
		if isPartial(f.name) {
			continue
		}
		if other, dup := s.owner[name]; dup {
			return fmt.Errorf("web: page %q of %s is already registered by %s: page names are unique across features", name, pattern, other)
		}
	}
	g := group{pattern, src}
	if err := checkDefines(s.shared, g); err != nil {
		return err
	}
	for _, lang := range s.cfg.Languages {
		old := s.slots[lang].Load()
		if old == nil {
			continue // parsed with the others when first asked for
		}
		next := &pages{base: old.base, page: maps.Clone(old.page)}
		if err := s.parseGroup(next, g, lang); err != nil {
			return err
		}
		s.slots[lang].Store(next)
	}
	for _, f := range src {
		if !isPartial(f.name) {
			s.owner[pageName(f.name)] = pattern
		}
	}
	s.groups = append(s.groups, g)
	return nil
}

// Page returns page name in lang, parsing lang's set first if no page
// has been asked for in it yet; a language not offered gets the default
// language's page. It returns nil when there is no such page. If lang's
// set fails to parse (a translation that breaks a template), Page
// returns the default language's page and the error.
func (s *Set) Page(lang, name string) (*template.Template, error) {
	slot, ok := s.slots[lang]
	if !ok {
		lang = s.cfg.Languages[0]
		slot = s.slots[lang]
	}
	p := slot.Load()
	if p == nil {
		var err error
		if p, err = s.load(lang); err != nil {
			return s.slots[s.cfg.Languages[0]].Load().page[name], err
		}
	}
	return p.page[name], nil
}

// ParseAll parses every language not parsed yet and returns every
// language's error, joined.
func (s *Set) ParseAll() error {
	var errs []error
	for _, lang := range s.cfg.Languages {
		if _, err := s.load(lang); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Parsed returns the languages parsed so far, in the order offered.
func (s *Set) Parsed() []string {
	var out []string
	for _, lang := range s.cfg.Languages {
		if s.slots[lang].Load() != nil {
			out = append(out, lang)
		}
	}
	return out
}

// load returns lang's set, parsing it (the shared partials and every
// group added so far) unless it is parsed already. A failure is kept:
// it is not retried.
func (s *Set) load(lang string) (*pages, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.slots[lang].Load(); p != nil {
		return p, nil
	}
	if err := s.errs[lang]; err != nil {
		return nil, err
	}
	p, err := s.parse(lang)
	if err != nil {
		err = fmt.Errorf("language %s: %w", lang, err)
		s.errs[lang] = err
		return nil, err
	}
	s.slots[lang].Store(p)
	return p, nil
}

// parse parses lang's whole set.
func (s *Set) parse(lang string) (*pages, error) {
	base := template.New("base").Funcs(s.cfg.Funcs)
	if err := parsePartials(base, s.shared, s.translator(lang)); err != nil {
		return nil, err
	}
	p := &pages{base: base, page: map[string]*template.Template{}}
	for _, g := range s.groups {
		if err := s.parseGroup(p, g, lang); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// parseGroup adds g's pages to p: one namespace for the group, a copy
// of the shared partials with g's own partials and every page of g (a
// copy per page, as before, held every partial once per page: most of a
// language's memory).
func (s *Set) parseGroup(p *pages, g group, lang string) error {
	translate := s.translator(lang)
	ns := template.Must(p.base.Clone())
	if err := parsePartials(ns, g.src, translate); err != nil {
		return err
	}
	for _, f := range g.src {
		if isPartial(f.name) {
			continue
		}
		if _, err := ns.New(path.Base(f.name)).Parse(translate(f.text)); err != nil {
			return fmt.Errorf("web: template %s: %w", f.name, err)
		}
		p.page[pageName(f.name)] = ns
	}
	return nil
}

// defineRE finds the templates a source defines.
var defineRE = regexp.MustCompile(`\{\{-?\s*(?:define|block)\s+"([^"]+)"`)

// checkDefines refuses a group whose pages define a template that
// another page of the group or a partial defines: the group's pages
// share one namespace, where the last definition would win for all.
func checkDefines(shared []source, g group) error {
	by := map[string]string{}
	for _, f := range append(append([]source(nil), shared...), g.src...) {
		if !isPartial(f.name) {
			continue
		}
		for _, m := range defineRE.FindAllStringSubmatch(f.text, -1) {
			by[m[1]] = f.name
		}
	}
	for _, f := range g.src {
		if isPartial(f.name) {
			continue
		}
		for _, m := range defineRE.FindAllStringSubmatch(f.text, -1) {
			if other, dup := by[m[1]]; dup && other != f.name {
				return fmt.Errorf("web: template %q of %s is also defined by %s: the pages of %s share their templates, so each name is defined once", m[1], f.name, other, g.pattern)
			}
			by[m[1]] = f.name
		}
	}
	return nil
}

// literalT matches a translation of a fixed message id in a template,
// {{.T "id"}} or {{$.T "id"}}.
var literalT = regexp.MustCompile(`\{\{\s*\$?\.T\s+"([A-Za-z0-9_.\-]+)"\s*\}\}`)

// translator writes the translations of fixed message ids ({{.T "id"}},
// most of a page's text) into a template's source, HTML-escaped, before
// parsing: a page then renders them as static text instead of calling T
// and escaping its result on every request, which was most of a page's
// rendering time. Ids computed at run time ({{.T .Title}}, {{$.T (print
// "subject." .)}}) still call T.
func (s *Set) translator(lang string) func(string) string {
	return func(text string) string {
		return literalT.ReplaceAllStringFunc(text, func(call string) string {
			msg := s.cfg.Translate(lang, literalT.FindStringSubmatch(call)[1])
			if strings.Contains(msg, "{{") || strings.Contains(msg, "}}") {
				return call // not static text: leave it to T
			}
			return html.EscapeString(msg)
		})
	}
}

func readTemplates(fsys fs.FS, pattern string) ([]source, error) {
	names, err := fs.Glob(fsys, pattern)
	if err != nil {
		return nil, fmt.Errorf("web: templates %s: %w", pattern, err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("web: no templates match %s", pattern)
	}
	var out []source
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		out = append(out, source{n, string(b)})
	}
	return out, nil
}

func isPartial(name string) bool { return strings.HasPrefix(path.Base(name), "_") }

func pageName(file string) string { return strings.TrimSuffix(path.Base(file), ".html") }

// parsePartials adds the partials (files named _*.html) of src to base.
func parsePartials(base *template.Template, src []source, translate func(string) string) error {
	for _, f := range src {
		if isPartial(f.name) {
			if _, err := base.New(path.Base(f.name)).Parse(translate(f.text)); err != nil {
				return fmt.Errorf("web: template %s: %w", f.name, err)
			}
		}
	}
	return nil
}

func hasPartial(src []source) bool {
	for _, f := range src {
		if isPartial(f.name) {
			return true
		}
	}
	return false
}
