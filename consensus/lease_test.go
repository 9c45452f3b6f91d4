package consensus

import (
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

func TestLease_Holds(t *testing.T) {
	now := time.Now()
	const window = 500 * time.Millisecond
	three := []raft.Server{{ID: "r1", Suffrage: raft.Voter}, {ID: "r2", Suffrage: raft.Voter}, {ID: "r3", Suffrage: raft.Voter}}
	five := append(append([]raft.Server(nil), three...), raft.Server{ID: "r4", Suffrage: raft.Voter}, raft.Server{ID: "r5", Suffrage: raft.Voter})
	withNonvoter := append(append([]raft.Server(nil), three[:2]...), raft.Server{ID: "r3", Suffrage: raft.Nonvoter})
	type ack struct {
		id   raft.ServerID
		term uint64
		ago  time.Duration
	}
	tests := []struct {
		name    string
		servers []raft.Server
		acks    []ack
		want    bool
	}{
		{"no follower answered", three, nil, false},
		{"one fresh follower of three", three, []ack{{"r2", 7, 100 * time.Millisecond}}, true},
		{"the follower's heartbeat is older than the window", three, []ack{{"r2", 7, window}}, false},
		{"an acceptance of an earlier term", three, []ack{{"r2", 6, time.Millisecond}, {"r3", 6, time.Millisecond}}, false},
		{"one fresh follower of five is no quorum", five, []ack{{"r2", 7, time.Millisecond}, {"r3", 7, window + time.Millisecond}}, false},
		{"two fresh followers of five and the leader", five, []ack{{"r2", 7, time.Millisecond}, {"r5", 7, 400 * time.Millisecond}}, true},
		{"a non-voter's acceptance does not count", withNonvoter, []ack{{"r3", 7, time.Millisecond}}, false},
		{"a voter of two must answer", withNonvoter, []ack{{"r2", 7, time.Millisecond}}, true},
		{"a server outside the configuration does not count", three, []ack{{"r9", 7, time.Millisecond}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l leaseAcks
			for _, a := range tt.acks {
				l.accepted(a.id, a.term, now.Add(-a.ago))
			}
			if got := l.holds("r1", tt.servers, 7, now, window); got != tt.want {
				t.Fatalf("holds = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLease_NewestAcceptanceKept(t *testing.T) {
	now := time.Now()
	var l leaseAcks
	l.accepted("r2", 7, now.Add(-10*time.Millisecond))
	l.accepted("r2", 7, now.Add(-900*time.Millisecond)) // an older heartbeat answered late
	l.accepted("r2", 6, now)                            // an answer to the previous term's replication
	three := []raft.Server{{ID: "r1", Suffrage: raft.Voter}, {ID: "r2", Suffrage: raft.Voter}, {ID: "r3", Suffrage: raft.Voter}}
	if !l.holds("r1", three, 7, now, 500*time.Millisecond) {
		t.Fatal("a late answer to an older heartbeat replaced the newest acceptance")
	}
	l.accepted("r2", 8, now.Add(-time.Second))
	if l.holds("r1", three, 7, now, 500*time.Millisecond) {
		t.Fatal("an acceptance of term 7 still counts after one of term 8")
	}
}

func TestLease_Window(t *testing.T) {
	if got := leaseWindow(DefaultRaftTuning()); got != 500*time.Millisecond {
		t.Fatalf("default window %v, want 500ms", got)
	}
	if got := leaseWindow(RaftTuning{HeartbeatTimeout: time.Second, LeaderLeaseTimeout: time.Second}); got != 500*time.Millisecond {
		t.Fatalf("window %v: it must leave half a heartbeat timeout of margin", got)
	}
}
