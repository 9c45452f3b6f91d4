package web

import (
	"fmt"
	"html"
	"html/template"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/twinfed/twinfed"
)

// templates holds every page, parsed once per language.
type templates struct {
	cat    *Catalog
	shared map[string]*template.Template            // language → the shared partials
	pages  map[string]map[string]*template.Template // language → page name → template
	owner  map[string]string                        // page name → the pattern that registered it
}

// newTemplates parses the kit's shared partials and its own pages (the
// files of fsys matching pattern).
func newTemplates(cat *Catalog, fsys fs.FS, pattern string) (*templates, error) {
	t := &templates{cat: cat, shared: map[string]*template.Template{}, pages: map[string]map[string]*template.Template{}, owner: map[string]string{}}
	src, err := readTemplates(fsys, pattern)
	if err != nil {
		return nil, err
	}
	for _, lang := range cat.Languages() {
		base := template.New("base").Funcs(templateFuncs())
		if err := parsePartials(base, src, t.translator(lang)); err != nil {
			return nil, err
		}
		t.shared[lang] = base
		t.pages[lang] = map[string]*template.Template{}
	}
	return t, t.addPages(src, pattern)
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
func (t *templates) translator(lang string) func(string) string {
	return func(text string) string {
		return literalT.ReplaceAllStringFunc(text, func(call string) string {
			msg := t.cat.T(lang, literalT.FindStringSubmatch(call)[1])
			if strings.Contains(msg, "{{") || strings.Contains(msg, "}}") {
				return call // not static text: leave it to T
			}
			return html.EscapeString(msg)
		})
	}
}

// source is one template file.
type source struct{ name, text string }

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

// parsePartials adds the partials (files named _*.html) of src to base.
func parsePartials(base *template.Template, src []source, translate func(string) string) error {
	for _, s := range src {
		if isPartial(s.name) {
			if _, err := base.New(path.Base(s.name)).Parse(translate(s.text)); err != nil {
				return fmt.Errorf("web: template %s: %w", s.name, err)
			}
		}
	}
	return nil
}

// add parses a feature's templates.
func (t *templates) add(fsys fs.FS, pattern string) error {
	src, err := readTemplates(fsys, pattern)
	if err != nil {
		return err
	}
	return t.addPages(src, pattern)
}

// addWith is add with the partials of another feature's files too
// (sfs's files that match spattern and are partials).
func (t *templates) addWith(fsys fs.FS, pattern string, sfs fs.FS, spattern string) error {
	src, err := readTemplates(fsys, pattern)
	if err != nil {
		return err
	}
	shared, err := readTemplates(sfs, spattern)
	if err != nil {
		return err
	}
	for _, s := range shared {
		if isPartial(s.name) {
			src = append(src, s)
		}
	}
	return t.addPages(src, pattern)
}

// addPages parses the pages of src for every language, with the shared
// partials and src's own.
func (t *templates) addPages(src []source, pattern string) error {
	for _, s := range src {
		name := strings.TrimSuffix(path.Base(s.name), ".html")
		if isPartial(s.name) {
			continue
		}
		if other, dup := t.owner[name]; dup {
			return fmt.Errorf("web: page %q of %s is already registered by %s: page names are unique across features", name, pattern, other)
		}
		t.owner[name] = pattern
	}
	for _, lang := range t.cat.Languages() {
		translate := t.translator(lang)
		base := t.shared[lang]
		if hasPartial(src) {
			base = template.Must(base.Clone())
			if err := parsePartials(base, src, translate); err != nil {
				return err
			}
		}
		for _, s := range src {
			if isPartial(s.name) {
				continue
			}
			p, err := template.Must(base.Clone()).New(path.Base(s.name)).Parse(translate(s.text))
			if err != nil {
				return fmt.Errorf("web: template %s: %w", s.name, err)
			}
			t.pages[lang][strings.TrimSuffix(path.Base(s.name), ".html")] = p
		}
	}
	return nil
}

func hasPartial(src []source) bool {
	for _, s := range src {
		if isPartial(s.name) {
			return true
		}
	}
	return false
}

// page is page name in lang (or in the default language); nil when there
// is no such page.
func (t *templates) page(lang, name string) *template.Template {
	pages, ok := t.pages[lang]
	if !ok {
		pages = t.pages[t.cat.Languages()[0]]
	}
	return pages[name]
}

// templateFuncs are the helpers every template may call.
func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"join":        strings.Join,
		"endonym":     Endonym,
		"dir":         twinfed.TextDirection,
		"peerName":    DisplayName,
		"inc":         func(i int) int { return i + 1 },
		"profileLink": ProfileLink,
		"photo":       PhotoSrc,
		"machine":     Machine,
		"html":        func(s string) template.HTML { return template.HTML(s) }, // only for text sanitised by bluemonday on input
		"ages":        formatAges,
		"has":         contains,
		"list":        func(v ...string) []string { return v },
		"seq": func(a, b int) []int {
			out := make([]int, 0, b-a+1)
			for i := a; i <= b; i++ {
				out = append(out, i)
			}
			return out
		},
		"field": func(p *Page, name, typ, label, auto string) fieldData {
			return fieldData{Name: name, Type: typ, Label: p.T(label), Auto: auto, Value: p.V(name), Err: p.Err(name), p: p}
		},
		"hint": func(f fieldData, id string) fieldData { f.Hint = f.p.T(id); return f },
	}
}

// fieldData is what the "input" template renders: a labelled input with
// its hint and error.
type fieldData struct {
	Name, Type, Label, Auto, Value, Err, Hint string
	Required                                  bool
	p                                         *Page
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func formatAges(a []int) string {
	if len(a) == 0 {
		return ""
	}
	lo, hi := a[0], a[len(a)-1]
	if lo == hi {
		return strconv.Itoa(lo)
	}
	return strconv.Itoa(lo) + "–" + strconv.Itoa(hi)
}
