package federation

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/federation/signing"
)

// inRecord is an incoming activity as stored before the 202: the raw body
// and the signature headers it came with (an approval is kept with its
// signature) and whether the handler has applied it. Activity, the parsed
// form, is the raw body decoded (encodeInRecord does not store it; records
// of earlier versions, in JSON, did).
type inRecord struct {
	Activity  twinfed.Activity  `json:"activity"`
	Raw       json.RawMessage   `json:"raw"`
	Headers   map[string]string `json:"headers"`
	Sender    string            `json:"sender"` // the verified signing host
	Received  time.Time         `json:"received"`
	Done      bool              `json:"done,omitempty"`
	Dropped   string            `json:"dropped,omitempty"` // why the handler refused it for good
	Processed time.Time         `json:"processed,omitzero"`
}

// handleInbox is POST /inbox and /users/{name}/inbox: verify, parse, check
// the origin, store, answer 202; the handler runs later.
func (f *Federation) handleInbox(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	defer func() { f.m.inboxLatency.Observe(time.Since(start).Seconds()) }()
	body, v, ok := f.readSigned(w, r, f.set.MaxInboxBody, "inbox")
	if !ok {
		return
	}
	a, err := DecodeActivity(body)
	if err != nil {
		f.refuse(w, ReasonInvalidActivity, err)
		return
	}
	if err := twinfed.CheckSameOrigin(v.Host, a); err != nil {
		f.refuse(w, ReasonCrossOrigin, err)
		return
	}
	rec, seq, fresh, err := f.storeIncoming(v, a, body, r.Header, r.URL.RequestURI(), r.Host)
	if err != nil {
		f.log.Error("federation: inbox: store", "activity", a.ID, "err", err)
		writeError(w, twinfed.Errorf(twinfed.EUNAVAILABLE, "the activity could not be stored; try again later"))
		return
	}
	if !fresh {
		f.m.inbox.WithLabelValues(InboxReplay).Inc()
		w.WriteHeader(http.StatusAccepted)
		return
	}
	f.m.inbox.WithLabelValues(InboxAccepted).Inc()
	w.WriteHeader(http.StatusAccepted)
	f.dispatchIncoming(pendingIn{seq: seq, id: a.ID, order: orderKey(a), rec: rec})
}

// refuse answers 401 (signature problems), 403 (cross-origin), 400 or 413
// readSigned reads a POST's body (at most max bytes) and verifies its
// signature; on failure it has answered (413, 401 with the reason, or 503
// when the registry could not answer, which is not the sender's fault)
// and ok is false. what names the route in the log.
func (f *Federation) readSigned(w http.ResponseWriter, r *http.Request, max int64, what string) (body []byte, v *signing.Verified, ok bool) {
	body, err := signing.ReadBody(r, max)
	if err != nil {
		f.refuse(w, ReasonTooLarge, err)
		return nil, nil, false
	}
	if v, err = f.verifier.Verify(r, body); err != nil {
		reason := signing.Reason(err)
		if reason == "" {
			f.log.Error("federation: "+what+": verify", "err", err)
			writeError(w, twinfed.Errorf(twinfed.EUNAVAILABLE, "the registry is unavailable; try again later"))
			return nil, nil, false
		}
		f.refuse(w, reason, err)
		return nil, nil, false
	}
	return body, v, true
}

// with a short message saying what was wrong, and counts the reason.
func (o *Outbox) refuse(w http.ResponseWriter, reason string, err error) {
	o.m.refusals.WithLabelValues(reason).Inc()
	o.log.Info("federation: inbox refused a request", "reason", reason, "err", err)
	writeError(w, err)
}

func writeError(w http.ResponseWriter, err error) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(twinfed.HTTPStatus(twinfed.ErrorCode(err)))
	fmt.Fprintln(w, twinfed.ErrorMessage(err))
}

// storeIncoming writes the record and its processing pointer, unless the
// activity id is known: then fresh is false and nothing changes.
func (f *Federation) storeIncoming(v *signing.Verified, a *twinfed.Activity, raw []byte, h http.Header, target, host string) (rec *inRecord, seq uint64, fresh bool, err error) {
	key := []byte(prefixIn + a.ID)
	rec = &inRecord{
		Activity: *a, Raw: raw, Sender: v.Host, Received: f.now().UTC(),
		Headers: map[string]string{"Signature": h.Get("Signature"), "Date": h.Get("Date"), "Digest": h.Get("Digest"),
			proofTarget: target, "Host": host},
	}
	val := encodeInRecord(rec)
	err = f.commit.update(func(txn *badger.Txn) error {
		fresh = false
		if _, err := txn.Get(key); err == nil {
			return nil
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		s, err := f.inSeq.Next()
		if err != nil {
			return err
		}
		seq, fresh = s, true
		if err := txn.Set(key, val); err != nil {
			return err
		}
		return txn.Set(append([]byte(prefixInP), seqBytes(seq)...), []byte(a.ID))
	})
	return rec, seq, fresh, err
}

// pendingIn is an incoming activity still to hand to the handler.
type pendingIn struct {
	seq   uint64
	id    string
	order string
	rec   *inRecord // as just stored; nil when resumed from Badger
}

// inboxShard is one inbox worker's queue. Activities with the same order key
// go to the same shard, so they are applied in the order they arrived.
type inboxShard struct {
	mu    sync.Mutex
	queue []pendingIn
	wake  chan struct{}
}

func newInboxShard() *inboxShard { return &inboxShard{wake: make(chan struct{}, 1)} }

func (s *inboxShard) push(p pendingIn) {
	s.mu.Lock()
	s.queue = append(s.queue, p)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *inboxShard) pop() (pendingIn, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		return pendingIn{}, false
	}
	p := s.queue[0]
	s.queue[0] = pendingIn{}
	s.queue = s.queue[1:]
	return p, true
}

func (f *Federation) dispatchIncoming(p pendingIn) {
	h := fnv.New32a()
	h.Write([]byte(p.order))
	f.shards[h.Sum32()%uint32(len(f.shards))].push(p)
}

// resumeInbox hands the activities stored but not yet applied by an earlier
// run to the workers, in arrival order.
func (f *Federation) resumeInbox() {
	var pend []pendingIn
	err := f.db.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.Prefix = []byte(prefixInP)
		it := txn.NewIterator(opt)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k := it.Item().Key()
			if len(k) != len(prefixInP)+8 {
				continue
			}
			id, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			var rec inRecord
			if rerr := readIn(txn, string(id), &rec); rerr != nil {
				f.log.Error("federation: inbox: pending activity unreadable", "id", string(id), "err", rerr)
				continue
			}
			order := string(id) // process drops what no longer decodes
			if rec.parsed() == nil {
				order = orderKey(&rec.Activity)
			}
			pend = append(pend, pendingIn{seq: binary.BigEndian.Uint64(k[len(prefixInP):]), id: string(id), order: order})
		}
		return nil
	})
	if err != nil {
		f.log.Error("federation: inbox: resume", "err", err)
	}
	for _, p := range pend {
		f.dispatchIncoming(p)
	}
}

// runInboxShard applies the shard's activities one by one. A failing
// activity is retried with backoff and holds back the shard's later ones
// (they may depend on it); EINVALID and EFORBIDDEN drop it.
func (f *Federation) runInboxShard(_ int, s *inboxShard) {
	for {
		p, ok := s.pop()
		if !ok {
			select {
			case <-f.ctx.Done():
				return
			case <-s.wake:
			}
			continue
		}
		for attempt := 1; ; attempt++ {
			if f.ctx.Err() != nil {
				return
			}
			err := f.process(p)
			if err == nil {
				break
			}
			f.m.inbox.WithLabelValues(InboxRetried).Inc()
			delay := min(f.backoff(attempt), time.Minute)
			f.log.Warn("federation: inbox: handler failed; will retry", "activity", p.id, "attempt", attempt, "in", delay, "err", err)
			t := time.NewTimer(delay)
			select {
			case <-f.ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
	}
}

// process hands one stored activity to the handler and marks it done. The
// handler's own transaction and the done marker cannot be one transaction:
// if the node crashes between them, the activity is handed over again after
// the restart, so the handler must be idempotent on the activity id (it
// records the ids it applied in the same transaction as their effect).
// Since a lost marker costs only that, the shard does not wait for it
// (markApplied): it goes on to its next activity while the marker joins the
// next group commit.
func (f *Federation) process(p pendingIn) error {
	rec := p.rec
	if rec == nil {
		rec = new(inRecord)
		err := f.db.View(func(txn *badger.Txn) error { return readIn(txn, p.id, rec) })
		if errors.Is(err, badger.ErrKeyNotFound) {
			return f.markDone(p, nil)
		}
		if err != nil {
			return err
		}
		if rec.Done {
			return f.markDone(p, nil)
		}
	}
	outcome := InboxProcessed
	if err := rec.parsed(); err != nil {
		f.log.Error("federation: inbox: a stored activity no longer decodes; dropped", "activity", p.id, "err", err)
		done := *rec
		done.Done, done.Dropped, done.Processed = true, "undecodable: "+err.Error(), f.now().UTC()
		f.markApplied(p, &done, InboxDropped)
		return nil
	}
	act := rec.Activity
	if critical(act.Type) {
		act.Proof = rec.proof()
	}
	herr := f.cfg.Handler.HandleActivity(f.ctx, &act)
	switch code := twinfed.ErrorCode(herr); {
	case herr == nil:
	case code == twinfed.EINVALID || code == twinfed.EFORBIDDEN:
		outcome = InboxDropped
		f.log.Warn("federation: inbox: activity dropped", "activity", p.id, "type", rec.Activity.Type, "from", rec.Sender, "err", herr)
		rec.Dropped = herr.Error()
	default:
		return herr
	}
	done := *rec
	done.Done, done.Processed = true, f.now().UTC()
	f.m.inboxLag.Observe(done.Processed.Sub(done.Received).Seconds())
	f.markApplied(p, &done, outcome)
	return nil
}

// markApplied is markDone without waiting for the commit; the outcome is
// counted once it is done, so that a processed count means the activity's
// record is final. If the commit fails, the pointer stays and the next Start
// hands the activity over again (the handler ignores it).
func (f *Federation) markApplied(p pendingIn, rec *inRecord, outcome string) {
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		if err := f.markDone(p, rec); err != nil {
			f.log.Error("federation: inbox: mark an activity done; it will be handed over again at the next start", "activity", p.id, "err", err)
		}
		f.m.inbox.WithLabelValues(outcome).Inc()
	}()
}

// markDone writes rec's outcome as the activity's done marker (the record
// itself, raw body and headers, is not written again) and deletes its
// processing pointer; with rec nil, only the pointer.
func (f *Federation) markDone(p pendingIn, rec *inRecord) error {
	var val []byte
	if rec != nil {
		val = encodeDone(rec.Dropped, rec.Processed)
	}
	return f.commit.update(func(txn *badger.Txn) error {
		if val != nil {
			if err := txn.Set([]byte(prefixInD+p.id), val); err != nil {
				return err
			}
		}
		return txn.Delete(append([]byte(prefixInP), seqBytes(p.seq)...))
	})
}
