package web_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twinfed/twinfed/node/web"
)

// clock is a test clock that starts at the real time and moves when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }
func newClock() *clock               { return &clock{now: time.Now()} }
func serve(k *web.Kit, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	k.ServeHTTP(rec, r)
	return rec
}

func limitedKit(t *testing.T, c *clock, cfg web.Config) *web.Kit {
	t.Helper()
	cfg.Languages, cfg.Accounts, cfg.Now = []string{"it", "en"}, nobody{}, c.Now
	k, err := web.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ok := func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok " + web.ClientIP(r))) }
	k.Handle("POST /login", k.Limited(web.LimitLogin, http.HandlerFunc(ok)))
	k.HandleFunc("GET /api/v1/thing", ok)
	k.HandleFunc("POST /form", ok)
	return k
}

// TestLimited_PerClientAddress checks the token bucket: a client gets its
// burst, then 429 with Retry-After in its language (or JSON under /api/),
// another address is not affected, and the bucket refills with time.
func TestLimited_PerClientAddress(t *testing.T) {
	c := newClock()
	k := limitedKit(t, c, web.Config{Rates: map[string]web.Rate{web.LimitLogin: {N: 3, Per: time.Minute}, web.LimitAPI: {N: 2, Per: time.Minute}}})
	post := func(addr string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(""))
		r.RemoteAddr = addr + ":40000"
		r.Header.Set("Accept-Language", "it")
		return serve(k, r)
	}
	for i := 0; i < 3; i++ {
		if rec := post("192.0.2.1"); rec.Code != http.StatusOK {
			t.Fatalf("attempt %d: %d %s", i+1, rec.Code, rec.Body)
		}
	}
	rec := post("192.0.2.1")
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("4th attempt: %d, Retry-After %q; want 429 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	if want := k.Catalog().T("it", "Too many requests from your address. Wait a little and try again."); !strings.Contains(rec.Body.String(), want) {
		t.Errorf("the 429 page does not say %q in Italian:\n%s", want, rec.Body)
	}
	if rec := post("192.0.2.2"); rec.Code != http.StatusOK {
		t.Errorf("another address: %d, want 200", rec.Code)
	}
	c.Add(20 * time.Second) // one token back (3 a minute)
	if rec := post("192.0.2.1"); rec.Code != http.StatusOK {
		t.Errorf("after 20s: %d, want 200", rec.Code)
	}
	if rec := post("192.0.2.1"); rec.Code != http.StatusTooManyRequests {
		t.Errorf("right after: %d, want 429", rec.Code)
	}

	// The API: every /api/v1 request counts, and the refusal is JSON.
	get := func() *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/api/v1/thing", nil)
		r.RemoteAddr = "198.51.100.7:1234"
		return serve(k, r)
	}
	get()
	get()
	rec = get()
	var body web.APIError
	if rec.Code != http.StatusTooManyRequests || json.Unmarshal(rec.Body.Bytes(), &body) != nil || body.Error.Code != "rate_limited" {
		t.Errorf("3rd API request: %d %s; want 429 and code rate_limited", rec.Code, rec.Body)
	}
}

// TestClientIP_TrustedProxies checks that X-Forwarded-For counts only from
// a trusted proxy, and that a client cannot put itself behind a forged one.
func TestClientIP_TrustedProxies(t *testing.T) {
	c := newClock()
	k := limitedKit(t, c, web.Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	for _, tc := range []struct{ remote, xff, want string }{
		{"203.0.113.5", "", "203.0.113.5"},
		{"203.0.113.5", "198.51.100.1", "203.0.113.5"},         // not from a proxy: the header is ignored
		{"10.0.0.2", "198.51.100.1", "198.51.100.1"},           // from the proxy
		{"10.0.0.2", "6.6.6.6, 198.51.100.1", "198.51.100.1"},  // the client's own (forged) hop is left of the real one
		{"10.0.0.2", "198.51.100.1, 10.0.0.9", "198.51.100.1"}, // two proxies
		{"10.0.0.2", "not-an-address, 10.0.0.9", "10.0.0.9"},   // malformed: trust nothing beyond the proxies
		{"10.0.0.2", "2001:db8::1", "2001:db8::1"},
	} {
		r := httptest.NewRequest(http.MethodPost, "/form", nil)
		r.RemoteAddr = tc.remote + ":5555"
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := serve(k, r).Body.String(); got != "ok "+tc.want {
			t.Errorf("from %s, X-Forwarded-For %q: client %q, want %q", tc.remote, tc.xff, strings.TrimPrefix(got, "ok "), tc.want)
		}
	}
}

// TestKit_CrossOriginAndHSTS checks the standard library's cross-origin
// protection beside the CSRF token (a browser's cross-site POST is
// refused, a same-origin one and a server's request without browser
// headers pass), and HSTS on a node served over HTTPS.
func TestKit_CrossOriginAndHSTS(t *testing.T) {
	k := limitedKit(t, newClock(), web.Config{HTTPS: true})
	for _, tc := range []struct {
		name, site, origin string
		want               int
	}{
		{"cross-site form", "cross-site", "https://evil.example", http.StatusForbidden},
		{"same-origin form", "same-origin", "https://it.twinfed.example", http.StatusOK},
		{"server to server (no browser headers)", "", "", http.StatusOK},
	} {
		r := httptest.NewRequest(http.MethodPost, "https://it.twinfed.example/form", nil)
		if tc.site != "" {
			r.Header.Set("Sec-Fetch-Site", tc.site)
		}
		if tc.origin != "" {
			r.Header.Set("Origin", tc.origin)
		}
		rec := serve(k, r)
		if rec.Code != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, rec.Code, tc.want)
		}
		if rec.Header().Get("Strict-Transport-Security") == "" {
			t.Errorf("%s: no Strict-Transport-Security on an HTTPS node", tc.name)
		}
	}
	plain := limitedKit(t, newClock(), web.Config{})
	if h := serve(plain, httptest.NewRequest(http.MethodGet, "/api/v1/thing", nil)).Header().Get("Strict-Transport-Security"); h != "" {
		t.Errorf("HSTS on a node served over plain HTTP: %q", h)
	}
}
