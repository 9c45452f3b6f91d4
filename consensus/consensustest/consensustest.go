// Package consensustest starts real registry clusters for tests: members on
// 127.0.0.1 with Badger in temporary directories, Raft timeouts short enough
// for tests and long enough for a loaded CI machine.
package consensustest

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus"
	"github.com/twinfed/twinfed/federation/signing"
)

// AdminToken is the admin token of every test cluster.
const AdminToken = "test-admin-token"

// TestTuning returns Raft timings for tests on a shared 2-core machine,
// where an fsync can take most of a second while other tests use the disk.
func TestTuning() consensus.RaftTuning {
	return consensus.RaftTuning{
		HeartbeatTimeout:   1500 * time.Millisecond,
		ElectionTimeout:    1500 * time.Millisecond,
		LeaderLeaseTimeout: 1500 * time.Millisecond,
		CommitTimeout:      20 * time.Millisecond, // as consensus.DefaultRaftTuning
		SnapshotThreshold:  1024,
		SnapshotInterval:   500 * time.Millisecond,
		TrailingLogs:       256,
	}
}

// Cluster is a running test cluster.
type Cluster struct {
	URLs       []string // the members' API URLs, in order
	AdminToken string
	Members    []*consensus.Member // nil for a stopped member
	// ClientTLS is what the cluster's own clients (AdminClient,
	// MustClient) use when the members serve TLS: member 1's certificate.
	ClientTLS *tls.Config

	tb      testing.TB
	mu      sync.Mutex
	configs []consensus.Config
}

// Logger returns a logger for tests: quiet unless TWINFED_TEST_LOG is set.
func Logger() *slog.Logger {
	if os.Getenv("TWINFED_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(discard{}, &slog.HandlerOptions{Level: slog.LevelError}))
}

// FailureLogger returns a logger that keeps everything at debug level and
// prints it to the test's log only if the test fails: the members' and
// Raft's account of an election that went wrong, without the noise of the
// runs that pass.
func FailureLogger(tb testing.TB) *slog.Logger {
	if os.Getenv("TWINFED_TEST_LOG") != "" {
		return Logger()
	}
	w := &lockedBuffer{}
	tb.Cleanup(func() {
		if tb.Failed() {
			w.mu.Lock()
			tb.Logf("log of the failed test:\n%s", w.b)
			w.mu.Unlock()
		}
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type lockedBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (w *lockedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.b = append(w.b, p...)
	w.mu.Unlock()
	return len(p), nil
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// MemberConfig returns the configuration of test member i of a cluster in dir.
func MemberConfig(dir string, i int) consensus.Config {
	return consensus.Config{
		NodeID:     fmt.Sprintf("r%d", i+1),
		DataDir:    filepath.Join(dir, fmt.Sprintf("r%d", i+1)),
		RaftAddr:   "127.0.0.1:0",
		HTTPAddr:   "127.0.0.1:0",
		AdminToken: AdminToken,
		HoldWrites: 10 * time.Second,
		Raft:       TestTuning(),
		Logger:     Logger(),
		Metrics:    prometheus.NewRegistry(),
	}
}

// MustOpenCluster starts n members, the first bootstrapping and the others
// joining it, waits until the countries are seeded and every member has
// applied it, and closes the cluster at the end of the test.
func MustOpenCluster(tb testing.TB, n int) *Cluster {
	tb.Helper()
	return MustOpenClusterWith(tb, n, nil)
}

// ListeningMemberConfig is MemberConfig with the member's Raft and HTTP
// listeners bound on free ports of 127.0.0.1 and Bootstrap set; the
// caller lists the peers.
func ListeningMemberConfig(tb testing.TB, dir string, i int) consensus.Config {
	tb.Helper()
	cfg := MemberConfig(dir, i)
	rln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	hln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	cfg.RaftListener, cfg.HTTPListener = rln, hln
	cfg.RaftAddr, cfg.HTTPAddr = rln.Addr().String(), hln.Addr().String()
	cfg.Bootstrap = true
	return cfg
}

// MustOpenClusterWith is MustOpenCluster with a hook that adjusts each
// member's configuration (for instance to advertise a proxy's address).
// The members bind their ports first and bootstrap together.
func MustOpenClusterWith(tb testing.TB, n int, adjust func(i int, c *consensus.Config)) *Cluster {
	tb.Helper()
	dir := tb.TempDir()
	c := &Cluster{AdminToken: AdminToken, tb: tb, Members: make([]*consensus.Member, n), URLs: make([]string, n), configs: make([]consensus.Config, n)}
	tb.Cleanup(c.Close)
	var peers []consensus.Peer
	for i := 0; i < n; i++ {
		cfg := ListeningMemberConfig(tb, dir, i)
		if adjust != nil {
			adjust(i, &cfg)
		}
		advert := cfg.RaftAdvert
		if advert == "" {
			advert = cfg.RaftAddr
		}
		scheme := "http://"
		if cfg.TLS != nil {
			scheme = "https://"
			if c.ClientTLS == nil {
				c.ClientTLS = consensus.ClientTLS(cfg.TLS.CAs, cfg.TLS.Certificate)
			}
		}
		peers = append(peers, consensus.Peer{ID: cfg.NodeID, RaftAddr: advert, HTTPURL: scheme + cfg.HTTPAddr})
		c.configs[i] = cfg
		c.URLs[i] = scheme + cfg.HTTPAddr
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range c.configs {
		c.configs[i].Peers = peers
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Members[i], errs[i] = consensus.Open(ctx, c.configs[i])
			c.configs[i].RaftListener, c.configs[i].HTTPListener = nil, nil
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			tb.Fatalf("open registry member %d: %v", i+1, err)
		}
	}
	c.MustWaitSeeded(tb)
	c.MustWaitConverged(tb)
	Eventually(tb, 60*time.Second, func() bool {
		for _, m := range c.Members {
			if !m.ServesBatches() {
				return false
			}
		}
		return true
	}, "the members never all recorded that they apply batches")
	return c
}

// Config returns member i's configuration (as it restarts).
func (c *Cluster) Config(i int) consensus.Config {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.configs[i]
}

// MustWaitSeeded waits until a leader has seeded the countries.
func (c *Cluster) MustWaitSeeded(tb testing.TB) {
	tb.Helper()
	Eventually(tb, 60*time.Second, func() bool {
		l := c.Leader()
		return l != nil && l.AppliedIndex() > 0 && c.countriesSeeded(l)
	}, "the registry never seeded its countries")
}

func (c *Cluster) countriesSeeded(m *consensus.Member) bool {
	cl, err := consensus.OpenClient(context.Background(), consensus.ClientConfig{Members: []string{m.URL()}, TLS: c.ClientTLS})
	if err != nil {
		return false
	}
	defer cl.Close()
	list, err := cl.Countries(context.Background())
	return err == nil && len(list) > 0
}

// MustWaitConverged waits until there is a leader that has applied its
// whole log, and every running member has applied as much.
func (c *Cluster) MustWaitConverged(tb testing.TB) {
	tb.Helper()
	Eventually(tb, 60*time.Second, func() bool {
		l := c.Leader()
		if l == nil || !l.CaughtUp() {
			return false
		}
		idx := l.AppliedIndex()
		for _, m := range c.running() {
			if m.AppliedIndex() < idx {
				return false
			}
		}
		return true
	}, "the cluster did not converge")
}

func (c *Cluster) running() []*consensus.Member {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*consensus.Member
	for _, m := range c.Members {
		if m != nil {
			out = append(out, m)
		}
	}
	return out
}

// Leader returns the running member that leads, or nil.
func (c *Cluster) Leader() *consensus.Member {
	for _, m := range c.running() {
		if m.IsLeader() {
			return m
		}
	}
	return nil
}

// MustLeader waits for a leader and returns its index in Members.
func (c *Cluster) MustLeader(tb testing.TB) int {
	tb.Helper()
	idx := -1
	Eventually(tb, 60*time.Second, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for i, m := range c.Members {
			if m != nil && m.IsLeader() {
				idx = i
				return true
			}
		}
		return false
	}, "no leader was elected")
	return idx
}

// Stop closes member i (a clean shutdown; its data stays).
func (c *Cluster) Stop(i int) {
	c.mu.Lock()
	m := c.Members[i]
	c.Members[i] = nil
	c.mu.Unlock()
	if m != nil {
		_ = m.Close()
	}
}

// MustRestart starts member i again on its data directory and ports.
func (c *Cluster) MustRestart(tb testing.TB, i int) {
	tb.Helper()
	cfg := c.Config(i)
	cfg.Metrics = prometheus.NewRegistry()
	var m *consensus.Member
	Eventually(tb, 30*time.Second, func() bool {
		var err error
		m, err = consensus.Open(context.Background(), cfg)
		if err != nil {
			tb.Logf("restart member %d: %v (retrying)", i+1, err)
		}
		return err == nil
	}, "member could not restart")
	c.mu.Lock()
	c.Members[i] = m
	c.mu.Unlock()
}

// Close stops every member.
func (c *Cluster) Close() {
	var wg sync.WaitGroup
	for i := range c.Members {
		wg.Add(1)
		go func() { defer wg.Done(); c.Stop(i) }()
	}
	wg.Wait()
}

// AdminClient returns a client with the admin token and no cache.
func (c *Cluster) AdminClient(tb testing.TB) *consensus.Client {
	tb.Helper()
	cl, err := consensus.OpenClient(context.Background(), consensus.ClientConfig{Members: c.URLs, AdminToken: c.AdminToken, Logger: Logger(), TLS: c.ClientTLS})
	if err != nil {
		tb.Fatalf("open admin client: %v", err)
	}
	tb.Cleanup(func() { cl.Close() })
	return cl
}

// MustRegisterNode records country's node URL and keys (an admin write).
func (c *Cluster) MustRegisterNode(tb testing.TB, country, baseURL string, keys ...twinfed.NodeKey) {
	tb.Helper()
	cl := c.AdminClient(tb)
	err := cl.PutCountry(context.Background(), twinfed.Country{Code: country, Agency: "National agency of " + country, NodeURL: baseURL, Keys: keys, Active: true})
	if err != nil {
		tb.Fatalf("register node %s %s: %v", country, baseURL, err)
	}
}

// MustClient returns a client for country's node with a cache in a
// temporary directory, caught up with the cluster.
func (c *Cluster) MustClient(tb testing.TB, country string, signer *signing.Signer, keyID string) *consensus.Client {
	tb.Helper()
	cl, err := consensus.OpenClient(context.Background(), consensus.ClientConfig{
		Members: c.URLs, Country: country, Signer: signer, KeyID: keyID,
		CacheDir: tb.TempDir(), Logger: Logger(), FeedWait: 5 * time.Second, TLS: c.ClientTLS,
	})
	if err != nil {
		tb.Fatalf("open registry client: %v", err)
	}
	tb.Cleanup(func() { cl.Close() })
	c.MustCatchUp(tb, cl)
	return cl
}

// MustNodeClient registers a new Ed25519 key as the one allowed to sign
// for country's node at baseURL, and returns a client writing as that node
// (MustClient, the key id the node's agency actor's).
func (c *Cluster) MustNodeClient(tb testing.TB, country, baseURL string) *consensus.Client {
	tb.Helper()
	k, err := signing.GenerateKey("k1", twinfed.KeyEd25519)
	if err != nil {
		tb.Fatal(err)
	}
	c.MustRegisterNode(tb, country, baseURL, k.NodeKey())
	return c.MustClient(tb, country, &signing.Signer{Key: k}, twinfed.KeyID(twinfed.AgencyURL(baseURL)))
}

// MustCatchUp waits until cl's cache has reached the leader's applied index.
func (c *Cluster) MustCatchUp(tb testing.TB, cl *consensus.Client) {
	tb.Helper()
	var idx uint64
	Eventually(tb, 30*time.Second, func() bool {
		l := c.Leader()
		if l == nil {
			return false
		}
		idx = l.AppliedIndex()
		return true
	}, "no leader")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.WaitIndex(ctx, idx); err != nil {
		tb.Fatalf("registry client cache: %v", err)
	}
}

// MustImportSchools imports schools (an admin write) and returns them with
// the ids the registry gave.
func (c *Cluster) MustImportSchools(tb testing.TB, schools ...twinfed.School) []twinfed.School {
	tb.Helper()
	res, err := c.AdminClient(tb).Import(context.Background(), schools)
	if err != nil {
		tb.Fatalf("import schools: %v", err)
	}
	out := make([]twinfed.School, len(schools))
	for i, s := range schools {
		s.ID = res.IDs[i]
		if s.Status == "" {
			s.Status = twinfed.SchoolValidated
		}
		if s.Institution == "" {
			s.Institution = twinfed.InstitutionOther
		}
		if s.Status == twinfed.SchoolValidated {
			s.ValidatedBy = s.Country
		}
		out[i] = s
	}
	return out
}

// Eventually polls cond every 10ms until it holds, failing the test with
// msg after timeout.
func Eventually(tb testing.TB, timeout time.Duration, cond func() bool, msg string) {
	tb.Helper()
	if !WaitFor(timeout, cond) {
		tb.Fatalf("after %s: %s", timeout, msg)
	}
}

// WaitFor polls cond every 10ms until it holds and reports whether it did
// within timeout. Unlike Eventually it may run outside the test goroutine.
func WaitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		<-tick.C
	}
	return true
}
