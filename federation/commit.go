package federation

import (
	"errors"
	"sync"

	"github.com/dgraph-io/badger/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// maxGroup caps how many writes share one group commit, well under
// Badger's transaction size limit for our record sizes.
const maxGroup = 256

// committer groups the small writes of concurrent callers (an incoming
// activity stored before its 202, a delivered item removed from the queue,
// a processed activity marked done) into one Badger transaction, so that
// many of them cost one commit (and, with SyncWrites, one fsync) instead of
// one each. Nothing waits on purpose: a group is whatever arrived while the
// previous commit was being written, so an idle node commits at once.
//
// update returns only after the caller's write is committed, so a caller
// that answers 202 after update still answers only once the activity is
// stored.
type committer struct {
	db   *badger.DB
	reqs chan *commitReq
	size prometheus.Histogram

	mu      sync.Mutex
	running bool
	stop    chan struct{}
	done    chan struct{}
}

type commitReq struct {
	fn  func(txn *badger.Txn) error
	err chan error
}

func newCommitter(db *badger.DB, size prometheus.Histogram) *committer {
	return &committer{db: db, reqs: make(chan *commitReq), size: size}
}

// start runs the writer until close.
func (c *committer) start() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running {
		return
	}
	c.running = true
	c.stop, c.done = make(chan struct{}), make(chan struct{})
	go c.run(c.stop, c.done)
}

// close stops the writer; later updates commit on their own.
func (c *committer) close() {
	c.mu.Lock()
	if !c.running {
		c.mu.Unlock()
		return
	}
	c.running = false
	stop, done := c.stop, c.done
	c.mu.Unlock()
	close(stop)
	<-done
}

// update runs fn in a Badger update transaction, possibly shared with
// other callers' functions, and returns once that transaction committed.
// fn may run more than once (a failed group is retried one function at a
// time), so it must set its results afresh on each run.
func (c *committer) update(fn func(txn *badger.Txn) error) error {
	c.mu.Lock()
	stop := c.stop
	running := c.running
	c.mu.Unlock()
	if running {
		r := &commitReq{fn: fn, err: make(chan error, 1)}
		select {
		case c.reqs <- r:
			return <-r.err
		case <-stop:
		}
	}
	return updateRetry(c.db, fn)
}

func (c *committer) run(stop, done chan struct{}) {
	defer close(done)
	group := make([]*commitReq, 0, maxGroup)
	for {
		group = group[:0]
		select {
		case r := <-c.reqs:
			group = append(group, r)
		case <-stop:
			return
		}
	collect:
		for len(group) < maxGroup {
			select {
			case r := <-c.reqs:
				group = append(group, r)
			default:
				break collect
			}
		}
		c.commit(group)
	}
}

// commit writes a group in one transaction; if that fails (one function
// refused, a conflict, a transaction too big), each function is committed
// on its own so that each caller gets its own answer.
func (c *committer) commit(group []*commitReq) {
	c.size.Observe(float64(len(group)))
	if len(group) > 1 {
		err := c.db.Update(func(txn *badger.Txn) error {
			for _, r := range group {
				if err := r.fn(txn); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil {
			for _, r := range group {
				r.err <- nil
			}
			return
		}
	}
	for _, r := range group {
		r.err <- updateRetry(c.db, r.fn)
	}
}

// updateRetry is db.Update, retried a few times on a transaction conflict.
func updateRetry(db *badger.DB, fn func(txn *badger.Txn) error) error {
	var err error
	for range 5 {
		err = db.Update(fn)
		if !errors.Is(err, badger.ErrConflict) {
			return err
		}
	}
	return err
}
