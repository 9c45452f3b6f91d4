package node_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/event"
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
