package node_test

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/web"
)

// TestCatalog_Loads checks that NewCatalog loads the offered languages and
// every catalogue under node/web/locales, and resolves French and Spanish.
func TestCatalog_Loads(t *testing.T) {
	c, err := web.NewCatalog([]string{"fr", "es", "it", "en"})
	if err != nil {
		t.Fatalf("NewCatalog(fr, es, it, en): %v", err)
	}
	if got := c.Languages(); !slices.Equal(got, []string{"fr", "es", "it", "en"}) {
		t.Fatalf("Languages() = %v", got)
	}
	for _, tc := range []struct{ lang, id, want string }{
		{"fr", "title.login", "Connexion"},
		{"fr", "title.register", "Inscription"},
		{"fr", "Log in first.", "Connectez-vous d'abord."},
		{"es", "title.login", "Iniciar sesión"},
		{"es", "title.register", "Registro"},
		{"es", "Log in first.", "Inicia sesión primero."},
		{"it", "title.login", "Accedi"},
		{"en", "title.login", "Log in"},
	} {
		if got := c.T(tc.lang, tc.id); got != tc.want {
			t.Errorf("T(%s, %q) = %q, want %q", tc.lang, tc.id, got, tc.want)
		}
	}
	for _, tc := range []struct {
		lang, id string
		n        int
		want     string
	}{
		{"fr", "step1.found", 0, "0 établissement trouvé"},
		{"fr", "step1.found", 1, "1 établissement trouvé"},
		{"fr", "step1.found", 2, "2 établissements trouvés"},
		{"fr", "project.results", 1000000, "1000000 de projets trouvés"},
		{"es", "step1.found", 0, "0 centros encontrados"},
		{"es", "step1.found", 1, "1 centro encontrado"},
		{"es", "project.partner_count", 3, "3 socios"},
		{"es", "project.results", 2000000, "2000000 de proyectos encontrados"},
	} {
		if got := c.TN(tc.lang, tc.id, tc.n); got != tc.want {
			t.Errorf("TN(%s, %q, %d) = %q, want %q", tc.lang, tc.id, tc.n, got, tc.want)
		}
	}
	for _, tc := range []struct{ accept, want string }{
		{"fr", "fr"}, {"fr-FR,fr;q=0.9,en;q=0.5", "fr"}, {"fr-BE", "fr"},
		{"es", "es"}, {"es-ES,es;q=0.9", "es"}, {"es-419", "es"},
		{"de-DE", "fr"}, // nothing offered matches: the first language
		{"pt-BR,pt;q=0.9", "fr"}, {"de-AT, es;q=0.5", "es"}, {"en-US,en;q=0.9", "en"},
		{"it-CH;q=0.8, es;q=0.9", "es"}, // the quality decides
		{"not a header;;", "fr"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Language", tc.accept)
		if got := c.Pick("", r); got != tc.want {
			t.Errorf("Pick(Accept-Language %q) = %q, want %q", tc.accept, got, tc.want)
		}
	}

	// Every catalogue on disk can be offered.
	paths, _ := filepath.Glob(filepath.Join("web", "locales", "active.*.toml"))
	var all []string
	for _, p := range paths {
		all = append(all, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "active."), ".toml"))
	}
	if _, err := web.NewCatalog(all); err != nil {
		t.Fatalf("NewCatalog(%v): %v", all, err)
	}
}

// TestCatalog_RenderFrEs fetches /login and /register from a node that
// offers it, en, fr and es, with French and Spanish browsers.
func TestCatalog_RenderFrEs(t *testing.T) {
	n, err := node.Open(context.Background(), node.Options{
		Dir: t.TempDir(), Addr: "127.0.0.1:0",
		Service: node.Config{Country: "IT", AgencyName: "Indire", Policy: twinfed.ItalianEligibility(), Hash: testHash, LoginAttempts: 3, LoginWindow: time.Minute},
		Server:  node.ServerConfig{Languages: []string{"it", "en", "fr", "es"}},
		Metrics: prometheus.NewRegistry(),
	})
	if err != nil {
		t.Fatalf("open node: %v", err)
	}
	t.Cleanup(func() { n.Close() })
	cat, err := web.NewCatalog([]string{"it", "en", "fr", "es"})
	if err != nil {
		t.Fatal(err)
	}
	h1 := func(lang, id string) string { return "<h1>" + template.HTMLEscapeString(cat.T(lang, id)) + "</h1>" }

	for _, tc := range []struct{ accept, lang string }{
		{"fr", "fr"}, {"fr-FR,fr;q=0.9,en;q=0.5", "fr"},
		{"es", "es"}, {"es-ES,es;q=0.9", "es"},
	} {
		for _, pg := range []struct{ path, title, button string }{
			{"/login", "title.login", "nav.login"},
			{"/register", "title.register", "register.submit"},
		} {
			b := newBrowser(t, n.URL())
			code, body, _ := b.GetLang(pg.path, tc.accept)
			if code != http.StatusOK {
				t.Fatalf("GET %s (Accept-Language %s): %d\n%s", pg.path, tc.accept, code, body)
			}
			what := fmt.Sprintf("GET %s (Accept-Language %s)", pg.path, tc.accept)
			heading := h1(tc.lang, pg.title)
			if heading == h1("en", pg.title) || heading == h1("it", pg.title) {
				t.Fatalf("%s: %s is not translated: %s", what, pg.title, heading)
			}
			mustContain(t, what, body, `<html lang="`+tc.lang+`" dir="ltr">`, heading,
				template.HTMLEscapeString(cat.T(tc.lang, pg.button)))
		}
	}

	// The language cookie (footer switcher) wins over Accept-Language.
	b := newBrowser(t, n.URL())
	req, _ := http.NewRequest("GET", n.URL()+"/login", nil)
	req.Header.Set("Accept-Language", "fr")
	req.AddCookie(&http.Cookie{Name: "twinfed_lang", Value: "es"})
	code, body, _ := b.Do(req)
	if code != http.StatusOK {
		t.Fatalf("GET /login with lang cookie: %d\n%s", code, body)
	}
	mustContain(t, "GET /login (cookie es, Accept-Language fr)", body, `<html lang="es" dir="ltr">`, h1("es", "title.login"))
}
