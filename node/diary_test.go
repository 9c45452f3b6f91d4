package node_test

import (
	"encoding/xml"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
)

// TestDiary_WebAndAtom: a teacher writes a diary post through the web
// (script stripped, an image outside Materials dropped), a pupil may not,
// and anyone without an account reads the post on the Diary tab, on the
// canonical page and in a valid Atom feed; an edit and a removal show
// there too.
func TestDiary_WebAndAtom(t *testing.T) {
	n := MustOpenNode(t, nodeOpts{localOnly: true})
	anna, annaURL := seedTeacher(t, n, "anna", "Anna")
	_, brunoURL := seedTeacher(t, n, "bruno", "Bruno")
	seedStaff(t, n, "officer", twinfed.RoleAgencyOfficer)
	p := nationalProject(t, n, anna, annaURL, brunoURL)
	tab := "/twinspace/diary?id=" + url.QueryEscape(p.ID)

	b := login(t, n, "anna", "correct horse 1")
	code, page := b.Get(tab)
	mustContain(t, "diary tab", page, `action="/twinspace/diary/save"`, "Nothing in the diary yet.")
	if code != 200 {
		t.Fatalf("diary tab: %d", code)
	}
	code, page, _ = b.Form(tab, "/twinspace/diary/save", url.Values{"id": {p.ID}, "title": {" "}, "content": {"Hello"}})
	if code != 400 || !strings.Contains(page, "Give the post a title of at most 200 characters.") {
		t.Fatalf("post without a title: %d\n%s", code, page)
	}
	content := `<p>Our <b>river</b> walk<script>alert(1)</script></p><img src="https://evil.example/x.png" onerror="alert(1)"><img src="/twinspace/materials/file?id=` + url.QueryEscape(p.ID) + `&amp;m=m1" alt="the river"><img src="/twinspace/materials/file?id=` + url.QueryEscape(p.ID+"x") + `&amp;m=m2" alt="another project's">`
	code, _, loc := b.Form(tab, "/twinspace/diary/save", url.Values{"id": {p.ID}, "title": {"The river walk"}, "content": {content}})
	if code != 303 || !strings.Contains(loc, "done=diary_published") {
		t.Fatalf("post: %d %s", code, loc)
	}

	anon := newBrowser(t, n.URL())
	for _, path := range []string{tab, "/projects/" + p.ID[strings.LastIndexByte(p.ID, '/')+1:] + "/diary"} {
		code, page = anon.Get(path)
		if code != 200 {
			t.Fatalf("anonymous %s: %d\n%s", path, code, page)
		}
		mustContain(t, "anonymous diary", page, "The river walk", "<b>river</b>", `alt="the river"`, "@diary-")
		for _, bad := range []string{"<script>", "evil.example", "onerror", `action="/twinspace/diary/save"`, "another project"} {
			if strings.Contains(page, bad) {
				t.Fatalf("anonymous %s shows %q", path, bad)
			}
		}
	}

	var feed struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		ID      string   `xml:"id"`
		Title   string   `xml:"title"`
		Updated string   `xml:"updated"`
		Links   []struct {
			Rel  string `xml:"rel,attr"`
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Entries []struct {
			ID        string `xml:"id"`
			Title     string `xml:"title"`
			Updated   string `xml:"updated"`
			Published string `xml:"published"`
			Author    struct {
				Name string `xml:"name"`
			} `xml:"author"`
			Link struct {
				Href string `xml:"href,attr"`
			} `xml:"link"`
			Content struct {
				Type string `xml:"type,attr"`
				Body string `xml:",chardata"`
			} `xml:"content"`
		} `xml:"entry"`
	}
	readFeed := func() {
		t.Helper()
		code, body, h := anon.GetLang("/twinspace/diary/atom?id="+url.QueryEscape(p.ID), "en")
		if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/atom+xml") {
			t.Fatalf("atom: %d %s\n%s", code, h.Get("Content-Type"), body)
		}
		feed.Entries = nil
		if err := xml.Unmarshal([]byte(body), &feed); err != nil {
			t.Fatalf("atom does not parse: %v\n%s", err, body)
		}
	}
	readFeed()
	if feed.ID != p.ID+"/diary" || feed.Title != p.Title || len(feed.Links) != 2 || len(feed.Entries) != 1 {
		t.Fatalf("feed: %+v", feed)
	}
	e := feed.Entries[0]
	if e.Title != "The river walk" || e.Author.Name == "" || e.Content.Type != "html" || !strings.Contains(e.Content.Body, "<b>river</b>") ||
		!strings.Contains(e.Content.Body, `src="`+n.URL()+"/twinspace/materials/file") || !strings.HasPrefix(e.ID, p.ID+"/diary/posts/") || e.Link.Href != e.ID {
		t.Fatalf("entry: %+v", e)
	}
	for _, ts := range []string{feed.Updated, e.Updated, e.Published} {
		if at, err := time.Parse(time.RFC3339, ts); err != nil || time.Since(at) > time.Hour {
			t.Fatalf("feed time %q: %v", ts, err)
		}
	}

	// A teacher changes the post; the change shows.
	posts, err := n.TwinSpaces().Diary.PublicPosts(p.ID)
	if err != nil || len(posts) != 1 {
		t.Fatalf("posts: %v %d", err, len(posts))
	}
	code, page = b.Get(tab + "&edit=" + url.QueryEscape(posts[0].ID))
	mustContain(t, "edit form", page, `name="object" value="`+posts[0].ID+`"`, "The river walk")
	code, _, _ = b.Form(tab, "/twinspace/diary/save", url.Values{"id": {p.ID}, "object": {posts[0].ID}, "title": {"The river walk, day two"}, "content": {"<p>Day two.</p>"}})
	if code != 303 {
		t.Fatalf("edit: %d", code)
	}
	readFeed()
	if len(feed.Entries) != 1 || feed.Entries[0].Title != "The river walk, day two" || feed.Entries[0].ID != e.ID {
		t.Fatalf("after the edit: %+v", feed.Entries)
	}

	// The agency is the public here: it reads, but cannot write.
	officer := login(t, n, "officer", "staff password 1")
	code, page, _ = officer.Form("/backoffice", "/twinspace/diary/save", url.Values{"id": {p.ID}, "title": {"Agency"}, "content": {"x"}})
	if code != 403 {
		t.Fatalf("the agency writes in the diary: %d\n%s", code, page)
	}

	code, _, _ = b.Form(tab, "/twinspace/diary/delete", url.Values{"id": {p.ID}, "object": {posts[0].ID}})
	if code != 303 {
		t.Fatalf("delete: %d", code)
	}
	readFeed()
	if len(feed.Entries) != 0 {
		t.Fatalf("after the removal: %+v", feed.Entries)
	}
	if code, page = anon.Get(tab); !strings.Contains(page, "Nothing in the diary yet.") {
		t.Fatalf("after the removal: %d\n%s", code, page)
	}
}

// TestDiary_AgencyPageWithoutFederation: the agency's fediverse page on a
// node that runs alone says so; members may not open it.
func TestDiary_AgencyPageWithoutFederation(t *testing.T) {
	n := MustOpenNode(t, nodeOpts{localOnly: true})
	seedTeacher(t, n, "anna", "Anna")
	seedStaff(t, n, "officer", twinfed.RoleAgencyOfficer)
	officer := login(t, n, "officer", "staff password 1")
	code, page := officer.Get("/agency/fediverse")
	if code != 200 || !strings.Contains(page, "This node is not connected to the federation") {
		t.Fatalf("agency page: %d\n%s", code, page)
	}
	if code, _ = login(t, n, "anna", "correct horse 1").Get("/agency/fediverse"); code != 403 {
		t.Fatalf("a member opens the agency's fediverse page: %d", code)
	}
}

// TestDiary_API: the JSON API writes, changes, lists and removes posts
// for a teacher; the public reads them; anonymous writes, the agency's and
// a pupil's are refused, and a bad post changes nothing.
func TestDiary_API(t *testing.T) {
	n := MustOpenNode(t, nodeOpts{localOnly: true})
	anna, annaURL := seedTeacher(t, n, "anna", "Anna")
	_, brunoURL := seedTeacher(t, n, "bruno", "Bruno")
	seedStaff(t, n, "officer", twinfed.RoleAgencyOfficer)
	p := nationalProject(t, n, anna, annaURL, brunoURL)
	a, csrf := apiSession(t, n.URL(), "anna", "correct horse 1")

	var post twinfed.SpaceObject
	if code := a.API("POST", "/api/v1/twinspace/diary", map[string]any{"id": p.ID, "title": "Hello", "content": `<p>Hi<script>x</script></p>`}, csrf, &post); code != 201 || post.Content != "<p>Hi</p>" || !post.Public {
		t.Fatalf("create: %d %+v", code, post)
	}
	var e struct {
		Error struct {
			Code   string            `json:"code"`
			Fields map[string]string `json:"fields"`
		} `json:"error"`
	}
	if code := a.API("POST", "/api/v1/twinspace/diary", map[string]any{"id": p.ID, "object": post.ID, "title": "", "content": "x"}, csrf, &e); code != 400 || e.Error.Fields["title"] == "" {
		t.Fatalf("a change without a title: %d %+v", code, e)
	}
	if code := a.API("POST", "/api/v1/twinspace/diary", map[string]any{"id": p.ID, "object": post.ID, "title": "Hello again", "content": "<p>Hi!</p>"}, csrf, &post); code != 200 || post.Title != "Hello again" || post.Version != 2 {
		t.Fatalf("change: %d %+v", code, post)
	}
	var list struct {
		Posts []struct {
			ID      string `json:"id"`
			Title   string `json:"title"`
			URL     string `json:"url"`
			CanEdit bool   `json:"can_edit"`
		} `json:"posts"`
		CanPost bool   `json:"can_post"`
		Handle  string `json:"handle"`
	}
	anon := newBrowser(t, n.URL())
	if code := anon.API("GET", "/api/v1/twinspace/diary?id="+url.QueryEscape(p.ID), nil, "", &list); code != 200 || len(list.Posts) != 1 || list.Posts[0].Title != "Hello again" || list.Posts[0].CanEdit || list.CanPost ||
		list.Posts[0].URL != twinfed.DiaryPostURL(p.ID, post.ID) || !strings.HasPrefix(list.Handle, "diary-") {
		t.Fatalf("the public's list: %d %+v", code, list)
	}
	if code := anon.API("POST", "/api/v1/twinspace/diary", map[string]any{"id": p.ID, "title": "x", "content": "x"}, "", &e); code != 401 {
		t.Fatalf("anonymous write: %d", code)
	}
	o, ocsrf := apiSession(t, n.URL(), "officer", "staff password 1")
	if code := o.API("POST", "/api/v1/twinspace/diary", map[string]any{"id": p.ID, "title": "x", "content": "x"}, ocsrf, &e); code != 403 {
		t.Fatalf("the agency writes: %d", code)
	}

	// A pupil of the TwinSpace may read, not write.
	pp := addSpaceMember(t, n, anna, p.ID, "pupil1", "Pupil One", twinfed.SpacePupil)
	if _, err := n.TwinSpaces().Diary.Save(t.Context(), pp, p.ID, "", "Mine", "<p>x</p>"); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Fatalf("a pupil writes in the diary: %v", err)
	}
	if err := n.TwinSpaces().Diary.Delete(t.Context(), pp, p.ID, post.ID); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Fatalf("a pupil removes a post: %v", err)
	}

	if code := a.API("POST", "/api/v1/twinspace/diary/delete", map[string]any{"id": p.ID, "object": post.ID}, csrf, nil); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if code := a.API("POST", "/api/v1/twinspace/diary/delete", map[string]any{"id": p.ID, "object": post.ID}, csrf, &e); code != 404 {
		t.Fatalf("delete again: %d", code)
	}
}
