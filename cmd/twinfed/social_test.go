package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/config"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/directory"
)

// fedNode is one national node run through the `twinfed node serve`
// wiring, for tests across nodes.
type fedNode struct {
	*nodeMain
	base string
}

func startFedNode(t testing.TB, cluster *consensustest.Cluster, country string) *fedNode {
	t.Helper()
	return startFedNodeWith(t, cluster, country, nil)
}

// startFedNodeWith starts a node as startFedNode does, with tweak (nil:
// none) applied to its checked configuration: a test may go below the
// bounds Validate sets for operators (a retry window of seconds).
func startFedNodeWith(t testing.TB, cluster *consensustest.Cluster, country string, tweak func(*config.Node)) *fedNode {
	t.Helper()
	return startFedNodeAt(t, cluster, country, tweak, nil)
}

// startFedNodeAt starts a node as startFedNodeWith does, on the features'
// clock now (nil: time.Now): nodes given the same moved clock see an
// event end together, while their signatures keep the real time.
func startFedNodeAt(t testing.TB, cluster *consensustest.Cluster, country string, tweak func(*config.Node), now func() time.Time) *fedNode {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	cfg := config.DefaultNode()
	cfg.Country, cfg.BaseURL, cfg.DataDir, cfg.HTTPAddr = country, base, t.TempDir(), ln.Addr().String()
	cfg.Registry = cluster.URLs
	cfg.Accounts.ArgonTime, cfg.Accounts.ArgonMemoryKiB, cfg.Accounts.ArgonThreads = 1, 1024, 1 // cheap, for tests only
	cfg.Federation.RetryBase = 100 * time.Millisecond
	cfg.Limits.Login, cfg.Limits.Register, cfg.Limits.API = "0/1m", "0/1m", "0/1m" // the benchmarks drive load from one address
	cfg.MetricsAddr = "127.0.0.1:0"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if tweak != nil {
		tweak(&cfg)
	}
	m := &nodeMain{Config: cfg, Logger: consensustest.Logger(), Listener: ln, Now: now}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	cluster.MustRegisterNode(t, country, base, m.NodeKeys()...)
	return &fedNode{nodeMain: m, base: base}
}

// startThreeNodes starts the IT, FR and ES nodes on cluster and waits
// until each one's registry cache lists the other two.
func startThreeNodes(t testing.TB, cluster *consensustest.Cluster) (it, fr, es *fedNode) {
	t.Helper()
	it, fr, es = startFedNode(t, cluster, "IT"), startFedNode(t, cluster, "FR"), startFedNode(t, cluster, "ES")
	it.knows(t, fr, es)
	fr.knows(t, it, es)
	es.knows(t, it, fr)
	return it, fr, es
}

// knows waits until n's registry cache lists every other node.
func (n *fedNode) knows(t testing.TB, others ...*fedNode) {
	t.Helper()
	consensustest.Eventually(t, 60*time.Second, func() bool {
		for _, o := range others {
			if _, err := n.client.CountryByHost(context.Background(), twinfed.URLHost(o.base)); err != nil {
				return false
			}
		}
		return true
	}, "a node's registry cache does not list the other nodes")
}

func (n *fedNode) seedTeacher(t testing.TB, username, first, last string, subjects []string, ages []int) string {
	t.Helper()
	return n.seedMember(t, username, first, last, strings.ToLower(n.Config.Country)+"-school-"+username, subjects, ages)
}

// seedTeacherAt seeds a teacher of a given school.
func (n *fedNode) seedTeacherAt(t testing.TB, username, first, last, school string) string {
	t.Helper()
	return n.seedMember(t, username, first, last, school, []string{"art"}, []int{10})
}

func (n *fedNode) seedMember(t testing.TB, username, first, last, school string, subjects []string, ages []int) string {
	t.Helper()
	email := username + "@school.example"
	_, err := n.Node().Accounts().SeedMember(context.Background(), account.PreRegistration{
		FirstName: first, LastName: last, Email: email, EmailConfirm: email, Username: username, Password: "correct horse 1", PasswordConfirm: "correct horse 1",
	}, &twinfed.Member{
		Schools:  []twinfed.MemberSchool{{SchoolID: school, Name: "School " + school, Region: "Region " + n.Config.Country, Level: twinfed.LevelPrimary, Role: "teacher"}},
		Subjects: subjects, PupilAges: ages, Languages: []string{"en"}, Available: twinfed.Available{Project: true}, Public: twinfed.PublicFields,
		Description: "<p>Teacher of " + strings.Join(subjects, ", ") + "</p>",
	})
	if err != nil {
		t.Fatal(err)
	}
	return twinfed.ActorURL(n.base, username)
}

// memberSession is a member logged in on a node through the JSON API.
type memberSession struct {
	t    *testing.T
	base string
	jar  *cookieJar
	csrf string
	c    *http.Client
}

func (n *fedNode) login(t *testing.T, username string) *memberSession {
	t.Helper()
	s := &memberSession{t: t, base: n.base, jar: newJar(), c: &http.Client{Timeout: 30 * time.Second}}
	code, out := s.call("POST", "/api/v1/session", map[string]string{"username": username, "password": "correct horse 1"})
	if code != 200 {
		t.Fatalf("login %s: %d %v", username, code, out)
	}
	s.csrf = out["csrf_token"].(string)
	return s
}

func (s *memberSession) call(method, path string, body any) (int, map[string]any) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, s.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if s.csrf != "" {
		req.Header.Set("X-CSRF-Token", s.csrf)
	}
	s.jar.add(req)
	resp, err := s.c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	s.jar.keep(resp)
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

// page GETs a web page and returns its HTML.
func (s *memberSession) page(path string) string {
	s.t.Helper()
	req, _ := http.NewRequest("GET", s.base+path, nil)
	s.jar.add(req)
	resp, err := s.c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		s.t.Fatalf("GET %s: %d\n%s", path, resp.StatusCode, b)
	}
	return string(b)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// post submits a web form (with the CSRF token of the page at from) and
// returns the page it redirects to.
func (s *memberSession) post(from, action string, form url.Values) string {
	s.t.Helper()
	code, body, to := s.formPost(from, action, form, "")
	if code != http.StatusSeeOther {
		s.t.Fatalf("POST %s: %d\n%s", action, code, body)
	}
	return to
}

func list(out map[string]any, key string) []any {
	v, _ := out[key].([]any)
	return v
}

// TestFederation_ContactsMessagesProfilesDirectory walks issue 4's "must
// show" across three real nodes and a real registry: a contact request from
// an IT teacher to an FR teacher, accepted on FR, visible on both; messages
// both ways; a search on ES finding the FR teacher by filters; a profile
// change and an account deletion reaching the other nodes.
func TestFederation_ContactsMessagesProfilesDirectory(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 3)
	it, fr, es := startThreeNodes(t, cluster)
	maria := it.seedTeacher(t, "maria", "Maria", "Rossi", []string{"mathematics"}, []int{9, 10})
	jean := fr.seedTeacher(t, "jean", "Jean", "Dupont", []string{"music", "mathematics"}, []int{10, 11})
	es.seedTeacher(t, "ana", "Ana", "García", []string{"history"}, []int{15})

	// Every node's directory receives the others' profiles (pushed).
	ana := es.login(t, "ana")
	consensustest.Eventually(t, 60*time.Second, func() bool {
		code, out := ana.call("GET", "/api/v1/directory?country=FR&subject=music&age_min=11&age_max=12&project=1", nil)
		ps := list(out, "profiles")
		return code == 200 && len(ps) == 1 && ps[0].(map[string]any)["id"] == jean
	}, "the ES node never found the FR teacher by filters")
	if code, out := ana.call("GET", "/api/v1/directory?country=FR&subject=history", nil); code != 200 || len(list(out, "profiles")) != 0 {
		t.Fatalf("a search that should find nobody: %d %v", code, out)
	}
	if html := ana.page("/people?q=Dupont&country=FR"); !strings.Contains(html, "Jean Dupont") {
		t.Fatalf("the web directory on ES does not show Jean:\n%s", html)
	}

	// IT → FR contact request, from the web UI (once FR holds Maria's
	// profile, so that Jean sees her name).
	consensustest.Eventually(t, 60*time.Second, func() bool {
		_, err := fr.Node().Directory().Profile(context.Background(), &twinfed.Principal{Username: "x", Role: twinfed.RoleAgencyOfficer}, maria)
		return err == nil
	}, "FR never received Maria's profile")
	ms := it.login(t, "maria")
	consensustest.Eventually(t, 60*time.Second, func() bool {
		code, _ := ms.call("GET", "/api/v1/directory/profile?id="+url.QueryEscape(jean), nil)
		return code == 200
	}, "IT never received Jean's profile")
	prof := "/people/profile?id=" + url.QueryEscape(jean)
	if loc := ms.post(prof, "/contacts/request", url.Values{"peer": {jean}, "message": {"Ciao Jean! A project on music and maths?"}, "next": {prof}}); !strings.Contains(loc, "done=contact_requested") {
		t.Fatalf("request redirected to %s", loc)
	}
	js := fr.login(t, "jean")
	consensustest.Eventually(t, 60*time.Second, func() bool {
		_, out := js.call("GET", "/api/v1/contacts", nil)
		in := list(out, "incoming")
		return len(in) == 1 && in[0].(map[string]any)["peer"] == maria
	}, "the request never reached FR")
	if html := js.page("/contacts"); !strings.Contains(html, "Maria Rossi") || !strings.Contains(html, "A project on music and maths?") {
		t.Fatalf("FR contacts page:\n%s", html)
	}
	if _, out := js.call("GET", "/api/v1/me/counts", nil); out["requests"] != float64(1) || out["notifications"] != float64(1) {
		t.Fatalf("FR counts: %v", out)
	}
	if code, out := js.call("POST", "/api/v1/contacts/accept", map[string]string{"peer": maria}); code != 200 {
		t.Fatalf("accept: %d %v", code, out)
	}
	consensustest.Eventually(t, 60*time.Second, func() bool {
		_, out := ms.call("GET", "/api/v1/contacts", nil)
		c := list(out, "contacts")
		return len(c) == 1 && c[0].(map[string]any)["peer"] == jean
	}, "the acceptance never reached IT")
	if _, out := js.call("GET", "/api/v1/contacts", nil); len(list(out, "contacts")) != 1 {
		t.Fatalf("FR does not list the contact: %v", out)
	}
	if ok, _ := it.Node().Social().IsContact(context.Background(), "maria", jean); !ok {
		t.Fatal("IsContact(maria, jean) = false")
	}

	// Messages both ways, with unread counts.
	if code, out := ms.call("POST", "/api/v1/messages", map[string]string{"to": jean, "content": "Shall we start in March?\n<script>alert(1)</script>"}); code != 201 {
		t.Fatalf("send: %d %v", code, out)
	}
	consensustest.Eventually(t, 60*time.Second, func() bool {
		_, out := js.call("GET", "/api/v1/me/counts", nil)
		return out["messages"] == float64(1)
	}, "the message never reached FR")
	html := js.page("/messages/with?peer=" + url.QueryEscape(maria))
	if !strings.Contains(html, "Shall we start in March?") || strings.Contains(html, "<script>alert") {
		t.Fatalf("FR conversation page:\n%s", html)
	}
	if _, out := js.call("GET", "/api/v1/me/counts", nil); out["messages"] != float64(0) {
		t.Fatalf("reading did not clear the unread count: %v", out)
	}
	if loc := js.post("/messages/with?peer="+url.QueryEscape(maria), "/messages", url.Values{"to": {maria}, "content": {"Oui, en mars!"}}); !strings.Contains(loc, "done=sent") {
		t.Fatalf("reply redirected to %s", loc)
	}
	consensustest.Eventually(t, 60*time.Second, func() bool {
		_, out := ms.call("GET", "/api/v1/messages/with?peer="+url.QueryEscape(jean), nil)
		msgs := list(out, "messages")
		return len(msgs) == 2 && strings.Contains(msgs[1].(map[string]any)["content"].(string), "Oui, en mars!")
	}, "the reply never reached IT")

	// Bad input changes nothing.
	for _, c := range []struct {
		path string
		body any
		code int
	}{
		{"/api/v1/messages", map[string]string{"to": jean, "content": "  "}, 400},
		{"/api/v1/messages", map[string]string{"to": "http://unknown.example/users/x", "content": "hi"}, 404},
		{"/api/v1/contacts", map[string]string{"peer": jean}, 409},
		{"/api/v1/contacts", map[string]string{"peer": maria}, 400},
		{"/api/v1/contacts/accept", map[string]string{"peer": jean}, 404},
	} {
		if code, out := ms.call("POST", c.path, c.body); code != c.code {
			t.Errorf("POST %s %v: %d %v, want %d", c.path, c.body, code, out, c.code)
		}
	}

	// A profile change reaches the other nodes.
	if code, out := js.call("PUT", "/api/v1/me/profile", map[string]any{"languages": []string{"fr", "en"}, "pupil_ages": []int{10, 11}, "subjects": []string{"music", "mathematics", "history"},
		"description": "<p>Now also history</p>", "public": twinfed.PublicFields, "available": map[string]bool{"project": true}}); code != 200 {
		t.Fatalf("profile update: %d %v", code, out)
	}
	consensustest.Eventually(t, 60*time.Second, func() bool {
		_, out := ana.call("GET", "/api/v1/directory?country=FR&subject=history", nil)
		return len(list(out, "profiles")) == 1
	}, "the profile change never reached ES")

	// An account deletion reaches the other nodes: the directory and
	// Maria's contacts forget Jean.
	if code, out := js.call("DELETE", "/api/v1/me", map[string]string{"password": "correct horse 1"}); code != 200 && code != 204 {
		t.Fatalf("delete: %d %v", code, out)
	}
	consensustest.Eventually(t, 60*time.Second, func() bool {
		_, out := ana.call("GET", "/api/v1/directory?country=FR", nil)
		_, c := ms.call("GET", "/api/v1/contacts", nil)
		return len(list(out, "profiles")) == 0 && len(list(c, "contacts")) == 0
	}, "the deletion never reached ES and IT")
}

// TestFederation_DirectoryBackfill: a node that joins after another node's
// members were created gets their profiles by paging through the other
// node's directory with signed GETs; an unsigned GET is refused.
func TestFederation_DirectoryBackfill(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 3)
	fr := startFedNode(t, cluster, "FR")
	var jean string
	for i := range 3 {
		u := fmt.Sprintf("teacher%d", i)
		id := fr.seedTeacher(t, u, "Jean", fmt.Sprintf("Dupont%d", i), []string{"music"}, []int{10})
		if i == 1 {
			jean = id
		}
	}
	it := startFedNode(t, cluster, "IT")
	it.knows(t, fr)
	fr.knows(t, it)
	ctx := context.Background()
	officer := &twinfed.Principal{Username: "officer", Role: twinfed.RoleAgencyOfficer, Status: twinfed.StatusValidated}
	consensustest.Eventually(t, 60*time.Second, func() bool {
		if _, err := it.Node().Backfill(ctx, it.fed.Get); err != nil {
			t.Logf("backfill: %v", err)
			return false
		}
		p, err := it.Node().Directory().Profile(ctx, officer, jean)
		return err == nil && p.Name == "Jean Dupont1"
	}, "IT never backfilled FR's profiles")
	consensustest.Eventually(t, 60*time.Second, func() bool {
		page, err := it.Node().Directory().SearchDirectory(ctx, officer, directory.DirectoryQuery{Country: "FR", Subject: "music"})
		return err == nil && page.Total == 3
	}, "the backfilled profiles are not searchable")

	resp, err := http.Get(fr.base + directory.BackfillPath)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || strings.Contains(string(body), "Dupont") {
		t.Fatalf("unsigned backfill GET: %d %s", resp.StatusCode, body)
	}
}
