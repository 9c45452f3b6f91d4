package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/node/event"
)

// BenchmarkEventBookings measures, across three real nodes (real HTTP,
// signatures checked against a real registry), 1,000 "Participate" clicks
// at once from members of IT, FR and ES for an event of 100 places on FR:
// the bookings the home node decides per second (bookings/s, from the
// first click to the last decision), and the time from a click on a
// remote node to its answer recorded there (p50_ms, p99_ms over the 666
// remote clicks). Each b.N round books a new event.
func BenchmarkEventBookings(b *testing.B) {
	const total = 1000
	cluster := consensustest.MustOpenCluster(b, 3)
	it, fr, es := startFedNode(b, cluster, "IT"), startFedNode(b, cluster, "FR"), startFedNode(b, cluster, "ES")
	it.knows(b, fr, es)
	fr.knows(b, it, es)
	es.knows(b, it, fr)
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
		var (
			mu  sync.Mutex
			lat []time.Duration
			wg  sync.WaitGroup
		)
		start := time.Now()
		for _, c := range clickers {
			wg.Go(func() {
				t0 := time.Now()
				if _, err := c.n.Node().Events().Participate(ctx, member(c.user), e.ID); err != nil {
					b.Error(err)
					return
				}
				if c.n == fr {
					return
				}
				for deadline := time.Now().Add(120 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
					v, err := c.n.Node().Events().Get(ctx, member(c.user), e.ID)
					if err == nil && (v.State == twinfed.BookingConfirmed || v.State == twinfed.BookingWaiting) {
						mu.Lock()
						lat = append(lat, time.Since(t0))
						mu.Unlock()
						return
					}
				}
				b.Error("no answer for " + c.user)
			})
		}
		consensustest.Eventually(b, 120*time.Second, func() bool {
			v, err := fr.Node().Events().Get(ctx, member("marie"), e.ID)
			return err == nil && v.Confirmed+v.Waiting == total
		}, "the home node never decided every booking")
		decided := time.Since(start)
		wg.Wait()
		v, _ := fr.Node().Events().Get(ctx, member("marie"), e.ID)
		if v.Confirmed != 100 {
			b.Fatalf("%d confirmed, want 100", v.Confirmed)
		}
		slices.Sort(lat)
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		b.ReportMetric(total/decided.Seconds(), "bookings/s")
		b.ReportMetric(ms(lat[len(lat)/2]), "p50_ms")
		b.ReportMetric(ms(lat[len(lat)*99/100]), "p99_ms")
	}
}
