package main

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// freeBasePort finds a base port whose demo range (base+1 … base+43) is free.
func freeBasePort(tb testing.TB) int {
	tb.Helper()
	for try := 0; try < 50; try++ {
		// Below Linux's ephemeral range (32768-60999): a port there can be
		// taken between this check and the demo's bind by any outgoing
		// connection or :0 listener of the tests running beside it.
		base := 10000 + rand.IntN(22000)
		ok := true
		var held []net.Listener
		for _, off := range []int{1, 2, 3, 11, 12, 13, 21, 22, 23, 31, 32, 33, 41, 42, 43} {
			ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", base+off))
			if err != nil {
				ok = false
				break
			}
			held = append(held, ln)
		}
		for _, ln := range held {
			ln.Close()
		}
		if ok {
			return base
		}
	}
	tb.Fatal("no free port range for the demo")
	return 0
}

// session is a member's browser: cookies and the CSRF token of the last form.
type session struct {
	tb     testing.TB
	client *http.Client
	base   string
}

func newSession(tb testing.TB, base string) *session {
	jar, _ := cookiejar.New(nil)
	return &session{tb: tb, base: base, client: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (s *session) get(path string) (int, string) {
	s.tb.Helper()
	resp, err := s.client.Get(s.base + path)
	if err != nil {
		s.tb.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// post fetches the form page for its CSRF token, then posts the form.
func (s *session) post(formPath, path string, form url.Values) (int, string) {
	s.tb.Helper()
	_, page := s.get(formPath)
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		s.tb.Fatalf("no CSRF token on %s", formPath)
	}
	form.Set("csrf", m[1])
	resp, err := s.client.PostForm(s.base+path, form)
	if err != nil {
		s.tb.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestDemo_StartsSeedsAndResumes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo-data")
	base := freeBasePort(t)
	ctx := context.Background()

	d := &demoMain{BasePort: base, DataDir: dir}
	if err := d.Run(ctx); err != nil {
		d.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })

	// demo.json lists every process with its URL and logins.
	raw, err := os.ReadFile(filepath.Join(dir, "demo.json"))
	if err != nil {
		t.Fatal(err)
	}
	var info demoInfo
	if err := json.Unmarshal(raw, &info); err != nil {
		t.Fatal(err)
	}
	roles := map[string]int{}
	for _, p := range info.Processes {
		roles[p.Role]++
		u := p.URL
		if p.Role == "registry member" {
			u += "/readyz"
		}
		// A registry member is not ready during an election (tests run in
		// parallel on 2 cores): poll it. The back office answers anonymous
		// visitors with the login page and 401.
		var status int
		waitFor(ctx, 30*time.Second, func() error {
			resp, err := http.Get(u)
			if err != nil {
				return err
			}
			resp.Body.Close()
			status = resp.StatusCode
			if status != http.StatusOK && status != http.StatusUnauthorized {
				return fmt.Errorf("status %d", status)
			}
			return nil
		})
		if status != http.StatusOK && status != http.StatusUnauthorized {
			t.Errorf("%s %s: status %d", p.Process, u, status)
		}
	}
	if roles["registry member"] != 3 || roles["agency officer"] != 3 || roles["teacher"] != 9 {
		t.Fatalf("demo.json roles = %v, want 3 registry members, 3 officers, 9 teachers", roles)
	}

	// Every node knows the three countries' nodes through the registry.
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/v1/countries/FR?consistency=consistent", base+1)) // a follower may not have applied the last write yet
	if err != nil {
		t.Fatal(err)
	}
	var fr struct {
		NodeURL string `json:"node_url"`
		Keys    []any  `json:"keys"`
	}
	json.NewDecoder(resp.Body).Decode(&fr)
	resp.Body.Close()
	// Both of the node's keys, Ed25519 and RSA.
	if fr.NodeURL != fmt.Sprintf("http://127.0.0.1:%d", base+22) || len(fr.Keys) != 2 {
		t.Fatalf("FR in the registry: %+v", fr)
	}

	// Each member's /metrics is on base+41.., not on its API port.
	for i := range demoRegistryMembers {
		for _, tc := range []struct {
			port, want int
		}{{base + 41 + i, http.StatusOK}, {base + 1 + i, http.StatusNotFound}} {
			resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", tc.port))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("registry member %d: GET :%d/metrics = %d, want %d", i+1, tc.port, resp.StatusCode, tc.want)
			}
		}
	}

	// The printed logins work: the IT officer reaches the back office, a
	// teacher does not.
	itBase := fmt.Sprintf("http://127.0.0.1:%d", base+21)
	officer := newSession(t, itBase)
	if code, body := officer.post("/login", "/login", url.Values{"username": {"agency.it"}, "password": {demoPassword}}); code != http.StatusOK {
		t.Fatalf("officer login: %d %s", code, body)
	}
	if code, _ := officer.get("/backoffice"); code != http.StatusOK {
		t.Fatalf("officer back office: %d", code)
	}
	teacher := newSession(t, itBase)
	if code, body := teacher.post("/login", "/login", url.Values{"username": {"giulia.rossi"}, "password": {demoPassword}}); code != http.StatusOK {
		t.Fatalf("teacher login: %d %s", code, body)
	}
	if code, _ := teacher.get("/backoffice"); code != http.StatusForbidden {
		t.Fatalf("teacher reached the back office: %d", code)
	}

	// A second run over the same data resumes: same token, no reseeding.
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d2 := &demoMain{BasePort: base, DataDir: dir}
	if err := d2.Run(ctx); err != nil {
		d2.Close()
		t.Fatal(err)
	}
	defer d2.Close()
	if d2.Info.AdminToken != info.AdminToken {
		t.Fatal("the resumed demo has a new admin token")
	}
	again := newSession(t, itBase)
	if code, body := again.post("/login", "/login", url.Values{"username": {"giulia.rossi"}, "password": {demoPassword}}); code != http.StatusOK || !strings.Contains(body, "Giulia") {
		t.Fatalf("teacher login after resume: %d", code)
	}
	// The demo's partner-forum ideas reach every node (by delivery, or by
	// the catch-up of a node started after the other), each once.
	err = waitFor(ctx, 60*time.Second, func() error {
		_, body := again.get("/forum")
		for _, idea := range demoIdeas {
			if n := strings.Count(body, html.EscapeString(idea.post.Title)); n != 1 {
				return fmt.Errorf("%q is on IT's forum %d times", idea.post.Title, n)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("the demo's forum: %v", err)
	}

	// After the resume, each demo event is listed once on IT (the Valencia
	// meeting too: it is for everyone), and Giulia's feed has the post of
	// Marco, whom she follows.
	for _, path := range []string{"/events", "/"} {
		_, body := again.get(path)
		want := []string{html.EscapeString(demoWallPosts[1].Text)}
		if path == "/events" {
			want = nil
			for _, de := range demoEvents {
				want = append(want, html.EscapeString(de.In.Title))
			}
		}
		for _, w := range want {
			if n := strings.Count(body, w); n != 1 {
				t.Fatalf("%q is on IT's %s %d times:\n%s", w, path, n, body)
			}
		}
	}

	// The README's tour, step by step, over HTTP.
	walkTour(t, base, info.AdminToken)
}
