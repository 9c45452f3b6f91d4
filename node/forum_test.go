package node_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/forum"
	"github.com/twinfed/twinfed/node/notice"
)

// The partner forum on one node: its rules through the service, and its
// pages. cmd/twinfed/forum_test.go runs it across real nodes (replicas,
// catch-up, forged posts).

func forumIdea(title string) *twinfed.ForumPost {
	return &twinfed.ForumPost{Thread: "age_12_15", Title: title, Subjects: []string{"music", "history"}, AgeBands: []string{"age_12_15"},
		Languages: []string{"it", "en"}, Seeking: []string{"fr", "ES"}, Months: 9, Idea: "Our pupils write songs about their town's history."}
}

func TestForum_Rules(t *testing.T) {
	n := MustOpenNode(t, nodeOpts{})
	f, ctx := n.Forum(), context.Background()
	anna, annaURL := seedTeacher(t, n, "anna", "Anna")
	bruno, brunoURL := seedTeacher(t, n, "bruno", "Bruno")
	seedStaff(t, n, "officer", twinfed.RoleAgencyOfficer)
	officer := &twinfed.Principal{Username: "officer", Role: twinfed.RoleAgencyOfficer, Status: twinfed.StatusValidated}
	pending := &twinfed.Principal{Username: "carla", Role: twinfed.RoleMember, Status: twinfed.StatusPending}

	t.Run("bad posts are refused and nothing is stored", func(t *testing.T) {
		long := forumIdea(strings.Repeat("a", twinfed.ForumTitleMax+1))
		long.Idea = strings.Repeat("b", twinfed.ForumIdeaMax+1)
		empty := &twinfed.ForumPost{Thread: "chat", Subjects: []string{"astrology"}, Languages: []string{"xx"}, Seeking: []string{"ZZ"}, Months: 40}
		for name, in := range map[string]*twinfed.ForumPost{"oversized": long, "empty": empty} {
			_, err := f.Post(ctx, anna, in)
			if twinfed.ErrorCode(err) != twinfed.EINVALID {
				t.Fatalf("%s: %v, want EINVALID", name, err)
			}
			fields := twinfed.ErrorFields(err)
			want := []string{"title", "idea"}
			if name == "empty" {
				want = []string{"title", "idea", "thread", "subjects", "age_bands", "languages", "seeking", "months"}
			}
			for _, k := range want {
				if fields[k] == "" {
					t.Errorf("%s: no message for %s in %v", name, k, fields)
				}
			}
		}
		if _, err := f.Post(ctx, pending, forumIdea("Songs")); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
			t.Fatalf("a member not yet validated posts: %v", err)
		}
		if _, err := f.Post(ctx, officer, forumIdea("Songs")); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
			t.Fatalf("the agency posts: %v", err)
		}
		page, err := f.Search(ctx, anna, forum.Query{})
		if err != nil || page.Total != 0 {
			t.Fatalf("after refusals the forum holds %+v %v", page, err)
		}
	})

	first, err := f.Post(ctx, anna, forumIdea("Songs of our towns"))
	if err != nil {
		t.Fatal(err)
	}
	if first.Author != annaURL || first.Country != "IT" || first.Seeking[0] != "ES" || first.Version != 1 {
		t.Fatalf("the post as stored: %+v", first)
	}
	erasmus := forumIdea("Water and climate")
	erasmus.Thread, erasmus.Subjects, erasmus.Languages, erasmus.Seeking = twinfed.ForumErasmus, []string{"science"}, []string{"de"}, []string{"DE"}
	second, err := f.Post(ctx, bruno, erasmus)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("search by thread and filters, newest first", func(t *testing.T) {
		for _, c := range []struct {
			q    forum.Query
			want []string
		}{
			{forum.Query{}, []string{second.ID, first.ID}},
			{forum.Query{Thread: "age_12_15"}, []string{first.ID}},
			{forum.Query{Thread: twinfed.ForumErasmus, Language: "de"}, []string{second.ID}},
			{forum.Query{Subject: "music", Band: "age_12_15", Country: "fr"}, []string{first.ID}},
			{forum.Query{Country: "DE"}, []string{second.ID}},
			{forum.Query{Text: "CLIMATE"}, []string{second.ID}},
			{forum.Query{Subject: "art"}, nil},
			{forum.Query{Limit: 1}, []string{second.ID}},
		} {
			page, err := f.Search(ctx, anna, c.q)
			if err != nil {
				t.Fatalf("%+v: %v", c.q, err)
			}
			var got []string
			for _, p := range page.Posts {
				got = append(got, p.ID)
			}
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Errorf("%+v: got %v, want %v", c.q, got, c.want)
			}
		}
		if _, err := f.Search(ctx, anna, forum.Query{Band: "age_99"}); twinfed.ErrorFields(err)["band"] == "" {
			t.Errorf("an unknown band: %v", err)
		}
		if _, err := f.Search(ctx, pending, forum.Query{}); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
			t.Errorf("a member not yet validated reads the forum: %v", err)
		}
	})

	t.Run("replies notify the author; contact quotes the post", func(t *testing.T) {
		if _, err := f.Reply(ctx, bruno, first.ID, "  "); twinfed.ErrorFields(err)["text"] == "" {
			t.Fatalf("an empty reply: %v", err)
		}
		if _, err := f.Reply(ctx, bruno, first.ID, strings.Repeat("x", twinfed.ForumReplyMax+1)); twinfed.ErrorFields(err)["text"] == "" {
			t.Fatalf("an oversized reply: %v", err)
		}
		r, err := f.Reply(ctx, bruno, first.ID, "Count my class in!")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Reply(ctx, anna, r.ID, "To a reply"); twinfed.ErrorCode(err) != twinfed.EINVALID {
			t.Fatalf("a reply to a reply: %v", err)
		}
		th, err := f.Read(ctx, anna, first.ID)
		if err != nil || len(th.Replies) != 1 || th.Replies[0].Author != brunoURL || !th.Mine {
			t.Fatalf("the thread: %+v %v", th, err)
		}
		notes, _ := n.Social().Notifications(ctx, anna, 10)
		if len(notes) != 1 || notes[0].Kind != notice.Kind("forum_reply") || notes[0].Actor != brunoURL {
			t.Fatalf("anna's notifications: %+v", notes)
		}
		page, _ := f.Search(ctx, anna, forum.Query{Thread: "age_12_15"})
		if page.Posts[0].Replies != 1 {
			t.Errorf("the list's count of replies: %d", page.Posts[0].Replies)
		}
		if _, err := f.Contact(ctx, bruno, first.ID, "Shall we?"); err != nil {
			t.Fatal(err)
		}
		net, _ := n.Social().Network(ctx, anna)
		if len(net.Incoming) != 1 || net.Incoming[0].Message != forum.Quote("Songs of our towns", "Shall we?") {
			t.Fatalf("anna's incoming requests: %+v", net.Incoming)
		}
	})

	t.Run("reports reach the agency; only it hides; hidden posts take no reply", func(t *testing.T) {
		if err := f.Report(ctx, bruno, first.ID, strings.Repeat("r", forum.ReportMax+1)); twinfed.ErrorFields(err)["reason"] == "" {
			t.Fatalf("an oversized report: %v", err)
		}
		if err := f.Report(ctx, bruno, first.ID, "Off topic"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Reports(ctx, anna); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
			t.Fatalf("a member reads the reports: %v", err)
		}
		list, err := f.Reports(ctx, officer)
		if err != nil || len(list) != 1 || list[0].Post.ID != first.ID || list[0].Reports[0].Reason != "Off topic" || list[0].Reports[0].Reporter != brunoURL {
			t.Fatalf("the agency's reports: %+v %v", list, err)
		}
		if _, err := f.SetHidden(ctx, bruno, first.ID, true); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
			t.Fatalf("a member hides a post: %v", err)
		}
		if _, err := f.SetHidden(ctx, officer, first.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Read(ctx, bruno, first.ID); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
			t.Fatalf("another member reads a hidden post: %v", err)
		}
		if th, err := f.Read(ctx, anna, first.ID); err != nil || !th.Post.Hidden || th.Post.Version != 2 {
			t.Fatalf("the author reads their hidden post: %+v %v", th, err)
		}
		if _, err := f.Read(ctx, officer, first.ID); err != nil {
			t.Fatalf("the agency reads the hidden post: %v", err)
		}
		if _, err := f.Reply(ctx, anna, first.ID, "Still there?"); twinfed.ErrorCode(err) != twinfed.EINVALID {
			t.Fatalf("a reply to a hidden post: %v", err)
		}
		if page, _ := f.Search(ctx, bruno, forum.Query{}); page.Total != 1 {
			t.Fatalf("bruno's search shows %d posts, want 1", page.Total)
		}
		if page, _ := f.Search(ctx, anna, forum.Query{}); page.Total != 2 {
			t.Fatalf("anna's search shows %d posts, want 2 (her hidden one)", page.Total)
		}
		if th, _ := f.Read(ctx, anna, first.ID); len(th.Replies) != 1 {
			t.Fatalf("the refused reply was stored: %+v", th.Replies)
		}
		if _, err := f.SetHidden(ctx, officer, first.ID, false); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Read(ctx, bruno, first.ID); err != nil {
			t.Fatalf("the post shown again: %v", err)
		}
	})

	t.Run("only the author changes a post, checked again", func(t *testing.T) {
		in := forumIdea("Songs of our towns, again")
		if _, err := f.Edit(ctx, bruno, first.ID, in); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
			t.Fatalf("bruno changes anna's post: %v", err)
		}
		bad := forumIdea("")
		if _, err := f.Edit(ctx, anna, first.ID, bad); twinfed.ErrorFields(err)["title"] == "" {
			t.Fatalf("an edit without a title: %v", err)
		}
		p, err := f.Edit(ctx, anna, first.ID, in)
		if err != nil || p.Title != "Songs of our towns, again" || p.Version != 4 || p.Published != first.Published {
			t.Fatalf("the changed post: %+v %v", p, err)
		}
		if page, _ := f.Search(ctx, bruno, forum.Query{Text: "again"}); page.Total != 1 {
			t.Fatalf("the search does not find the changed title: %+v", page)
		}
	})

	t.Run("only the author deletes, with the replies", func(t *testing.T) {
		if err := f.Delete(ctx, bruno, first.ID); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
			t.Fatalf("bruno deletes anna's post: %v", err)
		}
		if err := f.Delete(ctx, anna, first.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Read(ctx, anna, first.ID); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
			t.Fatalf("the deleted post: %v", err)
		}
		if page, _ := f.Search(ctx, anna, forum.Query{}); page.Total != 1 {
			t.Fatalf("after the deletion the forum lists %d posts", page.Total)
		}
	})

	t.Run("a deleted account takes its posts and replies along", func(t *testing.T) {
		r, err := f.Reply(ctx, anna, second.ID, "Me too")
		if err != nil {
			t.Fatal(err)
		}
		other, err := f.Post(ctx, anna, forumIdea("Another idea"))
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Accounts().DeleteAccount(ctx, anna, "correct horse 1"); err != nil {
			t.Fatal(err)
		}
		if th, err := f.Read(ctx, bruno, second.ID); err != nil || len(th.Replies) != 0 {
			t.Fatalf("bruno's post after anna left: %+v %v (reply %s)", th, err, r.ID)
		}
		if _, err := f.Read(ctx, bruno, other.ID); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
			t.Fatalf("anna's post after she left: %v", err)
		}
	})

	t.Run("the index is rebuilt from the store", func(t *testing.T) {
		if err := f.Open(); err != nil {
			t.Fatal(err)
		}
		if page, _ := f.Search(ctx, anna, forum.Query{}); page.Total != 1 || page.Posts[0].ID != second.ID {
			t.Fatalf("after a rebuild: %+v", page)
		}
	})
}

func TestForum_Pages(t *testing.T) {
	n := MustOpenNode(t, nodeOpts{})
	seedTeacher(t, n, "anna", "Anna")
	seedTeacher(t, n, "bruno", "Bruno")
	seedStaff(t, n, "officer", twinfed.RoleAgencyOfficer)
	anna := login(t, n, "anna", "correct horse 1")

	if code, page := anna.Get("/forum"); code != 200 || !strings.Contains(page, `href="/forum/new"`) || !strings.Contains(page, "Neighbourhood countries") {
		t.Fatalf("GET /forum: %d\n%s", code, page)
	}
	// An empty form: every field's message, nothing posted.
	code, page, _ := anna.Form("/forum/new", "/forum/new", url.Values{"title": {""}})
	if code != 400 {
		t.Fatalf("an empty post: %d\n%s", code, page)
	}
	for _, want := range []string{"Give your post a title of at most 120 characters.", "Describe your project idea in at most 4000 characters.",
		"Choose a thread from the list.", "Give the project&#39;s duration in months, from 1 to 36."} {
		if !strings.Contains(page, want) {
			t.Errorf("the refused form lacks %q", want)
		}
	}
	code, _, loc := anna.Form("/forum/new", "/forum/new", url.Values{"thread": {"neighbourhood"}, "title": {"Bridges across the sea"},
		"subjects": {"geography"}, "age_bands": {"age_16_19"}, "languages": {"en"}, "seeking": {"UA"}, "months": {"12"}, "idea": {"Pupils <b>map</b> bridges."}})
	if code != 303 || !strings.HasPrefix(loc, "/forum/post?id=") {
		t.Fatalf("post: %d %s", code, loc)
	}
	code, page = anna.Get(loc)
	if code != 200 || !strings.Contains(page, "Bridges across the sea") || !strings.Contains(page, "Pupils &lt;b&gt;map&lt;/b&gt; bridges.") {
		t.Fatalf("the post's page: %d\n%s", code, page)
	}
	if strings.Contains(page, `action="/forum/contact"`) {
		t.Errorf("the author is offered to contact themself")
	}
	id := strings.TrimPrefix(loc, "/forum/post?id=")
	id, _ = url.QueryUnescape(strings.Split(id, "&")[0])

	edit := "/forum/edit?id=" + url.QueryEscape(id)
	if code, page := anna.Get(edit); code != 200 || !strings.Contains(page, `value="Bridges across the sea"`) || !strings.Contains(page, `value="UA" checked`) {
		t.Fatalf("the edit form: %d\n%s", code, page)
	}
	code, _, loc = anna.Form(edit, "/forum/edit", url.Values{"id": {id}, "thread": {"neighbourhood"}, "title": {"Bridges across the sea and rivers"},
		"subjects": {"geography"}, "age_bands": {"age_16_19"}, "languages": {"en"}, "seeking": {"UA"}, "months": {"12"}, "idea": {"Pupils map bridges."}})
	if code != 303 || !strings.Contains(loc, "done=forum_changed") {
		t.Fatalf("edit: %d %s", code, loc)
	}

	bruno := login(t, n, "bruno", "correct horse 1")
	if code, _ := bruno.Get(edit); code != 403 {
		t.Fatalf("bruno opens anna's edit form: %d", code)
	}
	code, page = bruno.Get("/forum?thread=neighbourhood&country=UA")
	if code != 200 || !strings.Contains(page, "Bridges across the sea") {
		t.Fatalf("bruno's search: %d\n%s", code, page)
	}
	code, _, loc = bruno.Form("/forum/post?id="+url.QueryEscape(id), "/forum/reply", url.Values{"id": {id}, "text": {"Ukraine and Italy, yes!"}})
	if code != 303 {
		t.Fatalf("reply: %d", code)
	}
	if _, page = bruno.Get(loc); !strings.Contains(page, "Ukraine and Italy, yes!") {
		t.Fatalf("the reply is not on the page:\n%s", page)
	}
	code, _, _ = bruno.Form("/forum/post?id="+url.QueryEscape(id), "/forum/contact", url.Values{"id": {id}, "message": {"Let us talk."}})
	if code != 303 {
		t.Fatalf("contact: %d", code)
	}
	code, _, _ = bruno.Form("/forum/post?id="+url.QueryEscape(id), "/forum/report", url.Values{"id": {id}, "reason": {"Spam"}})
	if code != 303 {
		t.Fatalf("report: %d", code)
	}

	officer := login(t, n, "officer", "staff password 1")
	if code, page := officer.Get("/backoffice/forum"); code != 200 || !strings.Contains(page, "Bridges across the sea") || !strings.Contains(page, "Spam") {
		t.Fatalf("the agency's reports: %d\n%s", code, page)
	}
	code, _, _ = officer.Form("/forum/post?id="+url.QueryEscape(id), "/forum/hide", url.Values{"id": {id}, "hidden": {"1"}})
	if code != 303 {
		t.Fatalf("hide: %d", code)
	}
	if code, _ := bruno.Get("/forum/post?id=" + url.QueryEscape(id)); code != 404 {
		t.Fatalf("bruno reads the hidden post: %d", code)
	}
	if code, _ := anna.Get("/backoffice/forum"); code == 200 {
		t.Fatalf("a member reads the agency's reports")
	}
}
