package federation

// Batches: several activities to one Twinfed node in one signed request.
//
// A node advertises the batch inbox in the endpoints of every actor
// document it serves (endpoints["twinfed:batchInbox"], <base>/inbox/batch). A
// sender learns it with the actor document it fetches anyway to find the
// shared inbox, and uses it only for a destination that is a Twinfed node
// (its registry record lists an Ed25519 key) and advertised it: any other
// server gets one activity per request, as before.
//
// The request: POST <batch inbox>, Content-Type ContentTypeBatch, the body
// {"items":[<activity>, …]} (at most maxBatchItems activities, each the
// AS2 document a single delivery would post), signed once by the node's
// agency with the node's key (draft-cavage, Digest over the whole body).
// The receiver verifies the signature once, then checks each activity as
// a single POST's (size, parse, same origin with the signing host), stores
// every accepted one in ONE Badger transaction before it answers, and
// answers 200 with {"results":[{"id":…,"status":202}, {"status":403,
// "error":"…"}, …]}, one result per item in the items' order. A request it
// cannot take as a whole (signature, malformed envelope, too many items)
// is refused as a single POST would be, with nothing stored.
//
// The sender records each item on its own: delivered (2xx), parked (4xx,
// with the receiver's reason) or retried (5xx); an answer for the whole
// request (a network error, 401, 429, 5xx) retries every item. An
// activity whose Proof a receiver keeps (an agency's approval or refusal)
// is never batched: its proof is the signed request that carried it alone.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/federation/signing"
)

// ContentTypeBatch is the media type of a batch of activities.
const ContentTypeBatch = "application/vnd.twinfed.batch+json"

const (
	// batchPath is the batch inbox every node serves.
	batchPath = "/inbox/batch"
	// propBatchInbox is the endpoints member that advertises it.
	propBatchInbox = "twinfed:batchInbox"
	// maxBatchItems caps the activities of one batch.
	maxBatchItems = 64
	// maxBatchBytes caps what a sender packs into one batch (the items'
	// bodies); an activity over maxBatchItemBytes goes alone.
	maxBatchBytes     = 1 << 20
	maxBatchItemBytes = 256 << 10
	// maxBatchBody is the largest batch request the inbox reads: the
	// sender's cap and the envelope.
	maxBatchBody = maxBatchBytes + 64<<10
	// batchRequests caps the batch requests in flight to one
	// destination: what arrives while they are answered makes the next
	// batch, instead of as many single requests as there are workers.
	batchRequests = 4
)

// batchResult is the receiver's answer for one item of a batch.
type batchResult struct {
	ID     string `json:"id,omitempty"`
	Status int    `json:"status"`
	Error  string `json:"error,omitempty"`
}

// batchEntry is an accepted item of an incoming batch.
type batchEntry struct {
	index int
	a     *twinfed.Activity
	raw   []byte
	seq   uint64
	rec   *inRecord
	fresh bool
}

// handleBatch is POST /inbox/batch: verify once, check each activity as a
// single POST's, store the accepted ones in one transaction, answer per
// activity.
func (f *Federation) handleBatch(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	defer func() { f.m.inboxLatency.Observe(time.Since(start).Seconds()) }()
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != ContentTypeBatch {
		f.refuse(w, ReasonInvalidActivity, twinfed.Errorf(twinfed.EINVALID, "a batch must be sent as %s, not %q", ContentTypeBatch, r.Header.Get("Content-Type")))
		return
	}
	body, v, ok := f.readSigned(w, r, maxBatchBody, "batch inbox")
	if !ok {
		return
	}
	items, err := parseBatch(body)
	if err != nil {
		f.refuse(w, ReasonInvalidActivity, err)
		return
	}
	results := make([]batchResult, len(items))
	entries := make([]*batchEntry, 0, len(items))
	for i, raw := range items {
		if int64(len(raw)) > f.set.MaxInboxBody {
			results[i] = f.refuseItem(ReasonTooLarge, twinfed.Errorf(twinfed.ETOOLARGE, "item %d: the activity is over %d bytes", i, f.set.MaxInboxBody))
			continue
		}
		a, err := DecodeActivity(raw)
		if err != nil {
			results[i] = f.refuseItem(ReasonInvalidActivity, fmt.Errorf("item %d: %w", i, err))
			continue
		}
		results[i].ID = a.ID
		if err := twinfed.CheckSameOrigin(v.Host, a); err != nil {
			results[i] = f.refuseItem(ReasonCrossOrigin, err)
			results[i].ID = a.ID
			continue
		}
		entries = append(entries, &batchEntry{index: i, a: a, raw: raw})
	}
	if err := f.storeBatch(v, entries, r.Host); err != nil {
		f.log.Error("federation: batch inbox: store", "activities", len(entries), "err", err)
		writeError(w, twinfed.Errorf(twinfed.EUNAVAILABLE, "the activities could not be stored; try again later"))
		return
	}
	for _, e := range entries {
		results[e.index].Status = http.StatusAccepted
		if e.fresh {
			f.m.inbox.WithLabelValues(InboxAccepted).Inc()
		} else {
			f.m.inbox.WithLabelValues(InboxReplay).Inc()
		}
	}
	out, _ := json.Marshal(struct {
		Results []batchResult `json:"results"`
	}{results})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(out)
	for _, e := range entries {
		if e.fresh {
			f.dispatchIncoming(pendingIn{seq: e.seq, id: e.a.ID, order: orderKey(e.a), rec: e.rec})
		}
	}
}

// parseBatch reads a batch's envelope and returns its items, each still to
// be decoded; the error says what is wrong with the envelope.
func parseBatch(body []byte) ([]json.RawMessage, error) {
	var env struct {
		Items *[]json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, twinfed.Errorf(twinfed.EINVALID, `the batch is not a JSON object {"items":[…]}: %v`, err)
	}
	switch {
	case env.Items == nil:
		return nil, twinfed.Errorf(twinfed.EINVALID, `the batch has no "items" array`)
	case len(*env.Items) == 0:
		return nil, twinfed.Errorf(twinfed.EINVALID, "the batch has no items")
	case len(*env.Items) > maxBatchItems:
		return nil, twinfed.Errorf(twinfed.EINVALID, "the batch has %d items; at most %d are accepted", len(*env.Items), maxBatchItems)
	}
	return *env.Items, nil
}

// refuseItem counts an item's refusal and returns its result.
func (f *Federation) refuseItem(reason string, err error) batchResult {
	f.m.refusals.WithLabelValues(reason).Inc()
	f.log.Info("federation: batch inbox refused an activity", "reason", reason, "err", err)
	return batchResult{Status: twinfed.HTTPStatus(twinfed.ErrorCode(err)), Error: twinfed.ErrorMessage(err)}
}

// storeBatch writes the records and processing pointers of a batch's
// accepted activities in one transaction, in their order; a known id (or
// one already earlier in the batch) is left as it is (fresh false).
func (f *Federation) storeBatch(v *signing.Verified, entries []*batchEntry, host string) error {
	if len(entries) == 0 {
		return nil
	}
	now := f.now().UTC()
	vals := make([][]byte, len(entries))
	for i, e := range entries {
		// No Signature header: the signature covers the whole batch, so
		// the record carries no proof of this activity alone (proof).
		e.rec = &inRecord{Activity: *e.a, Raw: e.raw, Sender: v.Host, Received: now,
			Headers: map[string]string{proofTarget: batchPath, "Host": host}}
		vals[i] = encodeInRecord(e.rec)
	}
	return f.commit.update(func(txn *badger.Txn) error {
		seen := make(map[string]bool, len(entries))
		for i, e := range entries {
			e.fresh = false
			key := []byte(prefixIn + e.a.ID)
			if seen[e.a.ID] {
				continue
			}
			seen[e.a.ID] = true
			if _, err := txn.Get(key); err == nil {
				continue
			} else if !errors.Is(err, badger.ErrKeyNotFound) {
				return err
			}
			s, err := f.inSeq.Next()
			if err != nil {
				return err
			}
			e.seq, e.fresh = s, true
			if err := txn.Set(key, vals[i]); err != nil {
				return err
			}
			if err := txn.Set(append([]byte(prefixInP), seqBytes(s)...), []byte(e.a.ID)); err != nil {
				return err
			}
		}
		return nil
	})
}

// batchable reports whether qi may travel in a batch: not an agency's
// decision, whose receiver keeps the request that carried it as its proof,
// and not too large.
func (o *Outbox) batchable(qi *queueItem) bool {
	if critical(qi.Type) && qi.Actor == twinfed.AgencyURL(o.base) {
		return false
	}
	return len(qi.body) <= maxBatchItemBytes
}

// batchInbox returns the batch inbox host advertised, if it is known.
func (o *Outbox) batchInbox(host string) string {
	if e, ok := o.batches.Load(host); ok {
		c := e.(cachedInbox)
		if d := o.now().Sub(c.at); d >= 0 && d < inboxTTL {
			return c.url
		}
	}
	return ""
}

// learnBatchInbox records what an actor document of host advertised: the
// batch inbox, on the same host, or nothing.
func (o *Outbox) learnBatchInbox(host, url string) {
	if url != "" && twinfed.URLHost(url) == host {
		o.batches.Store(host, cachedInbox{url: url, at: o.now()})
		return
	}
	o.batches.Delete(host)
}

// groupBatches splits the items a pick made ready into requests: runs of
// batchable items of up to maxBatchItems and maxBatchBytes, any other item
// alone. Bodies not loaded yet are loaded first. Items of one object stay
// in one request, in order: one that would land in a later request than
// an earlier item of its object is released to wait for it.
func (o *Outbox) groupBatches(d *destination, ready []*queueItem) [][]*queueItem {
	var missing []*queueItem
	for _, qi := range ready {
		if qi.body == nil {
			missing = append(missing, qi)
		}
	}
	if len(missing) > 0 {
		o.db.View(func(txn *badger.Txn) error {
			for _, qi := range missing {
				qi.body, _ = loadBody(txn, qi.ActivityID) // a missing one is parked by attempt
			}
			return nil
		})
	}
	var (
		groups   [][]*queueItem
		cur      []*queueItem
		size     int
		released []*queueItem
	)
	placed := map[string]int{} // order key → the group it went to (len(groups) while current)
	flush := func() {
		if len(cur) > 0 {
			groups = append(groups, cur)
		}
		cur, size = nil, 0
	}
	for _, qi := range ready {
		g, seen := placed[qi.Order]
		alone := qi.body == nil || !o.batchable(qi)
		if !alone && (len(cur) == maxBatchItems || size+len(qi.body) > maxBatchBytes) {
			flush()
		}
		if seen && (alone || g != len(groups)) {
			released = append(released, qi)
			placed[qi.Order] = -1 // its later items wait too
			continue
		}
		if alone {
			flush()
			placed[qi.Order] = len(groups)
			groups = append(groups, []*queueItem{qi})
			continue
		}
		placed[qi.Order] = len(groups)
		cur = append(cur, qi)
		size += len(qi.body)
	}
	flush()
	if len(released) > 0 {
		// Their object stays busy until its earlier item is recorded.
		d.mu.Lock()
		for _, qi := range released {
			delete(d.inflight, qi.Seq)
		}
		d.mu.Unlock()
	}
	return groups
}

// attemptBatch sends items to url in one signed request and returns each
// item's outcome, and whether the outcome is the request's as a whole (the
// same for every item).
func (o *Outbox) attemptBatch(url string, items []*queueItem) (res []attemptResult, whole bool) {
	all := func(r attemptResult) ([]attemptResult, bool) {
		res := make([]attemptResult, len(items))
		for i := range res {
			res[i] = r
		}
		return res, true
	}
	dest := items[0].Dest
	ctx, cancel := context.WithTimeout(o.ctx, o.set.DeliveryTimeout)
	defer cancel()
	_, keys, err := o.keys.KeysForHost(ctx, dest)
	if err != nil {
		if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			return all(attemptResult{permanent: true, err: dest + " is no longer a node of this federation"})
		}
		return all(attemptResult{err: "registry: " + err.Error()})
	}
	if !isTwinfed(keys) {
		o.batches.Delete(dest)
		return all(attemptResult{err: dest + " no longer lists an Ed25519 key; its deliveries go one by one"})
	}
	size := len(`{"items":[]}`) + len(items)
	for _, qi := range items {
		size += len(qi.body)
	}
	body := make([]byte, 0, size)
	body = append(body, `{"items":[`...)
	for i, qi := range items {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, qi.body...)
	}
	body = append(body, "]}"...)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return all(attemptResult{permanent: true, err: err.Error()})
	}
	req.Header.Set("Content-Type", ContentTypeBatch)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "twinfed/"+o.cfg.Version+" (+"+o.base+")")
	if err := o.signer.Sign(req, twinfed.KeyID(twinfed.AgencyURL(o.base)), body); err != nil {
		return all(attemptResult{permanent: true, err: err.Error()})
	}
	o.m.batchSize.Observe(float64(len(items)))
	start := time.Now()
	resp, err := o.client.Do(req)
	o.m.deliveryLatency.Observe(time.Since(start).Seconds())
	if err != nil {
		return all(attemptResult{err: err.Error()})
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		said := fmt.Sprintf("%s answered %d to a batch: %s", dest, resp.StatusCode, strings.TrimSpace(string(answer[:min(len(answer), 512)])))
		r := attemptResult{err: said}
		switch {
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
			r.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), o.now())
		case resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusRequestTimeout:
			// The destination does not take our batches (any more):
			// its items go one by one from the next attempt on.
			o.batches.Delete(dest)
			o.log.Warn("federation: a destination refused a batch; delivering one by one", "dest", dest, "status", resp.StatusCode, "answer", said)
		}
		return all(r)
	}
	var out struct {
		Results []batchResult `json:"results"`
	}
	if err := json.Unmarshal(answer, &out); err != nil || len(out.Results) != len(items) {
		return all(attemptResult{err: fmt.Sprintf("%s answered a batch of %d with %d results: %v", dest, len(items), len(out.Results), err)})
	}
	o.learnBatchInbox(dest, url) // it works: keep using it
	res = make([]attemptResult, len(items))
	for i, r := range out.Results {
		switch {
		case r.Status >= 200 && r.Status < 300:
			res[i] = attemptResult{ok: true}
		case r.Status == http.StatusGone:
			res[i] = attemptResult{permanent: true, gone: true, err: fmt.Sprintf("%s answered %d: %s", dest, r.Status, r.Error)}
		case r.Status >= 400 && r.Status < 500 && r.Status != http.StatusTooManyRequests && r.Status != http.StatusRequestTimeout:
			res[i] = attemptResult{permanent: true, err: fmt.Sprintf("%s answered %d: %s", dest, r.Status, r.Error)}
		default:
			res[i] = attemptResult{err: fmt.Sprintf("%s answered %d: %s", dest, r.Status, r.Error)}
		}
	}
	return res, false
}

// recordBatch records the outcomes of a batch's items: the delivered ones
// leave the queue in one transaction; each other one is retried or parked
// on its own. A failure of the whole request counts once towards the
// circuit breaker.
func (o *Outbox) recordBatch(d *destination, items []*queueItem, res []attemptResult, whole bool) {
	var ok []*queueItem
	counted := false
	for i, qi := range items {
		if res[i].ok {
			ok = append(ok, qi)
			continue
		}
		if whole && counted {
			o.recordAs(d, qi, res[i], false)
			continue
		}
		counted = true
		o.record(d, qi, res[i])
	}
	if len(ok) == 0 {
		return
	}
	err := o.commit.update(func(txn *badger.Txn) error {
		for _, qi := range ok {
			if err := txn.Delete(queueKey(prefixQueue, qi.Dest, qi.Seq)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		o.log.Error("federation: remove delivered items", "dest", d.host, "items", len(ok), "err", err)
		for _, qi := range ok {
			d.done(qi, nil)
		}
		return
	}
	o.m.deliveries.WithLabelValues(d.host, OutcomeDelivered).Add(float64(len(ok)))
	now := o.now()
	d.mu.Lock()
	d.failures, d.trial, d.lastOK = 0, false, now
	for _, qi := range ok {
		delete(d.inflight, qi.Seq)
		delete(d.busy, qi.Order)
		delete(d.items, qi.Seq)
	}
	d.updateGauges()
	d.mu.Unlock()
	d.signal()
}
