package twinfed

import (
	"testing"
	"time"
)

func validEvent(now time.Time) *Event {
	return &Event{Title: "Coding club", Language: "fr", Kind: EventOnline, Minutes: 60, Audience: AudienceCountries,
		Countries: []string{"IT", "FR"}, Start: now.Add(48 * time.Hour), Organiser: "https://fr.example/users/marie", Capacity: 100}
}

func TestValidateEvent(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name  string
		edit  func(e *Event)
		field string
	}{
		{"ok", func(*Event) {}, ""},
		{"25 minutes", func(e *Event) { e.Minutes = 25 }, "minutes"},
		{"95 minutes", func(e *Event) { e.Minutes = 95 }, "minutes"},
		{"past", func(e *Event) { e.Start = now.Add(-time.Hour) }, "date"},
		{"unknown country", func(e *Event) { e.Countries = []string{"IT", "ZZ"} }, "countries"},
		{"no country", func(e *Event) { e.Countries = nil }, "countries"},
		{"in person without place", func(e *Event) { e.Kind = EventInPerson }, "place"},
		{"no title", func(e *Event) { e.Title = " " }, "title"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := validEvent(now)
			tc.edit(e)
			err := ValidateEvent(e, now)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("valid event refused: %v", err)
				}
				return
			}
			if ErrorCode(err) != EINVALID || ErrorFields(err)[tc.field] == "" {
				t.Fatalf("want EINVALID on %s, got %v", tc.field, err)
			}
		})
	}
}

func TestCanSeeEvent(t *testing.T) {
	e := validEvent(time.Now())
	for _, tc := range []struct {
		v    EventViewer
		want bool
	}{
		{EventViewer{"https://it.example/users/luca", "IT"}, true},
		{EventViewer{"https://es.example/users/ana", "ES"}, false},
		{EventViewer{e.Organiser, "FR"}, true},
		{EventViewer{"", "IT"}, false},
	} {
		if got := CanSeeEvent(e, tc.v); got != tc.want {
			t.Errorf("CanSeeEvent(%v) = %v, want %v", tc.v, got, tc.want)
		}
	}
	e.Audience, e.Contacts = AudienceContacts, []string{"https://es.example/users/ana"}
	if !CanSeeEvent(e, EventViewer{"https://es.example/users/ana", "ES"}) || CanSeeEvent(e, EventViewer{"https://it.example/users/luca", "IT"}) {
		t.Error("contacts audience: only the organiser's contacts see the event")
	}
}

func TestCanNodeSeeEvent(t *testing.T) {
	for _, tc := range []struct {
		name          string
		edit          func(e *Event)
		host, country string
		want          bool
	}{
		{"home node", func(*Event) {}, "fr.example", "FR", true},
		{"a chosen country", func(*Event) {}, "it.example", "IT", true},
		{"another country", func(*Event) {}, "es.example", "ES", false},
		{"no active node", func(*Event) {}, "it.example", "", false},
		{"no host", func(*Event) {}, "", "IT", false},
		{"every node", func(e *Event) { e.Audience = AudienceAll }, "es.example", "ES", true},
		{"every node, not a node", func(e *Event) { e.Audience = AudienceAll }, "evil.example", "", false},
		{"an invited member's node", func(e *Event) { e.Invited = []string{"https://es.example/users/ana"} }, "es.example", "ES", true},
		{"a contact's node", func(e *Event) {
			e.Audience, e.Contacts = AudienceContacts, []string{"https://es.example/users/ana"}
		}, "es.example", "ES", true},
		{"contacts: another node", func(e *Event) {
			e.Audience, e.Contacts = AudienceContacts, []string{"https://es.example/users/ana"}
		}, "it.example", "IT", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := validEvent(time.Now())
			e.ID = "https://fr.example/events/01HX"
			tc.edit(e)
			if got := CanNodeSeeEvent(e, tc.host, tc.country); got != tc.want {
				t.Errorf("CanNodeSeeEvent(%s, %q) = %v, want %v", tc.host, tc.country, got, tc.want)
			}
		})
	}
}

func TestDecideBookingAndSlots(t *testing.T) {
	if DecideBooking(99, 100) != BookingConfirmed || DecideBooking(100, 100) != BookingWaiting {
		t.Fatal("the 100th booking is confirmed, the 101st waits")
	}
	loc, err := time.LoadLocation(ProgrammeZone)
	if err != nil {
		t.Skip("no zone data")
	}
	day := time.Now().In(loc).AddDate(0, 0, 3)
	start := time.Date(day.Year(), day.Month(), day.Day(), 10, 0, 0, 0, loc)
	booked := []*Event{{Kind: EventOnline, Start: start, Minutes: 60, Room: 1}}
	all := EventSlots(day, loc, 60, 1, nil, time.Now())
	free := EventSlots(day, loc, 60, 1, booked, time.Now())
	// With one room, 9:30, 10:00 and 10:30 overlap the 10:00-11:00 event.
	if len(all)-len(free) != 3 {
		t.Fatalf("one room, one event of an hour: %d slots free of %d, want 3 fewer", len(free), len(all))
	}
	if FreeRoom(start, 60, 2, booked) != 2 || FreeRoom(start, 60, 1, booked) != 0 {
		t.Fatal("FreeRoom: the second room is free, the first taken")
	}
	e := &Event{Kind: EventOnline, Start: time.Now().Add(5 * time.Minute), Minutes: 30}
	if !e.RoomOpen(time.Now()) || e.Live(time.Now()) {
		t.Fatal("five minutes before: the room is open, the event not yet live")
	}
}

// A node books only for the members it hosts: a Join whose actor lives on
// another node than the one that signed it is refused, and so is an event
// whose organiser is not the signer's.
func TestCheckSameOrigin_Events(t *testing.T) {
	join := &Activity{ID: "https://it.example/activities/1", Type: ActivityJoin, Actor: "https://es.example/users/ana", Object: "https://fr.example/events/e1"}
	if err := CheckSameOrigin("it.example", join); ErrorCode(err) != EFORBIDDEN {
		t.Fatalf("IT signing a Join for an ES member: %v", err)
	}
	join.Actor = "https://it.example/users/luca"
	if err := CheckSameOrigin("it.example", join); err != nil {
		t.Fatalf("IT signing for its own member: %v", err)
	}
	e := validEvent(time.Now())
	e.ID = "https://fr.example/events/e1"
	create := &Activity{ID: "https://it.example/activities/2", Type: ActivityCreate, Actor: "https://it.example/users/luca", Object: e.ID, Event: e}
	if err := CheckSameOrigin("it.example", create); ErrorCode(err) != EFORBIDDEN {
		t.Fatalf("IT creating an event of FR: %v", err)
	}
}

func TestValidateEvent_ProjectMeeting(t *testing.T) {
	now := time.Now()
	e := validEvent(now)
	e.Audience, e.Project, e.Contacts, e.Capacity = AudienceProject, "https://it.example/projects/p1", []string{"https://fr.example/users/marie"}, TwinSpaceMeetingCap
	if err := ValidateEvent(e, now); err != nil {
		t.Fatal(err)
	}
	if !CanSeeEvent(e, EventViewer{"https://fr.example/users/marie", "FR"}) || CanSeeEvent(e, EventViewer{"https://it.example/users/other", "IT"}) {
		t.Fatal("a project meeting is for the project's members only")
	}
	e.Capacity = 26
	if ErrorFields(ValidateEvent(e, now))["audience"] == "" {
		t.Fatal("26 places for a project meeting accepted")
	}
}

func TestCanEditEvent(t *testing.T) {
	now := time.Now()
	e := validEvent(now)
	if err := CanEditEvent(e, e.Organiser, now); err != nil {
		t.Fatalf("the organiser may not edit: %v", err)
	}
	for _, tc := range []struct {
		name  string
		actor string
		edit  func(e *Event)
		code  string
	}{
		{"another member", "https://it.example/users/luca", func(*Event) {}, EFORBIDDEN},
		{"same name on another node", "https://it.example/users/marie", func(*Event) {}, EFORBIDDEN},
		{"nobody", "", func(*Event) {}, EFORBIDDEN},
		{"cancelled", e.Organiser, func(e *Event) { e.Cancelled = true }, EINVALID},
		{"over", e.Organiser, func(e *Event) { e.Start = now.Add(-2 * time.Hour) }, EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := validEvent(now)
			tc.edit(e)
			if err := CanEditEvent(e, tc.actor, now); ErrorCode(err) != tc.code {
				t.Fatalf("want %s, got %v", tc.code, err)
			}
		})
	}
}

func TestCheckEventChange(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name      string
		edit      func(e *Event)
		confirmed int
		field     string
	}{
		{"same", func(*Event) {}, 0, ""},
		{"more countries", func(e *Event) { e.Countries = []string{"ES", "FR", "IT"} }, 0, ""},
		{"every member", func(e *Event) { e.Audience, e.Countries = AudienceAll, nil }, 0, ""},
		{"fewer countries", func(e *Event) { e.Countries = []string{"IT"} }, 0, "audience"},
		{"other countries", func(e *Event) { e.Countries = []string{"ES", "IT"} }, 0, "audience"},
		{"contacts only", func(e *Event) { e.Audience, e.Countries = AudienceContacts, nil }, 0, "audience"},
		{"in person", func(e *Event) { e.Kind, e.Place = EventInPerson, "Rome" }, 0, "kind"},
		{"fewer expected than booked", func(e *Event) { e.Expected = 3 }, 5, "expected"},
		{"as many expected as booked", func(e *Event) { e.Expected = 5 }, 5, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old, e := validEvent(now), validEvent(now)
			tc.edit(e)
			err := CheckEventChange(old, e, tc.confirmed)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("change refused: %v", err)
				}
				return
			}
			if ErrorCode(err) != EINVALID || ErrorFields(err)[tc.field] == "" {
				t.Fatalf("want EINVALID on %s, got %v", tc.field, err)
			}
		})
	}
	// A wider audience of everyone never narrows back.
	old, e := validEvent(now), validEvent(now)
	old.Audience, old.Countries = AudienceAll, nil
	if err := CheckEventChange(old, e, 0); ErrorFields(err)["audience"] == "" {
		t.Fatalf("every member → two countries: %v", err)
	}
}

func TestPresentInRoom(t *testing.T) {
	e := &Event{Minutes: 60}
	for _, tc := range []struct {
		present time.Duration
		want    bool
	}{
		{0, false},
		{10 * time.Minute, false},
		{29*time.Minute + 59*time.Second, false},
		{30 * time.Minute, true},
		{40 * time.Minute, true},
		{2 * time.Hour, true},
	} {
		if got := PresentInRoom(e, tc.present); got != tc.want {
			t.Errorf("PresentInRoom(60 minutes, %s) = %v, want %v", tc.present, got, tc.want)
		}
	}
	if PresentInRoom(&Event{}, time.Hour) {
		t.Error("an event of no minutes counts someone present")
	}
}

func TestCanHaveEventCertificate(t *testing.T) {
	now := time.Now()
	const luca = "https://it.example/users/luca"
	for _, tc := range []struct {
		name     string
		edit     func(e *Event)
		actor    string
		attended []string
		ok       bool
	}{
		{"present, after the end", func(*Event) {}, luca, []string{"https://fr.example/users/ana", luca}, true},
		{"not recorded", func(*Event) {}, luca, []string{"https://fr.example/users/ana"}, false},
		{"not certifying", func(e *Event) { e.Certifying = false }, luca, []string{luca}, false},
		{"before the end", func(e *Event) { e.Start = now.Add(-30 * time.Minute) }, luca, []string{luca}, false},
		{"nobody", func(*Event) {}, "", []string{""}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := validEvent(now)
			e.Certifying, e.Start = true, now.Add(-2*time.Hour)
			tc.edit(e)
			err := CanHaveEventCertificate(e, tc.actor, tc.attended, now)
			if tc.ok != (err == nil) || (err != nil && ErrorCode(err) != EFORBIDDEN) {
				t.Fatalf("CanHaveEventCertificate = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
