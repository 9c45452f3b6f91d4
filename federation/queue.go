package federation

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
)

// Badger keys, all under "fed/".
const (
	keySeqOut   = "fed/seq/out"
	keySeqIn    = "fed/seq/in"
	prefixAct   = "fed/act/"  // + activity id → outRecord: what we sent, served at its id
	prefixQueue = "fed/q/"    // + dest + "/" + seq → queueItem
	prefixPark  = "fed/park/" // + dest + "/" + seq → queueItem (parked)
	prefixIn    = "fed/in/a/" // + activity id → inRecord
	prefixInP   = "fed/in/p/" // + seq → activity id still to process
	prefixInD   = "fed/in/d/" // + activity id → doneRecord: applied or dropped
)

func seqBytes(seq uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seq)
	return b[:]
}

func queueKey(prefix, dest string, seq uint64) []byte {
	return append([]byte(prefix+dest+"/"), seqBytes(seq)...)
}

// splitQueueKey returns the destination and sequence of a queue or park key.
func splitQueueKey(prefix string, key []byte) (string, uint64, bool) {
	rest := key[len(prefix):]
	if len(rest) < 9 || rest[len(rest)-9] != '/' {
		return "", 0, false
	}
	return string(rest[:len(rest)-9]), binary.BigEndian.Uint64(rest[len(rest)-8:]), true
}

// outRecord is an activity the node sent, kept to serve it at its id and to
// deliver it (every retry re-signs the same body), as versions before the
// binary records stored it; encodeOutRecord writes the current form.
type outRecord struct {
	Activity twinfed.Activity `json:"activity"`
	Body     json.RawMessage  `json:"body"`
}

// queueItem is one delivery of one activity to one destination node,
// stored by encodeQueueItem (the JSON tags read older records).
type queueItem struct {
	Seq        uint64               `json:"-"`
	Dest       string               `json:"dest"`
	Inbox      string               `json:"inbox"`
	ActivityID string               `json:"activity"`
	Actor      string               `json:"actor"`
	Type       twinfed.ActivityType `json:"type"`
	Order      string               `json:"order"`
	Enqueued   time.Time            `json:"enqueued"`
	Attempts   int                  `json:"attempts,omitempty"`
	NextAt     time.Time            `json:"next_at,omitzero"`
	LastError  string               `json:"last_error,omitempty"`
	Parked     time.Time            `json:"parked,omitzero"`

	body   []byte    // loaded on first attempt
	staged time.Time // when Enqueue staged it (the machine's clock)
}

// Enqueue puts the deliveries of a into the outbox within txn, the caller's
// own update transaction, so that a state change and its deliveries commit
// together. There is one delivery per destination node: the host of each
// recipient actor in a.To, local recipients excepted (the node applies those
// itself). After the commit, call Notify so that delivery starts at once.
//
// a.ID and a.Actor must live under the node's base URL. Enqueue returns
// EINVALID for a malformed activity or a recipient on a host the registry
// does not list, ECONFLICT when an activity with that id was already queued.
func (o *Outbox) Enqueue(txn *badger.Txn, a *twinfed.Activity) error {
	if !o.local(a.ID) || !o.local(a.Actor) {
		return twinfed.Errorf(twinfed.EINVALID, "activity %s: its id and actor must be under %s", a.ID, o.base)
	}
	if len(a.To) == 0 {
		return twinfed.Errorf(twinfed.EINVALID, "activity %s has no recipient", a.ID)
	}
	body, err := EncodeActivity(a)
	if err != nil {
		return err
	}
	return o.enqueueBody(txn, a, body, false)
}

// enqueueBody is Enqueue of an activity already encoded. open lets the
// recipients be on servers the registry does not list (a diary's
// followers and the Accepts of their Follows: the open edge), but for
// blocked ones, which are left out.
func (o *Outbox) enqueueBody(txn *badger.Txn, a *twinfed.Activity, body []byte, open bool) error {
	if !o.local(a.ID) || !o.local(a.Actor) {
		return twinfed.Errorf(twinfed.EINVALID, "activity %s: its id and actor must be under %s", a.ID, o.base)
	}
	if len(a.To) == 0 {
		return twinfed.Errorf(twinfed.EINVALID, "activity %s has no recipient", a.ID)
	}
	ak := []byte(prefixAct + a.ID)
	if _, err := txn.Get(ak); err == nil {
		return twinfed.Errorf(twinfed.ECONFLICT, "activity %s was already sent", a.ID)
	} else if !errors.Is(err, badger.ErrKeyNotFound) {
		return fmt.Errorf("federation: outbox: %w", err)
	}
	if err := txn.Set(ak, encodeOutRecord(a.To, body)); err != nil {
		return fmt.Errorf("federation: outbox: %w", err)
	}
	now := o.now().UTC()
	seen := map[string]bool{}
	for _, r := range a.To {
		u, err := mustURL(r)
		if err != nil {
			return twinfed.Errorf(twinfed.EINVALID, "recipient %q is not an actor URL", r)
		}
		if u.Host == o.host || seen[u.Host] {
			continue
		}
		seen[u.Host] = true
		if _, _, err := o.keys.KeysForHost(context.Background(), u.Host); twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			if !open {
				return twinfed.Errorf(twinfed.EINVALID, "recipient %s is not on a node of this federation", r)
			}
			if o.Blocked(u.Host) {
				continue
			}
		}
		seq, err := o.outSeq.Next()
		if err != nil {
			return fmt.Errorf("federation: outbox sequence: %w", err)
		}
		o.destination(u.Host)
		it := &queueItem{
			Seq: seq, Dest: u.Host, Inbox: twinfed.SharedInboxURL(u.Scheme + "://" + u.Host),
			ActivityID: a.ID, Actor: a.Actor, Type: a.Type, Order: orderKey(a), Enqueued: now,
			body: body,
		}
		if err := txn.Set(queueKey(prefixQueue, u.Host, seq), encodeQueueItem(it)); err != nil {
			return fmt.Errorf("federation: outbox: %w", err)
		}
		o.stage(it)
	}
	return nil
}

// Staged items. Enqueue cannot know whether, or when, the caller's
// transaction commits, so it stages each item it writes, body included;
// the scan after a Notify looks up the staged items' keys (scanNew) and
// hands those committed to their destinations. A lookup costs the same
// whatever the queue's history, where iterating over the queue met every
// delivered item's tombstone since Badger last flushed its memtable.
const (
	// stagedTTL is how long an item whose transaction has not committed
	// stays staged: a transaction that failed never commits, and one that
	// commits later still is found by the periodic whole scan.
	stagedTTL = 10 * time.Second
	// maxStaged bounds the staged items: beyond it they are dropped and
	// the next scan reads the whole queue.
	maxStaged = 1 << 16
)

// stage records qi, written by Enqueue in a transaction not yet committed.
func (o *Outbox) stage(qi *queueItem) {
	o.stagedMu.Lock()
	defer o.stagedMu.Unlock()
	qi.staged = time.Now()
	if len(o.staged) >= maxStaged {
		o.staged = nil
		o.needFull.Store(true)
		return
	}
	o.staged = append(o.staged, qi)
}

// takeStaged returns the staged items and forgets them.
func (o *Outbox) takeStaged() []*queueItem {
	o.stagedMu.Lock()
	defer o.stagedMu.Unlock()
	out := o.staged
	o.staged = nil
	return out
}

// restage puts back the items whose transaction has not committed yet,
// but for those staged longer than stagedTTL.
func (o *Outbox) restage(items []*queueItem) {
	now := time.Now()
	o.stagedMu.Lock()
	defer o.stagedMu.Unlock()
	for _, qi := range items {
		if now.Sub(qi.staged) < stagedTTL && len(o.staged) < maxStaged {
			o.staged = append(o.staged, qi)
		}
	}
}

// Update runs fn in a Badger update transaction and calls Notify after it
// commits: a convenience for callers whose only other work is in fn.
func (o *Outbox) Update(fn func(txn *badger.Txn) error) error {
	if err := o.db.Update(fn); err != nil {
		return err
	}
	o.Notify()
	return nil
}

// Notify tells the delivery workers that new deliveries were committed. It
// never blocks; several calls before the workers look are one.
func (o *Outbox) Notify() {
	select {
	case o.rescan <- struct{}{}:
	default:
	}
}

func (o *Outbox) local(raw string) bool {
	u, err := mustURL(raw)
	return err == nil && u.Host == o.host
}

// runScanner finds the destinations with deliveries and hands new items
// to their dispatchers: on Notify the items staged by Enqueue (scanNew),
// every Settings.Rescan the whole queue, as a safety net (scanQueue).
func (o *Outbox) runScanner() {
	t := time.NewTicker(o.set.Rescan)
	defer t.Stop()
	for {
		var err error
		select {
		case <-o.ctx.Done():
			return
		case <-o.rescan:
			err = o.scanNew()
		case <-t.C:
			err = o.scanQueue()
		}
		if err != nil && o.ctx.Err() == nil {
			o.log.Error("federation: scan the delivery queue", "err", err)
		}
	}
}

// scanQueue reads the queue's keys and gives each destination the items it
// does not know yet, and has it forget those no longer there. Only the
// keys are read for known items; but the iterator meets every version of
// every key added and deleted since Badger last flushed its memtable, so
// a whole scan costs more with every delivery made: it runs at start,
// every Settings.Rescan and after Requeue; scanNew after a Notify.
func (o *Outbox) scanQueue() error {
	o.needFull.Store(false)
	var fresh []*queueItem
	present := map[string]map[uint64]bool{}
	err := o.db.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.PrefetchValues = false
		opt.Prefix = []byte(prefixQueue)
		it := txn.NewIterator(opt)
		defer it.Close()
		it.Rewind()
		fresh = o.readItems(it, fresh, present)
		o.preload(txn, fresh)
		return nil
	})
	if err != nil {
		return err
	}
	for _, qi := range fresh {
		o.destination(qi.Dest).add(qi)
	}
	for _, d := range o.destinations() {
		d.forget(present[d.host])
		d.signal()
	}
	return nil
}

// scanNew gives their destinations the staged items whose transaction has
// committed (their queue key is there), with the body Enqueue had, and
// stages again those whose transaction has not committed yet.
func (o *Outbox) scanNew() error {
	if o.needFull.Load() {
		return o.scanQueue()
	}
	staged := o.takeStaged()
	if len(staged) == 0 {
		return nil
	}
	var fresh, pending []*queueItem
	err := o.db.View(func(txn *badger.Txn) error {
		for _, qi := range staged {
			_, err := txn.Get(queueKey(prefixQueue, qi.Dest, qi.Seq))
			switch {
			case err == nil:
				fresh = append(fresh, qi)
			case errors.Is(err, badger.ErrKeyNotFound):
				pending = append(pending, qi)
			default:
				return err
			}
		}
		return nil
	})
	if err != nil {
		o.restage(staged)
		return err
	}
	o.restage(pending)
	woken := map[*destination]bool{}
	for _, qi := range fresh {
		d := o.destination(qi.Dest)
		if d.depth() >= maxPreload {
			qi.body = nil // a backlog: its bodies load on their first attempt
		}
		d.add(qi)
		woken[d] = true
	}
	for d := range woken {
		d.signal()
	}
	return nil
}

// readItems reads the queue's items from it on (an iterator without
// prefetched values over queue keys), appends to fresh those their
// destination does not know yet, and records in present (when not nil)
// every item there is.
func (o *Outbox) readItems(it *badger.Iterator, fresh []*queueItem, present map[string]map[uint64]bool) []*queueItem {
	for ; it.Valid(); it.Next() {
		dest, seq, ok := splitQueueKey(prefixQueue, it.Item().Key())
		if !ok {
			continue
		}
		if present != nil {
			if present[dest] == nil {
				present[dest] = map[uint64]bool{}
			}
			present[dest][seq] = true
		}
		if o.destination(dest).knows(seq) {
			continue
		}
		var qi queueItem
		if err := it.Item().Value(func(v []byte) error { return decodeQueueItem(v, &qi) }); err != nil {
			o.log.Error("federation: undecodable queue item dropped from view", "dest", dest, "err", err)
			continue
		}
		qi.Seq = seq
		fresh = append(fresh, &qi)
	}
	return fresh
}

// preload loads the bodies of new items, once per activity: a fan-out to
// 45 nodes then reads and decodes its record once, not 45 times. Capped
// per scan and skipped for a destination with a backlog, so that a long
// queue is not all held in memory; the rest load on their first attempt.
func (o *Outbox) preload(txn *badger.Txn, fresh []*queueItem) {
	bodies := map[string][]byte{}
	for _, qi := range fresh {
		if b, ok := bodies[qi.ActivityID]; ok {
			qi.body = b
			continue
		}
		if len(bodies) >= maxPreload || o.destination(qi.Dest).depth() >= maxPreload {
			continue
		}
		if b, err := loadBody(txn, qi.ActivityID); err == nil {
			bodies[qi.ActivityID], qi.body = b, b
		}
	}
}

// destinations returns the destinations known.
func (o *Outbox) destinations() []*destination {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]*destination, 0, len(o.dests))
	for _, d := range o.dests {
		out = append(out, d)
	}
	return out
}

// destination returns the dispatcher of a host, starting it on first use.
func (o *Outbox) destination(host string) *destination {
	o.mu.Lock()
	defer o.mu.Unlock()
	d, ok := o.dests[host]
	if !ok {
		d = &destination{
			o: o, host: host,
			items:    map[uint64]*queueItem{},
			inflight: map[uint64]bool{},
			busy:     map[string]bool{},
			wake:     make(chan struct{}, 1),
		}
		o.dests[host] = d
		if !o.closed {
			o.wg.Add(1)
			go func() {
				defer o.wg.Done()
				d.run()
			}()
		}
	}
	return d
}

// destination is the in-memory view of one destination's queue, its circuit
// breaker and its dispatcher. Badger is the truth; this is rebuilt on start.
type destination struct {
	o    *Outbox
	host string
	wake chan struct{}

	mu        sync.Mutex
	items     map[uint64]*queueItem
	order     []uint64 // seqs of items, ascending (may hold removed seqs; compacted on pick)
	sorted    bool
	inflight  map[uint64]bool // picked and not yet recorded
	sending   int             // of which requests not yet answered
	busy      map[string]bool // order keys with a delivery in flight
	blocked   map[string]bool // pick's scratch: order keys seen in this pick
	readyKeys map[string]bool // pick's scratch: order keys whose items so far were all made ready in this pick
	failures  int             // consecutive failures
	openUntil time.Time       // circuit open until then
	trial     bool            // a half-open trial request is in flight
	lastError string
	lastErrAt time.Time
	lastOK    time.Time
}

// depth returns how many items the destination holds in memory.
func (d *destination) depth() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.items)
}

func (d *destination) knows(seq uint64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.items[seq]
	return ok
}

func (d *destination) add(qi *queueItem) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.items[qi.Seq]; ok {
		return
	}
	d.items[qi.Seq] = qi
	if n := len(d.order); n > 0 && d.order[n-1] > qi.Seq {
		d.sorted = false
	}
	d.order = append(d.order, qi.Seq)
}

// forget drops items that are no longer in Badger (an operator requeued or
// dropped them), unless they are in flight.
func (d *destination) forget(present map[uint64]bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for seq := range d.items {
		if !present[seq] && !d.inflight[seq] {
			delete(d.items, seq)
		}
	}
	d.updateGauges()
}

func (d *destination) signal() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// updateGauges refreshes depth and oldest-age metrics; d.mu held.
func (d *destination) updateGauges() {
	d.o.m.queueDepth.WithLabelValues(d.host).Set(float64(len(d.items)))
	// The first item in queue order stands for the oldest: sequence numbers
	// follow commit order. Scanning every item here would make each
	// completion cost O(queue).
	var oldest time.Time
	for _, seq := range d.order {
		if qi, ok := d.items[seq]; ok {
			oldest = qi.Enqueued
			break
		}
	}
	age := 0.0
	if !oldest.IsZero() {
		age = d.o.now().Sub(oldest).Seconds()
	}
	d.o.m.oldestAge.WithLabelValues(d.host).Set(age)
	open := 0.0
	if d.failures >= d.o.set.BreakerThreshold {
		open = 1
	}
	d.o.m.breakerOpen.WithLabelValues(d.host).Set(open)
}

// pick returns the items to send now, honouring FIFO per order key, the
// circuit breaker and per-item backoff, and when to look again. limit caps
// the requests in flight to this destination, per the items one request
// may carry (a batch's; 1 when the circuit is half-open): the caller
// counts the requests it makes of them in d.sending. The scan stops as
// soon as the free slots are filled: the dispatcher is woken again when one
// frees, so a long queue costs O(slots) per pick, not O(queue).
func (d *destination) pick(now time.Time, limit, per int) (ready []*queueItem, expired []*queueItem, next time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.sorted {
		sort.Slice(d.order, func(i, j int) bool { return d.order[i] < d.order[j] })
		d.sorted = true
	}
	breakerOpen := d.failures >= d.o.set.BreakerThreshold
	if breakerOpen {
		if now.Before(d.openUntil) {
			return nil, nil, d.openUntil
		} else if d.trial || len(d.inflight) > 0 {
			return nil, nil, time.Time{} // half-open: one trial at a time
		}
		limit, per = 1, 1
	}
	// Only requests count against the limit: an answered item waiting for
	// its outcome to be committed holds no connection.
	free := (limit - d.sending) * per
	if free <= 0 {
		return nil, nil, time.Time{}
	}
	// The map is the destination's, cleared on each pick: a pick runs
	// on every completion, and a new map each time was a large share of
	// a delivery's allocations.
	if d.blocked == nil {
		d.blocked = map[string]bool{}
	}
	blocked := d.blocked
	clear(blocked)
	if d.readyKeys == nil {
		d.readyKeys = map[string]bool{}
	}
	readyKeys := d.readyKeys
	clear(readyKeys)
	kept := d.order[:0]
	for i, seq := range d.order {
		if len(ready) >= free {
			kept = append(kept, d.order[i:]...)
			break
		}
		qi, ok := d.items[seq]
		if !ok {
			continue
		}
		kept = append(kept, seq)
		// Items that may share a batch (per > 1) may follow an earlier
		// item of their object made ready in this pick: the batch
		// carries them in order and the receiver applies them so
		// (groupBatches keeps them in one request).
		follows := per > 1 && readyKeys[qi.Order] && !d.inflight[seq] && qi.Attempts == 0 && !qi.NextAt.After(now)
		if !follows && (d.inflight[seq] || blocked[qi.Order] || d.busy[qi.Order]) {
			blocked[qi.Order] = true
			delete(readyKeys, qi.Order)
			continue
		}
		blocked[qi.Order] = true // later items of the same object wait for this one
		if now.Sub(qi.Enqueued) > d.o.set.RetryWindow && qi.Attempts > 0 {
			delete(readyKeys, qi.Order)
			expired = append(expired, qi)
			d.inflight[seq] = true
			d.busy[qi.Order] = true
			continue
		}
		if qi.NextAt.After(now) {
			delete(readyKeys, qi.Order)
			if next.IsZero() || qi.NextAt.Before(next) {
				next = qi.NextAt
			}
			continue
		}
		readyKeys[qi.Order] = true
		ready = append(ready, qi)
		d.inflight[seq] = true
		d.busy[qi.Order] = true
		if breakerOpen {
			d.trial = true
		}
	}
	d.order = kept
	return ready, expired, next
}

// run is the destination's dispatcher loop.
func (d *destination) run() {
	o := d.o
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		// A Twinfed node that advertised its batch inbox gets up to
		// maxBatchItems activities a request, with fewer requests in
		// flight (batch.go).
		limit, per := o.set.Workers, 1
		batchURL := o.batchInbox(d.host)
		if batchURL != "" {
			limit, per = min(limit, batchRequests), maxBatchItems
		}
		ready, expired, next := d.pick(o.now(), limit, per)
		for _, qi := range expired {
			o.park(d, qi, "the retry window is over: "+qi.LastError)
		}
		groups := make([][]*queueItem, 0, len(ready))
		if batchURL != "" && len(ready) > 1 {
			groups = o.groupBatches(d, ready)
		} else {
			for _, qi := range ready {
				groups = append(groups, []*queueItem{qi})
			}
		}
		d.mu.Lock()
		d.sending += len(groups)
		d.mu.Unlock()
		for gi, group := range groups {
			select {
			case o.sem <- struct{}{}:
			case <-o.ctx.Done():
				// Not sent: release them for the next start's view.
				for _, g := range groups[gi:] {
					for _, qi := range g {
						d.done(qi, nil)
					}
				}
				return
			}
			o.wg.Add(1)
			go func() {
				defer o.wg.Done()
				var (
					res   []attemptResult
					whole bool
				)
				if len(group) == 1 {
					res = []attemptResult{o.attempt(group[0])}
				} else {
					res, whole = o.attemptBatch(batchURL, group)
				}
				// The request is over: free the slots before recording the
				// outcome, so that a slow commit does not hold up other
				// requests. The items stay in flight (not sent again, their
				// objects busy) until recorded.
				<-o.sem
				d.mu.Lock()
				d.sending--
				d.mu.Unlock()
				d.signal()
				if len(group) == 1 {
					o.record(d, group[0], res[0])
				} else {
					o.recordBatch(d, group, res, whole)
				}
			}()
		}
		wait := time.Hour
		if !next.IsZero() {
			wait = max(next.Sub(o.now()), time.Millisecond)
		}
		timer.Reset(wait)
		select {
		case <-o.ctx.Done():
			return
		case <-d.wake:
		case <-timer.C:
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// attemptResult is what one delivery attempt came to.
type attemptResult struct {
	ok         bool
	permanent  bool          // refused for good: park now
	retryAfter time.Duration // the destination's Retry-After, if any
	err        string
	gone       bool // the recipient's actor or inbox answered 410 Gone
}

// record applies the outcome of one attempt at one item: removes it from
// the queue, schedules a retry or parks it.
func (o *Outbox) record(d *destination, qi *queueItem, res attemptResult) {
	o.recordAs(d, qi, res, true)
}

// recordAs is record; a failure counts towards the circuit breaker only
// with countFailure (a batch's failed request counts once, not per item).
func (o *Outbox) recordAs(d *destination, qi *queueItem, res attemptResult, countFailure bool) {
	if o.ctx.Err() != nil && !res.ok {
		// Shutting down: leave the item as it is for the next start.
		d.done(qi, nil)
		return
	}
	now := o.now()
	switch {
	case res.ok:
		err := o.commit.update(func(txn *badger.Txn) error {
			return txn.Delete(queueKey(prefixQueue, qi.Dest, qi.Seq))
		})
		if err != nil {
			o.log.Error("federation: remove a delivered item", "dest", qi.Dest, "err", err)
			d.done(qi, nil)
			return
		}
		o.m.deliveries.WithLabelValues(qi.Dest, OutcomeDelivered).Inc()
		d.mu.Lock()
		d.failures, d.trial, d.lastOK = 0, false, now
		d.mu.Unlock()
		d.done(qi, func() { delete(d.items, qi.Seq) })
	case res.permanent:
		d.mu.Lock()
		d.trial = false
		d.lastError, d.lastErrAt = res.err, now
		d.mu.Unlock()
		o.park(d, qi, res.err)
	default:
		o.m.deliveries.WithLabelValues(qi.Dest, OutcomeRetry).Inc()
		upd := *qi
		upd.Attempts++
		upd.LastError = res.err
		delay := o.backoff(upd.Attempts)
		if res.retryAfter > delay {
			delay = res.retryAfter
		}
		upd.NextAt = now.Add(delay)
		d.mu.Lock()
		d.trial = false
		if countFailure {
			d.failures++
		}
		d.lastError, d.lastErrAt = res.err, now
		if countFailure && d.failures >= o.set.BreakerThreshold {
			cool := o.set.BreakerCooldown + o.jitter(o.set.BreakerCooldown/2)
			if res.retryAfter > cool {
				cool = res.retryAfter
			}
			d.openUntil = now.Add(cool)
		}
		d.mu.Unlock()
		if now.Sub(upd.Enqueued) > o.set.RetryWindow {
			o.park(d, &upd, "the retry window is over: "+res.err)
			return
		}
		v := encodeQueueItem(&upd)
		if err := o.commit.update(func(txn *badger.Txn) error {
			return txn.Set(queueKey(prefixQueue, qi.Dest, qi.Seq), v)
		}); err != nil {
			o.log.Error("federation: record a failed delivery", "dest", qi.Dest, "err", err)
		}
		d.done(qi, func() {
			qi.Attempts, qi.NextAt, qi.LastError = upd.Attempts, upd.NextAt, upd.LastError
		})
	}
}

// done releases an item's in-flight marks, applies change under the lock
// and wakes the dispatcher.
func (d *destination) done(qi *queueItem, change func()) {
	d.mu.Lock()
	delete(d.inflight, qi.Seq)
	delete(d.busy, qi.Order)
	if change != nil {
		change()
	}
	d.updateGauges()
	d.mu.Unlock()
	d.signal()
}

// park moves an item out of the queue into the parked set, where an operator
// sees it (Parked) and may requeue it (Requeue).
func (o *Outbox) park(d *destination, qi *queueItem, reason string) {
	p := *qi
	p.Parked = o.now().UTC()
	p.LastError = reason
	v := encodeQueueItem(&p)
	err := o.db.Update(func(txn *badger.Txn) error {
		if err := txn.Delete(queueKey(prefixQueue, qi.Dest, qi.Seq)); err != nil {
			return err
		}
		return txn.Set(queueKey(prefixPark, qi.Dest, qi.Seq), v)
	})
	if err != nil {
		o.log.Error("federation: park a delivery", "dest", qi.Dest, "err", err)
		d.done(qi, nil)
		return
	}
	o.m.deliveries.WithLabelValues(qi.Dest, OutcomeParked).Inc()
	o.m.parked.WithLabelValues(qi.Dest).Inc()
	level := o.log.Warn
	if critical(qi.Type) {
		o.m.parkedCritical.WithLabelValues(qi.Dest, string(qi.Type)).Inc()
		level = o.log.Error
	}
	level("federation: delivery parked", "dest", qi.Dest, "activity", qi.ActivityID, "type", qi.Type, "attempts", qi.Attempts, "reason", reason)
	d.done(qi, func() { delete(d.items, qi.Seq) })
}

// backoff is the delay before attempt n+1: RetryBase doubled per attempt,
// capped at RetryMax, with up to 50% random jitter either way.
func (o *Outbox) backoff(attempts int) time.Duration {
	d := o.set.RetryBase
	for i := 1; i < attempts && d < o.set.RetryMax; i++ {
		d *= 2
	}
	d = min(d, o.set.RetryMax)
	return d/2 + o.jitter(d)
}

func (o *Outbox) jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(d)))
}

// attempt signs a fresh request and sends it (see deliver.go).
func (o *Outbox) attempt(qi *queueItem) attemptResult {
	if qi.body == nil {
		err := o.db.View(func(txn *badger.Txn) error {
			b, err := loadBody(txn, qi.ActivityID)
			qi.body = b
			return err
		})
		if err != nil {
			return attemptResult{permanent: true, err: "the activity is missing from the outbox: " + err.Error()}
		}
	}
	ctx, cancel := context.WithTimeout(o.ctx, o.set.DeliveryTimeout)
	defer cancel()
	_, keys, err := o.keys.KeysForHost(ctx, qi.Dest)
	if err != nil {
		if twinfed.ErrorCode(err) == twinfed.ENOTFOUND && o.isDiaryActor(qi.Actor) {
			// The open edge: a diary's follower on a fediverse server.
			if b := o.blockedBy(qi.Dest); b != nil {
				return attemptResult{permanent: true, err: qi.Dest + " is blocked by this node's agency (domain " + b.Domain + ")"}
			}
			res := o.deliver(ctx, qi, nil)
			if res.gone {
				o.dropGoneFollower(qi)
			}
			return res
		}
		if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			return attemptResult{permanent: true, err: qi.Dest + " is no longer a node of this federation"}
		}
		return attemptResult{err: "registry: " + err.Error()}
	}
	return o.deliver(ctx, qi, keys)
}

// maxPreload caps the activity bodies one queue scan loads ahead.
const maxPreload = 1024

// loadBody reads the AS2 body of an activity the node sent.
func loadBody(txn *badger.Txn, activityID string) ([]byte, error) {
	item, err := txn.Get([]byte(prefixAct + activityID))
	if err != nil {
		return nil, err
	}
	var body []byte
	err = item.Value(func(v []byte) error {
		var err error
		body, _, err = decodeOutRecord(v)
		return err
	})
	return body, err
}

// parseRetryAfter reads a Retry-After header: seconds or an HTTP date.
func parseRetryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
