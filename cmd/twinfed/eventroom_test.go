package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"html"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/config"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/node/event"
	"github.com/twinfed/twinfed/node/event/eventroom"
	"github.com/twinfed/twinfed/node/store"
)

// location GETs path without following a redirect: the status and the
// Location.
func (s *memberSession) location(path string) (int, string) {
	s.t.Helper()
	resp, _ := s.noFollow(path, "")
	return resp.StatusCode, resp.Header.Get("Location")
}

// pageIn GETs path with Accept-Language lang: the status and the page.
func (s *memberSession) pageIn(path, lang string) (int, string) {
	s.t.Helper()
	resp, b := s.noFollow(path, lang)
	return resp.StatusCode, string(b)
}

// noFollow GETs path (with Accept-Language lang unless "") without
// following a redirect: the answer and its body, read.
func (s *memberSession) noFollow(path, lang string) (*http.Response, []byte) {
	s.t.Helper()
	req, _ := http.NewRequest("GET", s.base+path, nil)
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	return s.send(req)
}

// send sends req with the session's cookies, without following a
// redirect: the answer and its body, read.
func (s *memberSession) send(req *http.Request) (*http.Response, []byte) {
	s.t.Helper()
	s.jar.add(req)
	c := *s.c
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// rooms sets a node's meeting-room provider and secret.
func rooms(host, secret string) func(*config.Node) {
	return func(c *config.Node) {
		c.Events.MeetingURL = "https://" + host + "/{room}?u={user}&n={name}&e={expires}&s={signature}"
		c.Events.Secret = secret
	}
}

// TestFederation_EventRoom: IT and FR configure different meeting-room
// providers and secrets. A French member booked on an Italian online
// event enters its room from FR: FR asks IT (a signed GET) and redirects
// to IT's provider, with a link signed with IT's secret, the name IT's
// booking holds and the member's {user} in that event; before the room
// opens, FR says so. IT refuses ES's request for a French member, FR's for
// a French member who did not book, and FR's for an event it does not
// have (a 404 that does not stop FR asking IT's events).
func TestFederation_EventRoom(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 3)
	clock := &movedClock{}
	const itSecret, frSecret = "the Italian rooms' secret", "the French rooms' secret"
	it := startFedNodeAt(t, cluster, "IT", rooms("rooms-it.example", itSecret), clock.Now)
	fr := startFedNodeAt(t, cluster, "FR", rooms("rooms-fr.example", frSecret), clock.Now)
	es := startFedNodeAt(t, cluster, "ES", nil, clock.Now)
	it.knows(t, fr, es)
	fr.knows(t, it, es)
	es.knows(t, it, fr)
	it.seedTeacher(t, "giulia", "Giulia", "Bianchi", []string{"science"}, []int{10})
	fr.seedTeacher(t, "marie", "Marie", "Curie", []string{"science"}, []int{10})
	fr.seedTeacher(t, "paul", "Paul", "Langevin", []string{"science"}, []int{10})
	ctx := context.Background()
	loc, _ := time.LoadLocation(twinfed.ProgrammeZone)
	day := clock.Now().In(loc).AddDate(0, 0, 2)
	e, err := it.Node().Events().Create(ctx, member("giulia"), event.Input{Title: "Laboratorio di robotica", Language: "it", Kind: twinfed.EventOnline,
		Audience: twinfed.AudienceCountries, Countries: []string{"IT", "FR"}, Date: day.Format("2006-01-02"), Slot: "16:00", Minutes: 60})
	if err != nil {
		t.Fatal(err)
	}
	marie := fr.login(t, "marie")
	consensustest.Eventually(t, 30*time.Second, func() bool {
		_, err := fr.Node().Events().Get(ctx, member("marie"), e.ID)
		return err == nil
	}, "the event never reached FR")
	path := fr.Node().Events().Path(e.ID)
	if to := marie.post(path, path+"/participate", url.Values{}); !strings.HasSuffix(to, "done=event_pending") {
		t.Fatalf("participate: → %s", to)
	}
	fr.confirmed(t, "marie", e.ID)

	// Two days before: the room is closed, on FR as on IT.
	if code, to := marie.location(path + "/room"); code != http.StatusForbidden {
		t.Fatalf("room two days before: %d → %s", code, to)
	}
	mActor := twinfed.ActorURL(fr.base, "marie")
	forURL := e.ID + "/room/for?actor=" + url.QueryEscape(mActor)
	if _, err := fr.out.Get(ctx, forURL); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN || !strings.HasSuffix(twinfed.ErrorMessage(err), "The meeting room opens to participants a few minutes before the event.") {
		t.Fatalf("IT's answer two days before: %v", err)
	}

	// Five minutes before: Marie enters, from FR, IT's room.
	start, _ := time.ParseInLocation("2006-01-02 15:04", day.Format("2006-01-02")+" 16:00", loc)
	clock.MoveTo(start.Add(-5 * time.Minute))
	if page := marie.page(path); !strings.Contains(page, `href="`+path+`/room"`) {
		t.Fatal("FR's event page offers no room")
	}
	// A request for an event IT does not have is a 404 that leaves FR
	// asking IT's events.
	if _, err := fr.out.Get(ctx, it.base+"/events/nothing/room/for?actor="+url.QueryEscape(mActor)); twinfed.ErrorCode(err) != twinfed.ENOTFOUND || !strings.HasSuffix(twinfed.ErrorMessage(err), "There is no such event.") {
		t.Fatalf("IT's answer for no event: %v", err)
	}
	code, to := marie.location(path + "/room")
	link, _ := url.Parse(to)
	if code != http.StatusSeeOther || link == nil || link.Host != "rooms-it.example" || link.Path != "/"+eventroom.Room(e.ID) {
		t.Fatalf("room: %d → %s", code, to)
	}
	q := link.Query()
	if want := it.Node().EventRoom().UserID(e.ID, mActor); q.Get("u") != want || want == fr.Node().EventRoom().UserID(e.ID, mActor) {
		t.Fatalf("{user} %q, want IT's id of Marie %q", q.Get("u"), want)
	}
	if q.Get("n") != "Marie Curie" || q.Get("e") != strconv.FormatInt(e.End().Unix(), 10) {
		t.Fatalf("name and expiry: %q", to)
	}
	mac := hmac.New(sha256.New, []byte(itSecret))
	mac.Write([]byte(eventroom.Room(e.ID) + "\n" + q.Get("n") + "\n" + q.Get("e")))
	if q.Get("s") != hex.EncodeToString(mac.Sum(nil)) {
		t.Fatalf("the link is not signed with IT's secret: %q", to)
	}

	// IT gives a member's link only to the member's own node, and only
	// for a confirmed participant.
	if _, err := es.out.Get(ctx, forURL); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN || !strings.HasSuffix(twinfed.ErrorMessage(err), "This page is not open to you.") {
		t.Fatalf("ES asking for a French member: %v", err)
	}
	if _, err := fr.out.Get(ctx, e.ID+"/room/for?actor="+url.QueryEscape(twinfed.ActorURL(fr.base, "paul"))); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Fatalf("FR asking for Paul, who did not book: %v", err)
	}
	paul := fr.login(t, "paul")
	if code, _ := paul.location(path + "/room"); code != http.StatusForbidden {
		t.Fatalf("Paul's room: %d", code)
	}
	// Should FR believe Paul confirmed (a record IT never made), IT's
	// refusal reaches him, in his language.
	if err := fr.store.Update(func(txn *badger.Txn) error {
		return txn.Set([]byte(store.PrefixMyEvent+"paul/"+e.ID), []byte(twinfed.BookingConfirmed))
	}); err != nil {
		t.Fatal(err)
	}
	if code, page := paul.pageIn(path+"/room", "fr"); code != http.StatusForbidden || !strings.Contains(html.UnescapeString(page), "La salle de réunion s'ouvre aux participants quelques minutes avant l'événement.") {
		t.Fatalf("Paul's room, refused by IT: %d\n%s", code, page)
	}
}
