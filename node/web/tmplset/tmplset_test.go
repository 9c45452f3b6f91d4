package tmplset

import (
	"html/template"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
)

// catalogue is a tiny translation table that counts its calls per
// language (one call per {{.T "id"}} of a parsed source).
type catalogue struct {
	text  map[string]map[string]string // lang → id → text
	calls sync.Map                     // lang → *atomic.Int64
}

func (c *catalogue) T(lang, id string) string {
	n, _ := c.calls.LoadOrStore(lang, new(atomic.Int64))
	n.(*atomic.Int64).Add(1)
	if s, ok := c.text[lang][id]; ok {
		return s
	}
	return c.text["en"][id]
}

func (c *catalogue) count(lang string) int64 {
	n, ok := c.calls.Load(lang)
	if !ok {
		return 0
	}
	return n.(*atomic.Int64).Load()
}

// page is what the test templates receive.
type page struct{ Name string }

func (page) T(id string) string { return "T(" + id + ")" }

var kitFS = fstest.MapFS{
	"templates/_top.html": {Data: []byte(`{{define "top"}}<h1>{{.T "title"}}</h1>{{end}}`)},
	"templates/home.html": {Data: []byte(`{{template "top" .}}<p>{{.T "hello"}}, {{.Name}}</p>`)},
}

var featureFS = fstest.MapFS{
	"templates/_box.html":  {Data: []byte(`{{define "box"}}<b>{{.T "box"}}</b>{{end}}`)},
	"templates/thing.html": {Data: []byte(`{{template "top" .}}{{template "box" .}}{ odd }}`)},
}

func newCatalogue() *catalogue {
	return &catalogue{text: map[string]map[string]string{
		"en": {"title": "Welcome", "hello": "Hello", "box": "Box <1>"},
		"it": {"title": "Benvenuti", "hello": "Ciao", "box": "Scatola"},
		"fr": {"title": "Bienvenue", "hello": "Bonjour", "box": "Boîte"},
	}}
}

func mustSet(t *testing.T, cat *catalogue, langs ...string) *Set {
	t.Helper()
	s, err := New(Config{Languages: langs, Translate: cat.T, Funcs: template.FuncMap{}}, kitFS, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add(featureFS, "templates/*.html"); err != nil {
		t.Fatal(err)
	}
	return s
}

func render(t *testing.T, s *Set, lang, name string) string {
	t.Helper()
	tp, err := s.Page(lang, name)
	if err != nil {
		t.Fatalf("page %s in %s: %v", name, lang, err)
	}
	if tp == nil {
		t.Fatalf("no page %s in %s", name, lang)
	}
	var b strings.Builder
	if err := tp.ExecuteTemplate(&b, name+".html", page{Name: "Ana"}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestSet_Lazy: only the default language is parsed at start; a page in
// another language is parsed on first use and renders in it, with the
// kit's and the feature's partials.
func TestSet_Lazy(t *testing.T) {
	cat := newCatalogue()
	s := mustSet(t, cat, "it", "en", "fr")
	if got := strings.Join(s.Parsed(), " "); got != "it" {
		t.Fatalf("parsed at start: %q, want only the default language", got)
	}
	if cat.count("fr") != 0 || cat.count("en") != 0 {
		t.Fatalf("other languages translated at start: fr %d, en %d", cat.count("fr"), cat.count("en"))
	}
	if got, want := render(t, s, "fr", "thing"), "<h1>Bienvenue</h1><b>Boîte</b>{ odd }}"; got != want {
		t.Errorf("fr thing = %q, want %q", got, want)
	}
	if got, want := render(t, s, "fr", "home"), "<h1>Bienvenue</h1><p>Bonjour, Ana</p>"; got != want {
		t.Errorf("fr home = %q, want %q", got, want)
	}
	if got, want := render(t, s, "en", "thing"), "<h1>Welcome</h1><b>Box &lt;1&gt;</b>{ odd }}"; got != want {
		t.Errorf("en thing = %q, want %q (translations escaped)", got, want)
	}
	if got := strings.Join(s.Parsed(), " "); got != "it en fr" {
		t.Errorf("parsed: %q", got)
	}
	// Parsed once: asking again translates nothing more.
	n := cat.count("fr")
	render(t, s, "fr", "thing")
	if cat.count("fr") != n {
		t.Errorf("fr parsed again: %d translations, then %d", n, cat.count("fr"))
	}
}

// TestSet_AddAfterParse: templates added once a language is parsed are
// parsed in it too.
func TestSet_AddAfterParse(t *testing.T) {
	cat := newCatalogue()
	s := mustSet(t, cat, "it", "fr")
	render(t, s, "fr", "home")
	more := fstest.MapFS{"t/late.html": {Data: []byte(`{{template "top" .}}!`)}}
	if err := s.Add(more, "t/*.html"); err != nil {
		t.Fatal(err)
	}
	if got := render(t, s, "fr", "late"); got != "<h1>Bienvenue</h1>!" {
		t.Errorf("fr late = %q", got)
	}
	if got := render(t, s, "it", "late"); got != "<h1>Benvenuti</h1>!" {
		t.Errorf("it late = %q", got)
	}
	if err := s.Add(more, "t/*.html"); err == nil || !strings.Contains(err.Error(), `page "late" of t/*.html is already registered by t/*.html`) {
		t.Errorf("same page twice: %v", err)
	}
}

// TestSet_ConcurrentFirstRender: many requests asking for a language at
// once parse it once and all get the same page.
func TestSet_ConcurrentFirstRender(t *testing.T) {
	cat := newCatalogue()
	s := mustSet(t, cat, "it", "en", "fr")
	// One parse of fr translates as many ids as one of it did.
	once := cat.count("it")
	var wg sync.WaitGroup
	pages := make([]*template.Template, 16)
	for i := range pages {
		wg.Go(func() {
			tp, err := s.Page([]string{"fr", "en"}[i%2], "thing")
			if err != nil {
				t.Error(err)
			}
			pages[i] = tp
		})
	}
	wg.Wait()
	if cat.count("fr") != once || cat.count("en") != once {
		t.Errorf("translations: it %d at start, fr %d, en %d: a language was parsed more than once", once, cat.count("fr"), cat.count("en"))
	}
	for i, tp := range pages {
		if tp != pages[i%2] {
			t.Errorf("request %d got another parse of its language's page", i)
		}
	}
	if pages[0] == pages[1] {
		t.Error("fr and en share a page")
	}
}

// TestSet_UnknownLanguage: a language not offered gets the default's
// page, and parses nothing.
func TestSet_UnknownLanguage(t *testing.T) {
	cat := newCatalogue()
	s := mustSet(t, cat, "it", "fr")
	if got := render(t, s, "de", "home"); got != "<h1>Benvenuti</h1><p>Ciao, Ana</p>" {
		t.Errorf("de home = %q, want Italian", got)
	}
	if tp, err := s.Page("fr", "nothing"); tp != nil || err != nil {
		t.Errorf("no such page: %v, %v", tp, err)
	}
	if got := strings.Join(s.Parsed(), " "); got != "it fr" {
		t.Errorf("parsed: %q", got)
	}
}

// TestSet_ErrorInOneLanguage: a translation that breaks a template in a
// language other than the default is not seen at start, but ParseAll
// finds it, naming the language and the file, and Page serves the
// default language's page with the error.
func TestSet_ErrorInOneLanguage(t *testing.T) {
	cat := newCatalogue()
	cat.text["fr"]["box"] = "Boîte {" // with the template's "{ odd }}": an action
	feature := fstest.MapFS{"templates/odd.html": {Data: []byte(`{{.T "box"}}{ odd }}`)}}
	s, err := New(Config{Languages: []string{"it", "en", "fr"}, Translate: cat.T}, kitFS, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add(feature, "templates/*.html"); err != nil {
		t.Fatalf("the default language parses: %v", err)
	}
	err = s.ParseAll()
	if err == nil || !strings.Contains(err.Error(), "language fr: web: template templates/odd.html") || strings.Contains(err.Error(), "language en") {
		t.Fatalf("ParseAll: %v", err)
	}
	tp, err := s.Page("fr", "odd")
	if err == nil || tp == nil {
		t.Fatalf("fr odd: %v, %v", tp, err)
	}
	var b strings.Builder
	if err := tp.ExecuteTemplate(&b, "odd.html", page{}); err != nil || b.String() != "Scatola{ odd }}" {
		t.Errorf("fallback: %q, %v", b.String(), err)
	}
	// The default language's own error stops the set at once.
	cat.text["it"]["box"] = "{"
	if _, err := New(Config{Languages: []string{"it"}, Translate: cat.T}, feature, "templates/*.html"); err == nil {
		t.Error("a broken default language passed New")
	}
}

// TestSet_SharedNamespace: a feature's pages share one namespace per
// language, so a page may not define a template that another page or a
// partial defines.
func TestSet_SharedNamespace(t *testing.T) {
	cat := newCatalogue()
	s := mustSet(t, cat, "it")
	for _, tc := range []struct {
		name string
		fsys fstest.MapFS
		want string
	}{
		{"two pages", fstest.MapFS{
			"f/a.html": {Data: []byte(`{{define "row"}}a{{end}}{{template "row"}}`)},
			"f/b.html": {Data: []byte(`{{define "row"}}b{{end}}{{template "row"}}`)},
		}, `web: template "row" of f/b.html is also defined by f/a.html`},
		{"a page and the kit's partial", fstest.MapFS{
			"f/c.html": {Data: []byte(`{{define "top"}}mine{{end}}`)},
		}, `web: template "top" of f/c.html is also defined by templates/_top.html`},
	} {
		if err := s.Add(tc.fsys, "f/*.html"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if got := render(t, s, "it", "home"); got != "<h1>Benvenuti</h1><p>Ciao, Ana</p>" {
		t.Errorf("home after the refused groups: %q", got)
	}
}

// TestSet_RefusedGroupChangesNothing: a group whose page does not parse
// is refused, and the pages before it render as they did.
func TestSet_RefusedGroupChangesNothing(t *testing.T) {
	cat := newCatalogue()
	s := mustSet(t, cat, "it", "fr")
	bad := fstest.MapFS{
		"b/_part.html": {Data: []byte(`{{define "top"}}replaced{{end}}`)},
	}
	if err := s.Add(bad, "b/*.html"); err == nil {
		t.Fatal("a group redefining the kit's partial was accepted")
	}
	broken := fstest.MapFS{
		"c/_ok.html":  {Data: []byte(`{{define "fine"}}fine{{end}}`)},
		"c/oops.html": {Data: []byte(`{{if}}`)},
	}
	if err := s.Add(broken, "c/*.html"); err == nil || !strings.Contains(err.Error(), "web: template c/oops.html") {
		t.Fatalf("a page that does not parse: %v", err)
	}
	if got := render(t, s, "it", "home"); got != "<h1>Benvenuti</h1><p>Ciao, Ana</p>" {
		t.Errorf("home after the refused groups: %q", got)
	}
	if tp, _ := s.Page("it", "oops"); tp != nil {
		t.Error("the refused page is served")
	}
	if tp, _ := s.Page("it", "home"); tp.Lookup("fine") != nil {
		t.Error("the refused group's partial is in the set")
	}
}
