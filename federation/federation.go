package federation

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
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

// ProjectSource is an optional interface of an ActorSource: the projects
// whose Group actor this node serves.
type ProjectSource interface {
	// LocalProject returns a public project (approved or closed) this node
	// is home to; ENOTFOUND for any other id.
	LocalProject(ctx context.Context, id string) (*twinfed.Project, error)
}

// UsageSource is an optional interface of an ActorSource: the counts NodeInfo
// publishes. Without it NodeInfo reports zeros.
type UsageSource interface {
	// Usage returns the node's user counts; errors are logged and zeros served.
	Usage(ctx context.Context) (Usage, error)
}

// Usage is NodeInfo's usage section.
type Usage struct {
	Users          int `json:"total"`
	ActiveMonth    int `json:"activeMonth"`
	ActiveHalfyear int `json:"activeHalfyear"`
	LocalPosts     int `json:"-"`
}

// Config is what New needs. BaseURL, Key, DB, Keys and Handler are required.
type Config struct {
	BaseURL    string               // the node's base URL, e.g. https://it.twinfed.example
	Country    string               // the node's country code
	AgencyName string               // the agency's name, for its Service actor; a default is made from Country
	Key        *signing.Key         // the node's signing key, the one the registry lists
	DB         *badger.DB           // the node's Badger DB; federation keys live under "fed/"
	Keys       signing.KeySource    // the registry (its client's local cache): keys of every node
	Actors     ActorSource          // local members' public profiles; nil serves no Person actors
	Handler    twinfed.InboxHandler // applies verified incoming activities
	Settings   config.Federation    // queue and inbox settings; zero fields take config.DefaultFederation's
	Logger     *slog.Logger         // nil discards
	Metrics    *prometheus.Registry // where metrics are registered; nil keeps them unregistered
	Now        func() time.Time     // the clock; time.Now when nil
	HTTPClient *http.Client         // for deliveries; a client with Settings.DeliveryTimeout when nil
	Version    string               // software version NodeInfo reports
}

// Federation is a node's ActivityPub side: actors, discovery, the inbox and
// the durable delivery queue. Create it with New, call Start to run its
// workers, Close to stop them.
type Federation struct {
	cfg      Config
	base     string
	host     string
	db       *badger.DB
	log      *slog.Logger
	now      func() time.Time
	set      config.Federation
	signer   *signing.Signer
	verifier *signing.Verifier
	keys     *keyCache // cfg.Keys, cached briefly
	client   *http.Client
	m        *metrics
	pemKey   string

	outSeq *badger.Sequence
	inSeq  *badger.Sequence
	commit *committer

	mux *http.ServeMux

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	started bool
	closed  bool
	dests   map[string]*destination
	sem     chan struct{}
	rescan  chan struct{}
	shards  []*inboxShard
}

// New checks cfg and builds a Federation. It does not start any goroutine.
func New(cfg Config) (*Federation, error) {
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
	case cfg.Handler == nil:
		return nil, errors.New("federation: Handler is required")
	}
	f := &Federation{
		cfg:   cfg,
		base:  base,
		host:  u.Host,
		db:    cfg.DB,
		log:   cfg.Logger,
		now:   cfg.Now,
		set:   withDefaults(cfg.Settings),
		dests: map[string]*destination{},
	}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	if f.now == nil {
		f.now = time.Now
	}
	if cfg.AgencyName == "" {
		f.cfg.AgencyName = "National Support Organisation " + cfg.Country
	}
	f.client = cfg.HTTPClient
	if f.client == nil {
		f.client = &http.Client{Timeout: f.set.DeliveryTimeout, Transport: &http.Transport{
			MaxIdleConnsPerHost: f.set.Workers,
			IdleConnTimeout:     90 * time.Second,
		}}
	}
	f.signer = &signing.Signer{Key: cfg.Key, Now: f.now}
	f.keys = newKeyCache(cfg.Keys, time.Now)
	f.verifier = &signing.Verifier{Keys: f.keys, Now: f.now}
	f.pemKey = cfg.Key.PublicPEM()
	f.m = newMetrics(cfg.Metrics)
	if f.outSeq, err = f.db.GetSequence([]byte(keySeqOut), 1000); err != nil {
		return nil, err
	}
	if f.inSeq, err = f.db.GetSequence([]byte(keySeqIn), 1000); err != nil {
		f.outSeq.Release()
		return nil, err
	}
	f.commit = newCommitter(f.db, f.m.groupSize)
	f.sem = make(chan struct{}, f.set.Workers)
	f.rescan = make(chan struct{}, 1)
	f.ctx, f.cancel = context.WithCancel(context.Background())
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

// Start runs the delivery and inbox workers. Deliveries and incoming
// activities left in Badger by an earlier run resume at once.
func (f *Federation) Start(ctx context.Context) {
	f.mu.Lock()
	if f.started || f.closed {
		f.mu.Unlock()
		return
	}
	f.started = true
	f.mu.Unlock()
	f.commit.start()
	if ctx != nil {
		go func() {
			select {
			case <-ctx.Done():
				f.cancel()
			case <-f.ctx.Done():
			}
		}()
	}
	for i, s := range f.shards {
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			f.runInboxShard(i, s)
		}()
	}
	f.resumeInbox()
	for _, s := range f.Status() {
		f.m.parked.WithLabelValues(s.Destination).Set(float64(s.Parked))
	}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		f.runScanner()
	}()
	f.Notify()
}

// Close stops the workers and waits for them; in-flight requests are
// cancelled. The queue and unprocessed incoming activities stay in Badger
// for the next Start. Close does not close the DB.
func (f *Federation) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	f.mu.Unlock()
	f.cancel()
	f.wg.Wait()
	f.commit.close()
	return errors.Join(f.outSeq.Release(), f.inSeq.Release())
}

// Handler returns the federation's HTTP routes: /.well-known/webfinger,
// /.well-known/nodeinfo, /nodeinfo/2.1, /inbox, /users/{name},
// /users/{name}/inbox, /agency and /activities/{id}.
func (f *Federation) Handler() http.Handler { return f.mux }

// BaseURL returns the node's base URL, without a trailing slash.
func (f *Federation) BaseURL() string { return f.base }
