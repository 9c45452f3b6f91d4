package federation_test

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/federation"
	"github.com/twinfed/twinfed/federation/signing"
)

// dyingGate lets the first limit POSTs through, then drops the connection
// of every later one without an answer, as a node that dies would.
type dyingGate struct {
	limit   atomic.Int64
	passed  atomic.Int64
	tripped chan struct{}
	once    sync.Once
}

func (g *dyingGate) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && g.passed.Add(1) > g.limit.Load() {
			g.once.Do(func() { close(g.tripped) })
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		}
		h.ServeHTTP(w, r)
	})
}

// TestDelivery_ReceiverRestartExactlyOnce queues 1,000 deliveries from IT to
// FR; FR dies after 300 requests (connections dropped mid-flight, then the
// node stopped with activities stored but not yet applied), and restarts.
// Every activity must then be applied exactly once.
func TestDelivery_ReceiverRestartExactlyOnce(t *testing.T) {
	const total = 1000
	cluster := consensustest.MustOpenCluster(t, 1)
	nodes := mustReserveNodes(t, cluster, "IT", "FR")
	it, fr := nodes[0], nodes[1]
	gate := &dyingGate{tripped: make(chan struct{})}
	gate.limit.Store(300)
	fr.Wrap = gate.wrap
	it.mustStart(t)
	fr.mustStart(t)

	var ids []string
	for i := 0; i < total; i += 50 {
		var batch []*twinfed.Activity
		for j := i; j < i+50; j++ {
			a := it.follow(fmt.Sprintf("bulk-%04d", j), fmt.Sprintf("m%d", j%37), fr.actor(fmt.Sprintf("u%d", j%11)))
			ids = append(ids, a.ID)
			batch = append(batch, a)
		}
		it.send(t, batch...)
	}
	select {
	case <-gate.tripped:
	case <-time.After(30 * time.Second):
		t.Fatal("FR never received 300 deliveries")
	}
	fr.stop()
	eventually(t, 10*time.Second, func() bool {
		for _, s := range it.Fed.Status() {
			if s.Destination == fr.Host && s.Depth > 0 && s.LastError != "" {
				return true
			}
		}
		return false
	}, "IT's queue to FR should hold the undelivered activities with an error")

	gate.limit.Store(math.MaxInt64)
	restarted := time.Now()
	fr.mustStart(t)
	eventually(t, 60*time.Second, func() bool { return fr.Rec.countApplied() >= total }, "FR applied %d of %d", fr.Rec.countApplied(), total)
	eventually(t, 10*time.Second, func() bool {
		for _, s := range it.Fed.Status() {
			if s.Destination == fr.Host {
				return s.Depth == 0
			}
		}
		return true
	}, "IT's queue did not drain")

	applied := fr.Rec.applied(t)
	calls := fr.Rec.calls(t)
	if len(applied) != total {
		t.Fatalf("applied %d activities, want %d", len(applied), total)
	}
	for _, id := range ids {
		if applied[id] == nil {
			t.Fatalf("%s was never applied", id)
		}
		if calls[id] != 1 {
			t.Fatalf("%s was handed to the handler %d times, want exactly once", id, calls[id])
		}
	}
	t.Logf("drained %s after the restart", time.Since(restarted))
	t.Logf("gate passed %d requests; replays after restart: %v", gate.passed.Load(),
		metricValue(t, fr.Metrics, "twinfed_federation_inbox_total", map[string]string{"outcome": federation.InboxReplay}))
}

// scripted is a destination node that answers POSTs as told, and records
// when each arrived.
type scripted struct {
	mu      sync.Mutex
	answers []func(w http.ResponseWriter) // one per request; the last repeats
	times   []time.Time
	verify  *signing.Verifier
	sigErrs []string
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet { // the sender looking up the recipient's inbox
		http.NotFound(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	_, err := s.verify.Verify(r, body)
	s.mu.Lock()
	if err != nil {
		s.sigErrs = append(s.sigErrs, err.Error())
	}
	s.times = append(s.times, time.Now())
	answer := s.answers[min(len(s.times)-1, len(s.answers)-1)]
	s.mu.Unlock()
	answer(w)
}

func (s *scripted) set(answers ...func(w http.ResponseWriter)) {
	s.mu.Lock()
	s.answers, s.times = answers, nil
	s.mu.Unlock()
}

func (s *scripted) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.times)
}

func status(code int, header ...string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		fmt.Fprintln(w, http.StatusText(code))
	}
}

// TestDelivery_RetryBreakerPark drives one destination through Retry-After,
// a permanent refusal, the retry window and the circuit breaker, and
// checks the status, the parked view, the metrics and requeueing.
func TestDelivery_RetryBreakerPark(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 1)
	nodes := mustReserveNodes(t, cluster, "IT", "FR")
	it, fr := nodes[0], nodes[1]
	// The window is counted from the enqueue, and the first subtest's
	// retry comes a second after its first attempt: on a loaded machine
	// that first attempt alone can take seconds, so the window leaves room
	// (a 3 s window parked the retry before it was made).
	it.Settings.RetryWindow = 8 * time.Second
	it.mustStart(t)
	dest := &scripted{verify: &signing.Verifier{Keys: fr.Registry}}
	srv := &http.Server{Handler: dest}
	go srv.Serve(fr.ln)
	t.Cleanup(func() { srv.Close() })
	maria := it.actor("maria")
	claire := fr.actor("claire")

	t.Run("Retry-After is honoured, every attempt re-signed", func(t *testing.T) {
		dest.set(status(429, "Retry-After", "1"), status(202))
		it.send(t, it.follow("ra-1", "maria", claire))
		eventually(t, 30*time.Second, func() bool { return dest.count() == 2 }, "no second attempt")
		dest.mu.Lock()
		gap := dest.times[1].Sub(dest.times[0])
		errs := dest.sigErrs
		dest.mu.Unlock()
		if gap < time.Second {
			t.Fatalf("second attempt %s after the first; Retry-After asked for 1s", gap)
		}
		if len(errs) > 0 {
			t.Fatalf("signature errors at the destination: %v", errs)
		}
		eventually(t, 20*time.Second, func() bool { return it.Fed.Status()[0].Depth == 0 }, "queue not empty")
	})
	t.Run("a permanent refusal parks at once", func(t *testing.T) {
		dest.set(status(400))
		it.send(t, it.follow("perm-1", "maria", claire))
		eventually(t, 10*time.Second, func() bool { p, _ := it.Fed.Parked(fr.Host); return len(p) == 1 }, "not parked")
		p, _ := it.Fed.Parked(fr.Host)
		if p[0].ActivityID != twinfed.ActivityURL(it.Base, "perm-1") || !strings.Contains(p[0].Reason, "400") {
			t.Fatalf("parked %+v", p[0])
		}
		if dest.count() != 1 {
			t.Fatalf("%d attempts, want 1", dest.count())
		}
	})
	t.Run("a deletion parks after the retry window, the breaker opens", func(t *testing.T) {
		dest.set(status(503))
		del := &twinfed.Activity{ID: twinfed.ActivityURL(it.Base, "del-1"), Type: twinfed.ActivityDelete, Actor: maria, To: []string{claire}, Object: maria}
		it.send(t, del)
		eventually(t, 40*time.Second, func() bool { p, _ := it.Fed.Parked(fr.Host); return len(p) == 2 }, "deletion not parked")
		if got := metricValue(t, it.Metrics, "twinfed_federation_parked_critical_total", map[string]string{"type": "Delete"}); got != 1 {
			t.Fatalf("parked_critical{Delete} = %v", got)
		}
		st := it.Fed.Status()[0]
		if st.Parked != 2 || st.Critical != 1 || st.Depth != 0 || !strings.Contains(st.LastError, "503") {
			t.Fatalf("status %+v", st)
		}
		if dest.count() < 2 {
			t.Fatalf("only %d attempts before parking", dest.count())
		}
		if got := metricValue(t, it.Metrics, "twinfed_federation_parked", map[string]string{"destination": fr.Host}); got != 2 {
			t.Fatalf("parked gauge %v", got)
		}
		rec := httptest.NewRecorder()
		it.Fed.StatusHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/?parked=1", nil))
		var parked []federation.ParkedDelivery
		if err := json.Unmarshal(rec.Body.Bytes(), &parked); err != nil || len(parked) != 2 {
			t.Fatalf("parked view: %v %s", err, rec.Body)
		}
		rec = httptest.NewRecorder()
		it.Fed.StatusHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if !strings.Contains(rec.Body.String(), fr.Host) || !strings.Contains(rec.Body.String(), "503") {
			t.Fatalf("HTML status: %s", rec.Body)
		}
	})
	t.Run("the breaker opens after repeated failures", func(t *testing.T) {
		dest.set(status(500))
		it.Fed.Requeue("")
		eventually(t, 10*time.Second, func() bool { return it.Fed.Status()[0].BreakerOpen }, "breaker never opened")
	})
	t.Run("requeue delivers parked items", func(t *testing.T) {
		dest.set(status(202))
		eventually(t, 20*time.Second, func() bool {
			p, _ := it.Fed.Parked(fr.Host)
			st := it.Fed.Status()[0]
			if len(p) > 0 {
				it.Fed.Requeue(fr.Host)
			}
			return len(p) == 0 && st.Depth == 0 && !st.BreakerOpen
		}, "parked items were not delivered after requeue: %+v", it.Fed.Status())
	})
}

// TestQueue_CommitAfterNotify holds a transaction that enqueued a delivery
// open while another delivery is sent and applied (so the scan after its
// Notify met the first one staged but not committed), then commits it: it
// is delivered at the next Notify, not at the minute's whole scan. A
// delivery enqueued in a transaction that is discarded is never sent.
func TestQueue_CommitAfterNotify(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 1)
	nodes := mustOpenNodes(t, cluster, "IT", "FR")
	it, fr := nodes[0], nodes[1]
	applied := func(id string) bool {
		return slices.Contains(fr.Rec.order(), twinfed.ActivityURL(it.Base, id))
	}

	late := it.DB.NewTransaction(true)
	defer late.Discard()
	if err := it.Fed.Enqueue(late, it.follow("late", "maria", fr.actor("claire"))); err != nil {
		t.Fatal(err)
	}
	dropped := it.DB.NewTransaction(true)
	if err := it.Fed.Enqueue(dropped, it.follow("dropped", "maria", fr.actor("claire"))); err != nil {
		t.Fatal(err)
	}
	dropped.Discard()
	it.send(t, it.follow("first", "maria", fr.actor("luc")))
	eventually(t, 10*time.Second, func() bool { return applied("first") }, "the first delivery was not applied")
	if applied("late") {
		t.Fatal("a delivery of a transaction not committed was sent")
	}

	if err := late.Commit(); err != nil {
		t.Fatal(err)
	}
	it.Fed.Notify()
	eventually(t, 10*time.Second, func() bool { return applied("late") }, "the delivery committed after a scan was not sent at the next Notify")
	it.send(t, it.follow("last", "maria", fr.actor("luc")))
	eventually(t, 10*time.Second, func() bool { return applied("last") }, "the last delivery was not applied")
	if applied("dropped") {
		t.Fatal("a delivery of a discarded transaction was sent")
	}
	for _, s := range it.Fed.Status() {
		if s.Depth != 0 {
			t.Fatalf("%s: %d deliveries still queued, want none", s.Destination, s.Depth)
		}
	}
}
