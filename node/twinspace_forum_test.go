package node_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/twinspace"
	"github.com/twinfed/twinfed/node/twinspace/discuss"
)

// forumSpace is an approved project on one node with a TwinSpace whose
// members hold every role: anna (administrator), bruno (a teacher's role
// the test gives him), pupil1 (pupil), pupil2 (pupil administrator) and
// visitor1 (visitor); carla is a teacher of the node outside the project.
type forumSpace struct {
	n                      *node.Node
	p                      *twinfed.Project
	anna, bruno, carla     *twinfed.Principal
	pupil, pupilAdmin, vis *twinfed.Principal
	annaURL, brunoURL      string
}

func newForumSpace(t testing.TB, langs ...string) *forumSpace {
	t.Helper()
	n := MustOpenNode(t, nodeOpts{localOnly: true, langs: langs})
	f := &forumSpace{n: n}
	f.anna, f.annaURL = seedTeacher(t, n, "anna", "Anna")
	f.bruno, f.brunoURL = seedTeacher(t, n, "bruno", "Bruno")
	f.carla, _ = seedTeacher(t, n, "carla", "Carla")
	seedStaff(t, n, "officer", twinfed.RoleAgencyOfficer)
	f.p = nationalProject(t, n, f.anna, f.annaURL, f.brunoURL)
	f.pupil = addSpaceMember(t, n, f.anna, f.p.ID, "pupil1", "Pupil One", twinfed.SpacePupil)
	f.pupilAdmin = addSpaceMember(t, n, f.anna, f.p.ID, "pupil2", "Pupil Two", twinfed.SpacePupilAdmin)
	f.vis = addSpaceMember(t, n, f.anna, f.p.ID, "visitor1", "Visitor One", twinfed.SpaceVisitor)
	return f
}

// addSpaceMember makes a pupil (or visitor) of the node a member of a
// TwinSpace with role, as its administrator teacher does, and returns the
// principal they act as.
func addSpaceMember(t testing.TB, n *node.Node, teacher *twinfed.Principal, project, username, name string, role twinfed.SpaceRole) *twinfed.Principal {
	t.Helper()
	// A real account of the teacher's (the name the tests give is only a
	// label: the node makes the username).
	creds, err := n.Pupils().CreatePupils(context.Background(), teacher, []string{name})
	if err != nil {
		t.Fatalf("the account of %s: %v", username, err)
	}
	username = creds[0].Username
	actor := twinfed.PupilURL(n.URL(), username)
	_, err = n.TwinSpaces().Core.Edit(context.Background(), teacher, project, twinfed.SpaceKindMember, twinspace.MemberID(project, actor), func(v *twinspace.View, o *twinfed.SpaceObject) error {
		o.Title = name
		o.Fields = map[string]string{"actor": actor, "role": string(role)}
		if role == twinfed.SpaceVisitor {
			o.Fields["expires"] = time.Now().Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("adding %s: %v", username, err)
	}
	if role == twinfed.SpaceVisitor {
		return &twinfed.Principal{Username: username, Role: twinfed.RoleVisitor}
	}
	return &twinfed.Principal{Username: username, Role: twinfed.RolePupil}
}

func (f *forumSpace) view(t testing.TB, p *twinfed.Principal) *twinspace.View {
	t.Helper()
	v, err := f.n.TwinSpaces().Core.OpenView(context.Background(), p, f.p.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestDiscuss_Permissions runs every forum action as every role through
// the service: what each may do, and a refusal (EFORBIDDEN) otherwise.
func TestDiscuss_Permissions(t *testing.T) {
	f := newForumSpace(t)
	ctx, d := context.Background(), f.n.TwinSpaces().Forum
	disc, err := d.OpenDiscussion(ctx, f.anna, f.p.ID, discuss.Input{Title: "Our rivers", Text: "Where we talk about rivers."})
	if err != nil {
		t.Fatal(err)
	}
	thread, err := d.OpenThread(ctx, f.anna, f.p.ID, disc.ID, discuss.Input{Title: "Photos", Text: "Post your photos here."})
	if err != nil {
		t.Fatal(err)
	}
	annaReply, err := d.Reply(ctx, f.anna, f.p.ID, thread.ID, discuss.Input{Text: "Mine first."})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		name                                 string
		who                                  *twinfed.Principal
		role                                 twinfed.SpaceRole // bruno's role to set; "" for the others
		discussion, thread, reply, editOther bool
	}
	rows := []row{
		{"teacher administrator", f.bruno, twinfed.SpaceAdmin, true, true, true, true},
		{"teacher", f.bruno, twinfed.SpaceTeacher, true, true, true, false},
		{"observer", f.bruno, twinfed.SpaceObserver, false, false, true, false},
		{"pupil", f.pupil, "", false, false, true, false},
		{"pupil administrator", f.pupilAdmin, "", false, true, true, false},
		{"visitor", f.vis, "", false, false, false, false},
		{"not a member", f.carla, "", false, false, false, false},
	}
	check := func(r row, action string, want bool, err error) {
		t.Helper()
		switch {
		case want && err != nil:
			t.Errorf("%s may %s: %v", r.name, action, err)
		case !want && twinfed.ErrorCode(err) != twinfed.EFORBIDDEN:
			t.Errorf("%s may not %s: got %v", r.name, action, err)
		}
	}
	for _, r := range rows {
		if r.role != "" {
			if err := f.n.TwinSpaces().Core.SetRole(ctx, f.anna, f.p.ID, f.brunoURL, r.role); err != nil {
				t.Fatal(err)
			}
		}
		_, err := d.OpenDiscussion(ctx, r.who, f.p.ID, discuss.Input{Title: "By " + r.name})
		check(r, "open a discussion", r.discussion, err)
		_, err = d.OpenThread(ctx, r.who, f.p.ID, disc.ID, discuss.Input{Title: "By " + r.name, Text: "Hello"})
		check(r, "open a thread", r.thread, err)
		own, err := d.Reply(ctx, r.who, f.p.ID, thread.ID, discuss.Input{Text: "Reply by " + r.name})
		check(r, "reply", r.reply, err)
		if own != nil {
			_, err = d.Change(ctx, r.who, f.p.ID, own.ID, discuss.Input{Text: "Changed by " + r.name})
			check(r, "edit their own reply", true, err)
			_, err = d.Delete(ctx, r.who, f.p.ID, own.ID)
			check(r, "delete their own reply", true, err)
		}
		_, err = d.Change(ctx, r.who, f.p.ID, annaReply.ID, discuss.Input{Text: "Changed by " + r.name})
		check(r, "edit another's reply", r.editOther, err)
		_, err = d.Change(ctx, r.who, f.p.ID, disc.ID, discuss.Input{Title: "Our rivers", Text: "Edited by " + r.name})
		check(r, "edit another's discussion", r.editOther, err)
	}
	// A visitor and a non-member read: a visitor yes, carla no.
	if _, err := d.Overview(f.view(t, f.vis)); err != nil {
		t.Errorf("a visitor reads the forum: %v", err)
	}
	if _, err := d.Overview(f.view(t, f.carla)); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Errorf("a teacher outside the project reads the forum: %v", err)
	}
	// An administrator deletes another's thread: nothing beneath it shows.
	if _, err := d.Delete(ctx, f.anna, f.p.ID, thread.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Thread(f.view(t, f.anna), thread.ID, 1); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		t.Errorf("a deleted thread's page: %v", err)
	}
	if _, err := d.Reply(ctx, f.pupil, f.p.ID, thread.ID, discuss.Input{Text: "Too late"}); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		t.Errorf("a reply in a deleted thread: %v", err)
	}
	ov, err := d.Overview(f.view(t, f.anna))
	if err != nil || len(ov) != 3 || ov[0].Threads != 3 || ov[0].Replies != 0 {
		t.Fatalf("overview after deleting a thread: %v %+v", err, ov)
	}
	if _, err := d.Delete(ctx, f.anna, f.p.ID, disc.ID); err != nil {
		t.Fatal(err)
	}
	if ov, _ = d.Overview(f.view(t, f.anna)); len(ov) != 2 {
		t.Fatalf("overview after deleting a discussion: %+v", ov)
	}
	if _, err := d.Discussion(f.view(t, f.anna), disc.ID); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		t.Errorf("a deleted discussion's page: %v", err)
	}

	// A closed project's forum is an archive: every write refused.
	open := ov[0]
	if _, err := f.n.Projects().CloseProject(ctx, f.anna, f.p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.OpenDiscussion(ctx, f.anna, f.p.ID, discuss.Input{Title: "Late"}); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Errorf("a discussion in a closed project: %v", err)
	}
	if _, err := d.Change(ctx, f.anna, f.p.ID, open.ID, discuss.Input{Title: "Late"}); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Errorf("an edit in a closed project: %v", err)
	}
	if _, err := d.Delete(ctx, f.anna, f.p.ID, open.ID); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Errorf("a deletion in a closed project: %v", err)
	}
	if ov, err := d.Overview(f.view(t, f.pupil)); err != nil || len(ov) != 2 {
		t.Errorf("a closed project's forum is still read: %v %d", err, len(ov))
	}
}

// TestDiscuss_UnreadQuoteAttachment checks the unread markers (counts on
// the overview and the discussion, new replies marked on the thread's
// page, reading marks read, each reader their own), a quote resolved when
// read, and a material attached.
func TestDiscuss_UnreadQuoteAttachment(t *testing.T) {
	f := newForumSpace(t)
	ctx, d := context.Background(), f.n.TwinSpaces().Forum
	disc, _ := d.OpenDiscussion(ctx, f.anna, f.p.ID, discuss.Input{Title: "Music", Text: "Songs of our countries"})
	thread, err := d.OpenThread(ctx, f.pupilAdmin, f.p.ID, disc.ID, discuss.Input{Title: "Favourite songs", Text: "Tell us yours."})
	if err != nil {
		t.Fatal(err)
	}
	var first *twinfed.SpaceObject
	for i, text := range []string{"Volare, of course.", "La vie en rose", "Despacito"} {
		r, err := d.Reply(ctx, f.pupil, f.p.ID, thread.ID, discuss.Input{Text: text})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = r
		}
	}
	unreadOf := func(who *twinfed.Principal) (int, int) {
		t.Helper()
		ov, err := d.Overview(f.view(t, who))
		if err != nil || len(ov) != 1 {
			t.Fatalf("overview: %v %+v", err, ov)
		}
		dp, err := d.Discussion(f.view(t, who), disc.ID)
		if err != nil || len(dp.Threads) != 1 {
			t.Fatalf("discussion: %v %+v", err, dp)
		}
		if ov[0].Replies != 3 && ov[0].Replies != 4 {
			t.Fatalf("replies counted: %+v", ov[0])
		}
		return ov[0].Unread, dp.Threads[0].Unread
	}
	if a, b := unreadOf(f.anna); a != 3 || b != 3 {
		t.Fatalf("anna's unread before reading: %d %d", a, b)
	}
	tp, err := d.Thread(f.view(t, f.anna), thread.ID, 1)
	if err != nil || len(tp.Replies) != 3 {
		t.Fatalf("thread: %v %+v", err, tp)
	}
	for _, r := range tp.Replies {
		if !r.New {
			t.Errorf("reply %q not new to anna on her first visit", r.Fields["text"])
		}
	}
	if a, b := unreadOf(f.anna); a != 0 || b != 0 {
		t.Fatalf("anna's unread after reading: %d %d", a, b)
	}
	if a, _ := unreadOf(f.bruno); a != 3 {
		t.Fatalf("bruno's unread, his own markers: %d", a)
	}

	// A material of the TwinSpace to attach (the Materials tab registers the
	// kind; the test does when it has not).
	func() {
		defer func() { _ = recover() }()
		f.n.TwinSpaces().Core.Register(twinfed.SpaceKindMaterial, twinspace.Kind{Create: twinfed.SpaceUpload})
	}()
	mat, err := f.n.TwinSpaces().Core.Edit(ctx, f.bruno, f.p.ID, twinfed.SpaceKindMaterial, "", func(v *twinspace.View, o *twinfed.SpaceObject) error {
		// A record as the Materials tab's check accepts it (its file's hash,
		// size, type, name, and the uploader's node).
		o.Title = "songbook.pdf"
		o.Fields = map[string]string{"hash": strings.Repeat("ab", 32), "size": "1234", "type": "application/pdf", "origin": f.n.URL(), "filename": "songbook.pdf"}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond) // a reply created after anna's marker
	quoting, err := d.Reply(ctx, f.bruno, f.p.ID, thread.ID, discuss.Input{Text: "I agree!", Quote: first.ID, Materials: []string{mat.ID, mat.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if quoting.Fields["materials"] != mat.ID || quoting.Fields["quote"] != first.ID {
		t.Fatalf("quote and attachment stored: %+v", quoting.Fields)
	}
	if a, b := unreadOf(f.anna); a != 1 || b != 1 {
		t.Fatalf("anna's unread after one more reply: %d %d", a, b)
	}
	tp, err = d.Thread(f.view(t, f.anna), thread.ID, 0)
	if err != nil || len(tp.Replies) != 4 {
		t.Fatalf("thread: %v %+v", err, tp)
	}
	for i, r := range tp.Replies {
		if r.New != (i == 3) {
			t.Errorf("reply %d new: %v", i, r.New)
		}
	}
	last := tp.Replies[3]
	if last.Quote == nil || last.Quote.Name != "Pupil One" || last.Quote.Snippet != "Volare, of course." {
		t.Fatalf("quote: %+v", last.Quote)
	}
	if len(last.Attachments) != 1 || last.Attachments[0].Title != "songbook.pdf" || !strings.Contains(last.Attachments[0].Href, "/twinspace/materials/file?") {
		t.Fatalf("attachments: %+v", last.Attachments)
	}
	// The quoted reply deleted: the quote says so.
	if _, err := d.Delete(ctx, f.pupil, f.p.ID, first.ID); err != nil {
		t.Fatal(err)
	}
	tp, _ = d.Thread(f.view(t, f.anna), thread.ID, 0)
	if len(tp.Replies) != 3 || tp.Replies[2].Quote == nil || !tp.Replies[2].Quote.Gone || tp.Thread.Replies != 3 {
		t.Fatalf("after deleting the quoted reply: %+v", tp)
	}
	// The thread's page through HTTP: the reply's HTML, the quote, the
	// attachment, and a new reply marked for a reader who has not seen it.
	b := login(t, f.n, "bruno", "correct horse 1")
	code, page := b.Get(discuss.ThreadLink(f.p.ID, thread.ID, 1))
	if code != 200 {
		t.Fatalf("thread page: %d\n%s", code, page)
	}
	mustContain(t, "thread page", page, "Favourite songs", "La vie en rose", `<blockquote class="quote">`, "songbook.pdf", `<span class="new">new</span>`, `<h2 id="reply-title">`)
	if code, page = b.Get(discuss.ForumLink(f.p.ID)); code != 200 || strings.Contains(page, `class="new"`) || !strings.Contains(page, ">Favourite songs</a>") {
		t.Fatalf("forum page after reading: %d\n%s", code, page)
	}
}

// TestDiscuss_BadInput refuses bad input with a field error and changes
// nothing.
func TestDiscuss_BadInput(t *testing.T) {
	f := newForumSpace(t)
	ctx, d := context.Background(), f.n.TwinSpaces().Forum
	disc, _ := d.OpenDiscussion(ctx, f.anna, f.p.ID, discuss.Input{Title: "Science"})
	thread, _ := d.OpenThread(ctx, f.anna, f.p.ID, disc.ID, discuss.Input{Title: "Water", Text: "Measure it."})
	other, _ := d.OpenThread(ctx, f.anna, f.p.ID, disc.ID, discuss.Input{Title: "Air", Text: "Breathe it."})
	elsewhere, _ := d.Reply(ctx, f.anna, f.p.ID, other.ID, discuss.Input{Text: "In the other thread"})
	long := strings.Repeat("é", discuss.MaxText+1)
	cases := []struct {
		name, field string
		err         func() error
	}{
		{"a discussion without a title", "title", func() error {
			_, err := d.OpenDiscussion(ctx, f.anna, f.p.ID, discuss.Input{Title: "  ", Text: "x"})
			return err
		}},
		{"a title too long", "title", func() error {
			_, err := d.OpenThread(ctx, f.anna, f.p.ID, disc.ID, discuss.Input{Title: strings.Repeat("a", discuss.MaxTitle+1), Text: "x"})
			return err
		}},
		{"a thread without a message", "text", func() error {
			_, err := d.OpenThread(ctx, f.anna, f.p.ID, disc.ID, discuss.Input{Title: "Soil"})
			return err
		}},
		{"a description too long", "text", func() error {
			_, err := d.OpenDiscussion(ctx, f.anna, f.p.ID, discuss.Input{Title: "Long", Text: long})
			return err
		}},
		{"an empty reply", "text", func() error {
			_, err := d.Reply(ctx, f.pupil, f.p.ID, thread.ID, discuss.Input{Text: "\n \n"})
			return err
		}},
		{"a reply too long", "text", func() error {
			_, err := d.Reply(ctx, f.pupil, f.p.ID, thread.ID, discuss.Input{Text: long})
			return err
		}},
		{"a quote from another thread", "quote", func() error {
			_, err := d.Reply(ctx, f.pupil, f.p.ID, thread.ID, discuss.Input{Text: "Hi", Quote: elsewhere.ID})
			return err
		}},
		{"an attachment that is no material", "materials", func() error {
			_, err := d.Reply(ctx, f.pupil, f.p.ID, thread.ID, discuss.Input{Text: "Hi", Materials: []string{thread.ID}})
			return err
		}},
		{"an edit emptying a reply", "text", func() error {
			_, err := d.Change(ctx, f.anna, f.p.ID, elsewhere.ID, discuss.Input{Text: ""})
			return err
		}},
	}
	before, _ := d.Discussion(f.view(t, f.anna), disc.ID)
	for _, c := range cases {
		err := c.err()
		if twinfed.ErrorCode(err) != twinfed.EINVALID || twinfed.ErrorFields(err)[c.field] == "" {
			t.Errorf("%s: %v (fields %v)", c.name, err, twinfed.ErrorFields(err))
		}
	}
	if _, err := d.OpenThread(ctx, f.anna, f.p.ID, "https://nowhere.example/x", discuss.Input{Title: "Lost", Text: "x"}); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		t.Errorf("a thread in no discussion: %v", err)
	}
	after, _ := d.Discussion(f.view(t, f.anna), disc.ID)
	ov, _ := d.Overview(f.view(t, f.anna))
	tp, _ := d.Thread(f.view(t, f.anna), other.ID, 1)
	if len(after.Threads) != len(before.Threads) || after.Discussion.Replies != before.Discussion.Replies || len(ov) != 1 || tp.Replies[0].Fields["text"] != "In the other thread" {
		t.Fatalf("bad input changed something: %+v → %+v", before, after)
	}

	// Through the page: the form again, the message next to its field.
	b := login(t, f.n, "anna", "correct horse 1")
	code, page, _ := b.Form(discuss.DiscussionLink(f.p.ID, disc.ID), "/twinspace/forum/thread/new", url.Values{"id": {f.p.ID}, "d": {disc.ID}, "title": {"Soil"}, "text": {" "}})
	if code != http.StatusBadRequest {
		t.Fatalf("empty thread through the page: %d\n%s", code, page)
	}
	mustContain(t, "form again", page, "Write a message of at most 10,000 characters.", `aria-invalid="true"`, `value="Soil"`)
}

// TestDiscuss_API runs the forum's JSON API: the matrix of the teachers'
// roles, the reads, and the refusals.
func TestDiscuss_API(t *testing.T) {
	f := newForumSpace(t)
	ctx := context.Background()
	anna, annaCSRF := apiSession(t, f.n.URL(), "anna", "correct horse 1")
	bruno, brunoCSRF := apiSession(t, f.n.URL(), "bruno", "correct horse 1")
	carla, carlaCSRF := apiSession(t, f.n.URL(), "carla", "correct horse 1")
	var disc, thread, reply twinfed.SpaceObject
	if code := anna.API("POST", "/api/v1/twinspace/forum/discussions", map[string]any{"id": f.p.ID, "title": "Art", "text": "Drawings\n\nand <b>paintings</b>"}, annaCSRF, &disc); code != http.StatusCreated || disc.Content != "<p>Drawings</p><p>and &lt;b&gt;paintings&lt;/b&gt;</p>" {
		t.Fatalf("discussion: %d %+v", code, disc)
	}
	var e struct {
		Error struct {
			Fields map[string]string `json:"fields"`
		} `json:"error"`
	}
	if code := anna.API("POST", "/api/v1/twinspace/forum/threads", map[string]any{"id": f.p.ID, "discussion": disc.ID, "title": "", "text": "x"}, annaCSRF, &e); code != http.StatusBadRequest || e.Error.Fields["title"] == "" {
		t.Fatalf("thread without a title: %d %+v", code, e)
	}
	if code := anna.API("POST", "/api/v1/twinspace/forum/threads", map[string]any{"id": f.p.ID, "discussion": disc.ID, "title": "Posters", "text": "Ideas?"}, annaCSRF, &thread); code != http.StatusCreated {
		t.Fatalf("thread: %d", code)
	}
	if err := f.n.TwinSpaces().Core.SetRole(ctx, f.anna, f.p.ID, f.brunoURL, twinfed.SpaceObserver); err != nil {
		t.Fatal(err)
	}
	if code := bruno.API("POST", "/api/v1/twinspace/forum/threads", map[string]any{"id": f.p.ID, "discussion": disc.ID, "title": "Mine", "text": "x"}, brunoCSRF, nil); code != http.StatusForbidden {
		t.Fatalf("an observer opens a thread: %d", code)
	}
	if code := bruno.API("POST", "/api/v1/twinspace/forum/replies", map[string]any{"id": f.p.ID, "thread": thread.ID, "text": "A poster a week"}, brunoCSRF, &reply); code != http.StatusCreated {
		t.Fatalf("an observer replies: %d", code)
	}
	if code := bruno.API("POST", "/api/v1/twinspace/forum/edit", map[string]any{"id": f.p.ID, "object": thread.ID, "title": "Taken", "text": "x"}, brunoCSRF, nil); code != http.StatusForbidden {
		t.Fatalf("an observer edits another's thread: %d", code)
	}
	if code := bruno.API("POST", "/api/v1/twinspace/forum/edit", map[string]any{"id": f.p.ID, "object": reply.ID, "text": "Two posters a week"}, brunoCSRF, &reply); code != http.StatusOK || reply.Version != 2 {
		t.Fatalf("an observer edits his reply: %d %+v", code, reply)
	}
	if err := f.n.TwinSpaces().Core.SetRole(ctx, f.anna, f.p.ID, f.brunoURL, twinfed.SpaceTeacher); err != nil {
		t.Fatal(err)
	}
	if code := bruno.API("POST", "/api/v1/twinspace/forum/delete", map[string]any{"id": f.p.ID, "object": thread.ID}, brunoCSRF, nil); code != http.StatusForbidden {
		t.Fatalf("a teacher deletes another's thread: %d", code)
	}
	if code := bruno.API("POST", "/api/v1/twinspace/forum/discussions", map[string]any{"id": f.p.ID, "title": "Bruno's"}, brunoCSRF, nil); code != http.StatusCreated {
		t.Fatalf("a teacher opens a discussion: %d", code)
	}
	for _, path := range []string{"/api/v1/twinspace/forum?id=", "/api/v1/twinspace/forum/discussion?d=" + url.QueryEscape(disc.ID) + "&id="} {
		if code := carla.API("GET", path+url.QueryEscape(f.p.ID), nil, "", nil); code != http.StatusForbidden {
			t.Fatalf("a non-member reads %s: %d", path, code)
		}
	}
	if code := carla.API("POST", "/api/v1/twinspace/forum/replies", map[string]any{"id": f.p.ID, "thread": thread.ID, "text": "Hi"}, carlaCSRF, nil); code != http.StatusForbidden {
		t.Fatalf("a non-member replies: %d", code)
	}
	var ov struct {
		Discussions []discuss.DiscussionInfo `json:"discussions"`
		CanOpen     bool                     `json:"can_open"`
	}
	if code := anna.API("GET", "/api/v1/twinspace/forum?id="+url.QueryEscape(f.p.ID), nil, "", &ov); code != 200 || len(ov.Discussions) != 2 || !ov.CanOpen || ov.Discussions[0].Unread != 1 || ov.Discussions[0].Threads != 1 ||
		len(ov.Discussions[0].Active) != 1 || ov.Discussions[0].Active[0].Title != "Posters" || ov.Discussions[0].Active[0].Unread != 1 {
		t.Fatalf("overview: %d %+v", code, ov)
	}
	var tp discuss.ThreadPage
	if code := anna.API("GET", "/api/v1/twinspace/forum/thread?id="+url.QueryEscape(f.p.ID)+"&t="+url.QueryEscape(thread.ID), nil, "", &tp); code != 200 || len(tp.Replies) != 1 || !tp.Replies[0].New || tp.Replies[0].HTML != "<p>Two posters a week</p>" {
		t.Fatalf("thread: %d %+v", code, tp)
	}
	if code := anna.API("GET", "/api/v1/twinspace/forum?id="+url.QueryEscape(f.p.ID), nil, "", &ov); code != 200 || ov.Discussions[0].Unread != 0 {
		t.Fatalf("overview after reading: %d %+v", code, ov)
	}
	if code := anna.API("POST", "/api/v1/twinspace/forum/delete", map[string]any{"id": f.p.ID, "object": thread.ID}, annaCSRF, nil); code != http.StatusOK {
		t.Fatalf("an administrator deletes a thread: %d", code)
	}
	if code := anna.API("GET", "/api/v1/twinspace/forum/thread?id="+url.QueryEscape(f.p.ID)+"&t="+url.QueryEscape(thread.ID), nil, "", nil); code != http.StatusNotFound {
		t.Fatalf("a deleted thread: %d", code)
	}
}

// TestDiscuss_Pages runs the forms of the pages: paging a long thread,
// an administrator editing and deleting a pupil's reply (a teacher may
// not), and a teacher outside the project refused every page.
func TestDiscuss_Pages(t *testing.T) {
	f := newForumSpace(t)
	ctx, d := context.Background(), f.n.TwinSpaces().Forum
	disc, _ := d.OpenDiscussion(ctx, f.anna, f.p.ID, discuss.Input{Title: "Maths"})
	thread, _ := d.OpenThread(ctx, f.anna, f.p.ID, disc.ID, discuss.Input{Title: "Puzzles", Text: "One a day."})
	var last *twinfed.SpaceObject
	for i := range discuss.PageSize + 5 {
		r, err := d.Reply(ctx, f.pupil, f.p.ID, thread.ID, discuss.Input{Text: "Puzzle number " + strconv.Itoa(i+1)})
		if err != nil {
			t.Fatal(err)
		}
		last = r
	}
	b := login(t, f.n, "bruno", "correct horse 1")
	code, page := b.Get(discuss.ThreadLink(f.p.ID, thread.ID, 1))
	if code != 200 || strings.Count(page, `<span class="new">new</span>`) != discuss.PageSize || strings.Contains(page, "Puzzle number 51<") {
		t.Fatalf("page 1: %d\n%s", code, page)
	}
	mustContain(t, "page 1", page, "Puzzle number 1<", "Puzzle number 50<", `aria-current="page">1<`, "page=2")
	// Page 1 read, page 2 is not: the thread's link (no page) opens it.
	var ov []discuss.DiscussionInfo
	if ov, _ = d.Overview(f.view(t, f.bruno)); ov[0].Unread != 5 {
		t.Fatalf("unread after page 1: %+v", ov[0])
	}
	code, page = b.Get("/twinspace/forum/thread?id=" + url.QueryEscape(f.p.ID) + "&t=" + url.QueryEscape(thread.ID))
	if code != 200 || strings.Count(page, "Puzzle number") != 5 || strings.Count(page, `<span class="new">new</span>`) != 5 || !strings.Contains(page, `aria-current="page">2<`) {
		t.Fatalf("the first unread page: %d\n%s", code, page)
	}
	if ov, _ = d.Overview(f.view(t, f.bruno)); ov[0].Unread != 0 {
		t.Fatalf("unread after page 2: %+v", ov[0])
	}
	if code, page = b.Get("/twinspace/forum/thread?id=" + url.QueryEscape(f.p.ID) + "&t=" + url.QueryEscape(thread.ID)); !strings.Contains(page, `aria-current="page">1<`) || strings.Contains(page, `class="new"`) {
		t.Fatalf("the thread read: page 1 again: %d\n%s", code, page)
	}

	// The pupil's reply: anna (administrator) edits and deletes it; bruno
	// (made a teacher) may not.
	if err := f.n.TwinSpaces().Core.SetRole(ctx, f.anna, f.p.ID, f.brunoURL, twinfed.SpaceTeacher); err != nil {
		t.Fatal(err)
	}
	if code, _ := b.Get("/twinspace/forum/edit?id=" + url.QueryEscape(f.p.ID) + "&o=" + url.QueryEscape(last.ID)); code != http.StatusForbidden {
		t.Fatalf("a teacher's edit form for a pupil's reply: %d", code)
	}
	if code, _, _ := b.Post("/twinspace/forum/delete", url.Values{"id": {f.p.ID}, "o": {last.ID}}); code != http.StatusForbidden {
		t.Fatalf("a teacher deletes a pupil's reply: %d", code)
	}
	a := login(t, f.n, "anna", "correct horse 1")
	editForm := "/twinspace/forum/edit?id=" + url.QueryEscape(f.p.ID) + "&o=" + url.QueryEscape(last.ID)
	code, page = a.Get(editForm)
	if code != 200 {
		t.Fatalf("edit form: %d\n%s", code, page)
	}
	mustContain(t, "edit form", page, "Puzzle number 55</textarea>", "Edit your reply")
	code, _, loc := a.Form(editForm, "/twinspace/forum/edit", url.Values{"id": {f.p.ID}, "o": {last.ID}, "text": {"Puzzle 55, corrected"}})
	if code != http.StatusSeeOther || !strings.Contains(loc, "page=2&") || !strings.Contains(loc, "&done=saved#r-") {
		t.Fatalf("edit: %d %s\n%s", code, loc, a.Last)
	}
	if code, page = a.Get(discuss.ThreadLink(f.p.ID, thread.ID, 2)); !strings.Contains(page, "Puzzle 55, corrected") || !strings.Contains(page, "(edited)") {
		t.Fatalf("after the edit: %d\n%s", code, page)
	}
	if code, _, loc = a.Post("/twinspace/forum/delete", url.Values{"id": {f.p.ID}, "o": {last.ID}}); code != http.StatusSeeOther {
		t.Fatalf("delete: %d %s", code, a.Last)
	}
	if code, page = a.Get(discuss.ThreadLink(f.p.ID, thread.ID, 2)); code != 200 || strings.Contains(page, "Puzzle 55") || strings.Count(page, "Puzzle number") != 4 {
		t.Fatalf("after the deletion: %d\n%s", code, page)
	}
	// carla, outside the project, is refused every page.
	c := login(t, f.n, "carla", "correct horse 1")
	for _, path := range []string{discuss.ForumLink(f.p.ID), discuss.DiscussionLink(f.p.ID, disc.ID), discuss.ThreadLink(f.p.ID, thread.ID, 1)} {
		if code, _ := c.Get(path); code != http.StatusForbidden {
			t.Errorf("a teacher outside the project opens %s: %d", path, code)
		}
	}
}
