package web_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// nobody authenticates no session.
type nobody struct{}

func (nobody) Authenticate(context.Context, string) (*twinfed.Principal, string, error) {
	return nil, "", twinfed.Errorf(twinfed.EUNAUTHORIZED, "no session")
}
func (nobody) AnonymousCSRF(anon string) string { return "csrf-" + anon }
func (nobody) Member(context.Context, string) (*twinfed.Member, error) {
	return nil, twinfed.Errorf(twinfed.ENOTFOUND, "no member")
}

func mustKit(t *testing.T) *web.Kit {
	t.Helper()
	k, err := web.New(web.Config{Languages: []string{"it", "en"}, Accounts: nobody{}})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestKit_AddTemplates checks that a feature's page renders with the
// layout and its own partial in the visitor's language, and that a page
// name registered twice is refused.
func TestKit_AddTemplates(t *testing.T) {
	k := mustKit(t)
	feature := fstest.MapFS{
		"templates/_box.html":  {Data: []byte(`{{define "box"}}<b>{{.T "nav.people"}}</b>{{end}}`)},
		"templates/thing.html": {Data: []byte(`{{template "top" .}}{{template "box" .}}{{template "bottom" .}}`)},
	}
	if err := k.AddTemplates(feature, "templates/*.html"); err != nil {
		t.Fatalf("AddTemplates: %v", err)
	}
	k.HandleFunc("GET /thing", k.Web(k.Simple("thing", "nav.people")))
	for lang, want := range map[string]string{"en": "<b>" + k.Catalog().T("en", "nav.people") + "</b>", "it": "<b>" + k.Catalog().T("it", "nav.people") + "</b>"} {
		req := httptest.NewRequest(http.MethodGet, "/thing", nil)
		req.Header.Set("Accept-Language", lang)
		rec := httptest.NewRecorder()
		k.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), want) || !strings.Contains(rec.Body.String(), `<html lang="`+lang+`" dir="ltr">`) {
			t.Errorf("GET /thing (%s): %d, want %q in\n%s", lang, rec.Code, want, rec.Body.String())
		}
		if got := rec.Header().Get("Content-Language"); got != lang {
			t.Errorf("GET /thing (%s): Content-Language %q", lang, got)
		}
	}

	for _, dup := range []fstest.MapFS{
		{"t/thing.html": {Data: []byte(`again`)}}, // another feature's page
		{"t/error.html": {Data: []byte(`mine`)}},  // the kit's own page
	} {
		if err := k.AddTemplates(dup, "t/*.html"); err == nil || !strings.Contains(err.Error(), "already registered") {
			t.Errorf("AddTemplates of a page name already registered: %v, want an error", err)
		}
	}
	if err := k.AddTemplates(fstest.MapFS{}, "none/*.html"); err == nil {
		t.Error("AddTemplates with nothing matching: no error")
	}
}

// TestKit_APIFail checks the JSON error of a domain error and of an
// unknown route's answer through an API wrapper needing a session.
func TestKit_APIFail(t *testing.T) {
	k := mustKit(t)
	k.HandleFunc("GET /api/v1/x", k.API(true, func(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
		web.WriteJSON(w, http.StatusOK, "reached")
	}))
	rec := httptest.NewRecorder()
	k.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/x", nil))
	if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), `"code": "unauthorized"`) {
		t.Errorf("GET /api/v1/x without a session: %d\n%s", rec.Code, rec.Body.String())
	}
	if rec.Header().Get("X-Frame-Options") != "DENY" {
		t.Errorf("no security headers: %v", rec.Header())
	}
}

// TestKit_ErrorPages: an unknown page (404), a route asked with a method
// it does not take (405), a forbidden page (403) and a handler that
// panics (500) are pages of the site in the visitor's language, with
// their status; under /api/ the answer stays JSON.
func TestKit_ErrorPages(t *testing.T) {
	k := mustKit(t)
	k.HandleFunc("GET /thing", k.Web(k.Simple("home", "nav.people")))
	k.HandleFunc("GET /secret", k.Web(func(w http.ResponseWriter, r *http.Request) {
		k.ErrorPage(w, r, twinfed.Errorf(twinfed.EFORBIDDEN, "This page is for the national agency's staff."))
	}))
	k.HandleFunc("GET /boom", k.Web(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	cat := k.Catalog()
	for _, tc := range []struct {
		method, path, lang string
		status             int
		want               []string
	}{
		{"GET", "/nowhere", "it", 404, []string{`<html lang="it" dir="ltr">`, "<h1>" + cat.T("it", "error.not_found") + "</h1>", cat.T("it", "There is no such page."), cat.T("it", "error.home")}},
		{"GET", "/nowhere", "en", 404, []string{"<h1>Page not found</h1>", "There is no such page."}},
		{"POST", "/thing", "it", 405, []string{"<h1>" + cat.T("it", "error.method") + "</h1>"}},
		{"GET", "/secret", "it", 403, []string{"<h1>" + cat.T("it", "error.forbidden") + "</h1>", "riservata allo staff"}},
		{"GET", "/boom", "it", 500, []string{"<h1>" + cat.T("it", "error.internal") + "</h1>"}},
	} {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		req.Header.Set("Accept-Language", tc.lang)
		rec := httptest.NewRecorder()
		k.ServeHTTP(rec, req)
		body := rec.Body.String()
		if rec.Code != tc.status || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
			t.Errorf("%s %s (%s): %d %s, want %d HTML", tc.method, tc.path, tc.lang, rec.Code, rec.Header().Get("Content-Type"), tc.status)
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s %s (%s): no %q in\n%s", tc.method, tc.path, tc.lang, w, body)
			}
		}
		if tc.status == 405 && rec.Header().Get("Allow") == "" {
			t.Errorf("405 without Allow")
		}
	}
	req := httptest.NewRequest("GET", "/api/v1/nowhere", nil)
	rec := httptest.NewRecorder()
	k.ServeHTTP(rec, req)
	if rec.Code != 404 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") || !strings.Contains(rec.Body.String(), `"code": "not_found"`) {
		t.Errorf("GET /api/v1/nowhere: %d %s %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
}

// TestKit_Routes checks that Routes lists every pattern registered, the
// kit's own (static files, /metrics) and the features', in order, and that
// a caller cannot change the kit's list through the answer.
func TestKit_Routes(t *testing.T) {
	k, err := web.New(web.Config{Accounts: nobody{}, Metrics: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	k.HandleFunc("GET /api/v1/things", k.API(false, func(w http.ResponseWriter, r *http.Request, st *web.RequestState) {}))
	k.Handle("POST /api/v1/things/{id}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) }))
	got := k.Routes()
	want := []string{"GET /metrics", "GET /static/", "GET /api/v1/things", "POST /api/v1/things/{id}"}
	if !slices.Equal(got, want) {
		t.Fatalf("Routes() = %q, want %q", got, want)
	}
	got[0] = "changed"
	if k.Routes()[0] != "GET /metrics" {
		t.Errorf("Routes() shares its slice with the kit: %q", k.Routes())
	}
	rec := httptest.NewRecorder()
	k.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/v1/things/7", nil))
	if rec.Code != http.StatusAccepted {
		t.Errorf("POST /api/v1/things/7: %d, want the handler's 202", rec.Code)
	}
}

// TestCatalog_ErrorText: a message Errorf formatted reads in the page's
// language, formatted again with its arguments; an unformatted one is
// translated by its text; an unexpected error never shows its details.
func TestCatalog_ErrorText(t *testing.T) {
	cat := mustKit(t).Catalog()
	for _, tc := range []struct {
		lang string
		err  error
		want string
	}{
		{"it", twinfed.Errorf(twinfed.EINVALID, "Complete step %d first.", 2), "Completa prima il passo 2."},
		{"en", twinfed.Errorf(twinfed.EINVALID, "Complete step %d first.", 2), "Complete step 2 first."},
		{"it", twinfed.Errorf(twinfed.ENOTFOUND, "There is no member %q on this node.", "anna"), `Su questo nodo non c'è nessun iscritto "anna".`},
		{"it", twinfed.Errorf(twinfed.ECONFLICT, "This school proposal was already decided."), "Su questa proposta di scuola è già stata presa una decisione."},
		{"it", errors.New("badger: disk full at /var/lib"), cat.T("it", "Something went wrong on our side. Please try again later.")},
	} {
		if got := cat.ErrorText(tc.lang, tc.err); got != tc.want {
			t.Errorf("ErrorText(%s, %v) = %q, want %q", tc.lang, tc.err, got, tc.want)
		}
	}
}
