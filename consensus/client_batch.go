package consensus

import (
	"context"
	"encoding/json"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twinfed/twinfed"
)

// A node's writes travel in batches (group commit at the client): a write
// made while a batch request is in flight waits in a queue, and the next
// request carries every write queued by then (up to MaxBatchWrites, about
// clientBatchBytes), signed once, to POST /v1/batch. A lone write goes out at once, in a batch of one, so a
// write waits at most for the requests in flight. Each write keeps its own
// request id, gets its own result, and is acknowledged once the registry
// has committed it, as when it is sent alone. A batch whose answer is lost
// is sent again as a whole: its writes' ids make that safe.

const (
	// clientBatchesInFlight bounds a client's batch requests in flight: a
	// second one goes out only once clientBatchMore writes wait (one
	// request at a time makes the largest batches, the least CPU a write;
	// a second keeps the registry busy while the first one's entry syncs).
	clientBatchesInFlight = 2
	clientBatchMore       = 32
	// clientBatchBytes: a batch is closed once its writes' bodies reach it.
	clientBatchBytes = 1 << 20
)

// batchRetryAfter is how long a client sends its writes alone after a
// registry answered that it serves no batches.
const batchRetryAfter = 30 * time.Second

// clientBatcher is a Client's queue of writes waiting for a batch.
type clientBatcher struct {
	mu       sync.Mutex
	queue    []*batchCall
	inflight int
	// offUntil is set when a registry answered that it serves no batches
	// (an older version, or a rolling upgrade under way): writes go alone
	// until then (UnixNano), and batches are tried again after.
	offUntil atomic.Int64
}

// batchCall is one write waiting for its batch, and where its outcome goes.
type batchCall struct {
	w    BatchWrite
	done chan batchOutcome
}

// batchOutcome is a write's outcome in its batch; alone asks the writer to
// send it alone, with the same request id.
type batchOutcome struct {
	res   BatchWriteResult
	err   error
	alone bool
}

// batches reports whether a write goes in a batch: a node's signed
// writes of the kinds a batch carries, without extra headers.
func (c *Client) batches(method, path string, header http.Header) bool {
	if c.cfg.NoBatch || c.cfg.Signer == nil || c.cfg.AdminToken != "" || header != nil || time.Now().UnixNano() < c.batch.offUntil.Load() {
		return false
	}
	switch method {
	case http.MethodPost:
		return path == "/v1/schools" || path == "/v1/labels/national"
	case http.MethodPut:
		id, ok := strings.CutPrefix(path, "/v1/schools/")
		return ok && id != "" && !strings.Contains(id, "/")
	}
	return false
}

// sendBatched queues a write for the next batch and waits for its result.
func (c *Client) sendBatched(ctx context.Context, method, path string, body []byte, out any) (uint64, error) {
	call := &batchCall{w: BatchWrite{Key: newRequestID(), Method: method, Path: path, Body: body}, done: make(chan batchOutcome, 1)}
	b := &c.batch
	b.mu.Lock()
	b.queue = append(b.queue, call)
	if b.inflight == 0 || b.inflight < clientBatchesInFlight && len(b.queue) >= clientBatchMore {
		b.inflight++
		go c.sendBatches()
	}
	b.mu.Unlock()
	var o batchOutcome
	select {
	case o = <-call.done:
	case <-ctx.Done():
		// Its batch may still go out: its outcome is unknown here.
		return 0, twinfed.Errorf(twinfed.EUNAVAILABLE, "the write was abandoned while it waited for the registry: it may or may not have been applied")
	}
	switch {
	case o.alone:
		return c.sendWithID(ctx, call.w.Key, method, path, nil, body, out)
	case o.err != nil:
		return 0, o.err
	case o.res.Error != nil:
		return o.res.Index, o.res.Error.toError()
	}
	if wr, ok := out.(*WriteResult); ok {
		*wr = o.res.WriteResult
	} else if out != nil {
		raw, err := json.Marshal(o.res.WriteResult)
		if err == nil {
			err = json.Unmarshal(raw, out)
		}
		if err != nil {
			return o.res.Index, err
		}
	}
	return o.res.Index, nil
}

// sendBatches sends the queued writes, batch after batch, until none is
// left.
func (c *Client) sendBatches() {
	b := &c.batch
	for {
		// Let the writers an answer just released (runnable, not yet
		// queued) write again first, so that they share this batch.
		runtime.Gosched()
		b.mu.Lock()
		n, size := 0, 0
		for n < len(b.queue) && n < MaxBatchWrites && (n == 0 || size+len(b.queue[n].w.Body) <= clientBatchBytes) {
			size += len(b.queue[n].w.Body)
			n++
		}
		if n == 0 {
			b.inflight--
			b.mu.Unlock()
			return
		}
		batch := b.queue[:n:n]
		b.queue = b.queue[n:]
		b.mu.Unlock()
		c.sendBatch(batch)
	}
}

// sendBatch sends one batch (again while the registry answers
// EUNAVAILABLE, for up to WriteRetry) and hands each write its outcome.
func (c *Client) sendBatch(batch []*batchCall) {
	all := func(o batchOutcome) {
		for _, call := range batch {
			call.done <- o
		}
	}
	body := appendBatchRequest(make([]byte, 0, 256*len(batch)), batch)
	wait := c.cfg.WriteRetry
	if wait < 0 {
		wait = 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait+30*time.Second)
	defer cancel()
	var res BatchResult
	_, err := c.sendWithID(ctx, newRequestID(), http.MethodPost, "/v1/batch", nil, body, &res)
	switch {
	case err != nil && noBatchEndpoint(err):
		c.batch.offUntil.Store(time.Now().Add(batchRetryAfter).UnixNano())
		c.logger.Info("registry: the registry serves no batches (an older version, or an upgrade under way); sending writes one by one for a while", "retry_in", batchRetryAfter)
		all(batchOutcome{alone: true})
	case err != nil:
		all(batchOutcome{err: err})
	case len(res.Results) != len(batch):
		all(batchOutcome{err: twinfed.Errorf(twinfed.EUNAVAILABLE, "the registry answered %d results for a batch of %d writes: they may or may not have been applied", len(res.Results), len(batch))})
	default:
		for i, call := range batch {
			call.done <- batchOutcome{res: res.Results[i]}
		}
	}
}

// noBatchEndpoint reports whether err is a registry's answer that it has
// no POST /v1/batch (404 or 405 without an API error body).
func noBatchEndpoint(err error) bool {
	msg := twinfed.ErrorMessage(err)
	return strings.HasPrefix(msg, "registry answered 404") || strings.HasPrefix(msg, "registry answered 405")
}
