package consensus

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/hashicorp/raft"
	"github.com/twinfed/twinfed"
)

// Forwarded writes travel in batches: a follower that receives many
// writes at once (64 nodes writing through it) sends the leader the
// commands that queued up while its previous batches were in flight, in
// one request (POST /v1/internal/apply-batch), instead of one HTTP
// exchange per write on both members. The leader proposes each command on
// its own (one Raft entry, one result each), so a batch changes nothing
// of what a write means; it only shares the HTTP round trip. A lone write
// goes out at once, in a batch of one.

const (
	// maxForwardBatch bounds the commands of one forwarded batch.
	maxForwardBatch = 256
	// maxForwardInFlight bounds the batches in flight to the leader.
	maxForwardInFlight = 4
	// maxBatchedCommand: larger commands (import chunks) go on their own.
	maxBatchedCommand = 64 << 10
)

// fwdItem is one command waiting to be forwarded, and where its outcome goes.
type fwdItem struct {
	cmd  []byte
	done chan fwdOutcome
}

// fwdOutcome is forwardApply's result for one command.
type fwdOutcome struct {
	res   *ApplyResult
	retry bool
	err   error
}

// forwarder queues the commands a member forwards, per leader URL.
type forwarder struct {
	m        *Member
	mu       sync.Mutex
	queue    map[string][]*fwdItem
	inflight map[string]int
	// single is set once a leader answered that it has no batch
	// endpoint (an older version during a rolling upgrade).
	single map[string]bool
}

// forward sends cmd to the leader at url in the next batch. retry is true
// when the leader certainly did not take it.
func (f *forwarder) forward(ctx context.Context, url string, cmd []byte) (*ApplyResult, bool, error) {
	f.mu.Lock()
	if f.queue == nil {
		f.queue, f.inflight, f.single = map[string][]*fwdItem{}, map[string]int{}, map[string]bool{}
	}
	if f.single[url] || len(cmd) > maxBatchedCommand {
		f.mu.Unlock()
		return f.m.forwardOne(ctx, url, cmd)
	}
	it := &fwdItem{cmd: cmd, done: make(chan fwdOutcome, 1)}
	f.queue[url] = append(f.queue[url], it)
	if f.inflight[url] < maxForwardInFlight {
		f.inflight[url]++
		go f.send(url)
	}
	f.mu.Unlock()
	select {
	case o := <-it.done:
		return o.res, o.retry, o.err
	case <-ctx.Done():
		// It may still go out: its outcome is unknown to this caller.
		return nil, false, errMaybeApplied
	}
}

// send sends the queued commands for url, batch after batch, until none
// is left.
func (f *forwarder) send(url string) {
	for {
		f.mu.Lock()
		q := f.queue[url]
		n := min(len(q), maxForwardBatch)
		if n == 0 {
			f.inflight[url]--
			f.mu.Unlock()
			return
		}
		batch := q[:n:n]
		f.queue[url] = q[n:]
		single := f.single[url]
		f.mu.Unlock()
		if !single {
			outs, oldLeader := f.m.forwardBatch(url, batch)
			if !oldLeader {
				for i, it := range batch {
					it.done <- outs[i]
				}
				continue
			}
			f.mu.Lock()
			f.single[url] = true
			f.mu.Unlock()
		}
		for _, it := range batch {
			ctx, cancel := context.WithTimeout(context.Background(), f.m.cfg.HoldWrites+forwardGrace)
			res, retry, err := f.m.forwardOne(ctx, url, it.cmd)
			cancel()
			it.done <- fwdOutcome{res, retry, err}
		}
	}
}

// forwardBatch sends a batch to the leader's batch endpoint and returns
// each command's outcome; oldLeader when the leader has no such endpoint
// (nothing was applied).
func (m *Member) forwardBatch(url string, batch []*fwdItem) (outs []fwdOutcome, oldLeader bool) {
	m.metrics.forwarded.WithLabelValues("write").Add(float64(len(batch)))
	outs = make([]fwdOutcome, len(batch))
	all := func(o fwdOutcome) []fwdOutcome {
		for i := range outs {
			outs[i] = o
		}
		return outs
	}
	var body bytes.Buffer
	for _, it := range batch {
		body.Write(binary.AppendUvarint(nil, uint64(len(it.cmd))))
		body.Write(it.cmd)
	}
	ctx, cancel := context.WithTimeout(context.Background(), m.cfg.HoldWrites+forwardGrace)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/internal/apply-batch", &body)
	if err != nil {
		return all(fwdOutcome{err: err}), false
	}
	req.Header.Set("Authorization", "Bearer "+m.cfg.AdminToken)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := m.fwd.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return all(fwdOutcome{retry: true}), false
		}
		return all(fwdOutcome{err: errMaybeApplied}), false
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed {
		io.Copy(io.Discard, resp.Body)
		return nil, true
	}
	if resp.Header.Get(headerNotLeader) != "" {
		io.Copy(io.Discard, resp.Body)
		return all(fwdOutcome{retry: true}), false
	}
	var out batchResult
	if err := decodeForwarded(resp.Body, &out); err != nil || resp.StatusCode != http.StatusOK || len(out.Results) != len(batch) {
		return all(fwdOutcome{err: errMaybeApplied}), false
	}
	for i, r := range out.Results {
		switch {
		case r.NotLeader:
			outs[i] = fwdOutcome{retry: true}
		case r.Unknown:
			outs[i] = fwdOutcome{err: errMaybeApplied}
		default:
			outs[i] = fwdOutcome{res: r.applyResult()}
		}
	}
	return outs, false
}

// decodeForwarded decodes the leader's answer to forwarded commands into
// out: with decodeHot when it is of the form the leader writes
// (appendInternalResultJSON), else with encoding/json.
func decodeForwarded(body io.Reader, out any) error {
	raw, err := io.ReadAll(io.LimitReader(body, 64<<20))
	if err != nil {
		return err
	}
	if decodeHotShared(raw, out) {
		return nil
	}
	return json.NewDecoder(bytes.NewReader(raw)).Decode(out)
}

// forwardGrace is how much longer than HoldWrites a follower waits for
// the leader's answer to a forwarded batch.
const forwardGrace = 5 * time.Second

// batchResult is the answer to POST /v1/internal/apply-batch: one result
// per command, in order.
type batchResult struct {
	Results []batchItemResult `json:"results"`
}

// batchItemResult is one command's outcome: applied (its result), not
// taken (NotLeader: the sender may try again), or unknown.
type batchItemResult struct {
	internalResult
	NotLeader bool `json:"not_leader,omitempty"`
	Unknown   bool `json:"unknown,omitempty"`
}

// handleInternalApplyBatch proposes each command of a forwarded batch
// (uvarint length, then the command, repeated) and answers every
// outcome.
func (m *Member) handleInternalApplyBatch(w http.ResponseWriter, r *http.Request) {
	if !m.isAdmin(r) {
		m.writeError(w, r, twinfed.Errorf(twinfed.EUNAUTHORIZED, "forwarded writes need the cluster's admin token"))
		return
	}
	if !m.IsLeader() {
		w.Header().Set(headerNotLeader, "1")
		m.writeError(w, r, twinfed.Errorf(twinfed.EUNAVAILABLE, "this member is not the leader"))
		return
	}
	br := bufio.NewReader(io.LimitReader(r.Body, m.cfg.MaxImportBody))
	var cmds [][]byte
	for {
		n, err := binary.ReadUvarint(br)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil || n == 0 || n > maxBatchedCommand || len(cmds) == maxForwardBatch {
			m.writeError(w, r, twinfed.Errorf(twinfed.EINVALID, "malformed command batch"))
			return
		}
		cmd := make([]byte, n)
		if _, err := io.ReadFull(br, cmd); err != nil {
			m.writeError(w, r, twinfed.Errorf(twinfed.EINVALID, "malformed command batch"))
			return
		}
		cmds = append(cmds, cmd)
	}
	futures := make([]raft.ApplyFuture, len(cmds))
	for i, cmd := range cmds {
		futures[i] = m.raft.Apply(cmd, m.cfg.HoldWrites)
	}
	b := append(make([]byte, 0, 512*len(cmds)), `{"results":[`...)
	for i, f := range futures {
		if i > 0 {
			b = append(b, ',')
		}
		if err := f.Error(); err != nil {
			if errors.Is(err, errNotLeaderRaft) || errors.Is(err, errEnqueueTimeout) {
				b = append(b, `{"index":0,"not_leader":true}`...)
			} else {
				b = append(b, `{"index":0,"unknown":true}`...)
			}
			continue
		}
		res, _ := f.Response().(*ApplyResult)
		if res == nil {
			res = &ApplyResult{Index: f.Index()}
		}
		var err error
		if b, err = appendInternalResultJSON(b, res); err != nil {
			m.writeError(w, r, twinfed.Errorf(twinfed.EINTERNAL, "encode a forwarded batch's results: %v", err))
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(b, "]}\n"...))
}

// appendInternalResultJSON appends the wire form of res between members
// (an internalResult, as encoding/json writes it: TestInternalResultJSON)
// without reflection for the usual results, a school written and a
// batch's.
func appendInternalResultJSON(b []byte, res *ApplyResult) ([]byte, error) {
	if res.Err != nil || res.Country != nil {
		w := wireResult(res)
		j, err := json.Marshal(internalResult{WriteResult: w.WriteResult, Error: w.Error})
		return append(b, j...), err
	}
	top := *res
	top.Results = nil
	b, err := appendResultJSON(b, &top)
	if err != nil || len(res.Results) == 0 {
		return b, err
	}
	b = append(b[:len(b)-1], `,"results":[`...) // reopen the object
	for i, sub := range res.Results {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendInternalResultJSON(b, sub); err != nil {
			return b, err
		}
	}
	return append(b, "]}"...), nil
}

// internalResultOf is the wire form of an applied future's result.
func internalResultOf(f raft.ApplyFuture) internalResult {
	res, _ := f.Response().(*ApplyResult)
	if res == nil {
		return internalResult{WriteResult: WriteResult{Index: f.Index()}}
	}
	w := wireResult(res)
	out := internalResult{WriteResult: w.WriteResult, Error: w.Error}
	if res.Results != nil {
		out.Results = make([]BatchWriteResult, len(res.Results))
		for i, r := range res.Results {
			out.Results[i] = wireResult(r)
		}
	}
	return out
}
