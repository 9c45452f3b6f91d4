package main

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
)

// BenchmarkContactRequestAcceptedOnBoth measures, across two real nodes
// (IT and FR, real HTTP, signatures checked against a real 3-member
// registry), the time from an IT teacher's contact request to the contact
// being accepted on both nodes: the request travels to FR, the FR teacher
// accepts as soon as it arrives, the Accept travels back. One pair at a
// time; p50 and p99 over 100 pairs, whatever b.N is.
func BenchmarkContactRequestAcceptedOnBoth(b *testing.B) {
	cluster := consensustest.MustOpenCluster(b, 3)
	it, fr := startFedNode(b, cluster, "IT"), startFedNode(b, cluster, "FR")
	it.knows(b, fr)
	fr.knows(b, it)
	ctx := context.Background()
	const pairs = 100
	type pair struct{ from, to, toURL, fromURL string }
	var ps []pair
	for i := range pairs {
		a, f := fmt.Sprintf("it%03d", i), fmt.Sprintf("fr%03d", i)
		ps = append(ps, pair{from: a, to: f, fromURL: it.seedTeacher(b, a, "Anna", "Italia", []string{"music"}, []int{10}), toURL: fr.seedTeacher(b, f, "Fanny", "France", []string{"music"}, []int{10})})
	}
	principal := func(u string) *twinfed.Principal {
		return &twinfed.Principal{Username: u, Role: twinfed.RoleMember, Status: twinfed.StatusValidated}
	}
	poll := func(what string, cond func() bool) {
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				b.Fatalf("timeout: %s", what)
			}
			time.Sleep(200 * time.Microsecond)
		}
	}
	for range b.N {
		lat := make([]time.Duration, 0, pairs)
		for _, p := range ps {
			// Reset from an earlier b.N round.
			_ = it.Node().Social().RemoveContact(ctx, principal(p.from), p.toURL)
			poll("removal reached FR", func() bool { ok, _ := fr.Node().Social().IsContact(ctx, p.to, p.fromURL); return !ok })
			start := time.Now()
			if _, err := it.Node().Social().RequestContact(ctx, principal(p.from), p.toURL, ""); err != nil {
				b.Fatal(err)
			}
			poll("request reached FR", func() bool {
				_, err := fr.Node().Social().AnswerContact(ctx, principal(p.to), p.fromURL, true)
				return err == nil
			})
			poll("accept reached IT", func() bool { ok, _ := it.Node().Social().IsContact(ctx, p.from, p.toURL); return ok })
			lat = append(lat, time.Since(start))
		}
		slices.Sort(lat)
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		b.ReportMetric(ms(lat[len(lat)/2]), "p50_ms")
		b.ReportMetric(ms(lat[len(lat)*99/100]), "p99_ms")
	}
}
