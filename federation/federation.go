package federation

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/config"
	"github.com/twinfed/twinfed/federation/signing"
)

// ActorSource gives the public profiles of the node's members, for their
// actor documents and WebFinger. The node implements it.
type ActorSource interface {
	// LocalProfile returns the public profile of a validated local member;
	// ENOTFOUND for an unknown or not yet validated username.
	LocalProfile(ctx context.Context, username string) (*twinfed.Profile, error)
}

// ProjectSource gives the projects whose Group actor this node serves. The
// node's service implements it.
type ProjectSource interface {
	// LocalProject returns a public project (approved or closed) this node
	// is home to; ENOTFOUND for any other id.
	LocalProject(ctx context.Context, id string) (*twinfed.Project, error)
}

// UsageSource gives the counts NodeInfo publishes. The node's service
// implements it.
type UsageSource interface {
	// Usage returns the node's user counts; errors are logged and zeros served.
	Usage(ctx context.Context) (twinfed.Usage, error)
}

// OutboxConfig is what NewOutbox needs. BaseURL, Key, DB and Keys are
// required.
type OutboxConfig struct {
	BaseURL    string               // the node's base URL, e.g. https://it.twinfed.example
	Key        *signing.Key         // the node's key file (key_algorithm, Ed25519 by default): signs to Twinfed nodes, Get and proofs
	Companion  *signing.Key         // the node's key of the other algorithm (signing.LoadOrCreateKeys); nil: Key alone
	DB         *badger.DB           // the node's Badger DB; federation keys live under "fed/"
	Keys       signing.KeySource    // the registry (its client's local cache): keys of every node
	Settings   config.Federation    // queue and inbox settings; zero fields take config.DefaultFederation's
	Logger     *slog.Logger         // nil discards
	Metrics    *prometheus.Registry // where metrics are registered (the inbox's too); nil keeps them unregistered
	Now        func() time.Time     // the clock; time.Now when nil
	HTTPClient *http.Client         // for deliveries; a client with Settings.DeliveryTimeout when nil
	Version    string               // software version, in the User-Agent and NodeInfo
}

// Outbox is a node's signing side, which needs nothing of the node but its
// DB: the durable delivery queue (Enqueue in the node's own transactions,
// Notify after the commit), the proofs of agency decisions (Prove,
// VerifyProof), signed GETs to other nodes (Get) and the check of the
// signed GETs of theirs (RequireSigned), and the operators' view of the
// queue. Create it with NewOutbox before the node's service, call Start to
// run its delivery workers, Close to stop them.
type Outbox struct {
	cfg      OutboxConfig
	base     string
	host     string
	db       *badger.DB
	log      *slog.Logger
	now      func() time.Time
	set      config.Federation
	signer   *signing.Signer // Key: Twinfed nodes (and the registry) verify it
	rsa      *signing.Signer // the RSA key: what other fediverse servers verify
	schemes  sync.Map        // host → scheme a server outside Twinfed accepted (in memory)
	inboxes  sync.Map        // host or actor URL → cachedInbox
	batches  sync.Map        // host → cachedInbox: the batch inbox a Twinfed node advertised (batch.go)
	verifier *signing.Verifier
	keys     *keyCache // cfg.Keys, cached briefly

	open         *openKeys         // the open edge's keys: outside servers' published keys (open.go)
	openVerifier *signing.Verifier // verifies with them
	client       *http.Client
	m            *metrics

	outSeq *badger.Sequence
	commit *committer

	workers

	mu        sync.Mutex // guards dests and notServed
	dests     map[string]*destination
	notServed map[string]*notServed // "host /segment" → its backoff (fetch.go)
	sem       chan struct{}
	rescan    chan struct{}
	// needFull asks the scanner for a whole scan of the queue at its next
	// turn (Requeue puts back items Enqueue did not stage; scanQueue).
	needFull atomic.Bool

	stagedMu sync.Mutex
	staged   []*queueItem // written by Enqueue, not yet seen committed (scanNew)
}

// NewOutbox checks cfg and builds an Outbox. It does not start any
// goroutine.
func NewOutbox(cfg OutboxConfig) (*Outbox, error) {
	base := strings.TrimRight(cfg.BaseURL, "/")
	u, err := mustURL(base)
	if err != nil || strings.Trim(u.Path, "/") != "" {
		return nil, errors.New("federation: BaseURL must be an absolute http(s) URL with no path")
	}
	switch {
	case cfg.Key == nil:
		return nil, errors.New("federation: Key is required")
	case cfg.DB == nil:
		return nil, errors.New("federation: DB is required")
	case cfg.Keys == nil:
		return nil, errors.New("federation: Keys (the registry) is required")
	}
	o := &Outbox{
		cfg:   cfg,
		base:  base,
		host:  u.Host,
		db:    cfg.DB,
		log:   cfg.Logger,
		now:   cfg.Now,
		set:   withDefaults(cfg.Settings),
		dests: map[string]*destination{},
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	if o.now == nil {
		o.now = time.Now
	}
	o.client = cfg.HTTPClient
	if o.client == nil {
		o.client = &http.Client{Timeout: o.set.DeliveryTimeout, Transport: &http.Transport{
			MaxIdleConnsPerHost: o.set.Workers,
			IdleConnTimeout:     90 * time.Second,
		}}
	}
	o.signer = &signing.Signer{Key: cfg.Key, Now: o.now}
	o.rsa = o.signer
	if cfg.Companion != nil && cfg.Companion.Algorithm == twinfed.KeyRSA {
		o.rsa = &signing.Signer{Key: cfg.Companion, Now: o.now}
	}
	o.keys = newKeyCache(cfg.Keys, time.Now)
	o.verifier = &signing.Verifier{Keys: o.keys, Now: o.now, BaseURL: base}
	o.open = &openKeys{o: o, m: map[string]fetchedKey{}}
	o.openVerifier = &signing.Verifier{Keys: o.open, Now: o.now, BaseURL: base}
	o.m = newMetrics(cfg.Metrics)
	if o.outSeq, err = o.db.GetSequence([]byte(keySeqOut), 1000); err != nil {
		return nil, err
	}
	o.commit = newCommitter(o.db, o.m.groupSize)
	o.sem = make(chan struct{}, o.set.Workers)
	o.rescan = make(chan struct{}, 1)
	o.workers.init()
	return o, nil
}

// Start runs the delivery workers. Deliveries left in Badger by an earlier
// run resume at once.
func (o *Outbox) Start(ctx context.Context) {
	if !o.begin(ctx) {
		return
	}
	o.commit.start()
	if err := o.dropConfigBlocked(); err != nil {
		o.log.Error("federation: drop the followers on domains the configuration blocks", "err", err)
	}
	for _, s := range o.Status() {
		o.m.parked.WithLabelValues(s.Destination).Set(float64(s.Parked))
	}
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		o.runScanner()
	}()
	o.needFull.Store(true) // the first scan finds what an earlier run left
	o.Notify()
}

// Close stops the delivery workers and waits for them; in-flight requests
// are cancelled. The queue stays in Badger for the next Start. Close the
// Federation that uses the outbox first (its inbox workers enqueue); Close
// does not close the DB.
func (o *Outbox) Close() error {
	if !o.end() {
		return nil
	}
	o.commit.close()
	return o.outSeq.Release()
}

// workers is the lifecycle the Outbox and the Federation share: a context
// their goroutines run under, Start once, Close once.
type workers struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu              sync.Mutex
	started, closed bool
}

func (w *workers) init() { w.ctx, w.cancel = context.WithCancel(context.Background()) }

// begin marks the workers started; false when they already are, or are
// closed. The workers' context is cancelled when ctx (if any) is done.
func (w *workers) begin(ctx context.Context) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started || w.closed {
		return false
	}
	w.started = true
	if ctx != nil {
		go func() {
			select {
			case <-ctx.Done():
				w.cancel()
			case <-w.ctx.Done():
			}
		}()
	}
	return true
}

// end cancels the workers' context and waits for them; false when they
// were already closed.
func (w *workers) end() bool {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return false
	}
	w.closed = true
	w.mu.Unlock()
	w.cancel()
	w.wg.Wait()
	return true
}

// Config is what New needs. Outbox and Handler are required.
type Config struct {
	Outbox     *Outbox              // the node's outbox: keys, DB, settings, metrics and clock come from it
	Country    string               // the node's country code
	AgencyName string               // the agency's name, for its Service actor; a default is made from Country
	Actors     ActorSource          // local members' public profiles; nil serves no Person actors
	Projects   ProjectSource        // the projects this node is home to; nil serves no Group actors
	Usage      UsageSource          // NodeInfo's counts; nil reports zeros
	Followers  FollowersSource      // the actors' followers collections; nil: empty
	Diaries    DiarySource          // the public project diaries this node is home to; nil: none (diary.go)
	Handler    twinfed.InboxHandler // applies verified incoming activities
}

// Federation is a node's ActivityPub side: actors, discovery and the inbox
// with its workers, over the node's Outbox (whose methods it carries).
// Create it with New once the node's service exists, call Start to run its
// inbox workers, Close to stop them; the Outbox is started and closed on
// its own, by whoever created it.
type Federation struct {
	*Outbox
	cfg  Config
	keys actorKeys // what every actor document presents

	inSeq *badger.Sequence

	mux *http.ServeMux

	workers

	shards []*inboxShard
}

// New checks cfg and builds a Federation. It does not start any goroutine.
func New(cfg Config) (*Federation, error) {
	switch {
	case cfg.Outbox == nil:
		return nil, errors.New("federation: Outbox is required")
	case cfg.Handler == nil:
		return nil, errors.New("federation: Handler is required")
	}
	f := &Federation{Outbox: cfg.Outbox, cfg: cfg}
	if cfg.AgencyName == "" {
		f.cfg.AgencyName = "National Support Organisation " + cfg.Country
	}
	f.keys = f.Outbox.actorKeys()
	var err error
	if f.inSeq, err = f.db.GetSequence([]byte(keySeqIn), 1000); err != nil {
		return nil, err
	}
	f.workers.init()
	f.shards = make([]*inboxShard, f.set.InboxWorkers)
	for i := range f.shards {
		f.shards[i] = newInboxShard()
	}
	f.routes()
	return f, nil
}

func withDefaults(s config.Federation) config.Federation {
	d := config.DefaultFederation()
	if s.RetryWindow == 0 {
		s.RetryWindow = d.RetryWindow
	}
	if s.Workers == 0 {
		s.Workers = d.Workers
	}
	if s.InboxWorkers == 0 {
		s.InboxWorkers = d.InboxWorkers
	}
	if s.RetryBase == 0 {
		s.RetryBase = d.RetryBase
	}
	if s.RetryMax == 0 {
		s.RetryMax = d.RetryMax
	}
	if s.BreakerThreshold == 0 {
		s.BreakerThreshold = d.BreakerThreshold
	}
	if s.BreakerCooldown == 0 {
		s.BreakerCooldown = d.BreakerCooldown
	}
	if s.DeliveryTimeout == 0 {
		s.DeliveryTimeout = d.DeliveryTimeout
	}
	if s.MaxInboxBody == 0 {
		s.MaxInboxBody = d.MaxInboxBody
	}
	if s.Rescan == 0 {
		s.Rescan = d.Rescan
	}
	if s.KeyAlgorithm == "" {
		s.KeyAlgorithm = d.KeyAlgorithm
	}
	return s
}

// Start runs the inbox workers. Incoming activities left in Badger by an
// earlier run resume at once.
func (f *Federation) Start(ctx context.Context) {
	if !f.begin(ctx) {
		return
	}
	for i, s := range f.shards {
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			f.runInboxShard(i, s)
		}()
	}
	f.resumeInbox()
}

// Close stops the inbox workers and waits for them; an activity being
// applied is cancelled. Unprocessed incoming activities stay in Badger for
// the next Start. Close neither closes the Outbox nor the DB.
func (f *Federation) Close() error {
	if !f.end() {
		return nil
	}
	return f.inSeq.Release()
}

// Handler returns the federation's HTTP routes: /.well-known/webfinger,
// /.well-known/nodeinfo, /nodeinfo/2.1, /inbox, /users/{name},
// /users/{name}/inbox, /agency, /projects/{id}, /projects/{id}/inbox,
// /activities/{id}, each actor's /outbox and /followers, and the project
// diaries' /projects/{id}/diary (and its outbox, followers, posts and
// inbox: the open edge, open.go).
func (f *Federation) Handler() http.Handler { return f.mux }

// actorKeys is what every actor document presents: the RSA key as
// publicKey when the node has one (what Mastodon reads), and every key as
// an assertionMethod Multikey.
func (o *Outbox) actorKeys() actorKeys {
	ks := actorKeys{MainPEM: o.rsa.Key.PublicPEM()}
	for _, k := range []*signing.Key{o.cfg.Key, o.cfg.Companion} {
		if k != nil {
			ks.Multikeys = append(ks.Multikeys, multikey{Fragment: k.Algorithm + "-key", Multibase: k.PublicMultibase()})
		}
	}
	return ks
}

// BaseURL returns the node's base URL, without a trailing slash.
func (o *Outbox) BaseURL() string { return o.base }
