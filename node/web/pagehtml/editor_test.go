package pagehtml_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/config"
	"github.com/twinfed/twinfed/node/web"
	"github.com/twinfed/twinfed/node/web/pagehtml"
)

// TestEditor_Page: a page with the editor has its toolbar's labels in the
// reader's language, the textarea that works without JavaScript, the
// script, and a Content-Security-Policy that runs the node's own scripts
// and frames the embeds' hosts; a page without it runs none.
func TestEditor_Page(t *testing.T) {
	k := mustKit(t)
	allow, err := pagehtml.NewEmbeds(config.DefaultEmbeds())
	if err != nil {
		t.Fatal(err)
	}
	feature := fstest.MapFS{
		"templates/edit.html":  {Data: []byte(`{{template "top" .}}<form method="post">{{template "editor" .Data}}</form>{{template "bottom" .}}`)},
		"templates/plain.html": {Data: []byte(`{{template "top" .}}<p>plain</p>{{template "bottom" .}}`)},
	}
	if err := k.AddTemplates(feature, "templates/*.html"); err != nil {
		t.Fatal(err)
	}
	k.HandleFunc("GET /edit", k.Web(func(w http.ResponseWriter, r *http.Request) {
		p := k.NewPage(w, r, "nav.people")
		ed := p.Editor("content", "editor.toolbar", "<p>Hello <b>there</b></p>", "/images.json", "/embed")
		ed.Hosts = allow.Hosts()
		p.Data = ed
		p.Frames = allow.FrameSources()
		k.Render(w, http.StatusOK, "edit", p)
	}))
	k.HandleFunc("GET /plain", k.Web(k.Simple("plain", "nav.people")))
	k.HandleFunc("GET /embed", k.API(false, pagehtml.EmbedLookup(k, allow)))

	for _, lang := range []string{"it", "en"} {
		req := httptest.NewRequest(http.MethodGet, "/edit", nil)
		req.Header.Set("Accept-Language", lang)
		rec := httptest.NewRecorder()
		k.ServeHTTP(rec, req)
		body := rec.Body.String()
		for _, want := range []string{
			`data-editor`, `data-images="/images.json"`, `data-embed="/embed"`,
			`data-l-bold="` + k.Catalog().T(lang, "editor.bold") + `"`,
			`<textarea id="content" name="content"`, `&lt;p&gt;Hello &lt;b&gt;there&lt;/b&gt;&lt;/p&gt;</textarea>`,
			`<script src="/static/editor.js" defer></script>`, "www.youtube-nocookie.com, player.vimeo.com",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: the editor's page lacks %s", lang, want)
			}
		}
		csp := rec.Header().Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-src https://www.youtube-nocookie.com https://player.vimeo.com") {
			t.Errorf("%s: CSP %q", lang, csp)
		}
	}
	rec := httptest.NewRecorder()
	k.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/plain", nil))
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'none'") || strings.Contains(csp, "frame-src https") {
		t.Errorf("a page without the editor: CSP %q", csp)
	}
	rec = httptest.NewRecorder()
	k.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/static/editor.js", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "contenteditable") {
		t.Errorf("GET /static/editor.js: %d", rec.Code)
	}

	// The embed field's check, in the reader's language.
	for _, tc := range []struct {
		lang, pasted, want string
		status             int
	}{
		{"en", "https://youtu.be/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ", http.StatusOK},
		{"en", "https://evil.example/x", "evil.example is not on this node's list", http.StatusBadRequest},
		{"it", "https://evil.example/x", "evil.example non è tra i servizi", http.StatusBadRequest},
	} {
		req := httptest.NewRequest(http.MethodGet, "/embed?url="+url.QueryEscape(tc.pasted), nil)
		req.Header.Set("Accept-Language", tc.lang)
		rec := httptest.NewRecorder()
		k.ServeHTTP(rec, req)
		var got struct {
			Src   string `json:"src"`
			Error struct{ Message string }
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != tc.status || !strings.Contains(got.Src+got.Error.Message, tc.want) {
			t.Errorf("embed %q (%s): %d %s, want %d with %q", tc.pasted, tc.lang, rec.Code, rec.Body, tc.status, tc.want)
		}
	}
}

// nobody authenticates no session.
type nobody struct{}

func (nobody) Authenticate(context.Context, string) (*twinfed.Principal, string, error) {
	return nil, "", twinfed.Errorf(twinfed.EUNAUTHORIZED, "no session")
}
func (nobody) AnonymousCSRF(anon string) string { return "csrf-" + anon }
func (nobody) Member(context.Context, string) (*twinfed.Member, error) {
	return nil, twinfed.Errorf(twinfed.ENOTFOUND, "no member")
}

// mustKit returns a web kit in Italian and English.
func mustKit(t *testing.T) *web.Kit {
	t.Helper()
	k, err := web.New(web.Config{Languages: []string{"it", "en"}, Accounts: nobody{}})
	if err != nil {
		t.Fatal(err)
	}
	return k
}
