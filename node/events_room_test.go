package node_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/event"
	"github.com/twinfed/twinfed/node/event/eventroom"
	"github.com/twinfed/twinfed/node/nodetest"
)

// roomSecret is the meeting secret of the room tests' node.
const roomSecret = "a secret of sixteen+"

// bbbToken is a token as BigBlueButton's analytics callback makes it: a
// JWT (HS512) whose only claim is its expiry, signed with secret.
func bbbToken(secret string, exp time.Time) string {
	enc := base64.RawURLEncoding
	head := enc.EncodeToString([]byte(`{"alg":"HS512","typ":"JWT"}`))
	claims := enc.EncodeToString(fmt.Appendf(nil, `{"exp":%d}`, exp.Unix()))
	mac := hmac.New(sha512.New, []byte(secret))
	mac.Write([]byte(head + "." + claims))
	return head + "." + claims + "." + enc.EncodeToString(mac.Sum(nil))
}

// bbbReport is a report of the analytics callback's format (version 1.0)
// for room, with each attendee's ext_user_id and seconds present.
func bbbReport(room string, seconds map[string]float64) string {
	type attendee struct {
		ExtUserID string   `json:"ext_user_id"`
		Name      string   `json:"name"`
		Moderator bool     `json:"moderator"`
		Joins     []string `json:"joins"`
		Leaves    []string `json:"leaves"`
		Duration  float64  `json:"duration"`
	}
	var atts []attendee
	for id, s := range seconds {
		atts = append(atts, attendee{ExtUserID: id, Name: "someone", Joins: []string{"2026-01-01T09:00:00.000+00:00"}, Leaves: []string{"2026-01-01T10:00:00.000+00:00"}, Duration: s})
	}
	b, _ := json.Marshal(map[string]any{"version": "1.0", "meeting_id": room, "internal_meeting_id": "c7ae2a7bd4bd-1700000000000",
		"data": map[string]any{"metadata": map[string]string{"analytics_callback_url": "https://it.example/events/presence"}, "duration": 3600, "attendees": atts, "files": []string{}, "polls": []any{}}})
	return string(b)
}

// postPresence sends a report to n as the meeting room's service does.
func postPresence(t *testing.T, n *node.Node, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", n.URL()+"/events/presence", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, readAll(t, resp)
}

// TestEvents_Presence: the meeting room's service reports who attended a
// certifying online event (BigBlueButton's analytics callback): the
// participant present 40 of its 60 minutes is recorded as attending and
// downloads the certificate, the one present 10 minutes is not, an
// unknown id is ignored and named; the organiser's form shows the first
// ticked, marked as the room's. A bad signature, a stale token, a
// malformed or oversized body, an unknown room and an event giving no
// certificate are each refused with their message, and change nothing.
func TestEvents_Presence(t *testing.T) {
	clock := &eventClock{}
	n := nodetest.MustOpenNode(t, nodetest.Options{Now: clock.Now, Tune: func(o *node.Options) {
		o.Service.Events = event.Config{Rooms: 2, Capacity: 10, MeetingURL: "https://rooms.example/{room}?u={user}&n={name}&e={expires}&s={signature}", Secret: roomSecret}
	}})
	ctx := context.Background()
	org, _ := seedTeacher(t, n, "org", "Org")
	lucaP, _ := seedTeacher(t, n, "luca", "Luca")
	carla, _ := seedTeacher(t, n, "carla", "Carla")
	date, loc := cetDay(clock.Now(), 1)
	e, err := n.Events().Create(ctx, org, event.Input{Title: "Formazione", Language: "it", Kind: twinfed.EventOnline, Audience: twinfed.AudienceAll, Date: date, Slot: "09:00", Minutes: 60, Certifying: true})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := n.Events().Create(ctx, org, event.Input{Title: "Incontro", Language: "it", Kind: twinfed.EventOnline, Audience: twinfed.AudienceAll, Date: date, Slot: "11:00", Minutes: 60})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*twinfed.Principal{lucaP, carla} {
		for _, ev := range []*twinfed.Event{e, plain} {
			if st, err := n.Events().Participate(ctx, p, ev.ID); err != nil || st != twinfed.BookingConfirmed {
				t.Fatalf("participate: %v %v", st, err)
			}
		}
	}
	start, _ := time.ParseInLocation("2006-01-02 15:04", date+" 09:00", loc)
	path := n.Events().Path(e.ID)
	room := eventroom.Room(e.ID)

	// In the room, Luca's link carries his {user} id.
	clock.Move(start.Add(5 * time.Minute))
	luca := login(t, n, "luca", "correct horse 1")
	code, _, h := luca.Do(mustReq(t, n.URL()+path+"/room"))
	link, _ := url.Parse(h.Get("Location"))
	lucaID := n.EventRoom().UserID(e.ID, n.URL()+"/users/luca")
	carlaID := n.EventRoom().UserID(e.ID, n.URL()+"/users/carla")
	if code != http.StatusSeeOther || link == nil || link.Host != "rooms.example" || link.Path != "/"+room || link.Query().Get("u") != lucaID || len(lucaID) != 32 || lucaID == carlaID {
		t.Fatalf("room: %d %q (Luca's id %q)", code, h.Get("Location"), lucaID)
	}

	clock.Move(start.Add(70 * time.Minute))
	orgB := login(t, n, "org", "correct horse 1")
	ticked := func() int {
		_, page := orgB.Get(path)
		return strings.Count(page, `" checked>`)
	}
	orgID := n.EventRoom().UserID(e.ID, n.URL()+"/users/org") // the organiser was there too: neither attended nor unknown
	good := bbbReport(room, map[string]float64{lucaID: 40 * 60, carlaID: 10 * 60, "not-a-participant": 60 * 60, orgID: 60 * 60})
	token := bbbToken(roomSecret, clock.Now().Add(24*time.Hour))
	for _, tc := range []struct {
		name, token, body string
		code              int
		want              string
	}{
		{"no token", "", good, 401, "Authorization: Bearer"},
		{"bad signature", bbbToken("another secret of sixteen", clock.Now().Add(24*time.Hour)), good, 401, "not signed with this node's meeting secret"},
		{"stale", bbbToken(roomSecret, clock.Now().Add(-10*time.Minute)), good, 401, "the report is stale"},
		{"too long-lived", bbbToken(roomSecret, clock.Now().Add(48*time.Hour)), good, 401, "more than 24 hours from now"},
		{"malformed", token, `{"version":"1.0","meeting_id":`, 400, "The report is not the analytics callback's JSON"},
		{"no duration", token, strings.ReplaceAll(good, `"duration":2400`, `"duration":"40 minutes"`), 400, "cannot unmarshal string"},
		{"oversized", token, good + strings.Repeat(" ", eventroom.MaxReport), 413, "The report is over 1048576 bytes."},
		{"unknown room", token, bbbReport("event-nothing", map[string]float64{lucaID: 3600}), 404, `No event of this node has the meeting room \"event-nothing\".`},
		{"not certifying", token, bbbReport(eventroom.Room(plain.ID), map[string]float64{n.EventRoom().UserID(plain.ID, n.URL()+"/users/luca"): 3600}), 409, "gives no certificate"},
	} {
		code, body := postPresence(t, n, tc.token, tc.body)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s, want %d with %q", tc.name, code, body, tc.code, tc.want)
		}
		if got := ticked(); got != 0 {
			t.Fatalf("%s: the refused report ticked %d attendees", tc.name, got)
		}
	}
	if code, _ := luca.Get(path + "/certificate"); code != http.StatusForbidden {
		t.Fatalf("certificate before the report: %d", code)
	}

	code, body := postPresence(t, n, token, good)
	var ans eventroom.Presence
	if err := json.Unmarshal([]byte(body), &ans); code != 200 || err != nil {
		t.Fatalf("report: %d %s", code, body)
	}
	if !slices.Equal(ans.Present, []string{lucaID}) || !slices.Equal(ans.Absent, []string{carlaID}) || !slices.Equal(ans.Unknown, []string{"not-a-participant"}) || ans.Event != n.URL()+path {
		t.Fatalf("report's answer: %+v", ans)
	}
	if code, pdf := luca.Get(path + "/certificate"); code != 200 || !strings.HasPrefix(pdf, "%PDF-") {
		t.Fatalf("Luca's certificate: %d %.20q", code, pdf)
	}
	var buf strings.Builder
	if err := n.EventCertificates().Certificate(ctx, carla, e.ID, &buf); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Fatalf("Carla's certificate (10 minutes of 60): %v", err)
	}
	_, page := orgB.Get(path)
	mustContain(t, "Luca ticked, from the room", page, `value="`+n.URL()+`/users/luca" checked><label for="att-0">Luca`, "reported present by the meeting room")
	if strings.Contains(page, `/users/carla" checked`) {
		t.Fatal("Carla is ticked")
	}
	// The same report again changes nothing; the organiser may untick.
	if code, _ := postPresence(t, n, token, good); code != 200 || ticked() != 1 {
		t.Fatalf("report again: %d, %d ticked", code, ticked())
	}
	if err := n.Events().RecordAttendance(ctx, org, e.ID, nil); err != nil || ticked() != 0 {
		t.Fatalf("untick: %v, %d ticked", err, ticked())
	}
}
