package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twinfed/twinfed/node/blob"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/mail"
	"github.com/twinfed/twinfed/node/outbox"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/twinspace/materials"
	"github.com/twinfed/twinfed/node/web"
)

// Options are what Open needs to run a node. cmd/twinfed builds them from
// config.Node; tests and the demo fill them directly.
type Options struct {
	Dir  string // data directory: Badger in <Dir>/db, mail spool in <Dir>/mail-spool
	Addr string // listen address, e.g. 127.0.0.1:0; ignored when Listener is set
	// MetricsAddr, when set, is where /metrics is served, on its own
	// listener, and then not on Addr (which faces the internet). Empty:
	// /metrics is served on Addr.
	MetricsAddr string
	// Ready, when set, is asked by /readyz beside the store (the registry
	// client's cache has caught up); an error makes the node not ready.
	Ready    func() error
	Listener net.Listener // an already bound listener (optional)
	// BaseURL is the public base URL. When empty it is http://<bound address>.
	BaseURL string

	Service Config // Country, Policy, Hash… (BaseURL is filled from above)
	Server  ServerConfig
	// Registry is the registry client (twinfed.Registry); cmd wires the
	// consensus client here.
	Registry twinfed.Registry
	// Mailer sends mail; nil means a mail.Spool in SpoolDir.
	Mailer   mail.Sender
	SpoolDir string // nil Mailer only; default <Dir>/mail-spool
	MailFrom string
	// MailBackoff is the mail queue's first wait after a failed delivery
	// (doubling up to 15 minutes); zero: 5s.
	MailBackoff time.Duration
	// DigestPoll is how often the node looks for members whose daily
	// digest is due (on the Now clock); zero: every minute.
	DigestPoll time.Duration
	// Store is the node's store. Nil: Open opens one in <Dir>/db and Close
	// closes it. A store given here is the caller's, to close after the
	// node and after whatever else shares its DB (the federation's outbox).
	Store *store.Store
	// StoreMemory sizes the store Open opens (nil Store only); zero
	// fields: store.DefaultMemory's.
	StoreMemory store.Memory
	// Outbox is the federation's transactional outbox, on Store's DB. Nil:
	// the node runs alone, and anything addressed to another node is
	// refused with EUNAVAILABLE. A node with an Outbox is federated: its
	// ActivityPub routes answer 503 (retried by other nodes) until Mount
	// gives them the federation's handler.
	Outbox outbox.Outbox
	// Prover makes and checks the proofs kept with agency decisions. Nil:
	// decisions are kept without a proof.
	Prover outbox.Prover
	// Signed checks the HTTP signature of requests for what only other
	// nodes may read (the directory's backfill pages) against the registry.
	// Nil: those routes are not served.
	Signed SignatureChecker
	// FederationAdmin is mounted for agency staff at
	// /api/v1/agency/federation/ (see ServerConfig).
	FederationAdmin http.Handler
	// Fetch makes signed GETs to other nodes, for the directory's
	// backfill. Nil: no backfill.
	Fetch Fetcher
	// Materials are the TwinSpaces' files' limits and directory (Dir
	// empty: <Dir>/blobs).
	Materials materials.Config
	// Blobs is the store of the TwinSpaces' files. Nil: a blob.Disk in
	// Materials.Dir; an agency's object storage is a blob.S3, which the
	// caller opens (and which the node's backup leaves out).
	Blobs blob.Store
	// FetchFile makes signed GETs of files to other nodes (the
	// federation's GetStream), for the TwinSpaces' files uploaded on
	// partner nodes. Nil: those files cannot be read here.
	FetchFile materials.FileFetcher
	// BackfillEvery is how often the directory pages through every other
	// node's profiles (the first time a few seconds after start). Zero: 6h.
	BackfillEvery time.Duration

	Logger  *slog.Logger
	Metrics *prometheus.Registry
	Now     func() time.Time
}

// SignatureChecker guards a handler with the HTTP-signature check of
// server-to-server requests (web.SignatureChecker). The federation's
// outbox implements it.
type SignatureChecker = web.SignatureChecker

// Node is a running national node: store, service and HTTP server.
type Node struct {
	store    *store.Store
	ownStore bool // Open opened the store: Close closes it
	svc      *Service
	srv      *Server
	fed      *mountPoint // the ActivityPub routes' handler; nil for a node without federation
	http     *http.Server
	ln       net.Listener
	url      string
	log      *slog.Logger
	served   chan error
	shutdown sync.Once
	close    sync.Once
	herr     error              // of Shutdown
	err      error              // of Close
	stop     context.CancelFunc // ends the background loops' context (Shutdown)
	bg       sync.WaitGroup

	dir       string       // the data directory (key files, for Backup)
	metrics   *http.Server // /metrics on Options.MetricsAddr; nil: on the main listener
	metricsLn net.Listener
}

// Open opens the store (unless Options.Store is given), builds the service
// and the server, binds the listener (a busy port fails here) and starts
// serving.
func Open(ctx context.Context, o Options) (*Node, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Dir == "" {
		return nil, errors.New("node: Options.Dir is empty")
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("node: data dir: %w", err)
	}
	ln := o.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", o.Addr); err != nil {
			return nil, fmt.Errorf("node: listen on %s: %w", o.Addr, err)
		}
	}
	n := &Node{ln: ln, log: o.Logger, served: make(chan error, 1), stop: func() {}, dir: o.Dir}
	n.url = strings.TrimRight(o.BaseURL, "/")
	if n.url == "" {
		n.url = "http://" + ln.Addr().String()
	}
	fail := func(err error) (*Node, error) {
		ln.Close()
		if n.metricsLn != nil {
			n.metricsLn.Close()
		}
		if n.ownStore {
			n.store.Close()
		}
		return nil, err
	}
	var err error
	if n.store = o.Store; n.store == nil {
		if n.store, err = store.Open(filepath.Join(o.Dir, "db"), store.Options{Logger: o.Logger, Migrations: Migrations(), Memory: o.StoreMemory}); err != nil {
			return fail(err)
		}
		n.ownStore = true
	}
	spool := o.SpoolDir
	if spool == "" {
		spool = filepath.Join(o.Dir, "mail-spool")
	}
	mailer, from := mail.Transport(o.Mailer, o.MailFrom, spool, o.Service.Country, o.Logger, o.Now)
	sc := o.Service
	sc.BaseURL = n.url
	if sc.Languages == nil {
		sc.Languages = o.Server.Languages
	}
	files := o.Materials
	if files.Dir == "" {
		files.Dir = filepath.Join(o.Dir, "blobs")
	}
	if n.svc, err = NewService(sc, Deps{Store: n.store, Registry: o.Registry, Mailer: mailer, MailFrom: from, MailBackoff: o.MailBackoff, Outbox: o.Outbox, Prover: o.Prover,
		Materials: files, Blobs: o.Blobs, FetchFile: o.FetchFile, Fetch: o.Fetch, BackfillEvery: o.BackfillEvery, Logger: o.Logger, Metrics: o.Metrics, Now: o.Now}); err != nil {
		return fail(err)
	}
	if err := n.svc.dir.Open(filepath.Join(o.Dir, "directory")); err != nil {
		return fail(fmt.Errorf("node: directory: %w", err))
	}
	n.svc.projects.OpenIndex()
	srvCfg := o.Server
	srvCfg.Service, srvCfg.Logger, srvCfg.Metrics, srvCfg.FederationAdmin = n.svc, o.Logger, o.Metrics, o.FederationAdmin
	if o.Signed != nil {
		srvCfg.Signed = web.RequireSigned(o.Signed)
	}
	if o.Outbox != nil {
		n.fed = &mountPoint{}
		srvCfg.Federation = n.fed
	}
	srvCfg.Ready, srvCfg.Backup = o.Ready, n.Backup
	if o.MetricsAddr != "" && o.Metrics != nil {
		srvCfg.MetricsElsewhere = true
		if n.metricsLn, err = net.Listen("tcp", o.MetricsAddr); err != nil {
			return fail(fmt.Errorf("node: metrics listener on %s: %w", o.MetricsAddr, err))
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(o.Metrics, promhttp.HandlerOpts{}))
		n.metrics = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = n.metrics.Serve(n.metricsLn) }()
	}
	if n.srv, err = NewServer(srvCfg); err != nil {
		n.svc.projects.Close()
		n.svc.dir.Close()
		return fail(err)
	}
	// Long responses move their own deadlines (http.ResponseController):
	// the TwinSpace chat's event streams (node/twinspace/chat).
	n.http = &http.Server{Handler: n.srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn)}
	go func() { n.served <- n.http.Serve(ln) }()
	n.background(n.loops(o)...)
	o.Logger.Info("node serving", "country", sc.Country, "url", n.url, "addr", ln.Addr().String())
	return n, nil
}

// URL returns the node's base URL.
func (n *Node) URL() string { return n.url }

// MetricsAddr returns the address /metrics is served on, "" when it is
// served on the main listener.
func (n *Node) MetricsAddr() string {
	if n.metricsLn == nil {
		return ""
	}
	return n.metricsLn.Addr().String()
}

// Addr returns the bound address.
func (n *Node) Addr() string { return n.ln.Addr().String() }

// Service returns the node's service: the federation applies inbound
// activities through it (HandleActivity).
func (n *Node) Service() *Service { return n.svc }

// Store returns the node's store.
func (n *Node) Store() *store.Store { return n.store }

// Handler returns the node's HTTP handler.
func (n *Node) Handler() http.Handler { return n.srv }

// Done is closed with the serve error if the HTTP server stops on its own.
func (n *Node) Done() <-chan error { return n.served }

// Mount gives the ActivityPub routes of a node opened with an Outbox their
// handler: the federation's, built on the node's service. Until then they
// answer 503. It returns an error for a node opened without an Outbox.
func (n *Node) Mount(h http.Handler) error {
	if n.fed == nil {
		return errors.New("node: Mount needs a node opened with an Outbox")
	}
	n.fed.h.Store(&h)
	return nil
}

// mountPoint serves the handler Mount gave it, and 503 before.
type mountPoint struct{ h atomic.Pointer[http.Handler] }

func (m *mountPoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := m.h.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	w.Header().Set("Retry-After", "5")
	http.Error(w, "This node is starting; try again in a few seconds.", http.StatusServiceUnavailable)
}

// Shutdown stops inbound HTTP (letting requests finish for up to 10 s) and
// the directory's backfill. An owner that runs workers on the node's
// service (the federation's inbox and delivery queue) calls it, stops them,
// then calls Close. It is safe to call more than once.
func (n *Node) Shutdown() error {
	n.shutdown.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		n.herr = n.http.Shutdown(ctx)
		if n.metrics != nil {
			_ = n.metrics.Shutdown(ctx)
		}
		n.stop()
		n.bg.Wait()
	})
	return n.herr
}

// Close calls Shutdown, stops the directory's and the project search's
// indexers, then closes the store if Open opened it. It is safe to call
// more than once.
func (n *Node) Close() error {
	n.close.Do(func() {
		n.err = n.Shutdown()
		if perr := n.svc.projects.Close(); n.err == nil {
			n.err = perr
		}
		if derr := n.svc.dir.Close(); n.err == nil {
			n.err = derr
		}
		if n.ownStore {
			if cerr := n.store.Close(); n.err == nil {
				n.err = cerr
			}
		}
	})
	return n.err
}

// loops are the node's background work, each run until Shutdown: the mail
// queue's worker, the daily digests (every Options.DigestPoll on the
// node's clock), and what the features added (node/feature's Kit.Loops:
// the events' reminders; for a federated node, the directory's backfill
// of other nodes' profiles and the events' catch-up of their forums and
// file archives, every Options.BackfillEvery).
func (n *Node) loops(o Options) []func(ctx context.Context) {
	poll := o.DigestPoll
	if poll <= 0 {
		poll = time.Minute
	}
	return append([]func(ctx context.Context){
		n.svc.mailq.Run,
		func(ctx context.Context) {
			n.svc.kit.Notices.RunDigests(ctx, poll, func(err error) { n.log.Error("daily digests", "err", err) })
		},
	}, n.svc.kit.Loops()...)
}

// background runs each loop in its goroutine until Shutdown cancels their
// context and waits for them.
func (n *Node) background(loops ...func(ctx context.Context)) {
	ctx, cancel := context.WithCancel(context.Background())
	n.stop = cancel
	for _, run := range loops {
		n.bg.Add(1)
		go func() { defer n.bg.Done(); run(ctx) }()
	}
}

// MailQueue returns the node's mail queue.
func (n *Node) MailQueue() *mail.Queue { return n.svc.mailq }

// Backfill runs the directory's backfill now (operators, tests).
func (n *Node) Backfill(ctx context.Context, fetch Fetcher) (int, error) {
	return n.svc.dir.Backfill(ctx, fetch)
}
