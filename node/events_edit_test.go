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
)

// TestEvents_EditAndCancel: the organiser changes an event from its page
// (one meeting room, so a new time must find it free), those who booked
// are told of the new time, the iCalendar SEQUENCE grows; a member who is
// not the organiser changes nothing; bad changes are refused on their
// field with nothing saved; the cancelled event frees its room, refuses
// bookings, shows as cancelled and is STATUS:CANCELLED in iCalendar.
func TestEvents_EditAndCancel(t *testing.T) {
	clock := &eventClock{}
	n := eventNode(t, clock, 1, 100)
	ctx := context.Background()
	orgP, _ := seedTeacher(t, n, "anna", "Anna")
	seedTeacher(t, n, "bruno", "Bruno")
	seedTeacher(t, n, "carla", "Carla")
	anna := login(t, n, "anna", "correct horse 1")
	bruno := login(t, n, "bruno", "correct horse 1")
	carla := login(t, n, "carla", "correct horse 1")
	date, loc := cetDay(clock.Now(), 3)
	mk := func(title, slot string) *twinfed.Event {
		e, err := n.Events().Create(ctx, orgP, event.Input{Title: title, Language: "en", Kind: twinfed.EventOnline, Audience: twinfed.AudienceCountries,
			Countries: []string{"IT", "FR"}, Date: date, Slot: slot, Minutes: 60})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	e := mk("Coding club", "10:00")
	mk("Maths club", "14:00")
	path := n.Events().Path(e.ID)
	for _, b := range []interface {
		Get(string) (int, string)
		Post(string, url.Values) (int, string, string)
	}{bruno, carla} {
		b.Get(path)
		if code, _, to := b.Post(path+"/participate", url.Values{}); code != http.StatusSeeOther || !strings.HasSuffix(to, "done=event_confirmed") {
			t.Fatalf("participate: %d → %s", code, to)
		}
	}
	good := url.Values{"title": {"Coding club, new time"}, "description": {"Scratch"}, "language": {"it"}, "kind": {"online"}, "expected": {"30"},
		"audience": {"countries"}, "countries": {"IT", "FR", "ES"}, "date": {date}, "slot": {"11:00"}, "minutes": {"45"},
		"certifying_sent": {"1"}, "certifying": {"on"}}
	with := func(k, v string) url.Values {
		out := url.Values{}
		for kk, vs := range good {
			out[kk] = vs
		}
		out.Set(k, v)
		return out
	}
	unchanged := func(what string) {
		t.Helper()
		v, err := n.Events().Get(ctx, orgP, e.ID)
		if err != nil || v.Event.Version != 1 || v.Event.Title != "Coding club" || !v.Event.Start.Equal(e.Start) || v.Event.Cancelled {
			t.Fatalf("%s changed the event: %+v (%v)", what, v.Event, err)
		}
	}

	// Only the organiser sees the link, the form, and may post it.
	_, page := bruno.Get(path)
	if strings.Contains(page, path+"/edit") {
		t.Fatal("a participant is offered the organiser's edit link")
	}
	if code, page := bruno.Get(path + "/edit"); code != http.StatusForbidden || !strings.Contains(page, "Only the organiser changes or cancels an event.") {
		t.Fatalf("edit form for a participant: %d\n%s", code, page)
	}
	bruno.Get(path)
	if code, page, _ := bruno.Post(path+"/edit", with("title", "Bruno's")); code != http.StatusForbidden || !strings.Contains(page, "Only the organiser changes or cancels an event.") {
		t.Fatalf("edit by a participant: %d\n%s", code, page)
	}
	bruno.Get(path)
	if code, _, _ := bruno.Post(path+"/cancel", url.Values{}); code != http.StatusForbidden {
		t.Fatalf("cancel by a participant: %d", code)
	}
	unchanged("a participant's edit")

	// The organiser's form holds the event as it is, in Italian too.
	_, page = anna.Get(path)
	mustContain(t, "organiser's page", page, `href="`+path+`/edit"`)
	code, page, _ := anna.GetLang(path+"/edit", "it")
	if code != 200 {
		t.Fatalf("edit form: %d\n%s", code, page)
	}
	mustContain(t, "edit form", page, "Modifica l&#39;evento", `value="Coding club"`, `value="10:00"`, `value="`+date+`"`, "Annulla l&#39;evento")

	// Bad changes: refused on their field, nothing saved.
	for _, bad := range []struct {
		v    url.Values
		want string
	}{
		{with("slot", "14:00"), "This time slot is already full; choose another."},
		{with("minutes", "95"), "An online event lasts 30 to 90 minutes."},
		{with("expected", "1"), "More participants have booked already; expect at least as many."},
		{with("countries", "IT"), "An event&#39;s audience can only widen: to every member, or to more countries."},
		{with("kind", "in_person"), "An event&#39;s type cannot change; cancel it and create another."},
		{with("date", clock.Now().AddDate(0, 0, -1).Format("2006-01-02")), "The event must start in the future."},
	} {
		anna.Get(path + "/edit")
		code, page, _ := anna.Post(path+"/edit", bad.v)
		if code != http.StatusBadRequest || !strings.Contains(page, bad.want) {
			t.Fatalf("want 400 with %q, got %d\n%s", bad.want, code, page)
		}
	}
	unchanged("a refused edit")

	// A good change: saved, version 2, SEQUENCE 2, the participants told.
	anna.Get(path + "/edit")
	if code, _, to := anna.Post(path+"/edit", with("title", "Coding club, new time")); code != http.StatusSeeOther || !strings.HasSuffix(to, "done=event_saved") {
		t.Fatalf("edit: %d → %s\n%s", code, to, anna.Last)
	}
	v, err := n.Events().Get(ctx, orgP, e.ID)
	start, _ := time.ParseInLocation("2006-01-02 15:04", date+" 11:00", loc)
	if err != nil || v.Event.Version != 2 || v.Event.Title != "Coding club, new time" || !v.Event.Start.Equal(start) || v.Event.Minutes != 45 || v.Confirmed != 2 ||
		len(v.Event.Countries) != 3 || v.Event.Language != "it" || !v.Event.Certifying {
		t.Fatalf("after the edit: %+v, %d confirmed (%v)", v.Event, v.Confirmed, err)
	}
	if _, page, _ := anna.GetLang(path+"/edit", "it"); !strings.Contains(page, `id="certifying" checked`) {
		t.Fatal("the edit form does not show the event gives certificates")
	}
	_, ics := bruno.Get(path + "/ics")
	if evs := parseICal(t, ics); len(evs) != 1 || !evs[0].Start.Equal(start) || !strings.Contains(ics, "SEQUENCE:2\r\n") {
		t.Fatalf("ics after the edit: %+v\n%s", evs, ics)
	}
	for _, b := range []interface {
		Get(string) (int, string)
	}{bruno, carla} {
		_, page := b.Get("/notifications")
		mustContain(t, "notification of the new time", page, "changed the time of the event", `href="`+path+`"`, "Coding club, new time")
	}
	if _, page := anna.Get("/notifications"); strings.Contains(page, "changed the time") {
		t.Fatal("the organiser is told of her own change")
	}
	// Its old time is free again: another event takes 10:00.
	mk("Physics club", "10:00")

	// The organiser cancels: those who booked are told, the room frees.
	anna.Get(path)
	if code, _, to := anna.Post(path+"/cancel", url.Values{}); code != http.StatusSeeOther || !strings.HasSuffix(to, "done=event_cancelled") {
		t.Fatalf("cancel: %d → %s", code, to)
	}
	_, page = carla.Get(path)
	mustContain(t, "cancelled page", page, "This event is cancelled.")
	if strings.Contains(page, "/leave") || strings.Contains(page, "/participate") {
		t.Fatalf("a cancelled event offers bookings:\n%s", page)
	}
	_, page = carla.Get("/notifications")
	mustContain(t, "notification of the cancellation", page, "cancelled the event")
	_, ics = carla.Get(path + "/ics")
	if !strings.Contains(ics, "STATUS:CANCELLED\r\n") || !strings.Contains(ics, "SEQUENCE:3\r\n") {
		t.Fatalf("ics of a cancelled event:\n%s", ics)
	}
	dario, _ := seedTeacher(t, n, "dario", "Dario")
	if _, err := n.Events().Participate(ctx, dario, e.ID); err == nil || !strings.Contains(err.Error(), "cancelled") {
		t.Fatalf("booking a cancelled event: %v", err)
	}
	anna.Get(path)
	if code, page, _ := anna.Post(path+"/cancel", url.Values{}); code != http.StatusBadRequest || !strings.Contains(page, "This event is cancelled.") {
		t.Fatalf("second cancel: %d\n%s", code, page)
	}
	mk("Chemistry club", "11:00")
	if _, page := anna.Get("/events?view=mine"); !strings.Contains(page, `class="cancelled"`) {
		t.Fatalf("my events do not mark the cancelled one:\n%s", page)
	}
}
