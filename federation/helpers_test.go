package federation_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/config"
	"github.com/twinfed/twinfed/consensus"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/federation"
	"github.com/twinfed/twinfed/federation/signing"
)

// testSettings are queue settings small enough that retries happen within
// a test: the mechanism is the production one, only the delays are short.
func testSettings() config.Federation {
	s := config.DefaultFederation()
	s.RetryBase = 10 * time.Millisecond
	s.RetryMax = 200 * time.Millisecond
	s.BreakerCooldown = 100 * time.Millisecond
	s.BreakerThreshold = 5
	s.DeliveryTimeout = 5 * time.Second
	s.Rescan = time.Hour // tests must not depend on the safety net
	return s
}

func testLogger() *slog.Logger {
	if os.Getenv("TWINFED_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// node is one national node under test: a real Badger DB, a real registry
// client, the federation's Handler served over real HTTP on 127.0.0.1.
type node struct {
	Country  string
	Base     string
	Host     string
	Key      *signing.Key
	Dir      string
	Registry *consensus.Client
	Settings config.Federation

	DB      *badger.DB
	Out     *federation.Outbox
	Fed     *federation.Federation
	Rec     *recorder
	Metrics *prometheus.Registry

	// Wrap, when set before start, wraps the served handler (a gate, a
	// capturing proxy).
	Wrap func(http.Handler) http.Handler
	// Followers, when set before start, gives the actors' followers.
	Followers federation.FollowersSource
	Client    *http.Client

	ln  net.Listener
	srv *http.Server
}

// mustOpenNodes reserves a port and a key for each country, registers all
// the nodes in the registry, opens their registry clients, and starts them.
func mustOpenNodes(tb testing.TB, cluster *consensustest.Cluster, countries ...string) []*node {
	tb.Helper()
	nodes := mustReserveNodes(tb, cluster, countries...)
	for _, n := range nodes {
		n.mustStart(tb)
	}
	return nodes
}

// mustReserveNodes registers nodes and opens their registry clients,
// without starting them.
func mustReserveNodes(tb testing.TB, cluster *consensustest.Cluster, countries ...string) []*node {
	tb.Helper()
	nodes := mustRegisterNodes(tb, cluster, countries...)
	for _, n := range nodes {
		n.Registry = cluster.MustClient(tb, n.Country, &signing.Signer{Key: n.Key}, twinfed.KeyID(twinfed.AgencyURL(n.Base)))
	}
	return nodes
}

// mustRegisterNodes reserves a port and a key for each country and
// registers the nodes, without opening registry clients (each is a Badger
// cache with its own goroutines: stand-in servers do not need one).
func mustRegisterNodes(tb testing.TB, cluster *consensustest.Cluster, countries ...string) []*node {
	tb.Helper()
	var nodes []*node
	for _, c := range countries {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		key, err := signing.GenerateKey("k1", twinfed.KeyEd25519)
		if err != nil {
			tb.Fatal(err)
		}
		n := &node{Country: c, Key: key, ln: ln, Host: ln.Addr().String(), Dir: tb.TempDir(), Settings: testSettings()}
		n.Base = "http://" + n.Host
		cluster.MustRegisterNode(tb, c, n.Base, key.NodeKey())
		nodes = append(nodes, n)
	}
	return nodes
}

func mustOpenDB(tb testing.TB, dir string) *badger.DB {
	tb.Helper()
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil).WithMemTableSize(16 << 20).WithBlockCacheSize(8 << 20).WithNumCompactors(2))
	if err != nil {
		tb.Fatalf("open badger: %v", err)
	}
	return db
}

// mustStart opens the node's DB and federation and serves it.
func (n *node) mustStart(tb testing.TB) {
	tb.Helper()
	n.DB = mustOpenDB(tb, n.Dir)
	n.Rec = &recorder{db: n.DB, base: n.Base, country: n.Country}
	n.Metrics = prometheus.NewRegistry()
	out, err := federation.NewOutbox(federation.OutboxConfig{
		BaseURL: n.Base, Key: n.Key, DB: n.DB, Keys: n.Registry, Settings: n.Settings, Logger: testLogger(),
		Metrics: n.Metrics, HTTPClient: n.Client, Version: "test",
	})
	if err != nil {
		tb.Fatalf("federation.NewOutbox: %v", err)
	}
	fed, err := federation.New(federation.Config{Outbox: out, Country: n.Country, Actors: n.Rec, Handler: n.Rec, Followers: n.Followers})
	if err != nil {
		tb.Fatalf("federation.New: %v", err)
	}
	n.Out, n.Fed = out, fed
	if n.ln == nil {
		// The port may still be in the middle of being released.
		eventually(tb, 10*time.Second, func() bool {
			n.ln, err = net.Listen("tcp", n.Host)
			return err == nil
		}, "listen again on %s", n.Host)
	}
	var h http.Handler = fed.Handler()
	if n.Wrap != nil {
		h = n.Wrap(h)
	}
	n.srv = &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go n.srv.Serve(n.ln)
	out.Start(context.Background())
	fed.Start(context.Background())
	tb.Cleanup(n.stop)
}

// stop closes the server (dropping connections), the federation, its
// outbox and the DB.
func (n *node) stop() {
	if n.srv == nil {
		return
	}
	n.srv.Close()
	n.Fed.Close()
	n.Out.Close()
	n.DB.Close()
	n.srv, n.ln = nil, nil
}

// actor returns the actor URL of a member of the node.
func (n *node) actor(user string) string { return twinfed.ActorURL(n.Base, user) }

// send enqueues activities in one transaction and notifies the queue.
func (n *node) send(tb testing.TB, acts ...*twinfed.Activity) {
	tb.Helper()
	err := n.Fed.Update(func(txn *badger.Txn) error {
		for _, a := range acts {
			if err := n.Fed.Enqueue(txn, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("enqueue: %v", err)
	}
}

// follow builds a Follow from a member of n to an actor.
func (n *node) follow(id, from, to string) *twinfed.Activity {
	return &twinfed.Activity{
		ID: twinfed.ActivityURL(n.Base, id), Type: twinfed.ActivityFollow, Actor: n.actor(from),
		To: []string{to}, Object: to, Published: time.Now().UTC().Truncate(time.Second),
	}
}

// recorder is a small real InboxHandler and ActorSource on the node's
// Badger DB, standing in for the node package: it applies each activity id
// at most once (the handler's contract) and counts every call.
type recorder struct {
	db      *badger.DB
	base    string
	country string

	mu       sync.Mutex
	seq      []string          // activity ids in the order they were applied
	proofs   map[string]string // activity id → the Proof it was handed with
	failures int               // fail this many calls with EUNAVAILABLE
}

var (
	_ twinfed.InboxHandler   = (*recorder)(nil)
	_ federation.ActorSource = (*recorder)(nil)
)

func (r *recorder) HandleActivity(_ context.Context, a *twinfed.Activity) error {
	r.mu.Lock()
	if r.failures > 0 {
		r.failures--
		r.mu.Unlock()
		return twinfed.Errorf(twinfed.EUNAVAILABLE, "test: store busy")
	}
	r.mu.Unlock()
	if a.Summary == "invalid" {
		return twinfed.Errorf(twinfed.EINVALID, "test: never applies")
	}
	applied := false
	err := r.db.Update(func(txn *badger.Txn) error {
		ck := []byte("rec/calls/" + a.ID)
		calls := uint64(0)
		if item, err := txn.Get(ck); err == nil {
			item.Value(func(v []byte) error { calls = binary.BigEndian.Uint64(v); return nil })
		}
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], calls+1)
		if err := txn.Set(ck, b[:]); err != nil {
			return err
		}
		ak := []byte("rec/applied/" + a.ID)
		if _, err := txn.Get(ak); err == nil {
			return nil // already applied: idempotent
		}
		v, _ := json.Marshal(a)
		applied = true
		return txn.Set(ak, v)
	})
	if err != nil {
		return err
	}
	if applied {
		r.mu.Lock()
		r.seq = append(r.seq, a.ID)
		if r.proofs == nil {
			r.proofs = map[string]string{}
		}
		r.proofs[a.ID] = a.Proof
		r.mu.Unlock()
	}
	return nil
}

// applied returns the activities applied, from Badger.
func (r *recorder) applied(tb testing.TB) map[string]*twinfed.Activity {
	tb.Helper()
	out := map[string]*twinfed.Activity{}
	err := r.db.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.Prefix = []byte("rec/applied/")
		it := txn.NewIterator(opt)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var a twinfed.Activity
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &a) }); err != nil {
				return err
			}
			out[a.ID] = &a
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// calls returns how many times the handler was called for each id.
func (r *recorder) calls(tb testing.TB) map[string]int {
	tb.Helper()
	out := map[string]int{}
	err := r.db.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.Prefix = []byte("rec/calls/")
		it := txn.NewIterator(opt)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			id := strings.TrimPrefix(string(it.Item().Key()), "rec/calls/")
			it.Item().Value(func(v []byte) error { out[id] = int(binary.BigEndian.Uint64(v)); return nil })
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func (r *recorder) countApplied() int {
	n := 0
	r.db.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.Prefix = []byte("rec/applied/")
		opt.PrefetchValues = false
		it := txn.NewIterator(opt)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	return n
}

func (r *recorder) order() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.seq...)
}

// putProfile stores a local member's public profile.
func (r *recorder) putProfile(tb testing.TB, p *twinfed.Profile) {
	tb.Helper()
	v, _ := json.Marshal(p)
	if err := r.db.Update(func(txn *badger.Txn) error { return txn.Set([]byte("rec/profile/"+p.Username), v) }); err != nil {
		tb.Fatal(err)
	}
}

func (r *recorder) LocalProfile(_ context.Context, username string) (*twinfed.Profile, error) {
	var p twinfed.Profile
	err := r.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte("rec/profile/" + username))
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error { return json.Unmarshal(v, &p) })
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, twinfed.Errorf(twinfed.ENOTFOUND, "no member %s", username)
	}
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// eventually polls cond until it holds or fails the test after timeout.
func eventually(tb testing.TB, timeout time.Duration, cond func() bool, format string, args ...any) {
	tb.Helper()
	consensustest.Eventually(tb, timeout, cond, fmt.Sprintf(format, args...))
}

// get fetches a URL with an Accept header.
func get(tb testing.TB, url, accept string) (*http.Response, []byte) {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}
