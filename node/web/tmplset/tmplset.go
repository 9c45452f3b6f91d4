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
	"slices"
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

	mu      sync.Mutex // held while parsing and adding
	shared  []source   // the kit's partials, of every page
	groups  []group    // the templates added, in order
	owner   map[string]string
	defined map[string]source // template name → the file that defines it
	errs    map[string]error  // language → why its set failed to parse
}

// pages is one language's parsed set: one namespace holding the shared
// partials, every feature's partials and every page. One namespace per
// language keeps each template once: a copy of the partials per page, as
// the set had before, was 13 MiB a language.
type pages struct {
	ns   *template.Template
	page map[string]bool // the pages' names
	used atomic.Bool     // a page was asked for: html/template parses no more into ns
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
	s := &Set{cfg: cfg, slots: map[string]*atomic.Pointer[pages]{}, owner: map[string]string{}, defined: map[string]source{}, errs: map[string]error{}}
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
// partials (_*.html) and pages named by their file name without ".html".
// A page name already registered is an error, and so is a template name
// (a {{define}}) that another file already defines differently: every
// page of a language shares one namespace.
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

// addGroup registers src's page names, parses the group in the default
// language (into its set, or into a new one once a page of it has been
// asked for: html/template parses nothing into a namespace after it ran)
// and drops the other languages' sets, parsed again when next asked for.
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
	defined, err := s.checkDefines(g)
	if err != nil {
		return err
	}
	def := s.cfg.Languages[0]
	old := s.slots[def].Load()
	var next *pages
	if old.used.Load() {
		if next, err = s.parse(def, append(slices.Clone(s.groups), g)); err != nil {
			return fmt.Errorf("language %s: %w", def, err)
		}
	} else {
		next = &pages{ns: old.ns, page: maps.Clone(old.page)}
		if err := s.parseGroup(next, g, def); err != nil {
			// Part of g may be in the namespace now: parse the set as
			// it was, so that a refused group changes nothing.
			if again, perr := s.parse(def, s.groups); perr == nil {
				s.slots[def].Store(again)
			}
			return err
		}
	}
	s.slots[def].Store(next)
	for _, lang := range s.cfg.Languages[1:] {
		s.slots[lang].Store(nil)
		delete(s.errs, lang)
	}
	for _, f := range src {
		if !isPartial(f.name) {
			s.owner[pageName(f.name)] = pattern
		}
	}
	s.defined = defined
	s.groups = append(s.groups, g)
	return nil
}

// Page returns page name in lang, parsing lang's set first if no page
// has been asked for in it yet; a language not offered gets the default
// language's page. It returns nil when there is no such page; a page is
// rendered with ExecuteTemplate(w, name+".html", data). If lang's set
// fails to parse (a translation that breaks a template), Page returns
// the default language's page and the error.
func (s *Set) Page(lang, name string) (*template.Template, error) {
	slot, ok := s.slots[lang]
	if !ok {
		slot = s.slots[s.cfg.Languages[0]]
	}
	p := slot.Load()
	if p == nil {
		var err error
		if p, err = s.load(lang); err != nil {
			p = s.slots[s.cfg.Languages[0]].Load()
			return p.lookup(name), err
		}
	}
	return p.lookup(name), nil
}

func (p *pages) lookup(name string) *template.Template {
	if !p.page[name] {
		return nil
	}
	if !p.used.Load() {
		p.used.Store(true)
	}
	return p.ns
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
	p, err := s.parse(lang, s.groups)
	if err != nil {
		err = fmt.Errorf("language %s: %w", lang, err)
		s.errs[lang] = err
		return nil, err
	}
	s.slots[lang].Store(p)
	return p, nil
}

// parse parses lang's whole set: the shared partials, then groups.
func (s *Set) parse(lang string, groups []group) (*pages, error) {
	ns := template.New("base").Funcs(s.cfg.Funcs)
	if err := parsePartials(ns, s.shared, s.translator(lang)); err != nil {
		return nil, err
	}
	p := &pages{ns: ns, page: map[string]bool{}}
	for _, g := range groups {
		if err := s.parseGroup(p, g, lang); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// parseGroup adds g's partials and pages to p's namespace.
func (s *Set) parseGroup(p *pages, g group, lang string) error {
	translate := s.translator(lang)
	if err := parsePartials(p.ns, g.src, translate); err != nil {
		return err
	}
	for _, f := range g.src {
		if isPartial(f.name) {
			continue
		}
		if _, err := p.ns.New(path.Base(f.name)).Parse(translate(f.text)); err != nil {
			return fmt.Errorf("web: template %s: %w", f.name, err)
		}
		p.page[pageName(f.name)] = true
	}
	return nil
}

// defineRE finds the templates a source defines.
var defineRE = regexp.MustCompile(`\{\{-?\s*(?:define|block)\s+"([^"]+)"`)

// checkDefines returns the template names defined once g is added, or
// an error if g defines a name another file defines differently (the
// same partial given to two features, AddWith, is the same file). A
// partial file's own name is no name a page calls (two features may
// each have a _forum.html), and page names are checked by addGroup.
func (s *Set) checkDefines(g group) (map[string]source, error) {
	out := maps.Clone(s.defined)
	for _, f := range append(slices.Clone(s.shared), g.src...) {
		for _, m := range defineRE.FindAllStringSubmatch(f.text, -1) {
			name := m[1]
			if other, dup := out[name]; dup && other.text != f.text {
				return nil, fmt.Errorf("web: template %q of %s is also defined by %s: every page of a language shares one namespace, so each name is defined once", name, f.name, other.name)
			}
			out[name] = f
		}
	}
	return out, nil
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
