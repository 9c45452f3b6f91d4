package store

import (
	"errors"
	"sync"

	"github.com/dgraph-io/badger/v4"
)

// Serializer gives each key (an event, for its bookings) a single writer:
// the transactions run for one key wait in arrival order and run one
// after another, batched into one Badger transaction, committed (synced)
// before any of them is answered. Concurrent writes of one key thus
// neither conflict nor run again, and a burst of them costs a few commits
// instead of one each. A request that fails is not committed with the
// others: its batch is then run again one request per transaction, in the
// same order.
type Serializer struct {
	st     *Store
	mu     sync.Mutex
	queues map[string][]*serialReq // key → requests waiting, in arrival order
}

// maxSerialBatch caps how many requests share one transaction, well under
// Badger's transaction size limit.
const maxSerialBatch = 128

// errSerialBatch stops a batch's transaction when one of its requests fails.
var errSerialBatch = errors.New("store: a request of the batch failed")

type serialReq struct {
	fn   func(txn *badger.Txn) error
	done chan error
}

// NewSerializer returns the single writers of keys on st.
func NewSerializer(st *Store) *Serializer {
	return &Serializer{st: st, queues: map[string][]*serialReq{}}
}

// Run runs fn in a transaction of key's single writer, possibly shared
// with other requests of the same key that came before and after it, and
// returns once that transaction committed (or fn failed, and then nothing
// of fn was committed). fn may run more than once, so it must set its
// results afresh on each run.
func (z *Serializer) Run(key string, fn func(txn *badger.Txn) error) error {
	r := &serialReq{fn: fn, done: make(chan error, 1)}
	z.mu.Lock()
	q, running := z.queues[key]
	z.queues[key] = append(q, r)
	z.mu.Unlock()
	if !running {
		go z.write(key)
	}
	return <-r.done
}

// Idle reports whether no key has a writer running (for tests).
func (z *Serializer) Idle() bool {
	z.mu.Lock()
	defer z.mu.Unlock()
	return len(z.queues) == 0
}

// write is key's writer: it runs the requests waiting in batches until
// none is left.
func (z *Serializer) write(key string) {
	for {
		z.mu.Lock()
		q := z.queues[key]
		if len(q) == 0 {
			delete(z.queues, key)
			z.mu.Unlock()
			return
		}
		n := min(len(q), maxSerialBatch)
		batch := q[:n:n]
		z.queues[key] = q[n:]
		z.mu.Unlock()
		z.runBatch(batch)
	}
}

// runBatch commits batch in one transaction, or each request in its own
// when that fails.
func (z *Serializer) runBatch(batch []*serialReq) {
	if len(batch) > 1 {
		err := z.st.Update(func(txn *badger.Txn) error {
			for _, r := range batch {
				if err := r.fn(txn); err != nil {
					return errSerialBatch
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
		r.done <- z.st.Update(r.fn)
	}
}
