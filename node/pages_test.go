package node_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/project"
	"github.com/twinfed/twinfed/node/twinspace/pages"
	"github.com/twinfed/twinfed/node/web/pagehtml"
)

// The TwinSpace's Pages tool through the web on one node (a national
// project of Anna, administrator, and Bruno, made a plain teacher);
// cmd/twinfed/pages_test.go runs it across two real nodes.

var pageIDRE = regexp.MustCompile(`[?&]page=([^&]+)`)

// pageOf returns the page id of a redirect to the Pages tab.
func pageOf(t *testing.T, to string) string {
	t.Helper()
	m := pageIDRE.FindStringSubmatch(to)
	if m == nil {
		t.Fatalf("not a page of the Pages tab: %q", to)
	}
	id, _ := url.QueryUnescape(m[1])
	return id
}

// pagesProject opens a node with Anna's and Bruno's approved project,
// Bruno a plain teacher of its TwinSpace, and both logged in.
func pagesProject(t *testing.T) (n *node.Node, p *twinfed.Project, anna, bruno *browser) {
	t.Helper()
	n, annaURL, brunoURL := projectNode(t)
	ctx := context.Background()
	annaP := &twinfed.Principal{Username: "anna", Role: twinfed.RoleMember, Status: twinfed.StatusValidated}
	brunoP := &twinfed.Principal{Username: "bruno", Role: twinfed.RoleMember, Status: twinfed.StatusValidated}
	p, err := n.Projects().CreateProject(ctx, annaP, project.ProjectDraft{SchoolID: "it-anna", Partner: brunoURL, Title: "Our town's rivers", Description: "Rivers."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Projects().AnswerInvitation(ctx, brunoP, p.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{annaURL, brunoURL} {
		if p, err = n.Projects().DecideParticipation(ctx, officerP, p.ID, who, true, ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.TwinSpaces().Core.SetRole(ctx, annaP, p.ID, brunoURL, twinfed.SpaceTeacher); err != nil {
		t.Fatal(err)
	}
	return n, p, login(t, n, "anna", "correct horse 1"), login(t, n, "bruno", "correct horse 1")
}

// savePage submits the editor's form as b and returns the status, the
// body and the redirect.
func savePage(b *browser, project, page, parent, title, content string, base int64) (int, string, string) {
	b.TB.Helper()
	q := url.Values{"id": {project}}
	if page != "" {
		q.Set("page", page)
	}
	if code, _ := b.Get("/twinspace/pages/edit?" + q.Encode()); code != 200 {
		b.TB.Fatalf("GET the editor: %d\n%s", code, b.Last)
	}
	return b.Post("/twinspace/pages/save", url.Values{"id": {project}, "page": {page}, "parent": {parent}, "title": {title}, "content": {content},
		"base": {strconv.FormatInt(base, 10)}})
}

func pageState(t *testing.T, n *node.Node, project, page string) (version int64, content string, revisions int) {
	t.Helper()
	v, err := n.TwinSpaces().Core.OpenView(context.Background(), &twinfed.Principal{Username: "anna", Role: twinfed.RoleMember}, project, false)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := n.TwinSpaces().Pages.Page(v, page)
	if err != nil {
		t.Fatal(err)
	}
	revs, err := n.TwinSpaces().Pages.History(v, page)
	if err != nil {
		t.Fatal(err)
	}
	return pg.Version, pg.Content, len(revs)
}

func TestPages_WebJourney(t *testing.T) {
	n, p, anna, bruno := pagesProject(t)
	tab := "/twinspace/pages?id=" + url.QueryEscape(p.ID)
	_, page := anna.Get(tab)
	mustContain(t, "the empty Pages tab", page, "No page yet.", "Add a page")

	// Anna writes a page with a heading, bold text, a link and a video.
	content := `<h2>Our rivers</h2><p>The <strong>Tiber</strong> crosses Rome. <a href="https://it.wikipedia.org/wiki/Tevere">Read more</a></p>` +
		`<figure><iframe src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ" title="A video"></iframe></figure>`
	code, _, to := savePage(anna, p.ID, "", "", "Rivers", content, 0)
	if code != http.StatusSeeOther || !strings.Contains(to, "done=page_saved") {
		t.Fatalf("save a new page: %d %q\n%s", code, to, anna.Last)
	}
	rivers := pageOf(t, to)
	_, page = anna.Get(to)
	mustContain(t, "the page", page, "<h2>Our rivers</h2>", "<strong>Tiber</strong>", `rel="nofollow noopener"`,
		`<iframe src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"`, `sandbox="allow-scripts`, "Draft", "last saved by Anna Rossi", "The page is saved.")
	if csp := anna.Last; !strings.Contains(page, "Rivers") {
		t.Fatal(csp)
	}
	_, _, h := anna.GetLang(to, "en")
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-src https://www.youtube-nocookie.com") || !strings.Contains(csp, "script-src 'none'") {
		t.Errorf("the page's CSP: %q", csp)
	}

	// A sub-page, and a second page at the top.
	_, _, to = savePage(anna, p.ID, "", rivers, "The Tiber", "<p>Source: Monte Fumaiolo.</p>", 0)
	tiber := pageOf(t, to)
	_, _, to = savePage(bruno, p.ID, "", "", "Lakes", "<p>Bolsena.</p>", 0)
	lakes := pageOf(t, to)
	tree := func(b *browser) []string {
		var out struct{ Pages []pages.Entry }
		if code := b.API("GET", "/api/v1/twinspace/pages?id="+url.QueryEscape(p.ID), nil, "", &out); code != 200 {
			t.Fatalf("the tree: %d %s", code, b.Last)
		}
		var ids []string
		for _, e := range out.Pages {
			ids = append(ids, strings.Repeat(">", e.Depth)+e.Title)
		}
		return ids
	}
	if got := strings.Join(tree(anna), " "); got != "Rivers >The Tiber Lakes" {
		t.Fatalf("the tree: %s", got)
	}

	// Drafts are the members'; a published page is anyone's, at its
	// address, and in public mode.
	public := newBrowser(t, n.URL())
	if code, _ := public.Get("/twinspace/pages?id=" + url.QueryEscape(p.ID) + "&page=" + url.QueryEscape(rivers)); code != http.StatusNotFound {
		t.Fatalf("a draft page to the public: %d", code)
	}
	_, page = public.Get(tab)
	mustContain(t, "the public's Pages tab before publication", page, "No page of this TwinSpace is published yet.")
	if code, _, to := anna.Form(tab+"&page="+url.QueryEscape(rivers), "/twinspace/pages/publish", url.Values{"id": {p.ID}, "page": {rivers}, "public": {"1"}}); code != http.StatusSeeOther || !strings.Contains(to, "done=page_published") {
		t.Fatalf("publish: %d %q", code, to)
	}
	_, page = public.Get("/twinspace/pages?id=" + url.QueryEscape(p.ID) + "&page=" + url.QueryEscape(rivers))
	mustContain(t, "the published page to the public", page, "<strong>Tiber</strong>", "youtube-nocookie")
	if strings.Contains(page, "Lakes") || strings.Contains(page, "The Tiber") || strings.Contains(page, "History") {
		t.Fatalf("the public sees drafts or the history:\n%s", page)
	}
	_, page = anna.Get(tab + "&public=1")
	if !strings.Contains(page, "Rivers") || strings.Contains(page, "Lakes") {
		t.Fatalf("public mode shows drafts:\n%s", page)
	}

	// Bruno, a plain teacher, may not reorder pages; Anna may.
	_, _ = bruno.Get(tab + "&page=" + url.QueryEscape(lakes))
	if code, _, _ := bruno.Post("/twinspace/pages/move", url.Values{"id": {p.ID}, "page": {lakes}, "dir": {"up"}}); code != http.StatusForbidden {
		t.Fatalf("a plain teacher moves a page: %d", code)
	}
	if code := bruno.API("POST", "/api/v1/twinspace/pages/move", map[string]any{"id": p.ID, "page": lakes, "direction": "up"}, csrfOf(t, bruno), nil); code != http.StatusForbidden {
		t.Fatalf("a plain teacher moves a page through the API: %d", code)
	}
	if got := strings.Join(tree(bruno), " "); got != "Rivers >The Tiber Lakes" {
		t.Fatalf("a refused move changed the tree: %s", got)
	}
	if code, _, to := anna.Form(tab+"&page="+url.QueryEscape(lakes), "/twinspace/pages/move", url.Values{"id": {p.ID}, "page": {lakes}, "dir": {"up"}}); code != http.StatusSeeOther || !strings.Contains(to, "done=page_moved") {
		t.Fatalf("move up: %d %q", code, to)
	}
	if got := strings.Join(tree(anna), " "); got != "Lakes Rivers >The Tiber" {
		t.Fatalf("after moving Lakes up: %s", got)
	}
	if code, _, _ := anna.Form(tab+"&page="+url.QueryEscape(lakes), "/twinspace/pages/move", url.Values{"id": {p.ID}, "page": {lakes}, "parent": {tiber}}); code != http.StatusSeeOther {
		t.Fatalf("move under: %d\n%s", code, anna.Last)
	}
	if got := strings.Join(tree(anna), " "); got != "Rivers >The Tiber >>Lakes" {
		t.Fatalf("after moving Lakes under The Tiber: %s", got)
	}
	if code, page, _ := anna.Form(tab+"&page="+url.QueryEscape(rivers), "/twinspace/pages/move", url.Values{"id": {p.ID}, "page": {rivers}, "parent": {lakes}}); code != http.StatusBadRequest ||
		!strings.Contains(page, "A page cannot go under itself or one of its sub-pages.") {
		t.Fatalf("a page under its own sub-page: %d", code)
	}

	// What a page may not hold is refused with a message naming it, and
	// nothing changes.
	version, before, revs := pageState(t, n, p.ID, rivers)
	for _, tc := range []struct{ html, want string }{
		{`<p>Hi</p><script>alert(1)</script>`, "A page may not hold a &lt;script&gt; element"},
		{`<img src="/twinspace/materials/file?f=1" onerror="alert(1)">`, "A page may not hold the event handler onerror"},
		{`<a href="javascript:alert(1)">x</a>`, "A page may not hold a javascript: address"},
		{`<iframe src="https://evil.example/embed/1"></iframe>`, "evil.example is not on this node&#39;s list of services a page may embed"},
	} {
		code, page, _ := savePage(bruno, p.ID, rivers, "", "Rivers", tc.html, version)
		if code != http.StatusBadRequest || !strings.Contains(page, tc.want) {
			t.Errorf("save %s: %d, want 400 with %q\n%s", tc.html, code, tc.want, page)
		}
		if !strings.Contains(page, "This page holds something pages may not have") || !strings.Contains(page, inTextarea(tc.html)) {
			t.Errorf("save %s: the field's error or the writer's text is missing", tc.html)
		}
	}
	if v, c, r := pageState(t, n, p.ID, rivers); v != version || c != before || r != revs {
		t.Fatalf("a refused save changed the page: version %d→%d, revisions %d→%d", version, v, revs, r)
	}

	// Two teachers edit one page: Anna opens it, Bruno saves, Anna's save
	// is refused with who saved when, her text kept, a link to compare.
	code, _ = anna.Get("/twinspace/pages/edit?id=" + url.QueryEscape(p.ID) + "&page=" + url.QueryEscape(rivers))
	if code != 200 || !strings.Contains(anna.Last, `name="base" value="`+strconv.FormatInt(version, 10)+`"`) {
		t.Fatalf("the editor's base: %d", code)
	}
	annaForm := anna.Last
	if code, _, _ := savePage(bruno, p.ID, rivers, "", "Rivers", before+"<p>Bruno adds the Aniene.</p>", version); code != http.StatusSeeOther {
		t.Fatalf("Bruno's save: %d\n%s", code, bruno.Last)
	}
	anna.Last = annaForm
	code, page, _ = anna.Post("/twinspace/pages/save", url.Values{"id": {p.ID}, "page": {rivers}, "title": {"Rivers"}, "content": {"<p>Anna rewrites it.</p>"}, "base": {strconv.FormatInt(version, 10)}})
	if code != http.StatusConflict {
		t.Fatalf("a save on a replaced version: %d\n%s", code, page)
	}
	mustContain(t, "the conflict", page, "Bruno Rossi saved this page on", "after you opened it", "&lt;p&gt;Anna rewrites it.&lt;/p&gt;</textarea>",
		"/twinspace/pages/compare?", "Save my version", `name="base" value="`+strconv.FormatInt(version+1, 10)+`"`)
	if _, c, _ := pageState(t, n, p.ID, rivers); !strings.Contains(c, "Aniene") {
		t.Fatalf("the refused save changed the page: %s", c)
	}
	compare := regexp.MustCompile(`href="(/twinspace/pages/compare\?[^"]+)"`).FindStringSubmatch(page)
	_, diff := anna.Get(strings.ReplaceAll(compare[1], "&amp;", "&"))
	mustContain(t, "what Bruno changed", diff, `<li class="added">`, "Bruno adds the Aniene.")
	// She saves her version deliberately: Bruno's stays in the history.
	code, _, _ = anna.Post("/twinspace/pages/save", url.Values{"id": {p.ID}, "page": {rivers}, "title": {"Rivers"}, "content": {"<p>Anna rewrites it.</p>"}, "base": {strconv.FormatInt(version+1, 10)}})
	if code != http.StatusSeeOther {
		t.Fatalf("save my version: %d\n%s", code, anna.Last)
	}

	// The history: every save with its author, what each changed, and an
	// older one restored as a new save.
	_, page = anna.Get("/twinspace/pages/history?id=" + url.QueryEscape(p.ID) + "&page=" + url.QueryEscape(rivers))
	mustContain(t, "the history", page, "Anna Rossi", "Bruno Rossi", "shown now", "What changed", "Restore this version")
	var hist struct{ Revisions []pages.Revision }
	if code := anna.API("GET", "/api/v1/twinspace/pages/history?id="+url.QueryEscape(p.ID)+"&page="+url.QueryEscape(rivers), nil, "", &hist); code != 200 || len(hist.Revisions) != 3 {
		t.Fatalf("history: %d %d", code, len(hist.Revisions))
	}
	first := hist.Revisions[2]
	if !hist.Revisions[0].Current || first.Saved != 1 || first.Prev != "" || hist.Revisions[0].Prev != hist.Revisions[1].ID {
		t.Fatalf("history: %+v", hist.Revisions)
	}
	var cmp struct{ Blocks []pagehtml.Block }
	if code := anna.API("GET", "/api/v1/twinspace/pages/compare?id="+url.QueryEscape(p.ID)+"&page="+url.QueryEscape(rivers)+"&from="+url.QueryEscape(hist.Revisions[2].ID)+"&to="+url.QueryEscape(hist.Revisions[1].ID), nil, "", &cmp); code != 200 ||
		len(cmp.Blocks) == 0 || cmp.Blocks[len(cmp.Blocks)-1].Op != pagehtml.Added || cmp.Blocks[len(cmp.Blocks)-1].Text != "Bruno adds the Aniene." {
		t.Fatalf("compare through the API: %d %+v", code, cmp.Blocks)
	}
	cur, _, _ := pageState(t, n, p.ID, rivers)
	code, _, to = anna.Form("/twinspace/pages/history?id="+url.QueryEscape(p.ID)+"&page="+url.QueryEscape(rivers), "/twinspace/pages/restore",
		url.Values{"id": {p.ID}, "page": {rivers}, "revision": {first.ID}, "base": {strconv.FormatInt(cur, 10)}})
	if code != http.StatusSeeOther || !strings.Contains(to, "done=page_restored") {
		t.Fatalf("restore: %d %q", code, to)
	}
	if _, c, r := pageState(t, n, p.ID, rivers); c != before || r != 4 {
		t.Fatalf("after the restore: %d revisions, %s", r, c)
	}

	// A publication or a move since the writer opened the page is not a
	// conflict: only someone else's save of the text is.
	opened, _, _ := pageState(t, n, p.ID, rivers)
	if code, _, _ := anna.Form(tab+"&page="+url.QueryEscape(rivers), "/twinspace/pages/publish", url.Values{"id": {p.ID}, "page": {rivers}}); code != http.StatusSeeOther {
		t.Fatalf("back to draft: %d", code)
	}
	if code, _, _ := savePage(bruno, p.ID, rivers, "", "Rivers", before+"<p>After the publication.</p>", opened); code != http.StatusSeeOther {
		t.Fatalf("a save after a publication since: %d\n%s", code, bruno.Last)
	}

	// A page with sub-pages is not deleted; a leaf is, by its author or
	// an administrator.
	if code, page, _ := anna.Form(tab, "/twinspace/pages/delete", url.Values{"id": {p.ID}, "page": {tiber}}); code != http.StatusConflict || !strings.Contains(page, "This page has sub-pages") {
		t.Fatalf("delete a page with sub-pages: %d", code)
	}
	if code, _, _ := anna.Form(tab, "/twinspace/pages/delete", url.Values{"id": {p.ID}, "page": {lakes}}); code != http.StatusSeeOther {
		t.Fatalf("delete Bruno's page as an administrator: %d\n%s", code, anna.Last)
	}
	if got := strings.Join(tree(anna), " "); got != "Rivers >The Tiber" {
		t.Fatalf("after deleting Lakes: %s", got)
	}

	// The API refuses the same HTML.
	var e struct {
		Error struct{ Code, Message string }
	}
	if code := anna.API("POST", "/api/v1/twinspace/pages", map[string]any{"id": p.ID, "title": "X", "content": `<svg onload="alert(1)"></svg>`}, csrfOf(t, anna), &e); code != 400 || !strings.Contains(e.Error.Message, "<svg>") {
		t.Fatalf("API save of an svg: %d %+v", code, e)
	}
}

// inTextarea is how a page shows text in a textarea.
func inTextarea(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

// csrfOf returns the session's CSRF token of a logged-in browser: the
// one its pages' forms carry.
func csrfOf(t *testing.T, b *browser) string {
	t.Helper()
	if code, _ := b.Get("/"); code != 200 {
		t.Fatalf("home: %d", code)
	}
	return b.CSRF()
}

// TestPages_ConcurrentSaves: on a partner node, Anna saves a page while
// Jean, on the project's home node, saved the same version: both saves
// arrive everywhere as revisions, the page shows the one the ordering
// rule keeps and says it was edited concurrently, and Anna's text is in
// the history. (The home node's Announces are handed to the node as its
// inbox would.)
func TestPages_ConcurrentSaves(t *testing.T) {
	out := &recordingOutbox{}
	n := MustOpenNode(t, nodeOpts{outbox: out})
	anna, annaURL := seedTeacher(t, n, "anna", "Anna")
	p := frProject("pages", "Rivers of Europe", annaURL, twinfed.ProjectApproved, twinfed.PartnerApproved)
	p.TwinSpace = twinfed.TwinSpaceURL(p.ID)
	deliverProject(t, n, p)
	jean := twinfed.ActorURL(frBase, "jean")
	now := time.Now().UTC().Add(-time.Minute)
	page := &twinfed.SpaceObject{ID: frBase + "/twinspace/o/page1", Project: p.ID, Kind: twinfed.SpaceKindPage, Author: jean, Name: "Jean Dupont",
		Title: "Rivers", Content: "<p>The Seine.</p>", Order: 1, Fields: map[string]string{"saved": "1"}, Version: 1, Created: now, Updated: now}
	rev := func(id string, by, name, content string, version, base int64, at time.Time) *twinfed.SpaceObject {
		return &twinfed.SpaceObject{ID: frBase + "/twinspace/o/" + id, Project: p.ID, Kind: twinfed.SpaceKindRevision, Parent: page.ID, Author: by, Name: name,
			Editor: by, EditName: name, Title: "Rivers", Content: content, Fields: map[string]string{"version": strconv.FormatInt(version, 10)},
			Version: 1, Base: base, Created: at, Updated: at}
	}
	announce := func(o *twinfed.SpaceObject) {
		t.Helper()
		a := &twinfed.Activity{ID: twinfed.ActivityURL(frBase, "announce-"+o.ID[strings.LastIndexByte(o.ID, '/')+1:]+"-"+strconv.FormatInt(o.Version, 10)),
			Type: twinfed.ActivityAnnounce, Actor: p.ID, To: []string{annaURL}, Object: o.ID, Space: o, Published: time.Now().UTC()}
		if err := n.Service().HandleActivity(context.Background(), a); err != nil {
			t.Fatalf("announce %s: %v", o.ID, err)
		}
	}
	announce(page)
	announce(rev("rev1", jean, "Jean Dupont", page.Content, 1, 0, now))

	// Anna saves version 2 on her node...
	ctx := context.Background()
	if _, err := n.TwinSpaces().Pages.Save(ctx, anna, p.ID, pages.Edit{Page: page.ID, Title: "Rivers", Content: "<p>The Seine and the Tiber.</p>", Base: 1}); err != nil {
		t.Fatal(err)
	}
	if out.count(twinfed.ActivityUpdate, page.ID) != 1 {
		t.Fatalf("Anna's save was not sent to the project's Group: %+v", out.out)
	}
	// ...while Jean saved his version 2 on the home node, a moment later:
	// the home node keeps his and announces it, with his revision.
	later := time.Now().UTC().Add(time.Second)
	jeans := *page
	jeans.Content, jeans.Version, jeans.Base, jeans.Editor, jeans.EditName, jeans.Updated = "<p>The Seine and the Loire.</p>", 2, 1, jean, "Jean Dupont", later
	jeans.Fields = map[string]string{"saved": "2"}
	announce(&jeans)
	announce(rev("rev2", jean, "Jean Dupont", jeans.Content, 2, 1, later))

	v, err := n.TwinSpaces().Core.OpenView(ctx, anna, p.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := n.TwinSpaces().Pages.Page(v, page.ID)
	if err != nil {
		t.Fatal(err)
	}
	if pg.Content != jeans.Content || len(pg.Concurrent) != 2 {
		t.Fatalf("the page after two saves at once: %q, %d concurrent", pg.Content, len(pg.Concurrent))
	}
	revs, err := n.TwinSpaces().Pages.History(v, page.ID)
	if err != nil {
		t.Fatal(err)
	}
	var annas *pages.Revision
	for _, r := range revs {
		if r.Author == annaURL {
			annas = r
		}
	}
	if len(revs) != 3 || annas == nil || !annas.Concurrent || annas.Current || annas.Content != "<p>The Seine and the Tiber.</p>" || !revs[0].Current {
		t.Fatalf("the history keeps both saves: %+v", revs)
	}
	b := login(t, n, "anna", "correct horse 1")
	_, body := b.Get("/twinspace/pages?id=" + url.QueryEscape(p.ID) + "&page=" + url.QueryEscape(page.ID))
	mustContain(t, "the concurrent notice", body, "This page was saved at the same time by", "Anna Rossi", "Jean Dupont", "Compare the two versions", "The Seine and the Loire.")
	// A replay of Jean's save changes nothing.
	announce(&jeans)
	if again, _ := n.TwinSpaces().Pages.History(v, page.ID); len(again) != 3 {
		t.Fatalf("a replay added a revision: %d", len(again))
	}
}
