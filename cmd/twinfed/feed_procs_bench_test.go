package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/config"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/store"
)

// wallPostProcs is how many receiving node processes
// BenchmarkWallPostTo45NodeProcesses starts: the 45 unless told
// (-wallpost.procs N, 1-45).
var wallPostProcs = flag.Int("wallpost.procs", 45, "receiving node processes of BenchmarkWallPostTo45NodeProcesses (1-45)")

// wallPostBin, when set, is the twinfed binary the process benchmark
// runs; else it builds one into a temporary directory.
var wallPostBin = flag.String("wallpost.bin", "", "twinfed binary for BenchmarkWallPostTo45NodeProcesses (default: go build one)")

// wallPostPoll is the pause between two reads of one node's poller in
// BenchmarkWallPostTo45NodeProcesses: the figure counts up to that much
// (and one read) late, and shorter pauses take more of the 2 cores from
// the deliveries.
var wallPostPoll = flag.Duration("wallpost.poll", 20*time.Millisecond, "pause between two reads of one node in BenchmarkWallPostTo45NodeProcesses")

// BenchmarkWallPostTo45NodeProcesses is BenchmarkWallPostTo45Nodes as
// deployed: IT and the 45 receiving nodes each run as a `twinfed node
// serve` process of their own (own Go runtime, data directory, port and
// keys, the store's memory small: [store] 4/8/8/2 MiB), and the post goes
// in over the JSON API. The 3-member registry runs in this process, as in
// the in-process benchmark (real Raft on 127.0.0.1, reached by the nodes
// over HTTP).
//
// Each node's data is prepared before its process starts: the node is
// opened here once on its data directory (which creates its keys, then
// registered in the registry), the follow records written into its store
// as benchWallPost writes them, the author (IT) and each node's last
// follower seeded as members, and it is closed. The poll: each node's
// last follower, logged in through the JSON API, reads the post
// (GET /api/v1/posts/view) until their node has it, one poller per node
// at once, -wallpost.poll apart (20 ms); after each post, untimed, the
// post must be on the first page of each of their feeds. The benchmark
// reports the mean time of one read (poll_ms), the reads per post
// (polls) and the processes' resident memory summed (rss_MiB). The
// posts start once the processes have settled after their start (less
// than a fifth of a core together, a minute at most).
func BenchmarkWallPostTo45NodeProcesses(b *testing.B) {
	n := min(max(*wallPostProcs, 1), 45)
	var countries []string
	for _, c := range twinfed.SeedCountries() {
		if c.Code != "IT" && len(countries) < n {
			countries = append(countries, c.Code)
		}
	}
	bin := *wallPostBin
	if bin == "" {
		bin = filepath.Join(b.TempDir(), "twinfed")
		build := exec.Command("go", "build", "-o", bin, ".")
		if out, err := build.CombinedOutput(); err != nil {
			b.Fatalf("go build: %v\n%s", err, out)
		}
	}
	cluster := consensustest.MustOpenCluster(b, 3)
	dir := b.TempDir()
	started := time.Now()

	const followers = 5000
	now := time.Now().UTC()
	// last is the last follower on the i-th receiving node.
	last := func(i int) string {
		j := followers - 1
		for j%len(countries) != i {
			j--
		}
		return fmt.Sprintf("f%04d", j)
	}
	// The nodes' addresses first: each follow record names the other side.
	bases := map[string]string{}
	for _, c := range append([]string{"IT"}, countries...) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		bases[c] = "http://" + ln.Addr().String()
		ln.Close()
	}
	maria := twinfed.ActorURL(bases["IT"], "maria")
	authorSide := map[string][]byte{}
	var procs []*nodeProcess
	b.Cleanup(func() { stopNodeProcesses(b, procs) })
	for i, c := range countries {
		side := map[string][]byte{}
		for j := i; j < followers; j += len(countries) {
			u := fmt.Sprintf("f%04d", j)
			peer := twinfed.ActorURL(bases[c], u)
			req := bases[c] + "/activities/follow-" + u
			fo, _ := json.Marshal(social.Follow{Peer: maria, Request: req, Accepted: true, Since: now})
			side[store.PrefixFollowing+u+"/"+maria] = fo
			side[store.PrefixPeer+maria+"/"+u] = nil
			fw, _ := json.Marshal(social.Follow{Peer: peer, Request: req, Accepted: true, Since: now})
			authorSide[store.PrefixFollower+"maria/"+peer] = fw
			authorSide[store.PrefixPeer+peer+"/maria"] = nil
		}
		procs = append(procs, prepareNodeProcess(b, cluster, dir, bin, c, bases[c], side, last(i)))
	}
	it := prepareNodeProcess(b, cluster, dir, bin, "IT", bases["IT"], authorSide, "maria")
	procs = append(procs, it)
	b.Logf("%d node data directories prepared in %v", len(procs), time.Since(started).Round(time.Millisecond))
	for _, p := range procs {
		p.start(b)
	}
	for _, p := range procs {
		p.ready(b, 2*time.Minute)
	}
	b.Logf("%d node processes started and ready in %v (since the start)", len(procs), time.Since(started).Round(time.Millisecond))
	author := it.login(b)
	readers := make([]*apiSession, len(countries))
	for i := range countries {
		readers[i] = procs[i].login(b)
	}
	// Each node's registry cache must know IT before a delivery can be
	// checked; a first post, unmeasured, waits for every node.
	warm := author.publish(b, "A first post, not measured")
	for i, r := range readers {
		if _, _, err := r.waitFor(warm, time.Now().Add(2*time.Minute), *wallPostPoll); err != nil {
			b.Fatalf("the first post never reached %s on %s: %v", last(i), countries[i], err)
		}
	}

	// The processes' start-up work (each node's first look at every other,
	// Badger's compactions of the seeded records) runs on after /readyz:
	// measured over it, posts 3-9 took up to 1.6 s. Wait until the 46
	// processes together use less than a fifth of a core, a minute at most.
	settle := time.Now()
	idle := settleNodeProcesses(procs, 0.2, time.Minute)
	b.Logf("processes settled in %v (idle: %v)", time.Since(settle).Round(time.Millisecond), idle)

	const posts = 20
	var polls int
	var pollTime time.Duration
	b.Logf("posts from %s", time.Now().UTC().Format(time.RFC3339Nano))
	b.ResetTimer()
	for range b.N {
		lat := make([]time.Duration, 0, posts)
		for k := range posts {
			start := time.Now()
			id := author.publish(b, fmt.Sprintf("Post %d for my followers", k))
			deadline := start.Add(60 * time.Second)
			// One poller per node, all at once: the post's time is when
			// the last of them saw it.
			type seen struct {
				at    time.Time
				reads int
				took  time.Duration
				err   error
			}
			results := make([]seen, len(readers))
			var wg sync.WaitGroup
			for i, r := range readers {
				wg.Go(func() {
					reads, took, err := r.waitFor(id, deadline, *wallPostPoll)
					results[i] = seen{time.Now(), reads, took, err}
				})
			}
			wg.Wait()
			var end time.Time
			for i, res := range results {
				polls += res.reads
				pollTime += res.took
				if res.err != nil {
					b.Fatalf("post %d (%s) never reached the feed of %s on %s: %v", k, id, last(i), countries[i], res.err)
				}
				if res.at.After(end) {
					end = res.at
				}
			}
			lat = append(lat, end.Sub(start))
			for i, r := range readers {
				if ok, err := r.inFeed(id); !ok || err != nil {
					b.Fatalf("post %d (%s) is on %s but not in the feed of %s (%v)", k, id, countries[i], last(i), err)
				}
			}
		}
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		b.Logf("each post's time, in order (ms): %v", slices.Collect(func(yield func(float64) bool) {
			for _, d := range lat {
				if !yield(ms(d)) {
					return
				}
			}
		}))
		slices.Sort(lat)
		b.ReportMetric(ms(lat[len(lat)/2]), "p50_ms")
		b.ReportMetric(ms(lat[len(lat)*99/100]), "p99_ms")
	}
	b.StopTimer()
	b.Logf("posts until %s", time.Now().UTC().Format(time.RFC3339Nano))
	var rss int64
	for _, p := range procs {
		rss += p.rssKiB()
	}
	b.Logf("resident memory of the %d node processes after the posts: %d MiB (VmRSS summed)", len(procs), rss>>10)
	b.ReportMetric(float64(rss>>10), "rss_MiB")
	if polls > 0 {
		b.ReportMetric(float64(pollTime.Microseconds())/1000/float64(polls), "poll_ms")
		b.ReportMetric(float64(polls)/float64(b.N*posts), "polls")
	}
	b.ReportMetric(followers, "followers")
	b.ReportMetric(float64(len(countries)), "nodes")
}

// nodeProcess is one node of the process benchmark: its configuration
// file, its process once started, and the member who logs in on it.
type nodeProcess struct {
	country, base, conf, bin, user string
	log                            string
	cmd                            *exec.Cmd
}

// procNodeConfig is a node of the process benchmark's configuration:
// small store memory so that 46 fit on one machine, cheap argon2 for the
// seeded members, no rate limits (the benchmark logs in from one
// address), no /metrics (46 would need 46 ports).
func procNodeConfig(country, base, data string, registry []string) config.Node {
	cfg := config.DefaultNode()
	cfg.Country, cfg.BaseURL, cfg.DataDir, cfg.HTTPAddr = country, base, data, strings.TrimPrefix(base, "http://")
	cfg.Registry = registry
	cfg.Accounts.ArgonTime, cfg.Accounts.ArgonMemoryKiB, cfg.Accounts.ArgonThreads = 1, 1024, 1
	cfg.Federation.RetryBase = 100 * time.Millisecond
	cfg.Limits.Login, cfg.Limits.Register, cfg.Limits.API = "0/1m", "0/1m", "0/1m"
	cfg.MetricsAddr = ""
	cfg.Store = config.Store{IndexCacheMiB: 4, BlockCacheMiB: 8, MemTableMiB: 8, Memtables: 2}
	cfg.Agency.Name = "Agency " + country
	return cfg
}

// procNodeTOML is cfg's file for `twinfed node serve --config`: the keys
// procNodeConfig sets, the rest left to the defaults.
func procNodeTOML(cfg config.Node) string {
	q := make([]string, len(cfg.Registry))
	for i, u := range cfg.Registry {
		q[i] = strconv.Quote(u)
	}
	s := cfg.Store
	return fmt.Sprintf(`country = %q
base_url = %q
data_dir = %q
http_addr = %q
metrics_addr = ""
registry = [%s]
[agency]
name = %q
[accounts]
argon_time = %d
argon_memory_kib = %d
argon_threads = %d
[federation]
retry_base = %q
[limits]
login = %q
register = %q
api = %q
[store]
index_cache_mib = %d
block_cache_mib = %d
memtable_mib = %d
memtables = %d
[log]
level = "warn"
`, cfg.Country, cfg.BaseURL, cfg.DataDir, cfg.HTTPAddr, strings.Join(q, ", "), cfg.Agency.Name,
		cfg.Accounts.ArgonTime, cfg.Accounts.ArgonMemoryKiB, cfg.Accounts.ArgonThreads, cfg.Federation.RetryBase.String(),
		cfg.Limits.Login, cfg.Limits.Register, cfg.Limits.API,
		s.IndexCacheMiB, s.BlockCacheMiB, s.MemTableMiB, s.Memtables)
}

// prepareNodeProcess opens country's node here on its data directory
// (creating its keys), registers it in the registry, writes kv into its
// store, seeds user as a member (the author on IT, the last follower
// elsewhere), closes it and writes its configuration file.
func prepareNodeProcess(b *testing.B, cluster *consensustest.Cluster, dir, bin, country, base string, kv map[string][]byte, user string) *nodeProcess {
	b.Helper()
	data := filepath.Join(dir, strings.ToLower(country))
	cfg := procNodeConfig(country, base, data, cluster.URLs)
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		b.Fatal(err)
	}
	m := &nodeMain{Config: cfg, Logger: consensustest.Logger(), Listener: ln}
	if err := m.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	cluster.MustRegisterNode(b, country, base, m.NodeKeys()...)
	wb := m.Node().Store().DB().NewWriteBatch()
	for k, v := range kv {
		if err := wb.Set([]byte(k), v); err != nil {
			b.Fatal(err)
		}
	}
	if err := wb.Flush(); err != nil {
		b.Fatal(err)
	}
	(&fedNode{nodeMain: m, base: base}).seedTeacher(b, user, "Name", strings.ToUpper(user), []string{"music"}, []int{10})
	if err := m.Close(); err != nil {
		b.Fatal(err)
	}
	conf := filepath.Join(dir, strings.ToLower(country)+".toml")
	if err := os.WriteFile(conf, []byte(procNodeTOML(cfg)), 0o600); err != nil {
		b.Fatal(err)
	}
	return &nodeProcess{country: country, base: base, conf: conf, bin: bin, user: user, log: filepath.Join(dir, strings.ToLower(country)+".log")}
}

// start runs `twinfed node serve --config …`, its output to its log.
func (p *nodeProcess) start(b *testing.B) {
	b.Helper()
	logf, err := os.Create(p.log)
	if err != nil {
		b.Fatal(err)
	}
	defer logf.Close()
	p.cmd = exec.Command(p.bin, "node", "serve", "--config", p.conf)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		b.Fatalf("start %s: %v", p.country, err)
	}
}

// ready waits until the node answers /readyz with 200.
func (p *nodeProcess) ready(b *testing.B, within time.Duration) {
	b.Helper()
	deadline := time.Now().Add(within)
	for {
		resp, err := http.Get(p.base + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(p.log)
			b.Fatalf("node %s not ready after %v (%v); its log:\n%s", p.country, within, err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// rssKiB is the process's resident memory (VmRSS), 0 if unknown.
func (p *nodeProcess) rssKiB() int64 {
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kib, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kib
		}
	}
	return 0
}

// cpuTicks is the processes' CPU time so far (user and system, in clock
// ticks: /proc/PID/stat's utime and stime).
func cpuTicks(procs []*nodeProcess) int64 {
	var sum int64
	for _, p := range procs {
		if p.cmd == nil || p.cmd.Process == nil {
			continue
		}
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
		if err != nil {
			continue
		}
		// The fields after the command's ")": state is the 1st, utime the 12th.
		f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
		if len(f) > 12 {
			u, _ := strconv.ParseInt(f[11], 10, 64)
			s, _ := strconv.ParseInt(f[12], 10, 64)
			sum += u + s
		}
	}
	return sum
}

// settleNodeProcesses waits until the processes together use less than
// cores of CPU over a second (ticks of 10 ms), within at most; it reports
// whether they did.
func settleNodeProcesses(procs []*nodeProcess, cores float64, within time.Duration) bool {
	deadline := time.Now().Add(within)
	prev := cpuTicks(procs)
	for time.Now().Before(deadline) {
		time.Sleep(time.Second)
		now := cpuTicks(procs)
		if float64(now-prev)/100 < cores {
			return true
		}
		prev = now
	}
	return false
}

// stopNodeProcesses stops every started process with SIGTERM (the
// node's clean shutdown), killing one that has not stopped in 30 s.
func stopNodeProcesses(b *testing.B, procs []*nodeProcess) {
	for _, p := range procs {
		if p.cmd != nil && p.cmd.Process != nil {
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	for _, p := range procs {
		if p.cmd == nil || p.cmd.Process == nil {
			continue
		}
		done := make(chan struct{})
		go func() { _ = p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			b.Logf("node %s did not stop in 30 s; killing it", p.country)
			_ = p.cmd.Process.Kill()
			<-done
		}
		p.cmd = nil
	}
}

// apiSession is a member logged in on a node process through the JSON
// API (session cookie and CSRF token).
type apiSession struct {
	base string
	jar  *cookieJar
	csrf string
	c    *http.Client
}

// login logs the node's member in (the password seedMember gives).
func (p *nodeProcess) login(b *testing.B) *apiSession {
	b.Helper()
	s := &apiSession{base: p.base, jar: newJar(), c: &http.Client{Timeout: 30 * time.Second}}
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	if code, err := s.call("POST", "/api/v1/session", map[string]string{"username": p.user, "password": "correct horse 1"}, &out); err != nil || code != http.StatusOK {
		b.Fatalf("login %s on %s: %d %v", p.user, p.country, code, err)
	}
	s.csrf = out.CSRF
	return s
}

// call sends a JSON request and decodes the answer into out (nil: none).
func (s *apiSession) call(method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if s.csrf != "" {
		req.Header.Set("X-CSRF-Token", s.csrf)
	}
	s.jar.add(req)
	resp, err := s.c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	s.jar.keep(resp)
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%w: %.200s", err, raw)
		}
	}
	return resp.StatusCode, nil
}

// publish posts text on the member's wall (POST /api/v1/posts) and
// returns the post's id.
func (s *apiSession) publish(b *testing.B, text string) string {
	b.Helper()
	var post struct {
		ID string `json:"id"`
	}
	code, err := s.call("POST", "/api/v1/posts", map[string]string{"text": text}, &post)
	if err != nil || code != http.StatusCreated || post.ID == "" {
		b.Fatalf("publish: %d %v", code, err)
	}
	return post.ID
}

// waitFor reads the post (GET /api/v1/posts/view) as the member until
// their node has it, until deadline; it returns how many reads it made and
// the time they took (the pauses between them left out), pausing between
// two reads. A node keeps a
// post and puts it in its local followers' feeds in one transaction
// (feed.Service.ApplyPost), so the post read is the feed's answer, at a
// fraction of a feed page's cost.
func (s *apiSession) waitFor(id string, deadline time.Time, pause time.Duration) (int, time.Duration, error) {
	reads := 0
	var took time.Duration
	for {
		var view struct {
			Post struct {
				ID string `json:"id"`
			} `json:"post"`
		}
		reads++
		t0 := time.Now()
		code, err := s.call("GET", "/api/v1/posts/view?id="+url.QueryEscape(id), nil, &view)
		took += time.Since(t0)
		switch {
		case err != nil && code != http.StatusNotFound:
			return reads, took, err
		case code == http.StatusOK && view.Post.ID == id:
			return reads, took, nil
		case code != http.StatusOK && code != http.StatusNotFound:
			return reads, took, fmt.Errorf("GET /api/v1/posts/view: %d", code)
		}
		if time.Now().After(deadline) {
			return reads, took, fmt.Errorf("the node does not have it after %d reads", reads)
		}
		time.Sleep(pause)
	}
}

// inFeed reports whether the post id is on the first page of the
// member's feed (GET /api/v1/feed).
func (s *apiSession) inFeed(id string) (bool, error) {
	var page struct {
		Items []struct {
			Post *struct {
				ID string `json:"id"`
			} `json:"post"`
		} `json:"items"`
	}
	code, err := s.call("GET", "/api/v1/feed", nil, &page)
	if err == nil && code != http.StatusOK {
		err = fmt.Errorf("GET /api/v1/feed: %d", code)
	}
	if err != nil {
		return false, err
	}
	for _, it := range page.Items {
		if it.Post != nil && it.Post.ID == id {
			return true, nil
		}
	}
	return false, nil
}
