package consensus

import (
	"bytes"
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
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/federation/signing"
)

// ErrNotLeader is returned by operations that only the leader can do when
// this member is not the leader and no leader could be reached in time.
var ErrNotLeader = errors.New("consensus: not the leader")

// Peer is a founding member of the cluster: its Raft server id, its Raft
// address and the URL of its HTTP API.
type Peer struct {
	ID       string
	RaftAddr string
	HTTPURL  string
}

// RaftTuning holds Raft's timing knobs. Zero fields take the defaults of
// DefaultRaftTuning.
type RaftTuning struct {
	HeartbeatTimeout   time.Duration
	ElectionTimeout    time.Duration
	LeaderLeaseTimeout time.Duration
	CommitTimeout      time.Duration
	SnapshotThreshold  uint64
	SnapshotInterval   time.Duration
	TrailingLogs       uint64
}

// DefaultRaftTuning suits a cluster on one LAN.
//
// CommitTimeout is how long the leader's replication to a follower waits
// for a new entry before it sends an AppendEntries anyway, so that the
// follower learns the commit index of the last entries of a burst; under
// writes every new batch carries it. 20 ms (raft's default is 50 ms): a
// follower applies the last write of a burst 20-40 ms after the leader,
// and an idle cluster exchanges 2 x 67 such RPCs a second instead of
// 2 x 133 at 5 ms (each one wakes four goroutines on two members).
func DefaultRaftTuning() RaftTuning {
	return RaftTuning{
		HeartbeatTimeout:   1000 * time.Millisecond,
		ElectionTimeout:    1000 * time.Millisecond,
		LeaderLeaseTimeout: 500 * time.Millisecond,
		CommitTimeout:      20 * time.Millisecond,
		SnapshotThreshold:  8192,
		SnapshotInterval:   2 * time.Minute,
		TrailingLogs:       10240,
	}
}

// Config configures one registry member.
type Config struct {
	NodeID     string   // Raft server id, unique in the cluster
	DataDir    string   // log store, state and snapshots
	RaftAddr   string   // Raft TCP bind address; port 0 picks one
	RaftAdvert string   // address the other members dial; RaftAddr's bound address when ""
	HTTPAddr   string   // HTTP API bind address; port 0 picks one
	HTTPAdvert string   // URL of this member's API for the others; http://<bound address> when ""
	Bootstrap  bool     // form a new cluster of this member and Peers when the data dir is empty
	Peers      []Peer   // founding members (this one may be listed too)
	Join       []string // HTTP URLs of members to ask to add this one, when the data dir is empty

	// RaftListener and HTTPListener, when set, are used instead of binding
	// RaftAddr and HTTPAddr (tests and the demo bind every port first, so
	// that the founding members know each other's addresses).
	RaftListener net.Listener
	HTTPListener net.Listener
	// RaftDial, when set, dials the other members (tests wrap it to cut a
	// member off from Raft traffic).
	RaftDial   func(address string, timeout time.Duration) (net.Conn, error)
	AdminToken string        // bearer token of CSS operators; also authenticates forwarded writes
	HoldWrites time.Duration // how long a write waits for a leader; 5s when 0
	Raft       RaftTuning

	Logger  *slog.Logger
	Metrics *prometheus.Registry // nil: metrics are kept but not exported
	Now     func() time.Time     // the clock; time.Now when nil

	// TLS, when set, secures Raft and the HTTP API with mutual TLS (see
	// TLS); nil: plain TCP and HTTP.
	TLS *TLS

	// MetricsElsewhere: the caller serves Metrics on its own address, so
	// the API does not serve /metrics.
	MetricsElsewhere bool

	// MaxBody is the largest accepted write body (1 MiB when 0); imports
	// accept MaxImportBody (64 MiB when 0) and are split into entries.
	MaxBody       int64
	MaxImportBody int64

	// Backup schedules backups of the state to a directory (off when its
	// Dir is ""); see BackupConfig.
	Backup BackupConfig

	// FeedWindow is how many changed keys the change feed keeps (the x/
	// records of the state); DefaultFeedWindow when 0. A reader that falls
	// further behind is told to reload the whole state (410). Give every
	// member the same value: pruning is part of the applied entries.
	FeedWindow uint64
}

// Member is one running registry member: Raft, its stores, the state and
// the HTTP API.
type Member struct {
	cfg     Config
	logger  *slog.Logger
	now     func() time.Time
	metrics *metrics

	storesMu       sync.RWMutex // held for writing while closeStores releases logs and stateDB
	logs           raftLog
	logRead        raft.LogStore // the log cache in front of logs
	stateDB        *badger.DB
	fsm            *FSM
	verifier       *signing.Verifier         // checks node writes; keeps the parsed keys
	forwarder      forwarder                 // batches the writes forwarded to the leader
	leaderURL      atomic.Pointer[leaderURL] // Leader's last answer
	batchesAt      atomic.Int64              // when ServesBatches last said yes (UnixNano)
	batchRecordsAt atomic.Int64              // when RecordsBatchResults last said yes (UnixNano)
	raft           *raft.Raft
	trans          *raft.NetworkTransport

	httpLn  net.Listener
	httpSrv *http.Server
	httpURL string
	fwd     *http.Client

	leaderGen atomic.Uint64 // incremented at each gain of leadership
	readyGen  atomic.Uint64 // = leaderGen once the leader has committed an entry of its term
	verify    verifyBatcher
	lease     leaseAcks     // followers' accepted heartbeats (lease.go)
	readyTerm atomic.Uint64 // the last term in which this member committed an entry as leader

	done      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// Open starts a member: it opens the stores, binds the Raft and HTTP
// listeners (so a busy port fails at once), bootstraps or joins when the
// data directory is new, and serves the API. The state is rebuilt from the
// latest snapshot and the log at every start.
func Open(ctx context.Context, cfg Config) (*Member, error) {
	if cfg.NodeID == "" {
		return nil, errors.New("consensus: NodeID is empty")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HoldWrites == 0 {
		cfg.HoldWrites = 5 * time.Second
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = 1 << 20
	}
	if cfg.MaxImportBody == 0 {
		cfg.MaxImportBody = 64 << 20
	}
	def := DefaultRaftTuning()
	t := &cfg.Raft
	if t.HeartbeatTimeout == 0 {
		t.HeartbeatTimeout = def.HeartbeatTimeout
	}
	if t.ElectionTimeout == 0 {
		t.ElectionTimeout = def.ElectionTimeout
	}
	if t.LeaderLeaseTimeout == 0 {
		// Raft refuses a lease longer than the heartbeat timeout.
		t.LeaderLeaseTimeout = min(def.LeaderLeaseTimeout, t.HeartbeatTimeout)
	}
	if t.CommitTimeout == 0 {
		t.CommitTimeout = def.CommitTimeout
	}
	if t.SnapshotThreshold == 0 {
		t.SnapshotThreshold = def.SnapshotThreshold
	}
	if t.SnapshotInterval == 0 {
		t.SnapshotInterval = def.SnapshotInterval
	}
	if t.TrailingLogs == 0 {
		t.TrailingLogs = def.TrailingLogs
	}
	m := &Member{cfg: cfg, logger: cfg.Logger.With("member", cfg.NodeID), now: cfg.Now, metrics: newMetrics(cfg.Metrics), done: make(chan struct{})}
	m.verify.m = m
	ok := false
	defer func() {
		if !ok {
			m.closeStores()
		}
	}()
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("consensus: data dir: %w", err)
	}
	blog := badgerLogger{m.logger}
	var err error
	if m.logs, err = openRaftLog(cfg.DataDir, blog, m.logger); err != nil {
		return nil, err
	}
	// The state lives in memory: the log is the durable truth, and at
	// every start Raft restores the latest snapshot and replays the log
	// after it into an empty state. Nothing of the state touches the disk
	// between snapshots, so a busy disk stalls only the log's fsyncs.
	// A state directory left by an older version is removed.
	_ = os.RemoveAll(filepath.Join(cfg.DataDir, "state"))
	if m.stateDB, err = badger.Open(stateOptions(blog)); err != nil {
		return nil, fmt.Errorf("consensus: open state: %w", err)
	}
	m.fsm = newFSM(m.stateDB, m.logger, m.metrics)
	m.verifier = &signing.Verifier{Keys: fsmKeys{m.fsm}, Now: m.now}
	m.forwarder.m = m
	if cfg.FeedWindow > 0 {
		m.fsm.feedWindow = cfg.FeedWindow
	}

	hlog := hclog.New(&hclog.LoggerOptions{Name: "raft", Level: hclog.Warn, Output: slogWriter{m.logger}})
	snaps, err := raft.NewFileSnapshotStoreWithLogger(filepath.Join(cfg.DataDir, "snapshots"), 2, hlog)
	if err != nil {
		return nil, fmt.Errorf("consensus: snapshot store: %w", err)
	}
	var advert net.Addr
	if cfg.RaftAdvert != "" {
		if advert, err = net.ResolveTCPAddr("tcp", cfg.RaftAdvert); err != nil {
			return nil, fmt.Errorf("consensus: raft_advert %q: %w", cfg.RaftAdvert, err)
		}
	}
	rln := cfg.RaftListener
	if rln == nil {
		if rln, err = net.Listen("tcp", cfg.RaftAddr); err != nil {
			return nil, fmt.Errorf("consensus: raft listener on %s: %w", cfg.RaftAddr, err)
		}
	}
	if advert == nil {
		advert = rln.Addr()
	}
	rdial := cfg.RaftDial
	if cfg.TLS != nil {
		rln = raftTLSListener{Listener: rln, m: m, conf: cfg.TLS.raftServer()}
		rdial = m.raftTLSDial(rdial)
	}
	m.trans = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream: &tcpStreamLayer{ln: rln, advertise: advert, dial: rdial}, MaxPool: 5, Timeout: 10 * time.Second, Logger: hlog})
	m.httpLn = cfg.HTTPListener
	if m.httpLn == nil {
		if m.httpLn, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
			return nil, fmt.Errorf("consensus: HTTP listener on %s: %w", cfg.HTTPAddr, err)
		}
	}
	m.httpURL = cfg.HTTPAdvert
	if m.httpURL == "" {
		scheme := "http://"
		if cfg.TLS != nil {
			scheme = "https://"
		}
		m.httpURL = scheme + m.httpLn.Addr().String()
	}
	m.httpURL = strings.TrimRight(m.httpURL, "/")

	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(cfg.NodeID)
	rc.HeartbeatTimeout = t.HeartbeatTimeout
	rc.ElectionTimeout = t.ElectionTimeout
	rc.LeaderLeaseTimeout = t.LeaderLeaseTimeout
	rc.CommitTimeout = t.CommitTimeout
	rc.SnapshotThreshold = t.SnapshotThreshold
	rc.SnapshotInterval = t.SnapshotInterval
	rc.TrailingLogs = t.TrailingLogs
	rc.MaxAppendEntries = 1024
	rc.BatchApplyCh = true
	rc.NoLegacyTelemetry = true // the go-metrics series keyed by peer: built per RPC, exported nowhere
	rc.Logger = hlog
	notify := make(chan bool, 16)
	rc.NotifyCh = notify

	cache, err := raft.NewLogCache(4096, m.logs)
	if err != nil {
		return nil, err
	}
	m.logRead = cache
	existing, err := raft.HasExistingState(cache, m.logs, snaps)
	if err != nil {
		return nil, fmt.Errorf("consensus: check existing state: %w", err)
	}
	if err := m.recoverFromPeersJSON(rc, cache, snaps); err != nil {
		return nil, err
	}
	if existing {
		// A restarted member forgot whom it followed: it must not vote
		// while a lease that counted its earlier heartbeats may hold
		// (lease.go).
		select {
		case <-time.After(leaseWindow(*t)):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	m.raft, err = raft.NewRaft(rc, m.fsm, cache, m.logs, snaps, leaseTransport{m.trans, &m.lease})
	if err != nil {
		return nil, fmt.Errorf("consensus: start raft: %w", err)
	}
	if cfg.Bootstrap && !existing {
		servers := []raft.Server{{ID: rc.LocalID, Address: m.trans.LocalAddr()}}
		for _, p := range cfg.Peers {
			if p.ID == cfg.NodeID {
				continue
			}
			servers = append(servers, raft.Server{ID: raft.ServerID(p.ID), Address: raft.ServerAddress(p.RaftAddr)})
		}
		if err := m.raft.BootstrapCluster(raft.Configuration{Servers: servers}).Error(); err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
			return nil, fmt.Errorf("consensus: bootstrap: %w", err)
		}
		m.logger.Info("registry: bootstrapped a new cluster", "servers", len(servers))
	}

	m.fwd = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128, IdleConnTimeout: 90 * time.Second}}
	m.httpSrv = &http.Server{Handler: m.routes(), ReadHeaderTimeout: 10 * time.Second}
	if cfg.TLS != nil {
		m.fwd.Transport.(*http.Transport).TLSClientConfig = cfg.TLS.memberClient()
		m.httpSrv.Handler = m.apiGuard(m.httpSrv.Handler)
		m.httpSrv.TLSConfig = cfg.TLS.apiServer()
		m.httpSrv.ErrorLog = slog.NewLogLogger(m.logger.Handler(), slog.LevelInfo) // refused handshakes
	}
	if m.metrics.reg != nil {
		m.metrics.reg.MustRegister(newMemberCollector(m))
	}
	m.wg.Add(3)
	go func() {
		defer m.wg.Done()
		serve := m.httpSrv.Serve
		if cfg.TLS != nil {
			serve = func(ln net.Listener) error { return m.httpSrv.ServeTLS(ln, "", "") }
		}
		if err := serve(m.httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.logger.Error("registry: HTTP server stopped", "err", err)
		}
	}()
	go func() { defer m.wg.Done(); m.watchLeadership(notify) }()
	go func() { defer m.wg.Done(); m.registerSelf() }()
	if err := m.startBackups(); err != nil {
		m.Close()
		ok = true // Close has released everything
		return nil, err
	}
	if !existing && len(cfg.Join) > 0 {
		if err := m.joinCluster(ctx, cfg.Join); err != nil {
			m.Close()
			ok = true // Close has released everything
			return nil, err
		}
	}
	ok = true
	m.logger.Info("registry: member started", "raft", m.trans.LocalAddr(), "http", m.httpURL)
	return m, nil
}

// stateOptions are the options of a member's state: an in-memory Badger.
func stateOptions(logger badger.Logger) badger.Options {
	// Memory is not worth compressing (compression and the block cache
	// only cost CPU here), and bigger L0 limits keep a burst of imports
	// from stalling writes behind compactions.
	// The FSM goroutine is the state's only writer, so Badger's conflict
	// detection (which records every key read and written) is not needed.
	return badger.DefaultOptions("").WithInMemory(true).WithLogger(logger).WithNumVersionsToKeep(1).WithDetectConflicts(false).
		WithCompression(options.None).WithBlockCacheSize(0).WithMemTableSize(64 << 20).
		WithNumLevelZeroTables(10).WithNumLevelZeroTablesStall(30).WithNumCompactors(2)
}

// PeersJSON is the file in the data directory that forces a new cluster
// configuration at the next start (the recovery of a cluster that lost
// quorum; see docs/registry.md). It is renamed to peers.json.applied once
// used.
const PeersJSON = "peers.json"

// recoverFromPeersJSON applies DataDir/peers.json, in hashicorp/raft's
// format ([{"id": "r1", "address": "10.0.0.1:7000", "non_voter": false}]).
func (m *Member) recoverFromPeersJSON(rc *raft.Config, logs raft.LogStore, snaps raft.SnapshotStore) error {
	path := filepath.Join(m.cfg.DataDir, PeersJSON)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	conf, err := raft.ReadConfigJSON(path)
	if err != nil {
		return fmt.Errorf("consensus: %s: %w", path, err)
	}
	// RecoverCluster replays the log into an FSM of its own; the member's
	// state is rebuilt from the snapshot it leaves when Raft starts.
	scratch, err := badger.Open(badger.DefaultOptions("").WithInMemory(true).WithLogger(badgerLogger{m.logger}))
	if err != nil {
		return err
	}
	defer scratch.Close()
	if err := raft.RecoverCluster(rc, newFSM(scratch, m.logger, nil), logs, m.logs, snaps, m.trans, conf); err != nil {
		return fmt.Errorf("consensus: recover from %s: %w", path, err)
	}
	if err := os.Rename(path, path+".applied"); err != nil {
		return fmt.Errorf("consensus: recovered, but could not rename %s: %w", path, err)
	}
	m.logger.Warn("registry: recovered the cluster configuration from peers.json", "servers", len(conf.Servers))
	return nil
}

// ID returns the member's Raft server id.
func (m *Member) ID() string { return m.cfg.NodeID }

// URL returns the base URL of the member's HTTP API.
func (m *Member) URL() string { return m.httpURL }

// RaftAddr returns the member's Raft address as advertised.
func (m *Member) RaftAddr() string { return string(m.trans.LocalAddr()) }

// Handler returns the member's HTTP API, for embedding.
func (m *Member) Handler() http.Handler { return m.httpSrv.Handler }

// IsLeader reports whether this member is the leader.
func (m *Member) IsLeader() bool { return m.raft.State() == raft.Leader }

// Leader returns the leader's id and API URL as this member knows them
// ("" when unknown).
func (m *Member) Leader() (id, url string) {
	_, lid := m.raft.LeaderWithID()
	if lid == "" {
		return "", ""
	}
	if string(lid) == m.cfg.NodeID {
		return string(lid), m.httpURL
	}
	// Every forwarded write asks: remember the answer until a member's
	// record (or a country's) is written.
	gen := m.fsm.keysGen.Load()
	if c := m.leaderURL.Load(); c != nil && c.id == string(lid) && c.gen == gen {
		return c.id, c.url
	}
	defer func() {
		if url != "" {
			m.leaderURL.Store(&leaderURL{id: string(lid), url: url, gen: gen})
		}
	}()
	var mi MemberInfo
	_ = m.stateDB.View(func(txn *badger.Txn) error { return getJSON(txn, pMember+string(lid), &mi) })
	if mi.HTTPURL == "" {
		// Not recorded yet: the founding members' configuration knows it.
		for _, p := range m.cfg.Peers {
			if p.ID == string(lid) {
				mi.HTTPURL = strings.TrimRight(p.HTTPURL, "/")
			}
		}
	}
	return string(lid), mi.HTTPURL
}

// leaderURL is a leader's API URL as Leader found it, valid while the
// FSM's keysGen is gen.
type leaderURL struct {
	id, url string
	gen     uint64
}

// Stats returns Raft's statistics (state, term, last_snapshot_index, …).
func (m *Member) Stats() map[string]string { return m.raft.Stats() }

// AppliedIndex returns the index of the last entry applied to the state.
func (m *Member) AppliedIndex() uint64 { return m.fsm.Applied() }

// CaughtUp reports whether this member has applied every entry of its own
// log (a new leader has not, until it applies the entries of earlier terms).
func (m *Member) CaughtUp() bool { return m.raft.AppliedIndex() >= m.raft.LastIndex() }

// Close stops the member: HTTP first, then Raft, then the stores.
func (m *Member) Close() error {
	m.closeOnce.Do(func() {
		close(m.done)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if m.httpSrv != nil {
			_ = m.httpSrv.Shutdown(ctx)
		} else if m.httpLn != nil {
			m.httpLn.Close()
		}
		if m.raft != nil {
			f := m.raft.Shutdown()
			// Close the transport at once: a member that is shutting down
			// stops reading Raft RPCs only when its transport closes, and its
			// peers' replication (which Shutdown waits for) may be blocked
			// writing to it.
			if m.trans != nil {
				m.trans.Close()
			}
			if err := f.Error(); err != nil {
				m.closeErr = err
			}
		} else if m.trans != nil {
			m.trans.Close()
		}
		m.wg.Wait()
		if m.fwd != nil {
			m.fwd.CloseIdleConnections()
		}
		if err := m.closeStores(); err != nil && m.closeErr == nil {
			m.closeErr = err
		}
	})
	return m.closeErr
}

func (m *Member) closeStores() error {
	m.storesMu.Lock()
	defer m.storesMu.Unlock()
	var first error
	if m.stateDB != nil {
		if err := m.stateDB.Close(); err != nil {
			first = err
		}
		m.stateDB = nil
	}
	if m.logs != nil {
		if err := m.logs.Close(); err != nil && first == nil {
			first = err
		}
		m.logs = nil
	}
	return first
}

func (m *Member) watchLeadership(notify <-chan bool) {
	for {
		select {
		case <-m.done:
			return
		case leader := <-notify:
			m.metrics.leaderChanges.Inc()
			if !leader {
				continue
			}
			gen := m.leaderGen.Add(1)
			m.wg.Add(1)
			go func() { defer m.wg.Done(); m.onLeader(gen) }()
		}
	}
}

// onLeader runs when this member becomes leader: once an entry of its term
// is committed (Barrier) it serves consistent reads; it seeds the countries
// of a new cluster and records the members' addresses.
func (m *Member) onLeader(gen uint64) {
	for m.leaderGen.Load() == gen && m.raft.State() == raft.Leader {
		term := m.raft.CurrentTerm() // before: the barrier commits in this term or a later one
		if err := m.raft.Barrier(10 * time.Second).Error(); err == nil {
			m.readyTerm.Store(term)
			m.readyGen.Store(gen)
			break
		}
		select {
		case <-m.done:
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
	if m.readyGen.Load() != gen {
		return
	}
	var seeded bool
	known := map[string]MemberInfo{}
	_ = m.stateDB.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pCountry)})
		it.Rewind()
		seeded = it.Valid()
		it.Close()
		ms, _ := readMembers(txn)
		for _, mi := range ms {
			known[mi.ID] = mi
		}
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if !seeded {
		cmd, _ := EncodeCommand(CmdSeedCountries, SeedCommand{Countries: twinfed.SeedCountries(), At: m.now().UTC()})
		if _, err := m.propose(ctx, cmd); err != nil {
			m.logger.Warn("registry: seeding the countries failed; the next leader retries", "err", err)
		}
	}
	want := []MemberInfo{{ID: m.cfg.NodeID, RaftAddr: m.RaftAddr(), HTTPURL: m.httpURL, Batches: true, BatchRecords: true}}
	for _, p := range m.cfg.Peers {
		if p.ID != m.cfg.NodeID && p.HTTPURL != "" {
			want = append(want, MemberInfo{ID: p.ID, RaftAddr: p.RaftAddr, HTTPURL: strings.TrimRight(p.HTTPURL, "/")})
		}
	}
	for _, mi := range want {
		if have, ok := known[mi.ID]; ok && (mi.ID != m.cfg.NodeID || have == mi) {
			continue
		}
		cmd, _ := EncodeCommand(CmdSetMember, MemberCommand{Member: mi})
		if _, err := m.propose(ctx, cmd); err != nil {
			m.logger.Warn("registry: recording a member failed", "member", mi.ID, "err", err)
		}
	}
}

// registerSelf makes sure the state records this member's current
// addresses, so that the others can forward to it when it leads.
func (m *Member) registerSelf() {
	me := MemberInfo{ID: m.cfg.NodeID, RaftAddr: m.RaftAddr(), HTTPURL: m.httpURL, Batches: true, BatchRecords: true}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-m.done:
			return
		case <-tick.C:
		}
		var have MemberInfo
		_ = m.stateDB.View(func(txn *badger.Txn) error { return getJSON(txn, pMember+me.ID, &have) })
		if have == me {
			return
		}
		if m.raft.State() == raft.Leader {
			continue // onLeader records it
		}
		if _, url := m.Leader(); url == "" {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		cmd, _ := EncodeCommand(CmdSetMember, MemberCommand{Member: me})
		_, _ = m.propose(ctx, cmd)
		cancel()
	}
}

// Apply proposes an encoded command (see EncodeCommand) through this
// member: applied here when it leads, forwarded to the leader otherwise,
// held up to HoldWrites while there is no leader. A business-rule refusal
// comes back as a *twinfed.Error; EUNAVAILABLE when no leader answered in
// time, with a message saying whether the write may have been applied.
func (m *Member) Apply(ctx context.Context, cmd []byte) (*ApplyResult, error) {
	res, err := m.propose(ctx, cmd)
	if err != nil {
		return nil, err
	}
	if res.Err != nil {
		return res, res.Err
	}
	return res, nil
}

var (
	errNotLeaderRaft  = raft.ErrNotLeader
	errEnqueueTimeout = raft.ErrEnqueueTimeout
)

func binaryIndex(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

var errMaybeApplied = twinfed.Errorf(twinfed.EUNAVAILABLE, "the leader changed while the write was in flight: it may or may not have been applied; read before retrying")

var errMaybeAppliedKeyed = twinfed.Errorf(twinfed.EUNAVAILABLE, "no leader confirmed the write in time: it may or may not have been applied; sending it again with the same Idempotency-Key is safe")

// propose applies cmd through the leader, holding it up to HoldWrites
// while there is none. A command is sent again only when it certainly was
// not taken, or when it carries request ids (CmdKeyed, CmdBatch, CmdBatchV2): the state applies
// such a command once however often it is sent.
func (m *Member) propose(ctx context.Context, cmd []byte) (*ApplyResult, error) {
	start := time.Now()
	defer func() { m.metrics.applySeconds.Observe(time.Since(start).Seconds()) }()
	// A batch holds keyed commands only (decodeBatch): it is keyed too.
	keyed := len(cmd) > 0 && (CommandType(cmd[0]) == CmdKeyed || CommandType(cmd[0]) == CmdBatch || CommandType(cmd[0]) == CmdBatchV2)
	deadline := time.Now().Add(m.cfg.HoldWrites)
	maybe := false // an attempt may have been applied
	for {
		if m.raft.State() == raft.Leader {
			f := m.raft.Apply(cmd, m.cfg.HoldWrites)
			err := f.Error()
			switch {
			case err == nil:
				res, _ := f.Response().(*ApplyResult)
				if res == nil {
					res = &ApplyResult{Index: f.Index()}
				}
				return res, nil
			case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrEnqueueTimeout):
				// not enqueued: safe to try again
			case errors.Is(err, raft.ErrRaftShutdown):
				return nil, twinfed.Errorf(twinfed.EUNAVAILABLE, "this registry member is shutting down")
			default:
				if !keyed {
					return nil, errMaybeApplied
				}
				maybe = true
			}
		} else if _, url := m.Leader(); url != "" {
			res, retry, err := m.forwarder.forward(ctx, url, cmd)
			if keyed && errors.Is(err, errMaybeApplied) {
				maybe, retry = true, true
			}
			if !retry {
				return res, err
			}
		}
		if time.Now().After(deadline) {
			if maybe {
				return nil, errMaybeAppliedKeyed
			}
			return nil, twinfed.Errorf(twinfed.EUNAVAILABLE, "the registry has no leader at the moment; the write was not applied, try again")
		}
		select {
		case <-ctx.Done():
			if maybe {
				return nil, errMaybeAppliedKeyed
			}
			return nil, twinfed.Errorf(twinfed.EUNAVAILABLE, "the write was abandoned before a leader took it: not applied")
		case <-m.done:
			return nil, twinfed.Errorf(twinfed.EUNAVAILABLE, "this registry member is shutting down")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

const (
	headerIndex       = "X-Registry-Index"
	headerLastContact = "X-Registry-Last-Contact"
	headerLeader      = "X-Registry-Leader"
	headerNotLeader   = "X-Registry-Not-Leader"
	headerForwarded   = "X-Registry-Forwarded"
	headerFeedFloor   = "X-Registry-Feed-Floor"
)

// forwardOne sends cmd alone to the leader's internal endpoint (see
// forwarder for the usual, batched way). retry is true when the leader
// certainly did not take the write.
func (m *Member) forwardOne(ctx context.Context, url string, cmd []byte) (*ApplyResult, bool, error) {
	m.metrics.forwarded.WithLabelValues("write").Inc()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/internal/apply", bytes.NewReader(cmd))
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("Authorization", "Bearer "+m.cfg.AdminToken)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := m.fwd.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return nil, true, nil
		}
		if ctx.Err() != nil {
			return nil, false, errMaybeApplied
		}
		return nil, false, errMaybeApplied
	}
	defer resp.Body.Close()
	if resp.Header.Get(headerNotLeader) != "" {
		io.Copy(io.Discard, resp.Body)
		return nil, true, nil
	}
	var out internalResult
	if err := decodeForwarded(resp.Body, &out); err != nil {
		return nil, false, errMaybeApplied
	}
	if resp.StatusCode != http.StatusOK {
		if out.Error != nil {
			return nil, false, out.Error.toError()
		}
		return nil, false, errMaybeApplied
	}
	return out.applyResult(), false, nil
}

// ReadIndex waits until this member may serve a linearizable read: it must
// be the leader, have committed an entry of its term, confirm with a quorum
// that it still leads (a lease from the heartbeats a quorum accepted, see
// lease.go, or else a VerifyLeader round), and its state must reflect every
// entry up to the commit index read before that check. It returns that
// index; ErrNotLeader when this member does not lead.
func (m *Member) ReadIndex(ctx context.Context) (uint64, error) {
	if m.raft.State() != raft.Leader || m.readyGen.Load() != m.leaderGen.Load() {
		return 0, ErrNotLeader
	}
	term := m.raft.CurrentTerm()
	idx := m.raft.CommitIndex()
	if m.readyTerm.Load() == term && m.leaseHolds(term) && m.raft.State() == raft.Leader && m.raft.CurrentTerm() == term {
		m.metrics.readConfirms.WithLabelValues("lease").Inc()
	} else {
		m.metrics.readConfirms.WithLabelValues("round").Inc()
		if err := m.verify.verify(ctx); err != nil {
			return 0, ErrNotLeader
		}
	}
	if err := m.WaitApplied(ctx, idx); err != nil {
		return 0, err
	}
	return idx, nil
}

// WaitApplied waits until the state reflects every entry up to index.
func (m *Member) WaitApplied(ctx context.Context, index uint64) error {
	var poll <-chan time.Time
	for {
		ch := m.fsm.Changed()
		if m.stateReached(index) {
			return nil
		}
		if poll == nil {
			// Raft processes entries the FSM never sees without telling
			// it (a restore is followed by raft's own bookkeeping): look
			// again now and then, not only when the FSM applies a batch.
			t := time.NewTicker(2 * time.Millisecond)
			defer t.Stop()
			poll = t.C
		}
		select {
		case <-ch:
		case <-poll:
		case <-ctx.Done():
			return twinfed.Errorf(twinfed.EUNAVAILABLE, "timed out waiting for the registry state to reach index %d", index)
		case <-m.done:
			return twinfed.Errorf(twinfed.EUNAVAILABLE, "this registry member is shutting down")
		}
	}
}

// stateReached reports whether the state reflects every entry up to index.
// The FSM's own index counts the entries it applies (commands and
// configurations); Raft also commits entries that never reach it: the
// no-op a new leader appends, barriers, and the entries a snapshot covers
// (a snapshot the FSM took or restored, including a user restore, whose
// data carries the older index of the backup). Those change no state, so
// the state has reached index when every entry after the FSM's last one is
// of that kind. This is the slow path: it runs only while the FSM's index
// is behind, typically right after an election or a restore.
func (m *Member) stateReached(index uint64) bool {
	applied := m.fsm.Applied()
	if applied >= index {
		return true
	}
	if m.raft.AppliedIndex() < index {
		return false // Raft has not handed every entry up to index to the FSM yet
	}
	from := applied + 1
	if snap := m.lastSnapshotIndex(); snap >= from {
		// Raft records a snapshot only once the FSM has taken or restored it.
		from = snap + 1
	}
	for i := from; i <= index; i++ {
		var l raft.Log
		if err := m.logRead.GetLog(i, &l); err != nil {
			return false
		}
		if l.Type == raft.LogCommand || l.Type == raft.LogConfiguration {
			return false // the FSM has yet to apply it
		}
	}
	return true
}

func (m *Member) lastSnapshotIndex() uint64 {
	n, _ := strconv.ParseUint(m.raft.Stats()["last_snapshot_index"], 10, 64)
	return n
}

// verifyBatcher shares one VerifyLeader round among the reads that arrive
// while it is in flight: a read that starts after a round began waits for
// the next one, so each read is still checked by a round that started after
// it did.
type verifyBatcher struct {
	m       *Member
	mu      sync.Mutex
	running bool
	next    *verifyRound
}

type verifyRound struct {
	done chan struct{}
	err  error
}

func (v *verifyBatcher) verify(ctx context.Context) error {
	v.mu.Lock()
	if v.next == nil {
		v.next = &verifyRound{done: make(chan struct{})}
	}
	r := v.next
	if !v.running {
		v.running = true
		v.next = nil
		go v.run(r)
	}
	v.mu.Unlock()
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (v *verifyBatcher) run(r *verifyRound) {
	for r != nil {
		r.err = v.m.raft.VerifyLeader().Error()
		close(r.done)
		v.mu.Lock()
		r = v.next
		v.next = nil
		if r == nil {
			v.running = false
		}
		v.mu.Unlock()
	}
}

// LastContact returns the time since this member last heard from the
// leader (0 on the leader).
func (m *Member) LastContact() time.Duration {
	if m.raft.State() == raft.Leader {
		return 0
	}
	lc := m.raft.LastContact()
	if lc.IsZero() {
		return -1
	}
	return time.Since(lc)
}

// AddVoter adds a member (leader only).
func (m *Member) AddVoter(ctx context.Context, mi MemberInfo) (uint64, error) {
	if m.raft.State() != raft.Leader {
		return 0, ErrNotLeader
	}
	f := m.raft.AddVoter(raft.ServerID(mi.ID), raft.ServerAddress(mi.RaftAddr), 0, 30*time.Second)
	if err := f.Error(); err != nil {
		return 0, twinfed.Errorf(twinfed.EUNAVAILABLE, "adding %s failed: %v", mi.ID, err)
	}
	cmd, _ := EncodeCommand(CmdSetMember, MemberCommand{Member: mi})
	res, err := m.Apply(ctx, cmd)
	if err != nil {
		return f.Index(), err
	}
	return res.Index, nil
}

// RemoveServer removes a member (leader only).
func (m *Member) RemoveServer(ctx context.Context, id string) (uint64, error) {
	if m.raft.State() != raft.Leader {
		return 0, ErrNotLeader
	}
	f := m.raft.RemoveServer(raft.ServerID(id), 0, 30*time.Second)
	if err := f.Error(); err != nil {
		return 0, twinfed.Errorf(twinfed.EUNAVAILABLE, "removing %s failed: %v", id, err)
	}
	if id == m.cfg.NodeID {
		return f.Index(), nil
	}
	cmd, _ := EncodeCommand(CmdRemoveMember, MemberCommand{Member: MemberInfo{ID: id}})
	res, err := m.Apply(ctx, cmd)
	if err != nil {
		return f.Index(), err
	}
	return res.Index, nil
}

// PeerStatus is one server of the Raft configuration as /v1/cluster/peers
// shows it.
type PeerStatus struct {
	ID       string `json:"id"`
	RaftAddr string `json:"raft_addr"`
	HTTPURL  string `json:"http_url,omitempty"`
	Suffrage string `json:"suffrage"`
	Leader   bool   `json:"leader"`
}

// Peers returns the Raft configuration with the members' API URLs.
func (m *Member) Peers() ([]PeerStatus, error) {
	f := m.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, err
	}
	_, lid := m.raft.LeaderWithID()
	urls := map[string]string{}
	_ = m.stateDB.View(func(txn *badger.Txn) error {
		ms, _ := readMembers(txn)
		for _, mi := range ms {
			urls[mi.ID] = mi.HTTPURL
		}
		return nil
	})
	var out []PeerStatus
	for _, s := range f.Configuration().Servers {
		out = append(out, PeerStatus{ID: string(s.ID), RaftAddr: string(s.Address), HTTPURL: urls[string(s.ID)],
			Suffrage: s.Suffrage.String(), Leader: s.ID == lid})
	}
	return out, nil
}

// Snapshot asks Raft for a snapshot now and returns its index.
func (m *Member) Snapshot() (uint64, error) {
	f := m.raft.Snapshot()
	if err := f.Error(); err != nil {
		return 0, err
	}
	meta, rc, err := f.Open()
	if err != nil {
		return 0, err
	}
	rc.Close()
	return meta.Index, nil
}

// Backup writes the member's current state in the snapshot format.
func (m *Member) Backup(w io.Writer) (int64, error) {
	var n int64
	err := m.fsm.View(func(txn *badger.Txn) error {
		var err error
		n, err = writeSnapshot(txn, w)
		return err
	})
	return n, err
}

// Restore replaces the state of the whole cluster with a backup (leader
// only): Raft takes it as a user snapshot at an index past its log and
// installs it on the others. It returns the commit index once the restored
// state is in force. Restoring the same backup twice gives the same state,
// so a restore that failed with EUNAVAILABLE may be retried.
func (m *Member) Restore(ctx context.Context, r io.Reader) (uint64, error) {
	if m.raft.State() != raft.Leader {
		return 0, ErrNotLeader
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return 0, err
	}
	if !bytes.HasPrefix(data, []byte(snapshotMagic)) {
		return 0, twinfed.Errorf(twinfed.EINVALID, "the body is not a registry backup")
	}
	// A restore starts a new lineage of the state: the change feed's
	// history is the backup's, so followers of the feed must start over.
	data, err = withLineage(data, fmt.Sprintf("%s-%d", m.cfg.NodeID, m.now().UnixNano()))
	if err != nil {
		return 0, twinfed.Errorf(twinfed.EINVALID, "the body is not a registry backup: %v", err)
	}
	members, err := m.members()
	if err != nil {
		return 0, twinfed.Errorf(twinfed.EUNAVAILABLE, "reading the members' records: %v", err)
	}
	if data, err = withOwnMembers(data, members); err != nil {
		return 0, twinfed.Errorf(twinfed.EINVALID, "the body is not a registry backup: %v", err)
	}
	meta := &raft.SnapshotMeta{Version: raft.SnapshotVersionMax, Size: int64(len(data))}
	timeout := time.Minute
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	if err := m.raft.Restore(meta, bytes.NewReader(data), timeout); err != nil {
		if errors.Is(err, raft.ErrNotLeader) {
			return 0, ErrNotLeader
		}
		m.logger.Warn("registry: restore failed", "err", err)
		return 0, twinfed.Errorf(twinfed.EUNAVAILABLE, "the restore did not complete (%v): it may or may not be in force; restoring the same backup again is safe", err)
	}
	return m.raft.CommitIndex(), nil
}

func (m *Member) joinCluster(ctx context.Context, urls []string) error {
	body, _ := json.Marshal(MemberInfo{ID: m.cfg.NodeID, RaftAddr: m.RaftAddr(), HTTPURL: m.httpURL})
	deadline := time.Now().Add(time.Minute)
	var last error
	for time.Now().Before(deadline) {
		for _, u := range urls {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(u, "/")+"/v1/cluster/join", bytes.NewReader(body))
			if err != nil {
				return err
			}
			req.Header.Set("Authorization", "Bearer "+m.cfg.AdminToken)
			req.Header.Set("Content-Type", "application/json")
			resp, err := m.fwd.Do(req)
			if err != nil {
				last = err
				continue
			}
			msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				m.logger.Info("registry: joined the cluster", "via", u)
				return nil
			}
			last = fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(msg))
			if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
				return fmt.Errorf("consensus: join refused: %w", last)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	return fmt.Errorf("consensus: join: no member accepted: %w", last)
}

// tcpStreamLayer is Raft's TCP stream layer over a listener bound by the
// caller. Close also closes every connection it made or accepted: Raft's
// transport leaves them open, and a peer's pipeline waiting for answers on
// such a connection would block that peer's shutdown.
type tcpStreamLayer struct {
	ln        net.Listener
	advertise net.Addr
	dial      func(address string, timeout time.Duration) (net.Conn, error)

	mu     sync.Mutex
	closed bool
	conns  map[*trackedConn]struct{}
}

type trackedConn struct {
	net.Conn
	l *tcpStreamLayer
}

func (c *trackedConn) Close() error {
	c.l.mu.Lock()
	delete(c.l.conns, c)
	c.l.mu.Unlock()
	return c.Conn.Close()
}

func (t *tcpStreamLayer) track(conn net.Conn) (net.Conn, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		conn.Close()
		return nil, errors.New("raft stream layer closed")
	}
	if t.conns == nil {
		t.conns = map[*trackedConn]struct{}{}
	}
	tc := &trackedConn{Conn: conn, l: t}
	t.conns[tc] = struct{}{}
	return tc, nil
}

func (t *tcpStreamLayer) Accept() (net.Conn, error) {
	conn, err := t.ln.Accept()
	if err != nil {
		return nil, err
	}
	return t.track(conn)
}

func (t *tcpStreamLayer) Close() error {
	t.mu.Lock()
	t.closed = true
	conns := t.conns
	t.conns = nil
	t.mu.Unlock()
	for c := range conns {
		if tc, ok := c.Conn.(interface{ NetConn() net.Conn }); ok {
			tc.NetConn().Close() // a TLS connection: no close_notify, which could wait on a peer that does not read
		} else {
			c.Conn.Close()
		}
	}
	return t.ln.Close()
}

func (t *tcpStreamLayer) Addr() net.Addr { return t.advertise }

func (t *tcpStreamLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	var conn net.Conn
	var err error
	if t.dial != nil {
		conn, err = t.dial(string(address), timeout)
	} else {
		conn, err = net.DialTimeout("tcp", string(address), timeout)
	}
	if err != nil {
		return nil, err
	}
	return t.track(conn)
}

type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any) {
	b.l.Error("badger: " + strings.TrimSpace(fmt.Sprintf(f, a...)))
}
func (b badgerLogger) Warningf(f string, a ...any) {
	b.l.Warn("badger: " + strings.TrimSpace(fmt.Sprintf(f, a...)))
}
func (b badgerLogger) Infof(string, ...any)  {}
func (b badgerLogger) Debugf(string, ...any) {}

type slogWriter struct{ l *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.l.Warn(strings.TrimSpace(string(p)))
	return len(p), nil
}
