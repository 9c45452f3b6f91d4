package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/twinfed/twinfed"
)

// The demo's port layout (cmd/twinfed/demo.go), from the base port:
// registry members HTTP base+1..3, Raft base+11..13, /metrics base+41..43;
// nodes IT, FR, ES on base+21..23, /metrics base+31..33.
var demoOffsets = []int{1, 2, 3, 11, 12, 13, 21, 22, 23, 31, 32, 33, 41, 42, 43}

// demoNodes are the demo's countries, in the order of their ports, with
// the language each node offers first.
var demoNodes = []struct{ Code, Lang string }{{"IT", "it"}, {"FR", "fr"}, {"ES", "es"}}

// Process is one process of the federation.
type Process struct {
	Name    string // r1, r2, r3, IT, FR, ES
	URL     string // its API or web UI
	Metrics string // its /metrics URL

	ports []int // the ports it listens on
	cmd   *exec.Cmd
}

// federation is the running processes and what the driver needs of them.
type federation struct {
	Data      string
	Base      int
	Processes []*Process
	Registry  []string          // the members' API URLs
	Nodes     map[string]string // node base URL by country code

	profiles   string // where each process writes its profiles; none when empty
	removeData bool
	log        func(string, ...any)
}

// startFederation seeds a federation with `twinfed demo` (one process, the
// seed data of the README's demo), stops it, and starts the same data as
// deployed: one `twinfed registry serve` per member and one `twinfed node
// serve` per country, each with its TOML file, its own Go runtime and its
// own /metrics.
func startFederation(ctx context.Context, cfg *Config) (*federation, error) {
	f := &federation{Data: cfg.Data, Base: cfg.BasePort, Nodes: map[string]string{}, profiles: cfg.Profiles, log: cfg.logf}
	if f.Data == "" {
		dir, err := os.MkdirTemp("", "twinfed-soak-")
		if err != nil {
			return nil, err
		}
		f.Data, f.removeData = dir, true
	}
	if f.Base == 0 {
		base, err := freeBasePort()
		if err != nil {
			f.Stop()
			return nil, err
		}
		f.Base = base
	}
	if err := f.seed(ctx, cfg.Bin); err != nil {
		f.Stop()
		return nil, err
	}
	if err := f.start(ctx, cfg.Bin); err != nil {
		f.Stop()
		return nil, err
	}
	return f, nil
}

// freeBasePort finds a base port whose demo range is free, below Linux's
// ephemeral range (32768-60999), where outgoing connections could take a
// port between this check and the processes' binds.
func freeBasePort() (int, error) {
	for range 50 {
		base := 10000 + rand.IntN(22000)
		ok := true
		var held []net.Listener
		for _, off := range demoOffsets {
			ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", base+off))
			if err != nil {
				ok = false
				break
			}
			held = append(held, ln)
		}
		for _, ln := range held {
			ln.Close()
		}
		if ok {
			return base, nil
		}
	}
	return 0, errors.New("no free port range for the federation")
}

// seed runs `twinfed demo` until it says the federation is running, then
// stops it with SIGINT (the demo's clean shutdown).
func (f *federation) seed(ctx context.Context, bin string) error {
	f.log("seeding with %s demo --data %s --base-port %d", bin, f.Data, f.Base)
	cmd := exec.CommandContext(ctx, bin, "demo", "--data", f.Data, "--base-port", fmt.Sprint(f.Base))
	var out strings.Builder
	cmd.Stderr = &out
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("twinfed demo: %w", err)
	}
	running := false
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "The federation is running") {
			running = true
			break
		}
	}
	if running {
		_ = cmd.Process.Signal(os.Interrupt)
	}
	go io.Copy(io.Discard, stdout)
	err = cmd.Wait()
	if !running {
		return fmt.Errorf("twinfed demo did not start (%v):\n%s", err, out.String())
	}
	if err != nil {
		return fmt.Errorf("twinfed demo did not stop cleanly (%v):\n%s", err, out.String())
	}
	return nil
}

// start writes each process's configuration and starts it, then waits
// until every member and node is ready and the registry has its leader.
func (f *federation) start(ctx context.Context, bin string) error {
	token, err := os.ReadFile(filepath.Join(f.Data, "admin-token"))
	if err != nil {
		return fmt.Errorf("the demo's admin token: %w", err)
	}
	addr := func(off int) string { return fmt.Sprintf("127.0.0.1:%d", f.Base+off) }
	var peers []string
	for i := range 3 {
		f.Registry = append(f.Registry, "http://"+addr(1+i))
		peers = append(peers, fmt.Sprintf("%q", fmt.Sprintf("r%d=%s=http://%s", i+1, addr(11+i), addr(1+i))))
	}
	confDir := filepath.Join(f.Data, "soak")
	if err := os.MkdirAll(confDir, 0o750); err != nil {
		return err
	}
	for i := range 3 {
		id := fmt.Sprintf("r%d", i+1)
		conf := fmt.Sprintf("node_id = %q\ndata_dir = %q\nraft_addr = %q\nhttp_addr = %q\nmetrics_addr = %q\nbootstrap = true\npeers = [%s]\nadmin_token = %q\n[log]\nlevel = \"warn\"\n",
			id, filepath.Join(f.Data, "registry", id), addr(11+i), addr(1+i), addr(41+i), strings.Join(peers, ", "), token)
		p := &Process{Name: id, URL: "http://" + addr(1+i), Metrics: "http://" + addr(41+i) + "/metrics", ports: []int{f.Base + 1 + i, f.Base + 11 + i, f.Base + 41 + i}}
		if err := f.run(p, confDir, conf, bin, "registry", "serve"); err != nil {
			return err
		}
	}
	registry := make([]string, len(f.Registry))
	for i, u := range f.Registry {
		registry[i] = fmt.Sprintf("%q", u)
	}
	for i, n := range demoNodes {
		langs := []string{fmt.Sprintf("%q", n.Lang)}
		for _, l := range twinfed.UILanguageCodes() {
			if l != n.Lang {
				langs = append(langs, fmt.Sprintf("%q", l))
			}
		}
		base := "http://" + addr(21+i)
		conf := fmt.Sprintf("country = %q\nbase_url = %q\ndata_dir = %q\nhttp_addr = %q\nmetrics_addr = %q\nlanguages = [%s]\nregistry = [%s]\n[agency]\nname = %q\n[log]\nlevel = \"warn\"\n",
			n.Code, base, filepath.Join(f.Data, "nodes", strings.ToLower(n.Code)), addr(21+i), addr(31+i),
			strings.Join(langs, ", "), strings.Join(registry, ", "), "Soak agency "+n.Code)
		p := &Process{Name: n.Code, URL: base, Metrics: "http://" + addr(31+i) + "/metrics", ports: []int{f.Base + 21 + i, f.Base + 31 + i}}
		if err := f.run(p, confDir, conf, bin, "node", "serve"); err != nil {
			return err
		}
		f.Nodes[n.Code] = base
	}
	// Ready: each member with a leader, each node serving.
	deadline := time.Now().Add(90 * time.Second)
	for _, p := range f.Processes {
		u := p.URL + "/readyz"
		for {
			err := getOK(ctx, u)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s is not ready after 90 s: %v (log: %s)", p.Name, err, f.logPath(p))
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	f.log("federation up: registry %s, nodes %v", strings.Join(f.Registry, " "), f.Nodes)
	return nil
}

func (f *federation) logPath(p *Process) string {
	return filepath.Join(f.Data, "soak", p.Name+".log")
}

// run writes conf and starts `bin args… --config conf`, its output to its log.
func (f *federation) run(p *Process, dir, conf, bin string, args ...string) error {
	path := filepath.Join(dir, p.Name+".toml")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		return err
	}
	logf, err := os.Create(f.logPath(p))
	if err != nil {
		return err
	}
	defer logf.Close()
	p.cmd = exec.Command(bin, append(args, "--config", path)...)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if f.profiles != "" {
		dir := filepath.Join(f.profiles, p.Name)
		p.cmd.Env = append(os.Environ(), "TWINFED_PROFILE_DIR="+dir, "TWINFED_CPUPROFILE="+filepath.Join(dir, "cpu.pprof"))
	}
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.Name, err)
	}
	f.Processes = append(f.Processes, p)
	return nil
}

// Snapshot has every process write its nth heap and goroutine profiles
// (SIGUSR2, cmd/twinfed/memprofile.go) and waits until they are written.
// The first starts each process's CPU profile (SIGUSR1,
// cmd/twinfed/cpuprofile.go), the second stops it first: cpu.pprof covers
// the soak after its warm-up.
func (f *federation) Snapshot(ctx context.Context, n int) error {
	if f.profiles == "" {
		return nil
	}
	for _, p := range f.Processes {
		if n == 2 {
			if err := p.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
				return fmt.Errorf("CPU profile of %s: %w", p.Name, err)
			}
		}
		if err := p.cmd.Process.Signal(syscall.SIGUSR2); err != nil {
			return fmt.Errorf("snapshot of %s: %w", p.Name, err)
		}
	}
	deadline := time.Now().Add(time.Minute)
	for _, p := range f.Processes {
		// The goroutine profile is written after the heap's.
		path := filepath.Join(f.profiles, p.Name, fmt.Sprintf("goroutine-%d.pprof", n))
		if n == 2 {
			if err := waitFile(ctx, filepath.Join(f.profiles, p.Name, "cpu.pprof"), deadline); err != nil {
				return fmt.Errorf("%s: %w", p.Name, err)
			}
		}
		if err := waitFile(ctx, path, deadline); err != nil {
			return fmt.Errorf("%s: %w", p.Name, err)
		}
		if n == 1 {
			if err := p.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
				return fmt.Errorf("CPU profile of %s: %w", p.Name, err)
			}
		}
	}
	return nil
}

// waitFile waits until path exists and is not empty, until deadline.
func waitFile(ctx context.Context, path string, deadline time.Time) error {
	for {
		if st, err := os.Stat(path); err == nil && st.Size() > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no %s in a minute", path)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// SnapshotStats is what a process's stats-N.txt says: its live heap just
// after a forced GC, and its goroutines.
type SnapshotStats struct {
	HeapAlloc, Goroutines float64
}

// SnapshotStats reads each process's stats-n.txt, by process name; nil
// without profiles.
func (f *federation) SnapshotStats(n int) (map[string]SnapshotStats, error) {
	if f.profiles == "" {
		return nil, nil
	}
	out := map[string]SnapshotStats{}
	for _, p := range f.Processes {
		path := filepath.Join(f.profiles, p.Name, fmt.Sprintf("stats-%d.txt", n))
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		var st SnapshotStats
		for _, line := range strings.Split(string(raw), "\n") {
			k, v, _ := strings.Cut(line, " ")
			x, _ := strconv.ParseFloat(v, 64)
			switch k {
			case "heap_alloc_bytes":
				st.HeapAlloc = x
			case "goroutines":
				st.Goroutines = x
			}
		}
		if st.HeapAlloc == 0 || st.Goroutines == 0 {
			return nil, fmt.Errorf("%s: %q is not a snapshot's figures", path, raw)
		}
		out[p.Name] = st
	}
	return out, nil
}

// Stop stops every process with SIGTERM (their clean shutdown), nodes
// first, and removes a temporary data directory.
func (f *federation) Stop() {
	for i := len(f.Processes) - 1; i >= 0; i-- {
		p := f.Processes[i]
		if p.cmd == nil || p.cmd.Process == nil {
			continue
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			f.log("%s did not stop in 30 s; killing it", p.Name)
			_ = p.cmd.Process.Kill()
			<-done
		}
		p.cmd = nil
	}
	if f.removeData {
		os.RemoveAll(f.Data)
	}
}

// getOK fetches u and wants 200.
func getOK(ctx context.Context, u string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return nil
}
