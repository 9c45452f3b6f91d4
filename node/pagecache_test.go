package node_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/nodetest"
)

// cacheNode is a node whose profile page cache holds cacheBytes (negative:
// no cache), on dir with a fixed base URL so that a second node opened on
// the same dir reads the same records and has the same CSRF secret.
type cacheNode struct {
	*node.Node
	reg *prometheus.Registry
}

func openCacheNode(t *testing.T, dir string, cacheBytes int64) *cacheNode {
	t.Helper()
	reg := prometheus.NewRegistry()
	n, err := node.Open(context.Background(), node.Options{
		Dir: dir, Addr: "127.0.0.1:0", BaseURL: "http://twinfed.test",
		Service: node.Config{Country: "IT", AgencyName: "Indire", Policy: twinfed.ItalianEligibility(), Hash: testHash},
		Server:  node.ServerConfig{Languages: []string{"it", "en"}, PageCacheBytes: cacheBytes},
		Metrics: reg,
	})
	if err != nil {
		t.Fatalf("open node: %v", err)
	}
	t.Cleanup(func() { n.Close() })
	return &cacheNode{Node: n, reg: reg}
}

// lookups returns the cache's hit and miss counts.
func (n *cacheNode) lookups(t *testing.T) (hits, misses int) {
	t.Helper()
	mfs, err := n.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "twinfed_node_page_cache_lookups_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			v := int(m.GetCounter().GetValue())
			switch m.GetLabel()[0].GetValue() {
			case "hit":
				hits = v
			case "miss":
				misses = v
			}
		}
	}
	return hits, misses
}

// cacheBytes is the cache's size gauge.
func (n *cacheNode) cacheBytes(t *testing.T) float64 {
	t.Helper()
	mfs, _ := n.reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "twinfed_node_page_cache_bytes" {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatal("no twinfed_node_page_cache_bytes")
	return 0
}

// visit is one anonymous GET with the given headers; it returns the status,
// the body and the response headers without Date.
func (n *cacheNode) visit(t *testing.T, path string, header map[string]string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+n.Addr()+path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	resp.Header.Del("Date")
	return resp.StatusCode, string(body), resp.Header
}

func (n *cacheNode) page(t *testing.T, path string) string {
	t.Helper()
	code, body, _ := n.visit(t, path, map[string]string{"Accept-Language": "en"})
	if code != 200 {
		t.Fatalf("GET %s: %d\n%s", path, code, body)
	}
	return body
}

func seedPublic(t *testing.T, n *node.Node, user string) {
	t.Helper()
	_, err := n.Accounts().SeedMember(context.Background(), account.PreRegistration{FirstName: "Paola", LastName: "Bianchi", Email: user + "@scuola.it", Username: user, Password: "correct horse 1", PasswordConfirm: "correct horse 1"},
		&twinfed.Member{Schools: []twinfed.MemberSchool{{SchoolID: "it-1", Name: "IC Dante", Region: "Lazio", Level: twinfed.LevelPrimary, Role: "teacher"}},
			Description: "Teaches <b>music</b>", Languages: []string{"it"}, PupilAges: []int{7, 8}, Subjects: []string{"music"}, Interests: []string{"choir"},
			Available: twinfed.Available{Project: true}, Public: twinfed.PublicFields})
	if err != nil {
		t.Fatal(err)
	}
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestPageCache_SameBytes checks that a page served from the cache is, byte
// for byte and header for header, the page a node without the cache
// renders for the same request, in both languages, for a visitor with the
// anonymous cookie and for one without (who is given no cookie: the page
// has no POST form, and its language form works without a token).
func TestPageCache_SameBytes(t *testing.T) {
	dir := t.TempDir()
	type response struct {
		code   int
		body   string
		header http.Header
	}
	cookie := "twinfed_anon=" + strings.Repeat("v", 24)
	requests := []map[string]string{
		{"Accept-Language": "it", "Cookie": cookie},
		{"Accept-Language": "en", "Cookie": cookie},
		{"Accept-Language": "en", "Cookie": cookie + "; twinfed_lang=it"},
		{"Accept-Language": "fr;q=0.9, en;q=0.5", "Cookie": cookie + "; twinfed_session=stale"},
	}
	cached := map[int]response{}
	{
		n := openCacheNode(t, dir, 0)
		seedPublic(t, n.Node, "paola")
		for i, h := range requests {
			for range 2 {
				code, body, header := n.visit(t, "/users/paola", h)
				cached[i] = response{code, body, header}
			}
		}
		// Requests 0 and 2 pick Italian (the cookie before the header),
		// 1 and 3 English (a stale session is a visitor): one render each.
		if hits, misses := n.lookups(t); hits != 6 || misses != 2 {
			t.Fatalf("hits %d, misses %d; want 6, 2", hits, misses)
		}
		if !strings.Contains(cached[0].body, `lang="it"`) || !strings.Contains(cached[1].body, `lang="en"`) || !strings.Contains(cached[1].body, "Teaches <b>music</b>") {
			t.Fatalf("pages:\n%s\n%s", cached[0].body, cached[1].body)
		}
		// A visitor without the anonymous cookie is not given one: the
		// page has no POST form and no token. Its language form is a GET
		// that changes the visitor's language cookie only.
		for range 2 {
			code, body, header := n.visit(t, "/users/paola", map[string]string{"Accept-Language": "en"})
			if code != 200 || header.Get("Set-Cookie") != "" || nodetest.CSRFField.MatchString(body) || !strings.Contains(body, `<form method="get" action="/language"`) {
				t.Fatalf("a new visitor: %d, Set-Cookie %q\n%s", code, header.Get("Set-Cookie"), body)
			}
			resp, err := http.DefaultTransport.RoundTrip(mustRequest(t, "GET", "http://"+n.Addr()+"/language?lang=it&next=%2Fusers%2Fpaola"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/users/paola" || !strings.Contains(resp.Header.Get("Set-Cookie"), "twinfed_lang=it") {
				t.Fatalf("the visitor's language form: %d, Location %q, Set-Cookie %q", resp.StatusCode, resp.Header.Get("Location"), resp.Header.Get("Set-Cookie"))
			}
		}
		if hits, _ := n.lookups(t); hits != 8 {
			t.Fatalf("the second new visitor was not served from the cache: %d hits", hits)
		}
		n.Close()
	}
	n := openCacheNode(t, dir, -1)
	for i, h := range requests {
		code, body, header := n.visit(t, "/users/paola", h)
		want := cached[i]
		if code != want.code || body != want.body {
			t.Errorf("request %d: cached %d, %d bytes; rendered %d, %d bytes", i, want.code, len(want.body), code, len(body))
			for j := range min(len(body), len(want.body)) {
				if body[j] != want.body[j] {
					t.Errorf("first difference at %d: cached %q, rendered %q", j, want.body[j:min(j+80, len(want.body))], body[j:min(j+80, len(body))])
					break
				}
			}
		}
		if fmt.Sprint(header) != fmt.Sprint(want.header) {
			t.Errorf("request %d headers: cached %v, rendered %v", i, want.header, header)
		}
	}
	if hits, misses := n.lookups(t); hits+misses != 0 {
		t.Fatalf("a node without the cache counted %d hits, %d misses", hits, misses)
	}
}

// TestPageCache_Changes checks that every change to a profile shows on
// the next anonymous visit: an edit, a field hidden, a new photo, and the
// account's deletion (404).
func TestPageCache_Changes(t *testing.T) {
	n := openCacheNode(t, t.TempDir(), 0)
	seedPublic(t, n.Node, "paola")
	seedPublic(t, n.Node, "marco")
	// warm visits paola's page, rendered at the visit before: this one is
	// served from the cache.
	warm := func() string {
		t.Helper()
		h0, _ := n.lookups(t)
		body := n.page(t, "/users/paola")
		if h1, _ := n.lookups(t); h1 != h0+1 {
			t.Fatal("paola's page, unchanged since the last visit, is not served from the cache")
		}
		return body
	}
	n.page(t, "/users/paola")
	if body := warm(); !strings.Contains(body, "IC Dante") || !strings.Contains(body, "Teaches <b>music</b>") || strings.Contains(body, `class="photo"`) {
		t.Fatalf("first page:\n%s", body)
	}
	b := loginAt(t, n, "paola")
	edit := func(desc string, public []string) {
		t.Helper()
		code, _, _ := b.Form("/account/profile", "/account/profile", url.Values{"description": {desc}, "languages": {"it"},
			"pupil_ages": {"7", "8"}, "subjects": {"music"}, "interests": {"choir"}, "public": public})
		if code != http.StatusSeeOther {
			t.Fatalf("edit profile: %d\n%s", code, b.Last)
		}
	}
	edit("Now teaches <i>opera</i>", twinfed.PublicFields)
	if body := n.page(t, "/users/paola"); !strings.Contains(body, "Now teaches <i>opera</i>") || strings.Contains(body, "Teaches <b>music</b>") {
		t.Fatalf("the edit does not show:\n%s", body)
	}
	warm()
	edit("Now teaches <i>opera</i>", []string{twinfed.PublicSubjects, twinfed.PublicDescription, twinfed.PublicPhoto})
	if body := n.page(t, "/users/paola"); strings.Contains(body, "IC Dante") || !strings.Contains(body, "opera") {
		t.Fatalf("the hidden school still shows:\n%s", body)
	}
	warm()
	// A photo (a PNG header is enough for the type check).
	b.Get("/account/profile")
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("csrf", b.CSRF())
	fw, _ := mw.CreateFormFile("photo", "me.png")
	fw.Write(append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...))
	mw.Close()
	req, _ := http.NewRequest("POST", "http://"+n.Addr()+"/account/photo", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if code, _, _ := b.Do(req); code != http.StatusSeeOther {
		t.Fatalf("photo upload: %d\n%s", code, b.Last)
	}
	if body := n.page(t, "/users/paola"); !strings.Contains(body, `src="/users/paola/photo"`) {
		t.Fatalf("the new photo does not show:\n%s", body)
	}
	// Another member's page is not affected, and stays cached.
	n.page(t, "/users/marco")
	h0, _ := n.lookups(t)
	n.page(t, "/users/marco")
	if h1, _ := n.lookups(t); h1 != h0+1 {
		t.Fatal("marco's page is not served from the cache")
	}
	if body := n.page(t, "/users/marco"); !strings.Contains(body, "IC Dante") {
		t.Fatalf("marco's page:\n%s", body)
	}
	warm()
	if code, _, _ := b.Form("/account/delete", "/account/delete", url.Values{"password": {"correct horse 1"}}); code != http.StatusSeeOther {
		t.Fatalf("delete: %d\n%s", code, b.Last)
	}
	if code, body, _ := n.visit(t, "/users/paola", map[string]string{"Accept-Language": "en"}); code != http.StatusNotFound || strings.Contains(body, "opera") {
		t.Fatalf("the deleted member's page: %d\n%s", code, body)
	}
	if code, _, _ := n.visit(t, "/users/paola", map[string]string{"Accept-Language": "en"}); code != http.StatusNotFound {
		t.Fatalf("the deleted member's page, again: %d", code)
	}
}

// TestPageCache_Viewers checks who is not served the cached page: a
// logged-in member (whose page has the menu and the contact buttons), a
// request with a query string (the flash message), an ActivityPub client.
func TestPageCache_Viewers(t *testing.T) {
	n := openCacheNode(t, t.TempDir(), 0)
	seedPublic(t, n.Node, "paola")
	seedPublic(t, n.Node, "marco")
	anon := n.page(t, "/users/paola")
	n.page(t, "/users/paola")
	hits, misses := n.lookups(t)
	if hits != 1 || misses != 1 {
		t.Fatalf("hits %d, misses %d", hits, misses)
	}
	b := loginAt(t, n, "marco")
	req, _ := http.NewRequest("GET", "http://"+n.Addr()+"/users/paola", nil)
	req.Header.Set("Accept-Language", "en")
	code, body, _ := b.Do(req)
	if code != 200 || body == anon || !strings.Contains(body, `action="/contacts/request"`) || !strings.Contains(body, `action="/logout"`) {
		t.Fatalf("a member's view of the page: %d\n%s", code, body)
	}
	if body := n.page(t, "/users/paola?done=followed"); !strings.Contains(body, `class="flash"`) {
		t.Fatalf("the flash message is missing:\n%s", body)
	}
	if h, m := n.lookups(t); h != hits || m != misses {
		t.Fatalf("the member's or the flash page went through the cache: hits %d→%d, misses %d→%d", hits, h, misses, m)
	}
	// Another visitor gets the same bytes: the page carries no token.
	if other := n.page(t, "/users/paola"); other != anon || nodetest.CSRFField.MatchString(other) {
		t.Fatalf("two visitors' pages:\n%s\n%s", anon, other)
	}
}

// loginAt logs user in on n through its bound address (the node's base
// URL is not reachable).
func loginAt(t *testing.T, n *cacheNode, user string) *browser {
	t.Helper()
	b := newBrowser(t, "http://"+n.Addr())
	if code, _, _ := b.Form("/login", "/login", url.Values{"username": {user}, "password": {"correct horse 1"}}); code != http.StatusSeeOther {
		t.Fatalf("login %s: %d %s", user, code, b.Last)
	}
	return b
}

// TestPageCache_Bounded checks that the cache keeps to its size, dropping
// the least recently used pages.
func TestPageCache_Bounded(t *testing.T) {
	const limit = 64 << 10 // about 24 pages
	n := openCacheNode(t, t.TempDir(), limit)
	for i := range 60 {
		seedPublic(t, n.Node, fmt.Sprintf("m%02d", i))
	}
	start := time.Now()
	for i := range 60 {
		n.page(t, fmt.Sprintf("/users/m%02d", i))
		if got := n.cacheBytes(t); got > limit {
			t.Fatalf("after %d pages the cache holds %.0f bytes, more than %d", i+1, got, limit)
		}
	}
	if n.cacheBytes(t) < limit/2 {
		t.Fatalf("the cache holds only %.0f bytes", n.cacheBytes(t))
	}
	h0, m0 := n.lookups(t)
	n.page(t, "/users/m59") // recent: kept
	n.page(t, "/users/m00") // the oldest: dropped
	if h, m := n.lookups(t); h != h0+1 || m != m0+1 {
		t.Fatalf("hits %d→%d, misses %d→%d: want one of each", h0, h, m0, m)
	}
	t.Logf("60 pages in %v", time.Since(start))
}
