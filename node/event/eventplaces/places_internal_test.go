package eventplaces

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed"
)

// homeNode is a real HTTP server standing for an event's home node: it
// counts the requests for the places and answers each once the test lets
// it (gate), or not at all once closed.
type homeNode struct {
	srv      *httptest.Server
	requests atomic.Int32
	gate     chan struct{} // nil: answer at once
	counts   string
}

func newHomeNode(t *testing.T) *homeNode {
	h := &homeNode{counts: `{"confirmed":2,"waiting":1,"capacity":2}`}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.requests.Add(1)
		if h.gate != nil {
			<-h.gate
		}
		io.WriteString(w, h.counts)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// get is the node's fetcher over plain HTTP (the signature is the
// federation's, tested across real nodes in cmd/twinfed).
func get(ctx context.Context, rawURL string) ([]byte, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, twinfed.Errorf(twinfed.EUNAVAILABLE, "%v", err)
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

// clock is a clock the test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// logLines keeps the log's records as text.
type logLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}
func (l *logLines) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.buf.String(), s)
}

func newService(clk *clock, logs *logLines) (*Service, *prometheus.Registry) {
	fetches := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fetches"}, []string{"result"})
	reg := prometheus.NewRegistry()
	reg.MustRegister(fetches)
	return New(Deps{Fetch: get, Fetches: fetches, Now: clk.Now, Logger: slog.New(slog.NewTextHandler(logs, nil))}), reg
}

// fetched is the count of fetches with result in reg.
func fetched(t *testing.T, reg *prometheus.Registry, result string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) == 1 && m.GetLabel()[0].GetValue() == result {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// TestGet_OneRequestPerTTL: the pages of one event rendered together cost
// its home node one request, kept for TTL; Forget drops it.
func TestGet_OneRequestPerTTL(t *testing.T) {
	home := newHomeNode(t)
	home.gate = make(chan struct{})
	clk := &clock{t: time.Now()}
	s, fetches := newService(clk, &logLines{})
	e := &twinfed.Event{ID: home.srv.URL + "/events/01HX"}
	var wg sync.WaitGroup
	results := make(chan Counts, 20)
	for range 20 {
		wg.Go(func() {
			c, ok := s.Get(context.Background(), e)
			if !ok {
				t.Error("a page got no counts")
			}
			results <- c
		})
	}
	// A page whose request ends while the counts are asked for gets none,
	// and the others still get theirs.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, ok := s.Get(ctx, e); ok {
		t.Error("a page whose request ended got counts")
	}
	for home.requests.Load() == 0 {
		runtime.Gosched()
	}
	close(home.gate)
	wg.Wait()
	close(results)
	for c := range results {
		if !reflect.DeepEqual(c, Counts{Confirmed: 2, Waiting: 1, Capacity: 2}) {
			t.Fatalf("counts %+v", c)
		}
	}
	if n := home.requests.Load(); n != 1 {
		t.Fatalf("21 pages together: %d requests, want 1", n)
	}
	clk.Add(TTL - time.Millisecond)
	s.Get(context.Background(), e)
	if n := home.requests.Load(); n != 1 {
		t.Fatalf("within TTL: %d requests, want 1", n)
	}
	clk.Add(time.Millisecond)
	s.Get(context.Background(), e)
	if n := home.requests.Load(); n != 2 {
		t.Fatalf("after TTL: %d requests, want 2", n)
	}
	s.Forget(e.ID)
	s.Get(context.Background(), e)
	if n := home.requests.Load(); n != 3 {
		t.Fatalf("after Forget: %d requests, want 3", n)
	}
	if got := fetched(t, fetches, "ok"); got != 3 {
		t.Fatalf("fetches ok: %v, want 3", got)
	}
}

// TestGet_Failures: a home node that does not answer gives no counts (and
// no made-up ones), counted by result; it is logged once until it
// answers again, and its failure is kept for TTL like an answer.
func TestGet_Failures(t *testing.T) {
	home := newHomeNode(t)
	clk := &clock{t: time.Now()}
	logs := &logLines{}
	s, fetches := newService(clk, logs)
	e := &twinfed.Event{ID: home.srv.URL + "/events/01HX"}
	home.counts = `{"confirmed":"many"}`
	if c, ok := s.Get(context.Background(), e); ok || !reflect.DeepEqual(c, Counts{}) {
		t.Fatalf("a bad answer: %+v %v", c, ok)
	}
	clk.Add(TTL)
	down := &twinfed.Event{ID: "http://" + closedAddr(t) + "/events/01HY"}
	for i := range 5 {
		if c, ok := s.Get(context.Background(), down); ok || !reflect.DeepEqual(c, Counts{}) {
			t.Fatalf("a node down: %+v %v", c, ok)
		}
		if i%2 == 1 {
			clk.Add(TTL)
		}
	}
	if got := fetched(t, fetches, "unavailable"); got != 3 {
		t.Fatalf("fetches unavailable: %v, want 3 (one per TTL)", got)
	}
	if got := fetched(t, fetches, "bad_answer"); got != 1 {
		t.Fatalf("fetches bad_answer: %v, want 1", got)
	}
	if n := logs.count("does not give its events' counts"); n != 2 {
		t.Fatalf("%d warnings for two failing nodes, want 2:\n%s", n, logs.buf.String())
	}
	home.counts = `{"confirmed":1,"waiting":0,"capacity":2}`
	if c, ok := s.Get(context.Background(), e); !ok || c.Confirmed != 1 {
		t.Fatalf("the node answers again: %+v %v", c, ok)
	}
	if n := logs.count("gives its events' counts of places again"); n != 1 {
		t.Fatalf("%d recoveries logged, want 1:\n%s", n, logs.buf.String())
	}
}

// closedAddr is a local address nothing listens on.
func closedAddr(t *testing.T) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.Listener.Addr().String()
	srv.Close()
	return addr
}
