package web_test

import (
	"context"
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
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), want) || !strings.Contains(rec.Body.String(), `<html lang="`+lang+`">`) {
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
