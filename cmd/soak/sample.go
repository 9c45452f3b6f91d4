package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The metrics read from each process's /metrics (Go and process
// collectors of client_golang). heap_goal is the heap size at which the
// next GC starts: the live heap after the last GC times (1+GOGC/100), so it
// follows the live heap without the sawtooth of heap_inuse between GCs.
var scraped = map[string]string{
	"go_memstats_heap_inuse_bytes":  "heap_inuse",
	"go_memstats_next_gc_bytes":     "heap_goal",
	"process_resident_memory_bytes": "rss",
	"go_goroutines":                 "goroutines",
	"process_cpu_seconds_total":     "cpu_s",
}

// Stat is one process's figures at the end of a window.
type Stat struct {
	HeapInuse, HeapGoal, RSS float64 // bytes
	RSSAnon                  float64 // bytes: the anonymous part of RSS, without mapped files (Badger's tables and value log)
	Goroutines               float64
	Served, Opened           float64 // its established TCP connections: accepted on its ports, and opened by it
	CPU                      float64 // share of one core over the window
	Err                      string  // the scrape failed
}

// ClassWindow is one request class's figures over a window.
type ClassWindow struct {
	N, Errors int
	P50, P99  time.Duration
}

// Window is one sampling window of the soak.
type Window struct {
	End     time.Duration // since the soak's start
	Load1   float64       // the machine's 1-minute load average at its end
	Classes map[string]ClassWindow
	Procs   map[string]Stat
}

// Requests is the window's total of requests, and of errors.
func (w Window) Requests() (n, errs int) {
	for _, c := range w.Classes {
		n, errs = n+c.N, errs+c.Errors
	}
	return n, errs
}

// Own is the process's goroutines less those of its connections: one per
// connection it serves (net/http's conn.serve, Raft's handler) and two per
// connection it opened (net/http's readLoop and writeLoop). What is left is
// what the process runs of its own, and what a leak would grow; how many
// connections are open follows the bursts of the load (pools bounded by
// configuration, closed after 90-120 s idle).
func (s Stat) Own() float64 { return s.Goroutines - s.Served - 2*s.Opened }

// sampler collects the latencies of the current window and, at each
// window's end, the processes' metrics.
type sampler struct {
	procs []*Process
	every time.Duration

	mu      sync.Mutex
	lat     map[string][]time.Duration
	nerr    map[string]int
	errs    errorCounts
	windows []Window
	lastCPU map[string]float64

	cancel context.CancelFunc
	done   chan struct{}
	begin  time.Time
	client *http.Client
}

func newSampler(procs []*Process, every time.Duration) *sampler {
	return &sampler{procs: procs, every: every, lat: map[string][]time.Duration{}, nerr: map[string]int{},
		errs: errorCounts{}, lastCPU: map[string]float64{}, client: &http.Client{Timeout: 5 * time.Second}}
}

// record adds one request's outcome to the current window.
func (s *sampler) record(class string, lat time.Duration, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.nerr[class]++
		s.errs.add(class, err)
		return
	}
	s.lat[class] = append(s.lat[class], lat)
}

// start reads the CPU counters as the soak begins and closes a window
// every s.every until stop.
func (s *sampler) start(ctx context.Context, begin time.Time) {
	s.begin = begin
	for _, p := range s.procs {
		if v, err := s.scrape(ctx, p); err == nil {
			s.lastCPU[p.Name] = v["cpu_s"]
		}
	}
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		t := time.NewTicker(s.every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.close(ctx)
			}
		}
	}()
}

// stop ends the sampling; the requests of a last, partial window are left
// out (the windows compared must be alike).
func (s *sampler) stop() {
	if s.cancel != nil {
		s.cancel()
		<-s.done
	}
}

// close ends the current window: its latencies, then each process's metrics.
func (s *sampler) close(ctx context.Context) {
	s.mu.Lock()
	lat, nerr := s.lat, s.nerr
	s.lat, s.nerr = map[string][]time.Duration{}, map[string]int{}
	s.mu.Unlock()
	w := Window{End: time.Since(s.begin).Round(time.Second), Load1: readLoad()[0], Classes: map[string]ClassWindow{}, Procs: map[string]Stat{}}
	for _, c := range Classes {
		l := lat[c]
		slices.Sort(l)
		w.Classes[c] = ClassWindow{N: len(l), Errors: nerr[c], P50: quantile(l, 0.50), P99: quantile(l, 0.99)}
	}
	for _, p := range s.procs {
		v, err := s.scrape(ctx, p)
		if err != nil {
			if ctx.Err() != nil {
				return // the soak ended during the scrape: no window
			}
			w.Procs[p.Name] = Stat{Err: err.Error()}
			continue
		}
		cpu := (v["cpu_s"] - s.lastCPU[p.Name]) / s.every.Seconds()
		s.lastCPU[p.Name] = v["cpu_s"]
		w.Procs[p.Name] = Stat{HeapInuse: v["heap_inuse"], HeapGoal: v["heap_goal"], RSS: v["rss"], RSSAnon: p.rssAnon(), Goroutines: v["goroutines"], CPU: cpu}
		served, opened := p.connections()
		st := w.Procs[p.Name]
		st.Served, st.Opened = float64(served), float64(opened)
		w.Procs[p.Name] = st
	}
	s.mu.Lock()
	s.windows = append(s.windows, w)
	s.mu.Unlock()
}

// quantile is the q-quantile of sorted l (nearest rank), 0 when empty.
func quantile(l []time.Duration, q float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	i := int(float64(len(l))*q+0.5) - 1
	return l[min(max(i, 0), len(l)-1)]
}

// scrape reads the metrics of scraped from p's /metrics.
func (s *sampler) scrape(ctx context.Context, p *Process) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.Metrics, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", p.Metrics, resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") {
			continue
		}
		if key, ok := scraped[name]; ok {
			if f, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil {
				out[key] = f
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("GET %s: %w", p.Metrics, err)
	}
	if len(out) != len(scraped) {
		return nil, fmt.Errorf("%s lacks some of the Go and process metrics (got %d of %d)", p.Metrics, len(out), len(scraped))
	}
	return out, nil
}

// errorCounts counts errors by class and keeps a few distinct messages.
type errorCounts map[string]map[string]int // class → message → count

func (e errorCounts) add(class string, err error) {
	if e[class] == nil {
		e[class] = map[string]int{}
	}
	msg := err.Error()
	if len(e[class]) >= 20 && e[class][msg] == 0 {
		msg = "(other errors)"
	}
	e[class][msg]++
}

func (e errorCounts) total() int {
	n := 0
	for _, m := range e {
		for _, k := range m {
			n += k
		}
	}
	return n
}

// String lists the errors, the commonest first.
func (e errorCounts) String() string {
	type row struct {
		class, msg string
		n          int
	}
	var rows []row
	for c, m := range e {
		for msg, n := range m {
			rows = append(rows, row{c, msg, n})
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].n != rows[j].n {
			return rows[i].n > rows[j].n
		}
		return rows[i].class+rows[i].msg < rows[j].class+rows[j].msg
	})
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%d × %s: %s\n", r.n, r.class, r.msg)
	}
	return b.String()
}

// rssAnon reads the process's anonymous resident memory (RssAnon in
// /proc/PID/status) in bytes; 0 where it cannot be read.
func (p *Process) rssAnon() float64 {
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "RssAnon:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb * 1024
		}
	}
	return 0
}

// connections counts the process's established TCP connections: served
// (its local port is one it listens on) and opened (any other), from its
// socket descriptors (/proc/PID/fd) and the kernel's table of TCP sockets
// (/proc/net/tcp, tcp6). Zeros where /proc cannot be read.
func (p *Process) connections() (served, opened int) {
	if p.cmd == nil || p.cmd.Process == nil {
		return 0, 0
	}
	fdDir := fmt.Sprintf("/proc/%d/fd", p.cmd.Process.Pid)
	fds, err := os.ReadDir(fdDir)
	if err != nil {
		return 0, 0
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		if link, err := os.Readlink(fdDir + "/" + fd.Name()); err == nil {
			if ino, ok := strings.CutPrefix(link, "socket:["); ok {
				inodes[strings.TrimSuffix(ino, "]")] = true
			}
		}
	}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		raw, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(raw), "\n")[1:] {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			f := strings.Fields(line)
			if len(f) < 10 || f[3] != "01" || !inodes[f[9]] { // 01: ESTABLISHED
				continue
			}
			_, hexPort, _ := strings.Cut(f[1], ":")
			port, _ := strconv.ParseInt(hexPort, 16, 32)
			if slices.Contains(p.ports, int(port)) {
				served++
			} else {
				opened++
			}
		}
	}
	return served, opened
}

// readLoad returns the 1-, 5- and 15-minute load averages (zeros where
// /proc/loadavg cannot be read).
func readLoad() [3]float64 {
	var out [3]float64
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return out
	}
	f := strings.Fields(string(raw))
	for i := 0; i < 3 && i < len(f); i++ {
		out[i], _ = strconv.ParseFloat(f[i], 64)
	}
	return out
}

// readMachine describes the machine: OS, architecture, CPU model and count.
func readMachine() string {
	model := ""
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	if model == "" {
		model = "unknown CPU"
	}
	return fmt.Sprintf("%s/%s, %s, %d cores, %s", runtime.GOOS, runtime.GOARCH, model, runtime.NumCPU(), runtime.Version())
}
