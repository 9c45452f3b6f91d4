package node_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/nodetest"
	"github.com/twinfed/twinfed/node/outbox"
)

// testHash is a deliberately cheap argon2id setting for tests; production
// uses node.DefaultHashParams.
var testHash = node.HashParams{Time: 1, Memory: 1024, Threads: 1}

type nodeOpts struct {
	dir      string
	registry twinfed.Registry
	policy   *twinfed.Eligibility
	now      func() time.Time
	token    string
	upload   int64
	country  string
	ln       net.Listener
	// localOnly gives the node localOnlyProver as its outbox and prover:
	// projects that never leave it, with agency decisions "signed".
	localOnly bool
	// outbox, when set, is the node's outbox (no prover).
	outbox outbox.Outbox
}

// MustOpenNode starts a real node (Badger in a temp dir, HTTP on
// 127.0.0.1:0, mails spooled) and closes it at the end of the test.
func MustOpenNode(tb testing.TB, o nodeOpts) *node.Node {
	tb.Helper()
	if o.dir == "" {
		o.dir = tb.TempDir()
	}
	pol := twinfed.ItalianEligibility()
	if o.policy != nil {
		pol = *o.policy
	}
	if o.country == "" {
		o.country = "IT"
	}
	var local *localOnlyProver
	if o.localOnly {
		if o.ln == nil {
			var err error
			if o.ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
				tb.Fatal(err)
			}
		}
		local = &localOnlyProver{t: tb, base: "http://" + o.ln.Addr().String()}
	}
	opts := node.Options{
		Dir: o.dir, Addr: "127.0.0.1:0", Listener: o.ln,
		Service:  node.Config{Country: o.country, AgencyName: "Indire", Policy: pol, Hash: testHash, LoginAttempts: 3, LoginWindow: time.Minute},
		Server:   node.ServerConfig{Languages: []string{"it", "en"}, APIToken: o.token, MaxUploadBytes: o.upload},
		Registry: o.registry,
		Metrics:  prometheus.NewRegistry(),
		Now:      o.now,
	}
	if local != nil {
		opts.Outbox, opts.Prover = local, local
	} else if o.outbox != nil {
		opts.Outbox = o.outbox
	}
	n, err := node.Open(context.Background(), opts)
	if err != nil {
		tb.Fatalf("open node: %v", err)
	}
	tb.Cleanup(func() { n.Close() })
	return n
}

// browser is an HTTP client with cookies that does not follow redirects.
type browser struct {
	t    testing.TB
	base string
	c    *http.Client
	last string // body of the last page
}

func newBrowser(t testing.TB, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(req *http.Request) (int, string, http.Header) {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	b.last = string(body)
	return resp.StatusCode, string(body), resp.Header
}

func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.base+path, nil)
	req.Header.Set("Accept-Language", "en")
	code, body, _ := b.do(req)
	return code, body
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the CSRF token of the last page.
func (b *browser) csrf() string {
	m := csrfRE.FindStringSubmatch(b.last)
	if m == nil {
		b.t.Fatalf("no csrf token in the last page:\n%s", b.last)
	}
	return m[1]
}

// post submits a form with the CSRF token of the last page (unless the
// values carry their own "csrf").
func (b *browser) post(path string, v url.Values) (int, string, string) {
	b.t.Helper()
	if _, ok := v["csrf"]; !ok {
		v.Set("csrf", b.csrf())
	}
	req, _ := http.NewRequest("POST", b.base+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept-Language", "en")
	code, body, h := b.do(req)
	return code, body, h.Get("Location")
}

// form gets page then posts v to action with the page's token; it returns
// the status, body and redirect target.
func (b *browser) form(page, action string, v url.Values) (int, string, string) {
	b.t.Helper()
	if code, _ := b.get(page); code != 200 {
		b.t.Fatalf("GET %s: %d\n%s", page, code, b.last)
	}
	return b.post(action, v)
}

// api sends a JSON request; csrf is sent as X-CSRF-Token when not empty.
// apiSession logs user in through the JSON API and returns the browser
// holding the session cookie and the session's CSRF token.
func apiSession(t testing.TB, base, user, password string) (*browser, string) {
	t.Helper()
	b := newBrowser(t, base)
	var s struct {
		CSRF string `json:"csrf_token"`
	}
	if code := b.api("POST", "/api/v1/session", map[string]string{"username": user, "password": password}, "", &s); code != 200 {
		t.Fatalf("login %s: %d %s", user, code, b.last)
	}
	return b, s.CSRF
}

func (b *browser) api(method, path string, in any, csrf string, out any) int {
	b.t.Helper()
	var body io.Reader
	if in != nil {
		raw, _ := json.Marshal(in)
		body = strings.NewReader(string(raw))
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	req.Header.Set("Content-Type", "application/json")
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	code, resp, _ := b.do(req)
	if out != nil && resp != "" {
		if err := json.Unmarshal([]byte(resp), out); err != nil {
			b.t.Fatalf("%s %s: decode %q: %v", method, path, resp, err)
		}
	}
	return code
}

// mails, mustLink and tokenOf read the mail spool (nodetest's helpers).
func mails(t testing.TB, n *node.Node, dir, addr string) []string {
	return nodetest.Mails(t, n, dir, addr)
}

func mustLink(t testing.TB, n *node.Node, dir, addr, kind string) string {
	return nodetest.MustLink(t, n, dir, addr, kind)
}

func tokenOf(link string) string { return nodetest.TokenOf(link) }

func preReg(user string) url.Values {
	return url.Values{"first_name": {"Maria"}, "last_name": {"Rossi"}, "email": {user + "@scuola.it"}, "email_confirm": {user + "@scuola.it"},
		"username": {user}, "password": {"correct horse 1"}, "password_confirm": {"correct horse 1"}}
}

func seedStaff(t testing.TB, n *node.Node, user string, role twinfed.Role) {
	t.Helper()
	if _, err := n.Accounts().CreateStaff(context.Background(), nil, user, user+"@indire.it", "Staff", "Indire", "staff password 1", role); err != nil {
		t.Fatalf("create staff: %v", err)
	}
}

func login(t testing.TB, n *node.Node, user, password string) *browser {
	t.Helper()
	b := newBrowser(t, n.URL())
	code, _, loc := b.form("/login", "/login", url.Values{"username": {user}, "password": {password}})
	if code != http.StatusSeeOther {
		t.Fatalf("login %s: %d %s", user, code, b.last)
	}
	_ = loc
	return b
}

// eventually polls cond until it holds or fails after timeout.
func eventually(t testing.TB, timeout time.Duration, cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, msg)
		}
		<-time.After(10 * time.Millisecond)
	}
}
