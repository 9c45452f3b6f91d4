package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
)

// TestFederation_Pages walks issue 17's Pages tool across two real nodes
// (IT, the project's home node, and FR) and a real registry, through
// their web pages and JSON API: Maria writes and publishes a page on IT;
// Jean, a partner teacher on FR made a plain teacher, reads it there,
// edits it, and both nodes show the same page and the same history; the
// public reads the published page on both nodes; Jean may not reorder
// pages; a script and an embed of an unlisted service are refused and
// change nothing on either node; when Maria saves the page while Jean
// edits it, Jean's save is refused with who saved when and his text kept,
// and his next save goes through on both nodes.
func TestFederation_Pages(t *testing.T) {
	ctx := context.Background()
	cluster := consensustest.MustOpenCluster(t, 3)
	it, fr := startFedNode(t, cluster, "IT"), startFedNode(t, cluster, "FR")
	it.knows(t, fr)
	fr.knows(t, it)
	it.seedTeacher(t, "maria", "Maria", "Rossi", []string{"geography"}, []int{10})
	jean := fr.seedTeacher(t, "jean", "Jean", "Dupont", []string{"geography"}, []int{10})
	befriend(t, it, "maria", fr, "jean")

	p := approvedProject(t, "Rivers of Europe", seat{it, "maria"}, seat{fr, "jean"})
	// Jean is made a plain teacher of the TwinSpace (no reordering).
	if err := it.ts().SetRole(ctx, teacher("maria"), p.ID, jean, twinfed.SpaceTeacher); err != nil {
		t.Fatal(err)
	}
	consensustest.Eventually(t, 60*time.Second, func() bool {
		v, err := fr.ts().OpenView(ctx, teacher("jean"), p.ID, false)
		return err == nil && v.Role == twinfed.SpaceTeacher
	}, "FR: Jean's role never became teacher")

	// Maria writes a page on IT through the editor's form, and publishes it.
	ms, js := it.login(t, "maria"), fr.login(t, "jean")
	q := "id=" + url.QueryEscape(p.ID)
	content := `<h2>The Tiber</h2><p>It crosses <strong>Rome</strong>.</p><figure><iframe src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ" title="A video"></iframe></figure>`
	code, _, to := submit(ms, "/twinspace/pages/edit?"+q, "/twinspace/pages/save", url.Values{"id": {p.ID}, "title": {"Rivers"}, "content": {content}, "base": {"0"}})
	if code != http.StatusSeeOther || !strings.Contains(to, "done=page_saved") {
		t.Fatalf("Maria's new page: %d %q", code, to)
	}
	u, _ := url.Parse(to)
	page := u.Query().Get("page")
	pq := q + "&page=" + url.QueryEscape(page)
	if code, _, _ := submit(ms, "/twinspace/pages?"+pq, "/twinspace/pages/publish", url.Values{"id": {p.ID}, "page": {page}, "public": {"1"}}); code != http.StatusSeeOther {
		t.Fatalf("publish: %d", code)
	}

	// FR holds the same page; the public reads it on both nodes.
	pageOn := func(s *memberSession) (version int64, content string, public bool, revisions int) {
		t.Helper()
		code, out := s.call("GET", "/api/v1/twinspace/pages/page?"+pq, nil)
		if code != 200 {
			return 0, "", false, 0
		}
		pg := out["page"].(map[string]any)
		v, _ := pg["version"].(float64)
		c, _ := pg["content"].(string)
		pub, _ := pg["public"].(bool)
		_, h := s.call("GET", "/api/v1/twinspace/pages/history?"+pq, nil)
		return int64(v), c, pub, len(list(h, "revisions"))
	}
	var v1 int64
	consensustest.Eventually(t, 60*time.Second, func() bool {
		var c string
		var pub bool
		v1, c, pub, _ = pageOn(js)
		return pub && strings.Contains(c, "<strong>Rome</strong>")
	}, "FR never showed Maria's published page")
	for _, n := range []*fedNode{it, fr} {
		resp, err := http.Get(n.base + "/twinspace/pages?" + pq)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), "<strong>Rome</strong>") || !strings.Contains(string(b), "youtube-nocookie.com/embed/dQw4w9WgXcQ") {
			t.Fatalf("%s: the public does not read the published page: %d", n.Config.Country, resp.StatusCode)
		}
	}

	// Jean edits the page on FR; both nodes show the same page and history.
	jeans := `<h2>The Tiber</h2><p>It crosses <strong>Rome</strong>, and the Seine crosses <em>Paris</em>.</p>`
	base := strconv.FormatInt(v1, 10)
	if code, _, _ := submit(js, "/twinspace/pages/edit?"+pq, "/twinspace/pages/save", url.Values{"id": {p.ID}, "page": {page}, "title": {"Rivers"}, "content": {jeans}, "base": {base}}); code != http.StatusSeeOther {
		t.Fatalf("Jean's save on FR: %d", code)
	}
	same := func(what string, want string, revisions int) int64 {
		t.Helper()
		var version int64
		consensustest.Eventually(t, 60*time.Second, func() bool {
			iv, ic, _, ir := pageOn(ms)
			fv, fc, _, fr := pageOn(js)
			version = iv
			return iv == fv && ic == fc && strings.Contains(ic, want) && ir == revisions && fr == revisions
		}, what)
		return version
	}
	v2 := same("IT and FR never showed the same page after Jean's save", "<em>Paris</em>", 2)

	// Jean, a plain teacher, may not reorder pages.
	if code, out := js.call("POST", "/api/v1/twinspace/pages/move", map[string]any{"id": p.ID, "page": page, "direction": "down"}); code != http.StatusForbidden {
		t.Fatalf("a plain teacher reorders pages: %d %v", code, out)
	}

	// A script, and an embed of a service the node does not list, are
	// refused with a message naming them, and change nothing anywhere.
	for bad, want := range map[string]string{
		`<p>Hi</p><script>alert(1)</script>`:                   "A page may not hold a <script> element",
		`<iframe src="https://evil.example/embed/1"></iframe>`: "evil.example is not on this node's list of services a page may embed",
	} {
		code, out := js.call("POST", "/api/v1/twinspace/pages", map[string]any{"id": p.ID, "page": page, "title": "Rivers", "content": bad, "base": v2})
		if e, _ := out["error"].(map[string]any); code != http.StatusBadRequest || !strings.Contains(e["message"].(string), want) {
			t.Fatalf("save %s: %d %v", bad, code, out)
		}
		code, body, _ := submit(js, "/twinspace/pages/edit?"+pq, "/twinspace/pages/save", url.Values{"id": {p.ID}, "page": {page}, "title": {"Rivers"}, "content": {bad}, "base": {strconv.FormatInt(v2, 10)}})
		if code != http.StatusBadRequest || !strings.Contains(body, "This page holds something pages may not have") {
			t.Fatalf("the form's save of %s: %d", bad, code)
		}
	}
	if v := same("a refused save changed the page", "<em>Paris</em>", 2); v != v2 {
		t.Fatalf("a refused save changed the version: %d → %d", v2, v)
	}

	// Maria saves while Jean edits: Jean is told who saved when, and his
	// text is kept; his next save goes through on both nodes.
	code, _, _ = submit(ms, "/twinspace/pages/edit?"+pq, "/twinspace/pages/save", url.Values{"id": {p.ID}, "page": {page}, "title": {"Rivers"},
		"content": {jeans + "<p>Maria adds the Danube.</p>"}, "base": {strconv.FormatInt(v2, 10)}})
	if code != http.StatusSeeOther {
		t.Fatalf("Maria's save: %d", code)
	}
	v3 := same("FR never received Maria's save", "Danube", 3)
	mine := jeans + "<p>Jean adds the Loire.</p>"
	code, body, _ := submit(js, "/twinspace/pages/edit?"+pq, "/twinspace/pages/save", url.Values{"id": {p.ID}, "page": {page}, "title": {"Rivers"}, "content": {mine}, "base": {strconv.FormatInt(v2, 10)}})
	if code != http.StatusConflict || !strings.Contains(body, "Maria Rossi saved this page on") || !strings.Contains(body, "Jean adds the Loire.") ||
		!strings.Contains(body, "/twinspace/pages/compare?") || !strings.Contains(body, `name="base" value="`+strconv.FormatInt(v3, 10)+`"`) {
		t.Fatalf("Jean's save on a replaced version: %d\n%s", code, body)
	}
	code, _, _ = submit(js, "/twinspace/pages/edit?"+pq, "/twinspace/pages/save", url.Values{"id": {p.ID}, "page": {page}, "title": {"Rivers"}, "content": {mine}, "base": {strconv.FormatInt(v3, 10)}})
	if code != http.StatusSeeOther {
		t.Fatalf("Jean saves his version: %d", code)
	}
	v5 := same("IT and FR never showed Jean's version", "Jean adds the Loire.", 4)

	// Both save version 5 at the same moment, on their own nodes: no
	// edit is lost. Each save either reaches the history on both nodes,
	// or its writer is told another came first (409); when both went
	// through, both nodes show the same page and say it was edited
	// concurrently.
	type result struct {
		who, text string
		code      int
	}
	done := make(chan result, 2)
	for _, w := range []struct {
		s         *memberSession
		who, text string
	}{{ms, "maria", "<p>Maria, at once.</p>"}, {js, "jean", "<p>Jean, at once.</p>"}} {
		go func() {
			code, _, _ := submitQuiet(w.s, "/twinspace/pages/save", url.Values{"id": {p.ID}, "page": {page}, "title": {"Rivers"}, "content": {w.text}, "base": {strconv.FormatInt(v5, 10)}})
			done <- result{w.who, w.text, code}
		}()
	}
	var saved []string
	for range 2 {
		r := <-done
		switch r.code {
		case http.StatusSeeOther:
			saved = append(saved, r.text)
		case http.StatusConflict:
		default:
			t.Fatalf("%s's save at the same moment: %d", r.who, r.code)
		}
	}
	if len(saved) == 0 {
		t.Fatal("both saves made at the same moment were refused")
	}
	consensustest.Eventually(t, 60*time.Second, func() bool {
		iv, ic, _, _ := pageOn(ms)
		fv, fc, _, _ := pageOn(js)
		if iv != fv || ic != fc {
			return false
		}
		for _, s := range []*memberSession{ms, js} {
			_, h := s.call("GET", "/api/v1/twinspace/pages/history?"+pq, nil)
			texts := ""
			for _, r := range list(h, "revisions") {
				texts += r.(map[string]any)["revision"].(map[string]any)["content"].(string)
			}
			for _, text := range saved {
				if !strings.Contains(texts, text) {
					return false
				}
			}
		}
		return true
	}, "the saves made at the same moment never reached both histories alike")
	if len(saved) == 2 {
		for _, s := range []*memberSession{ms, js} {
			_, pg := s.call("GET", "/api/v1/twinspace/pages/page?"+pq, nil)
			body := s.page("/twinspace/pages?" + pq)
			if len(list(pg, "concurrent")) != 2 || !strings.Contains(body, `<div class="notice" role="status"><p>`) {
				t.Errorf("%s: the page does not say it was edited concurrently: %v", s.base, pg)
			}
		}
	}
	t.Logf("saves made at the same moment: %d went through", len(saved))
}

// submitQuiet posts form to action as s with the CSRF token of the
// session's pages, without failing the test (for goroutines).
func submitQuiet(s *memberSession, action string, form url.Values) (int, string, string) {
	form.Set("csrf", s.csrf)
	req, _ := http.NewRequest("POST", s.base+action, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	s.jar.add(req)
	c := *s.c
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		return 0, err.Error(), ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("Location")
}

// submit gets from (for its CSRF token) and posts form to action as s,
// without following the redirect: the status, the body and the redirect.
func submit(s *memberSession, from, action string, form url.Values) (int, string, string) {
	s.t.Helper()
	return s.formPost(from, action, form, "en")
}
