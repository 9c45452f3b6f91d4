package consensus

import (
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// Lease reads. A consistent read needs the leader to know that no other
// member leads, or has led, since the read began. The usual way is a
// VerifyLeader round: a heartbeat to every follower, answered by a quorum.
// Raft already sends those heartbeats on its own, every tenth of the
// heartbeat timeout, so the leader keeps what they prove instead of
// asking again: a follower that accepted a heartbeat of this term sent
// at t
//
//   - rejects every vote request while it knows a leader (raft's
//     requestVote, unless the leader itself asked for a leadership
//     transfer, which this package never does), and
//   - forgets its leader, and may stand or vote, only once a heartbeat
//     timeout has passed without news from it: not before t + heartbeat
//     timeout on its own clock.
//
// When a quorum of the latest configuration (the leader counting itself)
// accepted heartbeats sent after now - leaseWindow, no other leader can
// exist before the oldest of those sends plus the heartbeat timeout, and
// leaseWindow is at most half of it: a lease in force now proves what a
// VerifyLeader round started now would. Members' clocks only need to run
// at about the same rate (the margin is half a heartbeat timeout), never
// to agree.
//
// A member that restarts forgets whom it followed and would vote at once,
// breaking the first promise. So a member with existing state waits
// leaseWindow before it starts Raft (Open), and every lease that counted
// its earlier heartbeats has expired by the time it can vote. A member
// whose data is wiped breaks Raft's own assumptions anyway.
//
// When no lease is in force (a follower unreachable, heartbeats late on a
// saturated machine) the read falls back to a VerifyLeader round.

// leaseWindow is how long an accepted heartbeat counts for a lease.
func leaseWindow(t RaftTuning) time.Duration {
	return min(t.LeaderLeaseTimeout, t.HeartbeatTimeout/2)
}

// leaseTransport is the Raft transport that notes, per follower, the
// newest heartbeat (any AppendEntries sent without a pipeline) the
// follower accepted in the term it was sent in.
type leaseTransport struct {
	*raft.NetworkTransport
	lease *leaseAcks
}

// AppendEntries sends args and notes the follower's acceptance.
func (t leaseTransport) AppendEntries(id raft.ServerID, target raft.ServerAddress, args *raft.AppendEntriesRequest, resp *raft.AppendEntriesResponse) error {
	sent := time.Now()
	*resp = raft.AppendEntriesResponse{} // raft reuses resp: no earlier answer counts
	err := t.NetworkTransport.AppendEntries(id, target, args, resp)
	if err == nil && resp.Success && resp.Term == args.Term {
		t.lease.accepted(id, args.Term, sent)
	}
	return err
}

// leaseAcks holds each follower's newest accepted heartbeat.
type leaseAcks struct {
	mu   sync.Mutex
	acks map[raft.ServerID]leaseAck
}

type leaseAck struct {
	term uint64
	sent time.Time
}

func (l *leaseAcks) accepted(id raft.ServerID, term uint64, sent time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.acks == nil {
		l.acks = map[raft.ServerID]leaseAck{}
	}
	if a := l.acks[id]; a.term > term || (a.term == term && a.sent.After(sent)) {
		return
	}
	l.acks[id] = leaseAck{term: term, sent: sent}
}

// holds reports whether self, leading in term, holds a lease at now: a
// quorum of the voters in servers accepted a heartbeat of term sent after
// now - window.
func (l *leaseAcks) holds(self raft.ServerID, servers []raft.Server, term uint64, now time.Time, window time.Duration) bool {
	voters, fresh := 0, 0
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range servers {
		if s.Suffrage != raft.Voter {
			continue
		}
		voters++
		if s.ID == self {
			fresh++
			continue
		}
		if a, ok := l.acks[s.ID]; ok && a.term == term && now.Sub(a.sent) < window {
			fresh++
		}
	}
	return voters > 0 && fresh*2 > voters
}

// leaseHolds reports whether this member, the leader of term, holds a
// read lease now.
func (m *Member) leaseHolds(term uint64) bool {
	f := m.raft.GetConfiguration()
	if f.Error() != nil {
		return false
	}
	return m.lease.holds(raft.ServerID(m.cfg.NodeID), f.Configuration().Servers, term, time.Now(), leaseWindow(m.cfg.Raft))
}
