package consensus_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/twinfed/twinfed/consensus"
	"github.com/twinfed/twinfed/consensus/consensustest"
)

// readConfirmations is the leader's count of consistent reads confirmed
// by the heartbeats' lease.
func readConfirmations(t *testing.T, reg *prometheus.Registry, by string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "twinfed_registry_read_confirmations_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "by" && l.GetValue() == by {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// TestLease_ReadsNeedNoRoundUntilTheLeaderIsCutOff: on a healthy cluster
// the leader confirms consistent reads from the heartbeats its followers
// accepted, without a VerifyLeader round; once it is cut off from both,
// no read that starts a lease window after the cut succeeds, and the
// leader gives up reads altogether.
func TestLease_ReadsNeedNoRoundUntilTheLeaderIsCutOff(t *testing.T) {
	cutters := []*cutter{newCutter(), newCutter(), newCutter()}
	c := consensustest.MustOpenClusterWith(t, 3, func(i int, cfg *consensus.Config) {
		cfg.RaftListener = cutListener{cfg.RaftListener, cutters[i]}
		cfg.RaftDial = cutters[i].Dial
	})
	c.MustWaitSeeded(t)
	li := c.MustLeader(t)
	l, reg := c.Members[li], c.Config(li).Metrics
	deadline := time.Now().Add(10 * time.Second)
	for readConfirmations(t, reg, "lease") == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no consistent read was confirmed by the lease in 10 s (%v by a round)", readConfirmations(t, reg, "round"))
		}
		if _, err := l.ReadIndex(context.Background()); err != nil {
			t.Fatalf("read index on the leader: %v", err)
		}
	}
	rounds := readConfirmations(t, reg, "round")
	for range 100 {
		if _, err := l.ReadIndex(context.Background()); err != nil {
			t.Fatalf("read index on the leader: %v", err)
		}
	}
	if r := readConfirmations(t, reg, "round"); r > rounds+5 {
		t.Fatalf("%v of 100 reads on a healthy, idle cluster needed a VerifyLeader round", r-rounds)
	}

	window := min(consensustest.TestTuning().LeaderLeaseTimeout, consensustest.TestTuning().HeartbeatTimeout/2)
	cut := time.Now()
	cutters[li].Sever()
	deadline = time.Now().Add(15 * time.Second)
	for {
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		_, err := l.ReadIndex(ctx)
		cancel()
		if err == nil && start.Sub(cut) >= window {
			t.Fatalf("a read that started %v after the leader was cut off succeeded (lease window %v)", start.Sub(cut), window)
		}
		if errors.Is(err, consensus.ErrNotLeader) && start.Sub(cut) >= window {
			break // it stepped down, or can no longer confirm
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cut-off leader still did not refuse reads after 15 s: %v", err)
		}
	}
}
