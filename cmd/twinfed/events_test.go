package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4/pb"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/node/event"
	"github.com/twinfed/twinfed/node/store"
)

// member is a principal of a member seeded on a node.
func member(username string) *twinfed.Principal {
	return &twinfed.Principal{Username: username, Role: twinfed.RoleMember, Status: twinfed.StatusValidated}
}

// TestFederation_Events walks issue 19's events across three real nodes
// and a real registry: a French teacher creates an online event for
// members of IT and FR; an Italian teacher finds it in the month calendar
// on IT and participates (Join to FR, Accept back); a Spanish teacher does
// not see it; the Italian teacher's calendar feed lists it in CET.
func TestFederation_Events(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 3)
	it, fr, es := startThreeNodes(t, cluster)
	fr.seedTeacher(t, "marie", "Marie", "Curie", []string{"science"}, []int{10})
	it.seedTeacher(t, "luca", "Luca", "Rossi", []string{"science"}, []int{10})
	es.seedTeacher(t, "ana", "Ana", "García", []string{"science"}, []int{10})
	ctx := context.Background()
	loc, _ := time.LoadLocation(twinfed.ProgrammeZone)
	day := time.Now().In(loc).AddDate(0, 0, 2)
	e, err := fr.Node().Events().Create(ctx, member("marie"), event.Input{Title: "Robotique en classe", Language: "fr", Kind: twinfed.EventOnline,
		Audience: twinfed.AudienceCountries, Countries: []string{"IT", "FR"}, Date: day.Format("2006-01-02"), Slot: "16:00", Minutes: 60})
	if err != nil {
		t.Fatal(err)
	}
	path := it.Node().Events().Path(e.ID)

	// IT gets the event; Luca finds it in the month calendar.
	luca := it.login(t, "luca")
	consensustest.Eventually(t, 30*time.Second, func() bool {
		return strings.Contains(luca.page("/events/calendar?month="+day.Format("2006-01")), "Robotique en classe")
	}, "the event never reached IT's calendar")
	if to := luca.post(path, path+"/participate", url.Values{}); !strings.HasSuffix(to, "done=event_pending") {
		t.Fatalf("participate: → %s", to)
	}
	it.confirmed(t, "luca", e.ID)
	if v, _ := fr.Node().Events().Get(ctx, member("marie"), e.ID); v.Confirmed != 1 || v.Attendees[0].Actor != twinfed.ActorURL(it.base, "luca") {
		t.Fatalf("home node's bookings: %+v", v)
	}

	// ES is not in the audience: it holds no copy, Ana sees nothing.
	if evs, err := es.Node().Events().List(ctx, member("ana"), event.Filter{}); err != nil || len(evs) != 0 {
		t.Fatalf("ES lists %d events (%v)", len(evs), err)
	}
	if _, err := es.Node().Events().Get(ctx, member("ana"), e.ID); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		t.Fatalf("ES event page: %v", err)
	}

	// Luca's personal feed, on IT, in CET.
	token, err := it.Node().Events().NewFeed(ctx, member("luca"))
	if err != nil {
		t.Fatal(err)
	}
	feed := luca.raw(t, "/calendar/"+token)
	want := "DTSTART;TZID=Europe/Brussels:" + day.Format("20060102") + "T160000"
	if !strings.Contains(feed, want) || !strings.Contains(feed, "BEGIN:VTIMEZONE\r\nTZID:Europe/Brussels") || !strings.Contains(feed, "SUMMARY:Robotique en classe") {
		t.Fatalf("feed without %q:\n%s", want, feed)
	}
}

// TestFederation_EventCapacity books an event of 100 places with requests
// from members of three nodes at once, the home node restarted in the
// middle: exactly 100 confirmed, the rest on the waiting list, across the
// federation.
func TestFederation_EventCapacity(t *testing.T) {
	const perNode = 100 // 300 requests; BenchmarkEventBookings sends 1,000
	cluster := consensustest.MustOpenCluster(t, 3)
	it, fr, es := startThreeNodes(t, cluster)
	ctx := context.Background()
	fr.seedTeacher(t, "marie", "Marie", "Curie", []string{"science"}, []int{10})
	nodes := []*fedNode{it, fr, es}
	for _, n := range nodes {
		for i := range perNode {
			n.seedTeacher(t, fmt.Sprintf("teacher%03d", i), "T", "T", []string{"art"}, []int{10})
		}
	}
	loc, _ := time.LoadLocation(twinfed.ProgrammeZone)
	day := time.Now().In(loc).AddDate(0, 0, 3)
	e, err := fr.Node().Events().Create(ctx, member("marie"), event.Input{Title: "Webinar", Language: "en", Kind: twinfed.EventOnline,
		Audience: twinfed.AudienceAll, Date: day.Format("2006-01-02"), Slot: "17:00", Minutes: 90})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []*fedNode{it, es} {
		consensustest.Eventually(t, 30*time.Second, func() bool {
			_, err := n.Node().Events().Get(ctx, member("teacher000"), e.ID)
			return err == nil
		}, "the event never reached "+n.Config.Country)
	}
	participate := func(nodes ...*fedNode) {
		var wg sync.WaitGroup
		for _, n := range nodes {
			for i := range perNode {
				wg.Go(func() {
					if _, err := n.Node().Events().Participate(ctx, member(fmt.Sprintf("teacher%03d", i)), e.ID); err != nil {
						t.Error(err)
					}
				})
			}
		}
		wg.Wait()
	}
	// IT's commits of its members' bookings, seen as they are written:
	// each write's version is the commit that made it.
	commits := watchCommits(t, it, store.PrefixMyEvent)
	// IT's and ES's members book (their Joins on their way to FR), FR
	// stops and starts again meanwhile, then FR's own members book.
	participate(it, es)
	fr.nodeMain.Close()
	fr.restart(t)
	participate(fr)
	consensustest.Eventually(t, 120*time.Second, func() bool {
		v, err := fr.Node().Events().Get(ctx, member("marie"), e.ID)
		return err == nil && v.Confirmed+v.Waiting == 3*perNode
	}, "the home node never decided every booking")
	v, _ := fr.Node().Events().Get(ctx, member("marie"), e.ID)
	if v.Confirmed != 100 || v.Waiting != 3*perNode-100 {
		t.Fatalf("home node: %d confirmed, %d waiting; want 100 and %d", v.Confirmed, v.Waiting, 3*perNode-100)
	}
	// Every member's node learns its answer; together exactly 100 confirmed.
	consensustest.Eventually(t, 120*time.Second, func() bool {
		confirmed, waiting := 0, 0
		for _, n := range nodes {
			for i := range perNode {
				v, err := n.Node().Events().Get(ctx, member(fmt.Sprintf("teacher%03d", i)), e.ID)
				if err != nil {
					return false
				}
				switch v.State {
				case twinfed.BookingConfirmed:
					confirmed++
				case twinfed.BookingWaiting:
					waiting++
				}
			}
		}
		return confirmed == 100 && waiting == 3*perNode-100
	}, "the members' nodes never agreed on 100 confirmed")
	// A member's node records a burst of its members' clicks, and the
	// home node's answers to them, through the event's writer: many to
	// one synced commit, not one each.
	clicks, answers := commits.versions(e.ID)
	t.Logf("IT: %d clicks in %d commits, their answers in %d", perNode, clicks, answers)
	if clicks == 0 || clicks > perNode/2 || answers == 0 || answers > perNode/2 {
		t.Errorf("IT recorded %d clicks in %d commits and the answers in %d commits; want at most %d each", perNode, clicks, answers, perNode/2)
	}
}

// commitWatch collects the Badger versions (commit timestamps) of a
// node's writes of its members' booking states, from a subscription.
type commitWatch struct {
	mu     sync.Mutex
	states map[string]map[uint64]bool // key's event id + " " + state → versions
}

// watchCommits subscribes to n's writes under prefix (store.PrefixMyEvent:
// <username>/<event id> → state) until the test ends, and returns once the
// subscription is active.
func watchCommits(t *testing.T, n *fedNode, prefix string) *commitWatch {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &commitWatch{states: map[string]map[uint64]bool{}}
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	subscribe(t, ctx, &wg, n, []string{prefix}, func(kv *pb.KV, _ time.Time) {
		_, ev, _ := strings.Cut(string(kv.Key)[len(prefix):], "/")
		key := ev + " " + string(kv.Value)
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.states[key] == nil {
			w.states[key] = map[uint64]bool{}
		}
		w.states[key][kv.Version] = true
	})
	return w
}

// versions counts the commits that wrote event id's pending bookings
// (the clicks) and those that wrote its answers (confirmed or waiting).
func (w *commitWatch) versions(id string) (clicks, answers int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	ans := map[uint64]bool{}
	for _, st := range []twinfed.BookingState{twinfed.BookingConfirmed, twinfed.BookingWaiting} {
		for v := range w.states[id+" "+string(st)] {
			ans[v] = true
		}
	}
	return len(w.states[id+" pending"]), len(ans)
}

// raw GETs path without a session (a calendar application) and returns
// the body; anything but 200 fails the test.
func (s *memberSession) raw(t *testing.T, path string) string {
	t.Helper()
	resp, err := s.c.Get(s.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d\n%s", path, resp.StatusCode, b)
	}
	return string(b)
}

// book books event id for who, a member of n, once the event has reached
// n, and waits until its home node has confirmed the booking.
func (n *fedNode) book(t *testing.T, who, id string) {
	t.Helper()
	consensustest.Eventually(t, 30*time.Second, func() bool {
		_, err := n.Node().Events().Participate(context.Background(), member(who), id)
		return err == nil
	}, who+": the event never reached "+n.Config.Country)
	n.confirmed(t, who, id)
}

// confirmed waits until who's booking of event id, as n knows it, is
// confirmed.
func (n *fedNode) confirmed(t *testing.T, who, id string) {
	t.Helper()
	consensustest.Eventually(t, 30*time.Second, func() bool {
		v, err := n.Node().Events().Get(context.Background(), member(who), id)
		return err == nil && v.State == twinfed.BookingConfirmed
	}, "the home node never confirmed "+who+"'s booking on "+n.Config.Country)
}
