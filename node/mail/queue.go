package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/textproto"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/twinfed/twinfed/node/store"
)

// Queue is the node's durable outgoing mail: a message is queued in Badger
// (store.PrefixMailQueue), in the transaction of the change it tells about
// when there is one (Enqueue), and a worker (Run) hands it to the Sender
// behind (SMTP or Spool), in the order they are due. A message the server
// does not take is retried with exponential backoff, from MinBackoff
// doubling up to MaxBackoff, for as long as it takes: nothing is lost when
// the SMTP server is down, nor when the node stops or crashes (the queue
// is in the store, read again at start). A message is removed once the
// server took it, in one transaction: it is sent once, and keeps its
// Message-ID across retries (a crash between the server's answer and that
// removal sends it again, with the same Message-ID, which receivers use to
// drop the copy). A message the server refuses for good (a 5xx answer:
// no such mailbox) is dropped, logged and counted as rejected.
//
// Queue is a Sender: Send queues a message in its own transaction. It is
// safe for concurrent use; one Run per Queue.
type Queue struct {
	st   *store.Store
	to   Sender
	from string
	now  func() time.Time
	log  *slog.Logger
	min  time.Duration
	max  time.Duration
	wake chan struct{}

	mu      sync.Mutex
	lastErr string // the last delivery error, "" after a success
	lastAt  time.Time
	running bool                     // Run is delivering
	waiters map[string]chan struct{} // entry id → closed after its first try (Send)

	sent   prometheus.Counter
	failed *prometheus.CounterVec
}

// QueueOptions configure a Queue.
type QueueOptions struct {
	From       string           // the From address: the domain of the Message-IDs
	Logger     *slog.Logger     // nil: discard
	Now        func() time.Time // nil: time.Now; the Date of queued messages
	MinBackoff time.Duration    // the first retry's wait; zero: 5s
	MaxBackoff time.Duration    // the longest wait between tries; zero: 15m
}

var _ Sender = (*Queue)(nil)

// queued is a message in the queue (the value under store.PrefixMailQueue).
type queued struct {
	Msg      Message   `json:"msg"`
	Queued   time.Time `json:"queued"`             // when it was queued (real time)
	Attempts int       `json:"attempts,omitempty"` // failed tries so far
	Error    string    `json:"error,omitempty"`    // the last try's error
}

// NewQueue returns the queue of st delivering through to.
func NewQueue(st *store.Store, to Sender, o QueueOptions) *Queue {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 5 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 15 * time.Minute
	}
	return &Queue{st: st, to: to, from: o.From, now: o.Now, log: o.Logger, min: o.MinBackoff, max: o.MaxBackoff,
		wake: make(chan struct{}, 1), waiters: map[string]chan struct{}{},
		sent: prometheus.NewCounter(prometheus.CounterOpts{Name: "twinfed_mail_sent_total", Help: "Mails the SMTP server (or the spool) took from the queue."}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "twinfed_mail_failed_total",
			Help: "Failed deliveries from the mail queue: retry (kept, tried again later) or rejected (refused for good, dropped)."}, []string{"kind"}),
	}
}

// queueKey is mq/<due time, hex nanoseconds>/<id>: the worker takes the
// first key, the message due soonest.
func queueKey(due time.Time, id string) string {
	return fmt.Sprintf("%s%016x/%s", store.PrefixMailQueue, uint64(due.UnixNano()), id)
}

// Enqueue queues m within txn, a transaction of the queue's store: it is
// sent once txn has committed, never if it does not. It gives m its
// Message-ID and Date when it has none.
func (q *Queue) Enqueue(txn *badger.Txn, m Message) error {
	_, err := q.enqueue(txn, m)
	return err
}

// enqueue queues m within txn and returns its entry's id.
func (q *Queue) enqueue(txn *badger.Txn, m Message) (string, error) {
	if m.To == "" {
		return "", errors.New("mail: a message needs a recipient")
	}
	if m.ID == "" {
		m.ID = messageID(q.from)
	}
	if m.Date.IsZero() {
		m.Date = q.now()
	}
	now, id := time.Now(), store.NewID()
	if err := store.SetJSON(txn, queueKey(now, id), queued{Msg: m, Queued: now}); err != nil {
		return "", fmt.Errorf("mail queue: %w", err)
	}
	q.st.AfterCommit(txn, q.Wake)
	return id, nil
}

// sendWait is how long Send waits for the first try of its message.
const sendWait = 5 * time.Second

// Send queues m in a transaction of its own and, while the worker runs,
// waits (at most 5 seconds, or until ctx ends) for its first try, so
// that a mail asked for by a request (a confirmation link) has usually
// left when the request answers. Its error is the queueing's only: a
// failed try is retried by the worker.
func (q *Queue) Send(ctx context.Context, m Message) error {
	var id string
	if err := q.st.Update(func(txn *badger.Txn) (err error) { id, err = q.enqueue(txn, m); return err }); err != nil {
		return err
	}
	q.mu.Lock()
	if !q.running {
		q.mu.Unlock()
		return nil
	}
	done := make(chan struct{})
	q.waiters[id] = done
	q.mu.Unlock()
	q.Wake()
	t := time.NewTimer(sendWait)
	defer t.Stop()
	select {
	case <-done:
	case <-ctx.Done():
	case <-t.C:
	}
	q.mu.Lock()
	delete(q.waiters, id)
	q.mu.Unlock()
	return nil
}

// Wake tells the worker that a message may be due.
func (q *Queue) Wake() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Run delivers the queued messages until ctx ends: the one due soonest
// first, one at a time.
func (q *Queue) Run(ctx context.Context) {
	q.mu.Lock()
	q.running = true
	q.mu.Unlock()
	defer func() {
		q.mu.Lock()
		q.running = false
		q.mu.Unlock()
	}()
	for {
		wait, err := q.deliverDue(ctx)
		if err != nil {
			q.log.Error("mail queue", "err", err)
			wait = q.min
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-q.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// deliverDue sends every message that is due and returns how long until
// the next one is.
func (q *Queue) deliverDue(ctx context.Context) (time.Duration, error) {
	for ctx.Err() == nil {
		key, v, ok, err := q.first()
		if err != nil || !ok {
			return time.Hour, err
		}
		var due uint64
		if _, err := fmt.Sscanf(key[len(store.PrefixMailQueue):len(store.PrefixMailQueue)+16], "%016x", &due); err != nil {
			return 0, fmt.Errorf("mail queue key %q: %w", key, err)
		}
		if wait := time.Until(time.Unix(0, int64(due))); wait > 0 {
			return wait, nil
		}
		if err := q.deliver(ctx, key, v); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// first returns the queue's first entry.
func (q *Queue) first() (key string, v queued, ok bool, err error) {
	err = q.st.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.Prefix = []byte(store.PrefixMailQueue)
		it := txn.NewIterator(opts)
		defer it.Close()
		it.Rewind()
		if !it.Valid() {
			return nil
		}
		ok, key = true, string(it.Item().KeyCopy(nil))
		return it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &v) })
	})
	return key, v, ok, err
}

// deliver tries one message: removed when the server took it (or refused
// it for good), moved later with its error otherwise.
func (q *Queue) deliver(ctx context.Context, key string, v queued) error {
	sendErr := q.to.Send(ctx, v.Msg)
	q.mu.Lock()
	q.lastAt = time.Now()
	q.lastErr = ""
	if sendErr != nil {
		q.lastErr = sendErr.Error()
	}
	if w, ok := q.waiters[lastSegment(key)]; ok {
		defer close(w) // once the queue is updated
		delete(q.waiters, lastSegment(key))
	}
	q.mu.Unlock()
	var tp *textproto.Error
	switch {
	case sendErr == nil:
		q.sent.Inc()
	case errors.As(sendErr, &tp) && tp.Code >= 500:
		q.failed.WithLabelValues("rejected").Inc()
		q.log.Error("mail refused for good, dropped", "to", v.Msg.To, "subject", v.Msg.Subject, "message_id", v.Msg.ID, "err", sendErr)
	default:
		q.failed.WithLabelValues("retry").Inc()
		v.Attempts++
		v.Error = sendErr.Error()
		next := time.Now().Add(q.backoff(v.Attempts))
		q.log.Warn("mail not sent, will retry", "to", v.Msg.To, "message_id", v.Msg.ID, "attempts", v.Attempts, "next", next, "err", sendErr)
		return q.st.Update(func(txn *badger.Txn) error {
			if err := txn.Delete([]byte(key)); err != nil {
				return err
			}
			return store.SetJSON(txn, queueKey(next, lastSegment(key)), v)
		})
	}
	return q.st.Update(func(txn *badger.Txn) error { return txn.Delete([]byte(key)) })
}

// lastSegment returns what follows a key's last slash: the entry's id.
func lastSegment(key string) string {
	for i := len(key) - 1; i >= 0; i-- {
		if key[i] == '/' {
			return key[i+1:]
		}
	}
	return key
}

// backoff is the wait after the n-th failed try: MinBackoff doubled n-1
// times, at most MaxBackoff.
func (q *Queue) backoff(n int) time.Duration {
	d := q.min
	for i := 1; i < n && d < q.max; i++ {
		d *= 2
	}
	return min(d, q.max)
}

// Stats are what the agency's back office shows of the queue.
type Stats struct {
	Queued    int       // messages waiting
	Retrying  int       // of which tried and failed at least once
	Oldest    time.Time // when the oldest waiting one was queued; zero: none
	LastError string    // the last delivery's error; "": it succeeded (or none yet)
	LastTry   time.Time // when the last delivery was tried; zero: none since the start
}

// Stats reads the queue's counts.
func (q *Queue) Stats() (Stats, error) {
	var s Stats
	err := q.st.View(func(txn *badger.Txn) error {
		return store.EachJSON(txn, store.PrefixMailQueue, func(v *queued) error {
			s.Queued++
			if v.Attempts > 0 {
				s.Retrying++
			}
			if s.Oldest.IsZero() || v.Queued.Before(s.Oldest) {
				s.Oldest = v.Queued
			}
			return nil
		})
	})
	q.mu.Lock()
	s.LastError, s.LastTry = q.lastErr, q.lastAt
	q.mu.Unlock()
	return s, err
}

// Collectors are the queue's metrics: twinfed_mail_sent_total,
// twinfed_mail_failed_total{kind}, twinfed_mail_queued and
// twinfed_mail_queue_oldest_seconds.
func (q *Queue) Collectors() []prometheus.Collector {
	stats := func() Stats { s, _ := q.Stats(); return s }
	return []prometheus.Collector{q.sent, q.failed,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "twinfed_mail_queued", Help: "Mails waiting in the queue."},
			func() float64 { return float64(stats().Queued) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "twinfed_mail_queue_oldest_seconds", Help: "Age of the oldest mail waiting in the queue (0: none)."},
			func() float64 {
				if s := stats(); !s.Oldest.IsZero() {
					return time.Since(s.Oldest).Seconds()
				}
				return 0
			}),
	}
}
