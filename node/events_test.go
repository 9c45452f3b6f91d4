package node_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/event"
	"github.com/twinfed/twinfed/node/nodetest"
	"github.com/twinfed/twinfed/node/project"
)

// eventClock is a test clock that starts at the real time and can be moved
// forward.
type eventClock struct{ off atomic.Int64 }

func (c *eventClock) Now() time.Time      { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *eventClock) Move(to time.Time)   { c.off.Store(int64(time.Until(to))) }
func (c *eventClock) Add(d time.Duration) { c.off.Add(int64(d)) }
func cetDay(t time.Time, days int) (string, *time.Location) {
	loc, _ := time.LoadLocation(twinfed.ProgrammeZone)
	return t.In(loc).AddDate(0, 0, days).Format("2006-01-02"), loc
}

// eventNode opens a node with an injected clock, rooms meeting rooms and
// places places per online event.
func eventNode(t *testing.T, clock *eventClock, rooms, places int) *node.Node {
	t.Helper()
	return nodetest.MustOpenNode(t, nodetest.Options{Now: clock.Now, Tune: func(o *node.Options) {
		o.Service.Events = event.Config{Rooms: rooms, Capacity: places, MeetingURL: "https://meet.example/{room}?name={name}&exp={expires}&sig={signature}", Secret: "a secret of sixteen+"}
	}})
}

var eventPathRE = regexp.MustCompile(`^(/events/[^/?]+)\?done=event_created$`)

// icalEvent is what the test's small iCalendar parser (RFC 5545: unfolded
// content lines, VTIMEZONE, DTSTART with TZID) reads of a VEVENT.
type icalEvent struct {
	UID, Summary string
	Start        time.Time
	TZID         string
}

// parseICal reads a calendar and checks that every TZID its events use has
// its VTIMEZONE.
func parseICal(t *testing.T, body string) []icalEvent {
	t.Helper()
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		l := strings.TrimRight(sc.Text(), "\r")
		if strings.HasPrefix(l, " ") && len(lines) > 0 {
			lines[len(lines)-1] += l[1:]
			continue
		}
		lines = append(lines, l)
	}
	if len(lines) == 0 || lines[0] != "BEGIN:VCALENDAR" || lines[len(lines)-1] != "END:VCALENDAR" {
		t.Fatalf("not a calendar:\n%s", body)
	}
	zones := map[string]bool{}
	var out []icalEvent
	var cur *icalEvent
	inZone := false
	for _, l := range lines {
		name, value, _ := strings.Cut(l, ":")
		prop, params, _ := strings.Cut(name, ";")
		switch {
		case l == "BEGIN:VTIMEZONE":
			inZone = true
		case l == "END:VTIMEZONE":
			inZone = false
		case inZone && prop == "TZID":
			zones[value] = true
		case l == "BEGIN:VEVENT":
			cur = &icalEvent{}
		case l == "END:VEVENT":
			out = append(out, *cur)
			cur = nil
		case cur != nil && prop == "UID":
			cur.UID = value
		case cur != nil && prop == "SUMMARY":
			cur.Summary = value
		case cur != nil && prop == "DTSTART":
			cur.TZID = strings.TrimPrefix(params, "TZID=")
			loc, err := time.LoadLocation(cur.TZID)
			if err != nil {
				t.Fatalf("DTSTART zone %q: %v", cur.TZID, err)
			}
			if cur.Start, err = time.ParseInLocation("20060102T150405", value, loc); err != nil {
				t.Fatalf("DTSTART %q: %v", value, err)
			}
		}
	}
	for _, e := range out {
		if !zones[e.TZID] {
			t.Fatalf("event %s uses TZID %q without its VTIMEZONE", e.UID, e.TZID)
		}
	}
	return out
}

func TestEvents_WebJourney(t *testing.T) {
	clock := &eventClock{}
	n := eventNode(t, clock, 1, 100)
	seedTeacher(t, n, "anna", "Anna")
	seedTeacher(t, n, "bruno", "Bruno")
	anna := login(t, n, "anna", "correct horse 1")
	bruno := login(t, n, "bruno", "correct horse 1")
	date, loc := cetDay(clock.Now(), 3)

	// The menu's Events is no longer the "later" page.
	code, page := anna.Get("/events")
	if code != 200 || strings.Contains(page, "later version") {
		t.Fatalf("GET /events: %d\n%s", code, page)
	}
	mustContain(t, "events list", page, `href="/events/new"`, `href="/events/calendar"`)

	form := url.Values{"title": {"Coding club"}, "description": {"Scratch for beginners"}, "language": {"fr"}, "kind": {"online"},
		"expected": {"40"}, "audience": {"countries"}, "countries": {"IT", "FR"}, "date": {date}, "minutes": {"60"}, "go": {"next"}}
	// Bad input: refused with the field's message, nothing created.
	for _, bad := range []struct{ key, value, want string }{
		{"minutes", "25", "An online event lasts 30 to 90 minutes."},
		{"minutes", "95", "An online event lasts 30 to 90 minutes."},
		{"countries", "ZZ", "One of the chosen countries does not take part in the programme."},
		{"date", clock.Now().AddDate(0, 0, -2).Format("2006-01-02"), "The event must start in the future."},
	} {
		v := url.Values{}
		for k, vs := range form {
			v[k] = vs
		}
		v.Set(bad.key, bad.value)
		anna.Get("/events/new")
		code, page, _ := anna.Post("/events/new", v)
		if code != http.StatusBadRequest || !strings.Contains(page, bad.want) {
			t.Fatalf("%s=%s: want 400 with %q, got %d\n%s", bad.key, bad.value, bad.want, code, page)
		}
	}
	if evs, _ := n.Events().MemberEvents(context.Background(), "anna"); len(evs) != 0 {
		t.Fatalf("bad input created %d events", len(evs))
	}

	// Step 2 offers the free slots of the day in CET; 10:00 is chosen.
	anna.Get("/events/new")
	code, page, _ = anna.Post("/events/new", form)
	if code != 200 {
		t.Fatalf("step 1 → 2: %d\n%s", code, page)
	}
	mustContain(t, "slots", page, `name="slot"`, `value="10:00"`, `type="hidden" name="title" value="Coding club"`)
	create := url.Values{}
	for k, vs := range form {
		create[k] = vs
	}
	create.Set("go", "create")
	create.Set("slot", "10:00")
	code, _, loc1 := anna.Post("/events/new", create)
	m := eventPathRE.FindStringSubmatch(loc1)
	if code != http.StatusSeeOther || m == nil {
		t.Fatalf("create: %d → %q\n%s", code, loc1, anna.Last)
	}
	path := m[1]

	// The one meeting room is taken at 10:00: the same slot is refused.
	anna.Get("/events/new")
	code, page, _ = anna.Post("/events/new", create)
	if code != http.StatusBadRequest || !strings.Contains(page, "This time slot is already full; choose another.") {
		t.Fatalf("full slot: %d\n%s", code, page)
	}
	anna.Get("/events/new")
	_, page, _ = anna.Post("/events/new", form)
	if strings.Contains(page, `value="10:00"`) || strings.Contains(page, `value="10:30"`) || !strings.Contains(page, `value="11:00"`) {
		t.Fatalf("slots after the 10:00 event: 10:00 and 10:30 must be gone, 11:00 free\n%s", page)
	}

	// Bruno (IT) finds it in the month calendar, in Italian, and participates.
	month := date[:7]
	code, page, _ = bruno.GetLang("/events/calendar?month="+month, "it")
	if code != 200 {
		t.Fatalf("calendar: %d\n%s", code, page)
	}
	mustContain(t, "calendar", page, "Calendario degli eventi", `href="`+path+`"`, "Coding club", "lun")
	code, page, _ = bruno.GetLang(path, "it")
	mustContain(t, "event page", page, "Partecipa", "0 / 100")
	if code, _, to := bruno.Post(path+"/participate", url.Values{}); code != http.StatusSeeOther || !strings.HasSuffix(to, "done=event_confirmed") {
		t.Fatalf("participate: %d → %s", code, to)
	}
	_, page = bruno.Get(path)
	mustContain(t, "booked", page, "You take part in this event.", "1 / 100", "Leave")
	if strings.Contains(page, "Enter the meeting room") {
		t.Fatal("the meeting room is offered two days before")
	}

	// The event's iCalendar file and Bruno's personal feed, in CET.
	start, _ := time.ParseInLocation("2006-01-02 15:04", date+" 10:00", loc)
	code, ics := bruno.Get(path + "/ics")
	if code != 200 {
		t.Fatalf("ics: %d", code)
	}
	if evs := parseICal(t, ics); len(evs) != 1 || !evs[0].Start.Equal(start) || evs[0].TZID != twinfed.ProgrammeZone || evs[0].Summary != "Coding club" {
		t.Fatalf("ics: %+v, want Coding club at %s", evs, start)
	}
	bruno.Get("/events?view=mine")
	_, _, to := bruno.Post("/events/feed", url.Values{})
	feedURL, _ := url.Parse(to)
	token := feedURL.Query().Get("feed")
	if token == "" {
		t.Fatalf("no feed token in %q", to)
	}
	resp, err := http.Get(n.URL() + "/calendar/" + token)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("feed: %v %v", err, resp)
	}
	body := readAll(t, resp)
	if evs := parseICal(t, body); len(evs) != 1 || !evs[0].Start.Equal(start) {
		t.Fatalf("feed: %+v", evs)
	}
	bruno.Get("/events?view=mine")
	bruno.Post("/events/feed/revoke", url.Values{})
	if resp, _ := http.Get(n.URL() + "/calendar/" + token); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("revoked feed: %d", resp.StatusCode)
	}

	// Five minutes before: the room opens to participants; during: Live.
	clock.Move(start.Add(-5 * time.Minute))
	_, page = bruno.Get(path)
	mustContain(t, "room open", page, "Enter the meeting room")
	code, _, room := bruno.Do(mustReq(t, n.URL()+path+"/room"))
	if code != http.StatusSeeOther || !strings.HasPrefix(room.Get("Location"), "https://meet.example/event-") || !strings.Contains(room.Get("Location"), "sig=") {
		t.Fatalf("room: %d %q", code, room.Get("Location"))
	}
	clock.Move(start.Add(10 * time.Minute))
	_, page = bruno.Get("/events?view=mine")
	mustContain(t, "live", page, `class="live"`, "Live")
}

func mustReq(t *testing.T, u string) *http.Request {
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var b strings.Builder
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		b.WriteString(sc.Text() + "\n")
	}
	return b.String()
}

func TestEvents_CapacityAndWaitingList(t *testing.T) {
	clock := &eventClock{}
	n := eventNode(t, clock, 4, 5)
	ctx := context.Background()
	org, _ := seedTeacher(t, n, "org", "Org")
	date, _ := cetDay(clock.Now(), 1)
	e, err := n.Events().Create(ctx, org, event.Input{Title: "Webinar", Language: "it", Kind: twinfed.EventOnline, Audience: twinfed.AudienceAll, Date: date, Slot: "15:00", Minutes: 45})
	if err != nil {
		t.Fatal(err)
	}
	var members []*twinfed.Principal
	for i := range 12 {
		p, _ := seedTeacher(t, n, "member-"+string(rune('a'+i)), "M")
		members = append(members, p)
	}
	var wg sync.WaitGroup
	var confirmed, waiting atomic.Int32
	for _, p := range members {
		wg.Go(func() {
			st, err := n.Events().Participate(ctx, p, e.ID)
			if err != nil {
				t.Error(err)
			}
			if st == twinfed.BookingConfirmed {
				confirmed.Add(1)
			} else {
				waiting.Add(1)
			}
		})
	}
	wg.Wait()
	if confirmed.Load() != 5 || waiting.Load() != 7 {
		t.Fatalf("12 bookings for 5 places: %d confirmed, %d waiting", confirmed.Load(), waiting.Load())
	}
	// Booking again answers the same and changes nothing.
	v, _ := n.Events().Get(ctx, members[0], e.ID)
	if st, _ := n.Events().Participate(ctx, members[0], e.ID); st != v.State {
		t.Fatalf("second booking: %s, was %s", st, v.State)
	}
	// A confirmed participant leaves: the first on the waiting list moves up.
	ov, _ := n.Events().Get(ctx, org, e.ID)
	first := ov.WaitList[0].Actor
	leaver := members[slices.IndexFunc(members, func(p *twinfed.Principal) bool { return strings.HasSuffix(ov.Attendees[0].Actor, "/users/"+p.Username) })]
	if err := n.Events().Leave(ctx, leaver, e.ID); err != nil {
		t.Fatal(err)
	}
	v, _ = n.Events().Get(ctx, org, e.ID)
	if v.Confirmed != 5 || v.Waiting != 6 {
		t.Fatalf("after one left: %d confirmed, %d waiting", v.Confirmed, v.Waiting)
	}
	if lv, _ := n.Events().Get(ctx, leaver, e.ID); lv.State != "" {
		t.Fatalf("the one who left is still %s", lv.State)
	}
	if !slices.ContainsFunc(v.Attendees, func(b event.Booking) bool { return b.Actor == first }) || v.WaitList[0].Actor == first {
		t.Fatalf("%s, first on the waiting list, did not move up", first)
	}
}

// TestEvents_Reminders: the day before and an hour before, each once, in
// the member's language, with the time in CET beside theirs.
func TestEvents_Reminders(t *testing.T) {
	clock := &eventClock{}
	dir := t.TempDir()
	n := nodetest.MustOpenNode(t, nodetest.Options{Dir: dir, Now: clock.Now})
	ctx := context.Background()
	org, _ := seedTeacher(t, n, "org", "Org")
	luca, _ := seedTeacher(t, n, "luca", "Luca")
	date, loc := cetDay(clock.Now(), 3)
	e, err := n.Events().Create(ctx, org, event.Input{Title: "Webinar STEM", Language: "it", Kind: twinfed.EventOnline, Audience: twinfed.AudienceAll, Date: date, Slot: "15:00", Minutes: 60})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Events().Participate(ctx, luca, e.ID); err != nil {
		t.Fatal(err)
	}
	start, _ := time.ParseInLocation("2006-01-02 15:04", date+" 15:00", loc)
	sent := func() int {
		k, err := n.Events().SendReminders(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	if k := sent(); k != 0 {
		t.Fatalf("three days before: %d reminders", k)
	}
	clock.Move(start.Add(-23 * time.Hour))
	if k := sent(); k != 2 { // luca and the organiser
		t.Fatalf("the day before: %d reminders, want 2", k)
	}
	if k := sent(); k != 0 {
		t.Fatalf("the day before, again: %d reminders", k)
	}
	clock.Move(start.Add(-50 * time.Minute))
	if k := sent(); k != 2 {
		t.Fatalf("an hour before: %d reminders, want 2", k)
	}
	var got []nodetest.Mail
	eventually(t, 10*time.Second, func() bool {
		got = nodetest.SpooledMails(t, dir, "luca@scuola.it")
		return len(got) >= 2
	}, "no reminder in luca's mail")
	found := false
	for _, m := range got {
		if strings.Contains(m.Subject, "Webinar STEM") {
			found = true
			if !strings.Contains(m.Subject, "Domani") && !strings.Contains(m.Subject, "Tra un'ora") {
				t.Fatalf("reminder not in Italian: %q", m.Subject)
			}
			if !strings.Contains(m.Text, "15:00") || !strings.Contains(m.Text, "ora dell'Europa centrale") {
				t.Fatalf("reminder without the time in CET:\n%s", m.Text)
			}
		}
	}
	if !found {
		t.Fatalf("no reminder among %d mails", len(got))
	}
	// Moved to the next day after both reminders went: they go again for
	// the new time, once each.
	next := start.AddDate(0, 0, 1)
	if _, err := n.Events().Edit(ctx, org, e.ID, event.Input{Title: "Webinar STEM", Language: "it", Date: next.In(loc).Format("2006-01-02"), Slot: "15:00", Minutes: 60}); err != nil {
		t.Fatal(err)
	}
	if k := sent(); k != 0 {
		t.Fatalf("moved, a day and an hour before its new time: %d reminders", k)
	}
	clock.Move(next.Add(-23 * time.Hour))
	if k := sent(); k != 2 {
		t.Fatalf("moved, the day before its new time: %d reminders, want 2", k)
	}
	clock.Move(next.Add(-50 * time.Minute))
	if k := sent(); k != 2 {
		t.Fatalf("moved, an hour before its new time: %d reminders, want 2", k)
	}
	if k := sent(); k != 0 {
		t.Fatalf("moved, again: %d reminders", k)
	}
}

// BenchmarkEventCalendar renders the month calendar of a member who sees
// 2,000 events that month (in person, so that no meeting room limits
// them), through the node's HTTP server; p50 and p99 over 200 renders
// per b.N round.
func BenchmarkEventCalendar(b *testing.B) {
	clock := &eventClock{}
	n := nodetest.MustOpenNode(b, nodetest.Options{Now: clock.Now})
	ctx := context.Background()
	for _, u := range []string{"org", "luca"} {
		_, err := n.Accounts().SeedMember(ctx, account.PreRegistration{FirstName: u, LastName: "Rossi", Email: u + "@scuola.it", EmailConfirm: u + "@scuola.it",
			Username: u, Password: "correct horse 1", PasswordConfirm: "correct horse 1"},
			&twinfed.Member{Schools: []twinfed.MemberSchool{{SchoolID: "it-" + u, Name: "Scuola", Region: "Lazio", Level: twinfed.LevelPrimary, Role: "teacher"}}, Languages: []string{"it"}})
		if err != nil {
			b.Fatal(err)
		}
	}
	org := &twinfed.Principal{Username: "org", Role: twinfed.RoleMember, Status: twinfed.StatusValidated}
	loc, _ := time.LoadLocation(twinfed.ProgrammeZone)
	next := clock.Now().In(loc).AddDate(0, 1, 0)
	first := time.Date(next.Year(), next.Month(), 1, 0, 0, 0, 0, loc)
	for i := range 2000 {
		d := first.AddDate(0, 0, i%28)
		if _, err := n.Events().Create(ctx, org, event.Input{Title: fmt.Sprintf("Workshop %d", i), Language: "it", Kind: twinfed.EventInPerson, Place: "Roma",
			Audience: twinfed.AudienceAll, Date: d.Format("2006-01-02"), Slot: fmt.Sprintf("%02d:%02d", 8+i%10, 0), Minutes: 60}); err != nil {
			b.Fatal(err)
		}
	}
	luca := nodetest.Login(b, n, "luca", "correct horse 1")
	path := "/events/calendar?month=" + first.Format("2006-01")
	if code, page := luca.Get(path); code != 200 || strings.Count(page, `class="event"`) != 2000 {
		b.Fatalf("calendar: %d, %d events", code, strings.Count(page, `class="event"`))
	}
	b.ResetTimer()
	for range b.N {
		lat := make([]time.Duration, 0, 200)
		for range 200 {
			t0 := time.Now()
			luca.Get(path)
			lat = append(lat, time.Since(t0))
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
	}
}

// TestEvents_Certificate: after a certifying event, those the organiser
// recorded as present download their certificate (PDF); the others not.
func TestEvents_Certificate(t *testing.T) {
	clock := &eventClock{}
	n := eventNode(t, clock, 2, 10)
	ctx := context.Background()
	org, _ := seedTeacher(t, n, "org", "Org")
	seedTeacher(t, n, "luca", "Luca")
	carla, _ := seedTeacher(t, n, "carla", "Carla")
	date, loc := cetDay(clock.Now(), 1)
	e, err := n.Events().Create(ctx, org, event.Input{Title: "Formazione", Language: "it", Kind: twinfed.EventOnline, Audience: twinfed.AudienceAll, Date: date, Slot: "09:00", Minutes: 30, Certifying: true})
	if err != nil {
		t.Fatal(err)
	}
	luca := login(t, n, "luca", "correct horse 1")
	path := n.Events().Path(e.ID)
	luca.Get(path)
	luca.Post(path+"/participate", url.Values{})
	if _, err := n.Events().Participate(ctx, carla, e.ID); err != nil {
		t.Fatal(err)
	}
	if err := n.Events().RecordAttendance(ctx, carla, e.ID, nil); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Fatalf("a participant recording attendance: %v", err)
	}
	if err := n.Events().RecordAttendance(ctx, org, e.ID, []string{n.URL() + "/users/luca", n.URL() + "/users/nobody"}); err != nil {
		t.Fatal(err)
	}
	start, _ := time.ParseInLocation("2006-01-02 15:04", date+" 09:00", loc)
	if code, _ := luca.Get(path + "/certificate"); code != http.StatusForbidden {
		t.Fatalf("certificate before the end: %d", code)
	}
	clock.Move(start.Add(time.Hour))
	_, page := luca.Get(path)
	mustContain(t, "certificate link", page, path+"/certificate")
	code, pdf := luca.Get(path + "/certificate")
	if code != 200 || !strings.HasPrefix(pdf, "%PDF-") {
		t.Fatalf("certificate: %d %.20q", code, pdf)
	}
	var buf strings.Builder
	if err := n.EventCertificates().Certificate(ctx, carla, e.ID, &buf); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN || buf.Len() != 0 {
		t.Fatalf("certificate of an absent participant: %v", err)
	}
}

// TestEvents_TwinSpaceLive: a teacher schedules a meeting of an approved
// project from its TwinSpace's Live tab; partners see it there (not in the
// programme's lists), at most 25 places, Live during its time; a member
// outside the project can neither see nor schedule one.
func TestEvents_TwinSpaceLive(t *testing.T) {
	clock := &eventClock{}
	n := nodetest.MustOpenNode(t, nodetest.Options{Now: clock.Now, LocalOnly: true})
	ctx := context.Background()
	anna, annaURL := seedTeacher(t, n, "anna", "Anna")
	bruno, brunoURL := seedTeacher(t, n, "bruno", "Bruno")
	carla, _ := seedTeacher(t, n, "carla", "Carla")
	if _, err := n.Social().RequestContact(ctx, anna, brunoURL, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Social().AnswerContact(ctx, bruno, annaURL, true); err != nil {
		t.Fatal(err)
	}
	seedStaff(t, n, "officer", twinfed.RoleAgencyOfficer)
	officer := &twinfed.Principal{Username: "officer", Role: twinfed.RoleAgencyOfficer, Status: twinfed.StatusValidated}
	proj, err := n.Projects().CreateProject(ctx, anna, project.ProjectDraft{SchoolID: "it-anna", Partner: brunoURL, Title: "Acqua", Description: "Misuriamo l'acqua.",
		Subjects: []string{"science"}, PupilAges: []int{10}, Languages: []string{"it"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Projects().AnswerInvitation(ctx, bruno, proj.ID, true, "it-bruno"); err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{annaURL, brunoURL} {
		if _, err := n.Projects().DecideParticipation(ctx, officer, proj.ID, who, true, ""); err != nil {
			t.Fatal(err)
		}
	}
	date, loc := cetDay(clock.Now(), 2)
	web := login(t, n, "anna", "correct horse 1")
	_, page := web.Get("/twinspace/home?id=" + url.QueryEscape(proj.ID))
	mustContain(t, "twinspace", page, "/projects/live?id=")
	web.Get("/projects/live?id=" + url.QueryEscape(proj.ID))
	code, page, to := web.Post("/projects/live", url.Values{"id": {proj.ID}, "title": {"Riunione"}, "date": {date}, "slot": {"11:00"}, "minutes": {"95"}, "language": {"it"}})
	if code != http.StatusBadRequest || !strings.Contains(page, "An online event lasts 30 to 90 minutes.") {
		t.Fatalf("95 minutes: %d %s", code, to)
	}
	if _, _, to = web.Post("/projects/live", url.Values{"id": {proj.ID}, "title": {"Riunione"}, "date": {date}, "slot": {"11:00"}, "minutes": {"45"}, "language": {"it"}}); !strings.Contains(to, "done=event_created") {
		t.Fatalf("schedule: → %q\n%s", to, web.Last)
	}
	if _, err := n.Events().CreateMeeting(ctx, carla, proj.ID, event.Input{Title: "x", Language: "it", Date: date, Slot: "12:00", Minutes: 30}); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Fatalf("an outsider schedules a meeting: %v", err)
	}
	brunoWeb := login(t, n, "bruno", "correct horse 1")
	_, page = brunoWeb.Get("/projects/live?id=" + url.QueryEscape(proj.ID))
	mustContain(t, "bruno's Live tab", page, "Riunione", "CET")
	evs, _ := n.Events().List(ctx, bruno, event.Filter{Project: proj.ID})
	if len(evs) != 1 || evs[0].Capacity != twinfed.TwinSpaceMeetingCap {
		t.Fatalf("meetings: %+v", evs)
	}
	_, page = brunoWeb.Get(n.Events().Path(evs[0].ID))
	mustContain(t, "the meeting's page", page, "The project&#39;s members", "0 / 25")
	if all, _ := n.Events().List(ctx, bruno, event.Filter{}); len(all) != 0 {
		t.Fatalf("a project meeting in the programme's lists: %d", len(all))
	}
	if _, err := n.Events().Get(ctx, carla, evs[0].ID); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		t.Fatalf("an outsider sees the meeting: %v", err)
	}
	// An event for anna's contacts: bruno sees it, carla not; only
	// contacts are invited.
	in := event.Input{Title: "Tra contatti", Language: "it", Kind: twinfed.EventOnline, Audience: twinfed.AudienceContacts, Date: date, Slot: "16:00", Minutes: 30, Invited: []string{n.URL() + "/users/carla"}}
	if _, err := n.Events().Create(ctx, anna, in); twinfed.ErrorFields(err)["invited"] == "" {
		t.Fatalf("inviting a non-contact: %v", err)
	}
	in.Invited = []string{brunoURL}
	ce, err := n.Events().Create(ctx, anna, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Events().Get(ctx, bruno, ce.ID); err != nil {
		t.Fatalf("a contact: %v", err)
	}
	if _, err := n.Events().Get(ctx, carla, ce.ID); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		t.Fatalf("not a contact: %v", err)
	}
	// Invitations grow from the edit form: bruno, in Italy, invited to an
	// event for France afterwards, sees it; a non-contact is refused;
	// no one is uninvited.
	fe, err := n.Events().Create(ctx, anna, event.Input{Title: "Solo Francia", Language: "it", Kind: twinfed.EventOnline, Audience: twinfed.AudienceCountries,
		Countries: []string{"FR"}, Date: date, Slot: "17:00", Minutes: 30})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Events().Get(ctx, bruno, fe.ID); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		t.Fatalf("bruno sees an event for France before he is invited: %v", err)
	}
	annaWeb := login(t, n, "anna", "correct horse 1")
	fpath := n.Events().Path(fe.ID)
	_, page = annaWeb.Get(fpath + "/edit")
	mustContain(t, "the edit form's contacts", page, `name="invited_sent"`, `value="`+brunoURL+`"`)
	edit := url.Values{"title": {"Solo Francia"}, "language": {"it"}, "kind": {"online"}, "audience": {"countries"}, "countries": {"FR"}, "date": {date},
		"slot": {"17:00"}, "minutes": {"30"}, "invited_sent": {"1"}, "invited": {n.URL() + "/users/carla"}}
	if code, page, _ := annaWeb.Post(fpath+"/edit", edit); code != http.StatusBadRequest || !strings.Contains(page, "Invite only your contacts.") {
		t.Fatalf("inviting a non-contact from the edit form: %d\n%s", code, page)
	}
	edit.Set("invited", brunoURL)
	annaWeb.Get(fpath + "/edit")
	if code, _, to := annaWeb.Post(fpath+"/edit", edit); code != http.StatusSeeOther || !strings.HasSuffix(to, "done=event_saved") {
		t.Fatalf("inviting bruno from the edit form: %d → %s\n%s", code, to, annaWeb.Last)
	}
	if _, err := n.Events().Get(ctx, bruno, fe.ID); err != nil {
		t.Fatalf("bruno, invited, does not see the event: %v", err)
	}
	_, page = annaWeb.Get(fpath + "/edit")
	mustContain(t, "an invitation that cannot be taken back", page, `value="`+brunoURL+`" checked disabled`)
	edit.Del("invited")
	if code, _, _ := annaWeb.Post(fpath+"/edit", edit); code != http.StatusSeeOther {
		t.Fatalf("an edit without invitations: %d\n%s", code, annaWeb.Last)
	}
	if _, err := n.Events().Get(ctx, bruno, fe.ID); err != nil {
		t.Fatalf("bruno uninvited by an edit: %v", err)
	}

	start, _ := time.ParseInLocation("2006-01-02 15:04", date+" 11:00", loc)
	clock.Move(start.Add(time.Minute))
	_, page = brunoWeb.Get("/projects/live?id=" + url.QueryEscape(proj.ID))
	mustContain(t, "live", page, `class="live"`)
}
