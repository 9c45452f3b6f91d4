package nodetest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed/node"
)

// Browser is an HTTP client with cookies that does not follow redirects,
// and asks for pages in English.
type Browser struct {
	TB   testing.TB
	Base string // the node's base URL, before every path
	C    *http.Client
	Last string // body of the last answer
}

// NewBrowser returns a browser of the node at base, without cookies.
func NewBrowser(tb testing.TB, base string) *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{TB: tb, Base: base, C: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Do sends req and returns the status, the body (also kept in Last) and
// the headers; a transport error fails the test.
func (b *Browser) Do(req *http.Request) (int, string, http.Header) {
	b.TB.Helper()
	resp, err := b.C.Do(req)
	if err != nil {
		b.TB.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	b.Last = string(body)
	return resp.StatusCode, string(body), resp.Header
}

// Get gets path in English and returns the status and the body.
func (b *Browser) Get(path string) (int, string) {
	b.TB.Helper()
	req, _ := http.NewRequest("GET", b.Base+path, nil)
	req.Header.Set("Accept-Language", "en")
	code, body, _ := b.Do(req)
	return code, body
}

// CSRFField matches the hidden CSRF field of a page's forms; its group is the token.
var CSRFField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// GetLang gets path with Accept-Language lang and returns the status, the
// body and the headers.
func (b *Browser) GetLang(path, lang string) (int, string, http.Header) {
	b.TB.Helper()
	req, _ := http.NewRequest("GET", b.Base+path, nil)
	req.Header.Set("Accept-Language", lang)
	return b.Do(req)
}

// CSRF returns the CSRF token of the last page; a page without one fails
// the test.
func (b *Browser) CSRF() string {
	m := CSRFField.FindStringSubmatch(b.Last)
	if m == nil {
		b.TB.Fatalf("no csrf token in the last page:\n%s", b.Last)
	}
	return m[1]
}

// Post submits a form with the CSRF token of the last page (unless the
// values carry their own "csrf"); it returns the status, the body and the
// redirect target.
func (b *Browser) Post(path string, v url.Values) (int, string, string) {
	b.TB.Helper()
	if _, ok := v["csrf"]; !ok {
		v.Set("csrf", b.CSRF())
	}
	req, _ := http.NewRequest("POST", b.Base+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept-Language", "en")
	code, body, h := b.Do(req)
	return code, body, h.Get("Location")
}

// Form gets page then posts v to action with the page's token; it returns
// the status, body and redirect target.
func (b *Browser) Form(page, action string, v url.Values) (int, string, string) {
	b.TB.Helper()
	if code, _ := b.Get(page); code != 200 {
		b.TB.Fatalf("GET %s: %d\n%s", page, code, b.Last)
	}
	return b.Post(action, v)
}

// API sends a JSON request (in, when not nil) and decodes the answer into
// out (when not nil); csrf is sent as X-CSRF-Token when not empty. It
// returns the status.
func (b *Browser) API(method, path string, in any, csrf string, out any) int {
	b.TB.Helper()
	var body io.Reader
	if in != nil {
		raw, _ := json.Marshal(in)
		body = strings.NewReader(string(raw))
	}
	req, _ := http.NewRequest(method, b.Base+path, body)
	req.Header.Set("Content-Type", "application/json")
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	code, resp, _ := b.Do(req)
	if out != nil && resp != "" {
		if err := json.Unmarshal([]byte(resp), out); err != nil {
			b.TB.Fatalf("%s %s: decode %q: %v", method, path, resp, err)
		}
	}
	return code
}

// APISession logs user in through the JSON API and returns the browser
// holding the session cookie and the session's CSRF token.
func APISession(tb testing.TB, base, user, password string) (*Browser, string) {
	tb.Helper()
	b := NewBrowser(tb, base)
	var s struct {
		CSRF string `json:"csrf_token"`
	}
	if code := b.API("POST", "/api/v1/session", map[string]string{"username": user, "password": password}, "", &s); code != 200 {
		tb.Fatalf("login %s: %d %s", user, code, b.Last)
	}
	return b, s.CSRF
}

// Login logs user in through the login form and returns the browser
// holding the session cookie.
func Login(tb testing.TB, n *node.Node, user, password string) *Browser {
	tb.Helper()
	b := NewBrowser(tb, n.URL())
	if code, _, _ := b.Form("/login", "/login", url.Values{"username": {user}, "password": {password}}); code != http.StatusSeeOther {
		tb.Fatalf("login %s: %d %s", user, code, b.Last)
	}
	return b
}
