package event

import (
	"errors"
	"sync"

	"github.com/dgraph-io/badger/v4"
)

// The bookings of an event are decided by one writer per event: the
// requests that wait for it (Participate, Leave, attendance, and the inbox's
// Join and Leave from other nodes) run one after another, in arrival order,
// in one Badger transaction, committed (synced) before any of them is
// answered. Concurrent bookings of one event thus neither conflict nor run
// again, and a burst of them costs a few commits instead of one each. A
// request that fails is not committed with the others: the batch is then
// run again one request per transaction, in the same order. A member's node
// runs the bookings of another node's event through the event's writer too:
// its members' clicks (each a pending state and a Join in the outbox) and
// the home node's answers (the inbox's Accept and Reject), so that a burst
// of them also costs a few synced commits instead of one each.

// maxBatch caps how many requests share one transaction, well under
// Badger's transaction size limit for bookings and their answers.
const maxBatch = 128

// errBatch stops a batch's transaction when one of its requests fails.
var errBatch = errors.New("event: a request of the batch failed")

// writer queues the requests of each event with a writer running.
type writer struct {
	mu     sync.Mutex
	queues map[string][]*writeReq // event id → requests waiting, in arrival order
}

type writeReq struct {
	fn   func(txn *badger.Txn) error
	done chan error
}

// Serial runs fn in a transaction of event id's single writer, possibly
// shared with other requests of the same event that came before and after
// it, and returns once that transaction committed (or fn failed, and then
// nothing of fn was committed). fn may run more than once, so it must set
// its results afresh on each run. The node's inbox applies the Join and
// Leave of this node's events, and the answers to its members' bookings of
// other nodes' events, through it.
func (s *Service) Serial(id string, fn func(txn *badger.Txn) error) error {
	r := &writeReq{fn: fn, done: make(chan error, 1)}
	s.w.mu.Lock()
	q, running := s.w.queues[id]
	s.w.queues[id] = append(q, r)
	s.w.mu.Unlock()
	if !running {
		go s.write(id)
	}
	return <-r.done
}

// write is event id's writer: it runs the requests waiting in batches until
// none is left.
func (s *Service) write(id string) {
	for {
		s.w.mu.Lock()
		q := s.w.queues[id]
		if len(q) == 0 {
			delete(s.w.queues, id)
			s.w.mu.Unlock()
			return
		}
		n := min(len(q), maxBatch)
		batch := q[:n:n]
		s.w.queues[id] = q[n:]
		s.w.mu.Unlock()
		s.runBatch(batch)
	}
}

// runBatch commits batch in one transaction, or each request in its own
// when that fails.
func (s *Service) runBatch(batch []*writeReq) {
	if len(batch) > 1 {
		err := s.store.Update(func(txn *badger.Txn) error {
			for _, r := range batch {
				if err := r.fn(txn); err != nil {
					return errBatch
				}
			}
			return nil
		})
		if err == nil {
			for _, r := range batch {
				r.done <- nil
			}
			return
		}
	}
	for _, r := range batch {
		r.done <- s.store.Update(r.fn)
	}
}
