package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/pb"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/node/event"
	"github.com/twinfed/twinfed/node/store"
)

// BenchmarkEventBookings measures, across three real nodes (real HTTP,
// signatures checked against a real registry), 1,000 "Participate" clicks
// at once from members of IT, FR and ES for an event of 100 places on FR:
// the bookings the home node decides per second (bookings/s, from the
// first click to the last decision), and the time from a click on a
// remote node to its answer recorded there (p50_ms, p99_ms over the 666
// remote clicks). Each b.N round books a new event.
func BenchmarkEventBookings(b *testing.B) { benchBookings(b, 0) }

// BenchmarkEventBookingsPaced is BenchmarkEventBookings with the same 1,000
// clicks spread evenly over 2 s (500 a second) instead of all at once: the
// time from a click to its answer when the home node is busy but not
// flooded. bookings/s is then bounded by the pace; p50_ms and p99_ms are
// what it measures.
func BenchmarkEventBookingsPaced(b *testing.B) { benchBookings(b, 2*time.Second) }

// benchBookings runs the bookings benchmark, the clicks spread evenly over
// spread (0: all at once).
func benchBookings(b *testing.B, spread time.Duration) {
	const total = 1000
	cluster := consensustest.MustOpenCluster(b, 3)
	it, fr, es := startThreeNodes(b, cluster)
	ctx := context.Background()
	fr.seedTeacher(b, "marie", "Marie", "Curie", []string{"science"}, []int{10})
	nodes := []*fedNode{it, fr, es}
	type clicker struct {
		n    *fedNode
		user string
	}
	var clickers []clicker
	for i := range total {
		n := nodes[i%3]
		u := fmt.Sprintf("teacher%04d", i)
		n.seedTeacher(b, u, "T", "T", []string{"art"}, []int{10})
		clickers = append(clickers, clicker{n, u})
	}
	loc, _ := time.LoadLocation(twinfed.ProgrammeZone)
	for round := range b.N {
		day := time.Now().In(loc).AddDate(0, 0, 2+round)
		e, err := fr.Node().Events().Create(ctx, member("marie"), event.Input{Title: "Webinar", Language: "en", Kind: twinfed.EventOnline,
			Audience: twinfed.AudienceAll, Date: day.Format("2006-01-02"), Slot: "17:00", Minutes: 90})
		if err != nil {
			b.Fatal(err)
		}
		for i, n := range []*fedNode{it, es} {
			u := []string{"teacher0000", "teacher0002"}[i] // a member of each
			consensustest.Eventually(b, 30*time.Second, func() bool {
				_, err := n.Node().Events().Get(ctx, member(u), e.ID)
				return err == nil
			}, "the event never reached "+n.Config.Country)
		}
		// The 1,000 members' profiles went to every node as they were
		// seeded: the clicks start once the nodes are quiet, so that they
		// measure the bookings alone.
		quiet(b, nodes...)
		// The answers are seen as their nodes commit them (watch), not
		// polled: a click's time runs until its member's node has recorded
		// the home node's answer, and the home node's decisions are counted
		// as it commits them.
		var (
			lat []time.Duration
			wg  sync.WaitGroup
		)
		w := watch(b, e.ID, fr, total, it, es)
		start := time.Now()
		for i, c := range clickers {
			wg.Go(func() {
				var seen <-chan time.Time
				if c.n != fr {
					seen = w.expect(c.n, c.user)
				}
				if spread > 0 {
					<-time.After(time.Until(start.Add(spread * time.Duration(i) / total)))
				}
				t0 := time.Now()
				if _, err := c.n.Node().Events().Participate(ctx, member(c.user), e.ID); err != nil {
					b.Error(err)
					return
				}
				if seen == nil {
					return
				}
				select {
				case at := <-seen:
					w.mu.Lock()
					lat = append(lat, at.Sub(t0))
					w.mu.Unlock()
				case <-time.After(120 * time.Second):
					b.Error("no answer for " + c.user)
				}
			})
		}
		var decided time.Duration
		select {
		case at := <-w.decided:
			decided = at.Sub(start)
		case <-time.After(120 * time.Second):
			b.Fatal("the home node never decided every booking")
		}
		wg.Wait()
		w.stop()
		v, _ := fr.Node().Events().Get(ctx, member("marie"), e.ID)
		if v.Confirmed != 100 || v.Waiting != total-100 {
			b.Fatalf("%d confirmed and %d waiting, want 100 and %d", v.Confirmed, v.Waiting, total-100)
		}
		slices.Sort(lat)
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		b.ReportMetric(total/decided.Seconds(), "bookings/s")
		b.ReportMetric(ms(lat[len(lat)/2]), "p50_ms")
		b.ReportMetric(ms(lat[len(lat)*99/100]), "p99_ms")
	}
}

// quiet waits until no node has a delivery waiting or an incoming activity
// still to apply.
func quiet(b *testing.B, nodes ...*fedNode) {
	b.Helper()
	consensustest.Eventually(b, 120*time.Second, func() bool {
		for _, n := range nodes {
			for _, s := range n.fed.Status() {
				if s.Depth > 0 {
					return false
				}
			}
			pending := false
			n.Node().Store().View(func(txn *badger.Txn) error {
				opt := badger.DefaultIteratorOptions
				opt.PrefetchValues, opt.Prefix = false, []byte("fed/in/p/")
				it := txn.NewIterator(opt)
				defer it.Close()
				it.Rewind()
				pending = it.Valid()
				return nil
			})
			if pending {
				return false
			}
		}
		return true
	}, "the nodes never became quiet")
}

// bookingWatch records when the members' nodes commit the home node's
// answers to their bookings of one event, and when the home node has
// decided them all, from Badger's subscriptions to their keys
// (store.PrefixMyEvent, store.PrefixEventBooking): no polling, which took a
// third of the machine's CPU when each of 666 members read their state
// every 2 ms.
type bookingWatch struct {
	mu      sync.Mutex
	waiting map[string]chan time.Time // node host + " " + username → where the answer's time goes
	decided chan time.Time            // when the home node's counts reached the total
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// watch subscribes to the bookings of event id on its home node and on the
// members' nodes, and returns once every subscription is active.
func watch(b *testing.B, id string, home *fedNode, total int, members ...*fedNode) *bookingWatch {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &bookingWatch{waiting: map[string]chan time.Time{}, decided: make(chan time.Time, 1), cancel: cancel}
	counts := store.PrefixEventBooking + id
	var done sync.Once
	for _, n := range append([]*fedNode{home}, members...) {
		host := twinfed.URLHost(n.base)
		// The home node's counts, the members' own bookings on theirs: the
		// subscriptions match every write of their node against these.
		// Badger's publisher walks its trie of prefixes one byte of a key at
		// a time, with a map made at each byte, so the home node's prefix
		// is the short eb/ (the callback keeps the counts): the counts' own
		// key (eb/ and the event's URL) made every booking record written
		// on the home node cost a walk of some sixty bytes, 8 % of the
		// round's CPU.
		prefix := store.PrefixMyEvent
		if n == home {
			prefix = store.PrefixEventBooking
		}
		subscribe(b, ctx, &w.wg, n, []string{prefix}, func(kv *pb.KV, at time.Time) {
			switch k := string(kv.Key); {
			case k == counts:
				var c event.Bookings
				if json.Unmarshal(kv.Value, &c) == nil && c.Confirmed+c.Waiting == total {
					done.Do(func() { w.decided <- at })
				}
			case strings.HasPrefix(k, store.PrefixMyEvent):
				st := twinfed.BookingState(kv.Value)
				user, ev, _ := strings.Cut(k[len(store.PrefixMyEvent):], "/")
				if ev != id || (st != twinfed.BookingConfirmed && st != twinfed.BookingWaiting) {
					return
				}
				w.mu.Lock()
				ch := w.waiting[host+" "+user]
				delete(w.waiting, host+" "+user)
				w.mu.Unlock()
				if ch != nil {
					ch <- at
				}
			}
		})
	}
	return w
}

// subscribe runs fn, from a Badger subscription to n's writes under
// prefixes, for each write with the time it was published, in wg until
// ctx ends, and returns once the subscription is active: Badger's
// Subscribe registers in its own goroutine, so a probe key is written
// until the subscriber sees it.
func subscribe(tb testing.TB, ctx context.Context, wg *sync.WaitGroup, n *fedNode, prefixes []string, fn func(kv *pb.KV, at time.Time)) {
	tb.Helper()
	const probe = "test/probe"
	match := []pb.Match{{Prefix: []byte(probe)}}
	for _, p := range prefixes {
		match = append(match, pb.Match{Prefix: []byte(p)})
	}
	ready := make(chan struct{})
	var once sync.Once
	wg.Go(func() {
		err := n.Node().Store().DB().Subscribe(ctx, func(kvs *badger.KVList) error {
			at := time.Now()
			for _, kv := range kvs.Kv {
				if string(kv.Key) == probe {
					once.Do(func() { close(ready) })
					continue
				}
				fn(kv, at)
			}
			return nil
		}, match)
		if err != nil && ctx.Err() == nil {
			tb.Error(err)
		}
	})
	for {
		if err := n.Node().Store().DB().Update(func(txn *badger.Txn) error { return txn.Set([]byte(probe), nil) }); err != nil {
			tb.Fatal(err)
		}
		select {
		case <-ready:
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// expect returns where the time of user's answer on n will come.
func (w *bookingWatch) expect(n *fedNode, user string) <-chan time.Time {
	ch := make(chan time.Time, 1)
	w.mu.Lock()
	w.waiting[twinfed.URLHost(n.base)+" "+user] = ch
	w.mu.Unlock()
	return ch
}

// stop ends the subscriptions.
func (w *bookingWatch) stop() {
	w.cancel()
	w.wg.Wait()
}
