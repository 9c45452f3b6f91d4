package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// cgroup is a memory cgroup made for the run (v2, or v1's memory
// controller), removed at the end.
type cgroup struct {
	dir string
	v2  bool
}

// newCgroup makes a cgroup limited to limit bytes, without swap.
func newCgroup(limit int64) (*cgroup, error) {
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		c := &cgroup{dir: "/sys/fs/cgroup/twinfed-mem512", v2: true}
		if err := os.Mkdir(c.dir, 0o755); err != nil && !os.IsExist(err) {
			return nil, err
		}
		if err := c.write("memory.max", strconv.FormatInt(limit, 10)); err != nil {
			return nil, err
		}
		c.write("memory.swap.max", "0")
		return c, nil
	}
	c := &cgroup{dir: "/sys/fs/cgroup/memory/twinfed-mem512"}
	if err := os.Mkdir(c.dir, 0o755); err != nil && !os.IsExist(err) {
		return nil, err
	}
	if err := c.write("memory.limit_in_bytes", strconv.FormatInt(limit, 10)); err != nil {
		return nil, err
	}
	c.write("memory.memsw.limit_in_bytes", strconv.FormatInt(limit, 10))
	c.write("memory.max_usage_in_bytes", "0") // reset the peak of an earlier run
	return c, nil
}

func (c *cgroup) write(file, v string) error {
	return os.WriteFile(filepath.Join(c.dir, file), []byte(v), 0o644)
}

func (c *cgroup) read(file string) int64 {
	b, err := os.ReadFile(filepath.Join(c.dir, file))
	if err != nil {
		return -1
	}
	v, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return v
}

func (c *cgroup) procs() string { return filepath.Join(c.dir, "cgroup.procs") }

// usage is the cgroup's charge now and its peak (page cache included).
func (c *cgroup) usage() (now, peak int64) {
	if c.v2 {
		return c.read("memory.current"), c.read("memory.peak")
	}
	return c.read("memory.usage_in_bytes"), c.read("memory.max_usage_in_bytes")
}

// ooms is how many times the cgroup's OOM killer ran.
func (c *cgroup) ooms() int64 {
	file := "memory.oom_control"
	if c.v2 {
		file = "memory.events"
	}
	b, _ := os.ReadFile(filepath.Join(c.dir, file))
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "oom_kill" {
			v, _ := strconv.ParseInt(f[1], 10, 64)
			return v
		}
	}
	return 0
}

func (c *cgroup) remove() {
	for range 50 {
		if err := os.Remove(c.dir); err == nil || os.IsNotExist(err) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// monitor samples the node's resident memory and the cgroup's charge
// every second.
type monitor struct {
	pid  int
	cg   *cgroup
	done chan struct{}
	wg   sync.WaitGroup

	mu                      sync.Mutex
	peakRSS, peakCg, lastCg int64
	peakHWM, peakAnon       int64
	samples                 int
}

func newMonitor(pid int, cg *cgroup) *monitor {
	return &monitor{pid: pid, cg: cg, done: make(chan struct{})}
}

func (m *monitor) run(ctx context.Context) {
	m.wg.Add(1)
	defer m.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		m.sample()
		select {
		case <-m.done:
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (m *monitor) sample() {
	rss, hwm, anon := procStatus(m.pid)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.samples++
	m.peakRSS, m.peakHWM, m.peakAnon = max(m.peakRSS, rss), max(m.peakHWM, hwm), max(m.peakAnon, anon)
	if m.cg != nil {
		now, peak := m.cg.usage()
		m.lastCg, m.peakCg = now, max(m.peakCg, peak)
	}
}

func (m *monitor) stop() { close(m.done); m.wg.Wait() }

func (m *monitor) oomKilled() bool { return m.cg != nil && m.cg.ooms() > 0 }

// procStatus is the process's VmRSS, VmHWM and RssAnon in bytes (the
// child of the shell that joined the cgroup is the same process: exec).
// VmRSS and VmHWM count the pages of Badger's mapped files that are in
// memory, which the kernel may drop (and which are charged to the cgroup
// that read them first: the seeding process for the tables it wrote);
// RssAnon is the process's own memory.
func procStatus(pid int) (rss, hwm, anon int64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = v << 10
		case "VmHWM:":
			hwm = v << 10
		case "RssAnon:":
			anon = v << 10
		}
	}
	return rss, hwm, anon
}

// waitReady waits until the node answers /healthz and its log says the
// directory's index is read (from its snapshot) or built.
func waitReady(base, log string, exited <-chan error, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("the node stopped: %v", err)
		default:
		}
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			b, _ := os.ReadFile(log)
			if resp.StatusCode == 200 && (strings.Contains(string(b), "directory: index read from its snapshot") || strings.Contains(string(b), "directory: index built")) {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return errors.New("the node was not ready in time")
}

// snapshot has the node write its heap snapshot n (SIGUSR2: a collection,
// then the live heap) and returns the live heap in bytes.
func snapshot(p *os.Process, dir string, n int) (int64, error) {
	if err := p.Signal(syscall.SIGUSR2); err != nil {
		return 0, err
	}
	file := filepath.Join(dir, fmt.Sprintf("goroutine-%d.pprof", n)) // written last
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if _, err := os.Stat(file); err == nil {
			b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("stats-%d.txt", n)))
			if err != nil {
				return 0, err
			}
			for _, l := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(l, "heap_alloc_bytes "); ok {
					return strconv.ParseInt(v, 10, 64)
				}
			}
		}
	}
	return 0, errors.New("no heap snapshot from the node")
}

// driven is what the page mix saw.
type driven struct {
	byKind map[string][]time.Duration
	failed int
	errs   []string
	total  int
	took   time.Duration
}

// kinds of the page mix, with their weights.
var kinds = []struct {
	name   string
	weight int
}{{"profile page", 30}, {"login page", 10}, {"search", 25}, {"feed", 15}, {"remote profile", 15}, {"people (no query)", 5}}

var uiLangs = strings.Fields("it en fr es de ar az bg bs cs da el et fi ga hr hu hy is ka lt lv mk mt nb nl pl pt ro sk sl sq sr sv tr uk")

// drive runs the page mix for o.duration from o.workers clients, each a
// request at a time: pages in a language drawn from the 36, searches of
// the directory, the feed of a logged-in member.
func drive(ctx context.Context, base string, o options, sessions []string, exited <-chan error) driven {
	var mu sync.Mutex
	res := driven{byKind: map[string][]time.Duration{}}
	var stop atomic.Bool
	go func() {
		select {
		case <-time.After(o.duration):
		case <-exited:
		}
		stop.Store(true)
	}()
	total := 0
	for _, k := range kinds {
		total += k.weight
	}
	start := time.Now()
	var wg sync.WaitGroup
	for w := range o.workers {
		wg.Go(func() {
			client := &http.Client{Timeout: 30 * time.Second}
			r := rand.New(rand.NewPCG(uint64(w), 9))
			for i := 0; !stop.Load(); i++ {
				pick, kind := r.IntN(total), ""
				for _, k := range kinds {
					if pick < k.weight {
						kind = k.name
						break
					}
					pick -= k.weight
				}
				lang := uiLangs[r.IntN(len(uiLangs))]
				session := sessions[r.IntN(len(sessions))]
				var path string
				switch kind {
				case "profile page":
					path, session = fmt.Sprintf("/users/member%06d", r.IntN(o.members)), ""
				case "login page":
					path, session = "/login", ""
				case "search":
					q := []string{topics[skewed(r, len(topics))], word(fedCountries[skewed(r, len(fedCountries))], "surname", skewed(r, 3000))[:4]}[r.IntN(2)]
					path = "/people?q=" + url.QueryEscape(q)
				case "feed":
					path = "/"
				case "remote profile":
					path = "/people/profile?id=" + url.QueryEscape(profile(r.IntN(o.profiles)).ID)
				default:
					path = "/people"
				}
				req, _ := http.NewRequestWithContext(ctx, "GET", base+path, nil)
				req.Header.Set("Accept-Language", lang)
				if session != "" {
					req.AddCookie(&http.Cookie{Name: "twinfed_session", Value: session})
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				d := time.Since(t0)
				code := 0
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					code = resp.StatusCode
				}
				mu.Lock()
				res.total++
				res.byKind[kind] = append(res.byKind[kind], d)
				if err != nil || code != 200 {
					res.failed++
					if len(res.errs) < 10 {
						res.errs = append(res.errs, fmt.Sprintf("%s: %d %v", path, code, err))
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.took = time.Since(start)
	return res
}

func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[min(len(d)-1, int(q*float64(len(d))))]
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// results is the run's report in Markdown.
func results(o options, ready time.Duration, atStart, atEnd int64, res driven, m *monitor, limited bool) string {
	var b strings.Builder
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Fprintf(&b, "## mem512 run, %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "- load average at the end: %s\n", strings.Join(strings.Fields(string(load))[:3], " "))
	limit := "none (no cgroup could be made): GOMEMLIMIT only"
	if limited {
		limit = fmt.Sprintf("cgroup memory limit %d MiB (page cache included, no swap)", o.limitMiB)
	}
	fmt.Fprintf(&b, "- %d public profiles in the directory, %d members of the node, 36 UI languages; %s; GOMEMLIMIT=%s\n", o.profiles, o.members, limit, o.gomemlimit)
	start := "from the directory's snapshot"
	if o.rebuild {
		start = "without a snapshot: the index built from the store"
	}
	if o.store != "" {
		fmt.Fprintf(&b, "- [store] index, block cache, memtable MiB, memtables: %s\n", o.store)
	}
	fmt.Fprintf(&b, "- ready after %v (%s)\n\n", ready.Round(100*time.Millisecond), start)
	fmt.Fprintf(&b, "| measure | value |\n| --- | --- |\n")
	fmt.Fprintf(&b, "| live heap after start (after a GC) | %s |\n", mib(atStart))
	fmt.Fprintf(&b, "| live heap after the mix (after a GC) | %s |\n", mib(atEnd))
	fmt.Fprintf(&b, "| peak anonymous resident memory (RssAnon, sampled each second) | %s |\n", mib(m.peakAnon))
	fmt.Fprintf(&b, "| peak resident memory with mapped files (VmHWM) | %s |\n", mib(m.peakHWM))
	if limited {
		fmt.Fprintf(&b, "| peak charge of the cgroup (page cache included) | %s |\n", mib(m.peakCg))
		fmt.Fprintf(&b, "| OOM kills | %d |\n", m.cg.ooms())
	}
	fmt.Fprintf(&b, "| requests | %d in %v (%.0f/s), %d failed |\n", res.total, res.took.Round(time.Second), float64(res.total)/res.took.Seconds(), res.failed)
	b.WriteString("\n| kind | share | p50 | p99 | max |\n| --- | --- | --- | --- | --- |\n")
	for _, k := range kinds {
		d := res.byKind[k.name]
		fmt.Fprintf(&b, "| %s | %d %% | %v | %v | %v |\n", k.name, k.weight, quantile(d, .5).Round(10*time.Microsecond), quantile(d, .99).Round(10*time.Microsecond), quantile(d, 1).Round(10*time.Microsecond))
	}
	for _, e := range res.errs {
		fmt.Fprintf(&b, "\nfailed: %s", e)
	}
	b.WriteString("\n")
	return b.String()
}
