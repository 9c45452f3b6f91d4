package node_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/event"
	"github.com/twinfed/twinfed/node/event/eventforum"
	"github.com/twinfed/twinfed/node/web"
)

// TestEvents_Forum: the organiser and the confirmed participants write in
// the event's forum, in their language; a member who has not booked (or
// only waits) neither reads nor writes; an empty message is refused on
// its field; once cancelled, the forum is read-only.
func TestEvents_Forum(t *testing.T) {
	clock := &eventClock{}
	n := eventNode(t, clock, 1, 1)
	ctx := context.Background()
	org, _ := seedTeacher(t, n, "anna", "Anna")
	brunoP, _ := seedTeacher(t, n, "bruno", "Bruno")
	carlaP, _ := seedTeacher(t, n, "carla", "Carla")
	seedTeacher(t, n, "dario", "Dario")
	anna := login(t, n, "anna", "correct horse 1")
	bruno := login(t, n, "bruno", "correct horse 1")
	carla := login(t, n, "carla", "correct horse 1")
	dario := login(t, n, "dario", "correct horse 1")
	date, _ := cetDay(clock.Now(), 2)
	e, err := n.Events().Create(ctx, org, event.Input{Title: "Coding club", Language: "it", Kind: twinfed.EventOnline, Audience: twinfed.AudienceAll, Date: date, Slot: "10:00", Minutes: 60})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := n.Events().Participate(ctx, brunoP, e.ID); st != twinfed.BookingConfirmed {
		t.Fatalf("bruno: %s", st)
	}
	if st, _ := n.Events().Participate(ctx, carlaP, e.ID); st != twinfed.BookingWaiting {
		t.Fatalf("carla: %s", st)
	}
	path := n.Events().Path(e.ID)
	forum := path + "/forum"

	// Not booked, or only waiting: no link, no forum.
	for _, b := range []interface {
		Get(string) (int, string)
		Post(string, url.Values) (int, string, string)
	}{dario, carla} {
		if _, page := b.Get(path); strings.Contains(page, forum) {
			t.Fatal("the forum's link is offered to a member without a confirmed place")
		}
		if code, page := b.Get(forum); code != http.StatusForbidden || !strings.Contains(page, "Only the organiser and the confirmed participants use the event&#39;s forum.") {
			t.Fatalf("forum for a member without a place: %d\n%s", code, page)
		}
		b.Get(path)
		if code, _, _ := b.Post(forum, url.Values{"text": {"Hello"}}); code != http.StatusForbidden {
			t.Fatalf("post without a place: %d", code)
		}
	}

	// Bruno, confirmed, finds it from the event's page, in Italian.
	_, page := bruno.Get(path)
	mustContain(t, "forum link", page, `href="`+forum+`"`)
	code, page, _ := bruno.GetLang(forum, "it")
	mustContain(t, "forum in Italian", page, "Forum dell&#39;evento", "Ancora nessun messaggio.")
	if code != 200 {
		t.Fatalf("forum: %d", code)
	}
	if code, page, _ := bruno.Post(forum, url.Values{"text": {"   "}}); code != http.StatusBadRequest || !strings.Contains(page, "Write a message of 1 to 5,000 characters.") {
		t.Fatalf("empty message: %d\n%s", code, page)
	}
	bruno.Get(forum)
	if code, _, to := bruno.Post(forum, url.Values{"text": {"Porto il portatile <b>e</b> i robot."}}); code != http.StatusSeeOther || !strings.HasSuffix(to, "done=event_posted") {
		t.Fatalf("post: %d → %s", code, to)
	}
	_, page = anna.Get(forum)
	mustContain(t, "the organiser reads it", page, "Porto il portatile &lt;b&gt;e&lt;/b&gt; i robot.")
	if !strings.Contains(page, ">Bruno ") || strings.Contains(page, ">bruno@") {
		t.Fatalf("the author is not named as the directory knows him:\n%s", page)
	}

	// Cancelled: read-only.
	if err := n.Events().Cancel(ctx, org, e.ID); err != nil {
		t.Fatal(err)
	}
	_, page = bruno.Get(forum)
	if !strings.Contains(page, "Porto il portatile") || strings.Contains(page, `name="text"`) {
		t.Fatalf("cancelled event's forum:\n%s", page)
	}
	if _, err := n.EventForum().Write(ctx, brunoP, e.ID, "Peccato"); twinfed.ErrorCode(err) != twinfed.EINVALID {
		t.Fatalf("writing after the cancellation: %v", err)
	}
}

// TestEvents_ForumEditDelete: a message is edited by its author only
// (someone else's edit and an empty text are refused and change nothing),
// shown "edited"; it is deleted by its author or the organiser, never by
// another participant; the same rules and errors hold in the JSON API,
// which lists the forum in pages.
func TestEvents_ForumEditDelete(t *testing.T) {
	clock := &eventClock{}
	n := eventNode(t, clock, 1, 5)
	ctx := context.Background()
	org, _ := seedTeacher(t, n, "anna", "Anna")
	brunoP, _ := seedTeacher(t, n, "bruno", "Bruno")
	carlaP, _ := seedTeacher(t, n, "carla", "Carla")
	anna := login(t, n, "anna", "correct horse 1")
	bruno := login(t, n, "bruno", "correct horse 1")
	carla := login(t, n, "carla", "correct horse 1")
	date, _ := cetDay(clock.Now(), 2)
	e, err := n.Events().Create(ctx, org, event.Input{Title: "Coding club", Language: "it", Kind: twinfed.EventOnline, Audience: twinfed.AudienceAll, Date: date, Slot: "10:00", Minutes: 60})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*twinfed.Principal{brunoP, carlaP} {
		if st, _ := n.Events().Participate(ctx, p, e.ID); st != twinfed.BookingConfirmed {
			t.Fatalf("%s: %s", p.Username, st)
		}
	}
	forum := n.Events().Path(e.ID) + "/forum"
	f := n.EventForum()
	post, err := f.Write(ctx, brunoP, e.ID, "Porto i robot.")
	if err != nil {
		t.Fatal(err)
	}
	unchanged := func(what, text string) {
		t.Helper()
		posts, _ := f.List(ctx, org, e.ID)
		if len(posts) != 1 || posts[0].Text != text {
			t.Fatalf("%s changed the forum: %+v", what, posts)
		}
	}

	// Someone else's edit, an empty one, an unknown message: refused.
	if _, err := f.Edit(ctx, org, e.ID, post.ID, "Ho cambiato"); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Fatalf("the organiser edits Bruno's message: %v", err)
	}
	if _, err := f.Edit(ctx, carlaP, e.ID, post.ID, "Ho cambiato"); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Fatalf("Carla edits Bruno's message: %v", err)
	}
	if _, err := f.Edit(ctx, brunoP, e.ID, post.ID, "  "); twinfed.ErrorFields(err)["text"] != "Write a message of 1 to 5,000 characters." {
		t.Fatalf("empty edit: %v", err)
	}
	if _, err := f.Edit(ctx, brunoP, e.ID, post.ID+"x", "Altro"); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		t.Fatalf("edit of no message: %v", err)
	}
	unchanged("refused edits", "Porto i robot.")
	// Through the pages: no edit link for another, the form refuses.
	_, page := anna.Get(forum)
	mustContain(t, "the organiser may delete", page, `action="`+forum+`/delete"`)
	if strings.Contains(page, "/forum/edit?post=") {
		t.Fatal("the organiser is offered to edit Bruno's message")
	}
	if code, _, _ := anna.Post(forum+"/edit", url.Values{"post": {post.ID}, "text": {"Ho cambiato"}}); code != http.StatusForbidden {
		t.Fatalf("the organiser's edit form: %d", code)
	}
	bruno.Get(forum)
	if code, page, _ := bruno.Post(forum+"/edit", url.Values{"post": {post.ID}, "text": {""}}); code != http.StatusBadRequest || !strings.Contains(page, "Write a message of 1 to 5,000 characters.") {
		t.Fatalf("empty edit form: %d\n%s", code, page)
	}
	unchanged("refused forms", "Porto i robot.")

	// Bruno edits his message: "edited", in Italian too.
	_, page = bruno.Get(forum)
	mustContain(t, "Bruno's edit link", page, "/forum/edit?post=")
	if _, page := bruno.Get(forum + "/edit?post=" + url.QueryEscape(post.ID)); !strings.Contains(page, "Porto i robot.</textarea>") {
		t.Fatalf("edit page:\n%s", page)
	}
	clock.Add(time.Minute)
	if code, _, to := bruno.Post(forum+"/edit", url.Values{"post": {post.ID}, "text": {"Porto i robot e i sensori."}}); code != http.StatusSeeOther || !strings.HasSuffix(to, "done=event_post_edited") {
		t.Fatalf("edit: %d → %s", code, to)
	}
	_, page, _ = anna.GetLang(forum, "it")
	mustContain(t, "edited", page, "Porto i robot e i sensori.", "(modificato)")

	// Carla cannot delete it; the organiser can.
	if err := f.Delete(ctx, carlaP, e.ID, post.ID); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Fatalf("Carla deletes Bruno's message: %v", err)
	}
	carla.Get(forum)
	if code, _, _ := carla.Post(forum+"/delete", url.Values{"post": {post.ID}}); code != http.StatusForbidden {
		t.Fatalf("Carla's delete form: %d", code)
	}
	unchanged("refused deletions", "Porto i robot e i sensori.")
	if code, _, to := anna.Post(forum+"/delete", url.Values{"post": {post.ID}}); code != http.StatusSeeOther || !strings.HasSuffix(to, "done=event_post_deleted") {
		t.Fatalf("the organiser deletes: %d → %s", code, to)
	}
	if _, page := bruno.Get(forum); strings.Contains(page, "Porto i robot") {
		t.Fatal("the deleted message is still shown")
	}
	if _, err := f.Edit(ctx, brunoP, e.ID, post.ID, "Di nuovo"); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		t.Fatalf("edit of a deleted message: %v", err)
	}

	// The JSON API: the same rules and errors, a forum in pages.
	api, csrf := apiSession(t, n.URL(), "bruno", "correct horse 1")
	carlaAPI, carlaCSRF := apiSession(t, n.URL(), "carla", "correct horse 1")
	base := "/api/v1/events/" + e.ID[strings.LastIndexByte(e.ID, '/')+1:] + "/forum"
	var apiErr web.APIError
	if code := api.API("POST", base, map[string]string{"text": ""}, csrf, &apiErr); code != http.StatusBadRequest || apiErr.Error.Fields["text"] == "" {
		t.Fatalf("API empty message: %d %+v", code, apiErr)
	}
	var ids []string
	for _, text := range []string{"uno", "due", "tre"} {
		var p eventforum.Post
		if code := api.API("POST", base, map[string]string{"text": text}, csrf, &p); code != http.StatusCreated || p.Text != text {
			t.Fatalf("API write: %d %+v", code, p)
		}
		ids = append(ids, p.ID)
	}
	var pg eventforum.Page
	if code := api.API("GET", base+"?limit=2", nil, "", &pg); code != 200 || len(pg.Posts) != 2 || pg.Next == "" || pg.Posts[0].Text != "uno" {
		t.Fatalf("API page 1: %d %+v", code, pg)
	}
	next := pg.Next
	pg = eventforum.Page{}
	if code := api.API("GET", base+"?limit=2&after="+url.QueryEscape(next), nil, "", &pg); code != 200 || len(pg.Posts) != 1 || pg.Next != "" || pg.Posts[0].Text != "tre" {
		t.Fatalf("API page 2: %d %+v", code, pg)
	}
	if code := carlaAPI.API("POST", base+"/edit", map[string]string{"post": ids[0], "text": "mio"}, carlaCSRF, &apiErr); code != http.StatusForbidden {
		t.Fatalf("API edit by another: %d", code)
	}
	if code := carlaAPI.API("POST", base+"/delete", map[string]string{"post": ids[0]}, carlaCSRF, &apiErr); code != http.StatusForbidden {
		t.Fatalf("API delete by another: %d", code)
	}
	var edited eventforum.Post
	if code := api.API("POST", base+"/edit", map[string]string{"post": ids[1], "text": "due!"}, csrf, &edited); code != 200 || edited.Text != "due!" || !edited.Edited() {
		t.Fatalf("API edit: %d %+v", code, edited)
	}
	if code := api.API("POST", base+"/delete", map[string]string{"post": ids[0]}, csrf, nil); code != 200 {
		t.Fatalf("API delete: %d", code)
	}
	pg = eventforum.Page{}
	if code := carlaAPI.API("GET", base, nil, "", &pg); code != 200 || len(pg.Posts) != 2 || pg.Posts[0].Text != "due!" {
		t.Fatalf("API list after the changes: %d %+v", code, pg)
	}
}
