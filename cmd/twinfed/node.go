package main

// The node command: `twinfed node serve --config node.toml` runs one
// country's national node (package node) with its registry client
// (consensus.Client) and its ActivityPub side (package federation).
//
// For the demo and tests, which run several nodes in one process:
//
//	m := &nodeMain{Config: cfg, Logger: logger} // cfg: config.DefaultNode() adjusted
//	if err := m.Run(ctx); err != nil { … }     // binds cfg.HTTPAddr, serves, returns
//	keys := m.NodeKeys()                         // register them: cluster PutCountry(NodeURL: cfg.BaseURL, Keys: keys)
//	acc := m.Node().Accounts()                   // seed: acc.CreateStaff(ctx, nil, …), acc.SeedMember(ctx, …)
//	defer m.Close()                              // HTTP, inbox and delivery workers, Badger, registry client
//
// The node signs its registry writes with the key in <data_dir>/node.key
// (created on first run, key_algorithm); beside it, <data_dir>/node.key.rsa
// (or node.key.ed25519 when node.key is RSA) is its key of the other
// algorithm, created on first run too. The registry lists both for the
// country; until it lists node.key, reads work and writes (a validated
// school) are refused.

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/config"
	"github.com/twinfed/twinfed/consensus"
	"github.com/twinfed/twinfed/federation"
	"github.com/twinfed/twinfed/federation/signing"
	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/blob"
	"github.com/twinfed/twinfed/node/directory"
	"github.com/twinfed/twinfed/node/event"
	"github.com/twinfed/twinfed/node/event/eventfiles"
	"github.com/twinfed/twinfed/node/mail"
	"github.com/twinfed/twinfed/node/outbox"
	"github.com/twinfed/twinfed/node/project"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/twinspace/diary"
	"github.com/twinfed/twinfed/node/twinspace/materials"
	"github.com/twinfed/twinfed/node/web"
	"github.com/urfave/cli/v2"
)

func nodeCommand() *cli.Command {
	return &cli.Command{
		Name:  "node",
		Usage: "run a country's national node",
		Subcommands: append([]*cli.Command{{
			Name:  "serve",
			Usage: "serve the web UI, the JSON API and ActivityPub of one country's node",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Usage: "TOML file (see deploy/node.example.toml)"},
				&cli.StringFlag{Name: "http-addr", Usage: "override http_addr"},
				&cli.StringFlag{Name: "data-dir", Usage: "override data_dir"},
			},
			Action: func(c *cli.Context) error {
				cfg := config.DefaultNode()
				if err := config.Load(c.String("config"), &cfg); err != nil {
					return err
				}
				if v := c.String("http-addr"); v != "" {
					cfg.HTTPAddr = v
				}
				if v := c.String("data-dir"); v != "" {
					cfg.DataDir = v
				}
				if err := cfg.Validate(); err != nil {
					return err
				}
				defer cpuProfileOnSignal(c.App.ErrWriter)()
				defer snapshotOnSignal(c.App.ErrWriter)()
				m := &nodeMain{Config: cfg, Logger: newLogger(c.App.ErrWriter, cfg.Log)}
				if err := m.Run(c.Context); err != nil {
					m.Close()
					return err
				}
				fmt.Fprintf(c.App.Writer, "twinfed node %s serving %s on %s (key %s)\n", cfg.Country, m.Node().URL(), m.Node().Addr(), m.NodeKey().ID)
				select {
				case <-c.Context.Done():
				case err := <-m.Node().Done():
					m.Logger.Error("http server stopped", "err", err)
				}
				return m.Close()
			},
		}}, nodeBackupCommands()...),
	}
}

// nodeMain is `twinfed node serve`: Run builds and starts everything, Close
// stops it in reverse order.
type nodeMain struct {
	Config config.Node
	Logger *slog.Logger
	// Metrics is where the node registers its metrics (served on /metrics);
	// a fresh registry with Go and process collectors when nil.
	Metrics *prometheus.Registry
	// Registry replaces the consensus client (tests); nil opens one on
	// Config.Registry.
	Registry twinfed.Registry
	// Listener, when set, is used instead of binding Config.HTTPAddr.
	Listener net.Listener
	// Now is the features' clock (events, sessions, mail); nil: time.Now.
	// Tests across nodes give every node the same moved clock. Signatures
	// between nodes and with the registry keep the real one.
	Now func() time.Time

	key    *signing.Key // node.key
	keys   *signing.KeyPair
	client *consensus.Client
	store  *store.Store
	out    *federation.Outbox
	node   *node.Node
	fed    *federation.Federation
}

// The wiring's dependencies across packages: each small interface is
// declared by the package that uses it.
var (
	_ outbox.Outbox              = (*federation.Outbox)(nil)
	_ outbox.Prover              = (*federation.Outbox)(nil)
	_ node.SignatureChecker      = (*federation.Outbox)(nil)
	_ federation.ActorSource     = (*directory.Service)(nil)
	_ federation.ProjectSource   = (*project.Service)(nil)
	_ federation.UsageSource     = (*account.Service)(nil)
	_ federation.FollowersSource = (*social.Service)(nil)
	_ federation.DiarySource     = (*diary.Service)(nil)
	_ diary.Publisher            = (*federation.Outbox)(nil) // the node finds them on its outbox
	_ diary.Fediverse            = (*federation.Outbox)(nil)
	_ twinfed.InboxHandler       = (*node.Service)(nil)
	_ signing.KeySource          = (*consensus.Client)(nil)
)

// nodeOptions turns the configuration into node.Options (without the
// registry and federation, which Run adds).
func nodeOptions(cfg config.Node, logger *slog.Logger, reg *prometheus.Registry) node.Options {
	a := cfg.Accounts
	secure := a.SecureCookies == "always" || (a.SecureCookies == "auto" && strings.HasPrefix(cfg.BaseURL, "https://"))
	proxies, _ := cfg.Limits.Prefixes() // checked by Validate
	langs := cfg.Languages
	if len(langs) == 0 {
		langs = web.WithCatalogue(cfg.UILanguages()) // the country's, then English
	}
	o := node.Options{
		Dir: cfg.DataDir, Addr: cfg.HTTPAddr, BaseURL: cfg.BaseURL, MetricsAddr: cfg.MetricsAddr,
		Service: node.Config{
			Country: cfg.Country, AgencyName: cfg.Agency.Name, Policy: cfg.Eligibility,
			Hash:            node.HashParams{Time: a.ArgonTime, Memory: a.ArgonMemoryKiB, Threads: uint8(min(a.ArgonThreads, 255))},
			SessionLifetime: a.SessionLifetime, ConfirmLinkTTL: a.ConfirmLinkTTL, ResetLinkTTL: a.ResetLinkTTL,
			LoginAttempts: a.LoginAttempts, LoginWindow: a.LoginWindow,
			HashConcurrency: cfg.Limits.HashConcurrency, HashQueue: cfg.Limits.HashQueue, HashWait: cfg.Limits.HashWait,
			MailsPerAddress: cfg.Limits.MailsPerAddress,
			Events:          event.Config{Rooms: cfg.Events.Rooms, Capacity: cfg.Events.MaxParticipants, MeetingURL: cfg.Events.MeetingURL, Secret: cfg.Events.Secret},
			EventFiles:      eventfiles.Config{MaxFileBytes: cfg.Events.FileMaxMB << 20, QuotaBytes: cfg.Events.FilesQuotaMB << 20},
			Embeds:          cfg.TwinSpace.Embeds,
		},
		Server: node.ServerConfig{Languages: langs, SecureCookies: secure, MaxUploadBytes: a.MaxUploadBytes, MaxFormBytes: a.MaxFormBytes, APIToken: cfg.Agency.APIToken,
			PageCacheBytes: pageCacheBytes(cfg.PageCacheMiB), Rates: webRates(cfg.Limits), TrustedProxies: proxies, HTTPS: strings.HasPrefix(cfg.BaseURL, "https://"),
			ParseAllLanguages: cfg.ParseAllLanguages},
		StoreMemory: storeMemory(cfg.Store),
		Materials: materials.Config{Dir: cfg.Materials.Path(cfg.DataDir), MaxFileBytes: cfg.Materials.MaxFileBytes(),
			TwinSpaceQuota: cfg.Materials.TwinSpaceQuotaBytes(), NodeQuota: cfg.Materials.NodeQuotaBytes()},
		MailFrom: cfg.Mail.From,
		Logger:   logger,
		Metrics:  reg,
	}
	if cfg.Mail.SMTPHost != "" {
		o.Mailer = &mail.SMTP{Host: cfg.Mail.SMTPHost, Port: cfg.Mail.SMTPPort, Username: cfg.Mail.Username, Password: cfg.Mail.Password, TLS: cfg.Mail.TLS, From: cfg.Mail.From}
	} else {
		o.SpoolDir = cfg.Mail.SpoolDir
		if o.SpoolDir != "" && !filepath.IsAbs(o.SpoolDir) {
			o.SpoolDir = filepath.Join(cfg.DataDir, o.SpoolDir)
		}
	}
	return o
}

// webRates turns the configured per-address rates into the web kit's.
func webRates(l config.Limits) map[string]web.Rate {
	out := map[string]web.Rate{}
	for name, r := range l.Rates() {
		out[name] = web.Rate{N: r.N, Per: r.Per}
	}
	return out
}

// Run opens the key pair, the registry client, the store, the federation
// and the HTTP server, and returns once the node serves.
func (m *nodeMain) Run(ctx context.Context) error {
	cfg := m.Config
	if m.Logger == nil {
		m.Logger = slog.New(slog.DiscardHandler)
	}
	log := m.Logger.With("node", cfg.Country)
	reg := m.Metrics
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("node: data dir: %w", err)
	}
	var err error
	if m.keys, err = signing.LoadOrCreateKeys(filepath.Join(cfg.DataDir, "node.key"), cfg.Federation.KeyAlgorithm); err != nil {
		return fmt.Errorf("node: key pair: %w", err)
	}
	m.key = m.keys.Primary
	base := strings.TrimRight(cfg.BaseURL, "/")
	signer := &signing.Signer{Key: m.key}
	registry := m.Registry
	var keys signing.KeySource
	if registry == nil {
		rt := cfg.RegistryTLS
		conf, err := registryClientTLS(rt.CAFile, rt.CertFile, rt.KeyFile, log)
		if err != nil {
			return fmt.Errorf("node: registry_tls: %w", err)
		}
		m.client, err = consensus.OpenClient(ctx, consensus.ClientConfig{TLS: conf,
			Members: cfg.Registry, Country: cfg.Country, Signer: signer, KeyID: twinfed.KeyID(twinfed.AgencyURL(base)),
			CacheDir: filepath.Join(cfg.DataDir, "registry-cache"), Logger: log.With("component", "registry-client"), Metrics: reg,
		})
		if err != nil {
			return fmt.Errorf("node: registry client: %w", err)
		}
		registry, keys = m.client, m.client
	} else if ks, ok := registry.(signing.KeySource); ok {
		keys = ks
	}
	o := nodeOptions(cfg, log, reg)
	o.Registry, o.Listener, o.Now = registry, m.Listener, m.Now
	if o.Blobs, err = openBlobs(ctx, cfg); err != nil {
		return err
	}
	if m.client != nil {
		o.Ready = m.client.Ready
	}
	if keys == nil {
		log.Warn("the registry gives no node keys: ActivityPub is not served")
		if o.Listener, err = m.listener(log); err != nil {
			return err
		}
		if m.node, err = node.Open(ctx, o); err != nil {
			return err
		}
		log.Info("node started", "url", m.node.URL(), "key_id", m.key.ID, "hash", o.Service.Hash.String())
		return nil
	}
	// Store, then the federation's outbox on its DB, then the node whose
	// service enqueues in that outbox, then the federation whose inbox
	// applies activities through the service. Close undoes it backwards.
	if m.store, err = store.Open(filepath.Join(cfg.DataDir, "db"), store.Options{Logger: log, Migrations: node.Migrations(), Memory: storeMemory(cfg.Store)}); err != nil {
		return err
	}
	m.out, err = federation.NewOutbox(federation.OutboxConfig{
		BaseURL: base, Key: m.key, Companion: companion(m.keys), DB: m.store.DB(), Keys: keys, Settings: cfg.Federation,
		Logger: log.With("component", "federation"), Metrics: reg, Version: version,
	})
	if err != nil {
		return fmt.Errorf("node: federation outbox: %w", err)
	}
	o.Store, o.Outbox, o.Prover, o.Signed, o.Fetch, o.FederationAdmin = m.store, m.out, m.out, m.out, m.out.Get, m.out.AdminHandler()
	o.FetchFile = m.out.GetStream
	if o.Listener, err = m.listener(log); err != nil {
		return err
	}
	if m.node, err = node.Open(ctx, o); err != nil {
		return err
	}
	svc := m.node.Service()
	m.fed, err = federation.New(federation.Config{
		Outbox: m.out, Country: cfg.Country, AgencyName: cfg.Agency.Name,
		Actors: m.node.Directory(), Projects: m.node.Projects(), Usage: m.node.Accounts(), Followers: m.node.Social(), Diaries: m.node.TwinSpaces().Diary, Handler: svc,
	})
	if err != nil {
		return fmt.Errorf("node: federation: %w", err)
	}
	if err := m.node.Mount(m.fed.Handler()); err != nil {
		return err
	}
	m.out.Start(context.WithoutCancel(ctx))
	m.fed.Start(context.WithoutCancel(ctx))
	log.Info("node started", "url", m.node.URL(), "key_id", m.key.ID, "hash", o.Service.Hash.String())
	return nil
}

// listener is the node's HTTP listener: m.Listener, or nil for node.Open
// to bind http_addr; with [tls], that listener (bound here) serving TLS.
// node.Open closes it if it fails.
func (m *nodeMain) listener(log *slog.Logger) (net.Listener, error) {
	tc, err := nodeTLSConfig(m.Config, log)
	if err != nil || tc == nil {
		return m.Listener, err
	}
	ln := m.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", m.Config.HTTPAddr); err != nil {
			return nil, fmt.Errorf("node: listen on %s: %w", m.Config.HTTPAddr, err)
		}
	}
	return tls.NewListener(ln, tc), nil
}

// Node returns the running node (nil before Run).
func (m *nodeMain) Node() *node.Node { return m.node }

// NodeKey returns the public key of node.key, which signs registry writes.
func (m *nodeMain) NodeKey() twinfed.NodeKey { return m.key.NodeKey() }

// NodeKeys returns both public keys the registry must list for the country:
// node.key's first, then the key of the other algorithm.
func (m *nodeMain) NodeKeys() []twinfed.NodeKey { return m.keys.NodeKeys() }

// companion is the key of the pair that is not node.key.
func companion(kp *signing.KeyPair) *signing.Key {
	if kp.Primary == kp.RSA {
		return kp.Ed25519
	}
	return kp.RSA
}

// Close stops, in reverse order of Run: inbound HTTP, the inbox workers,
// the delivery queue, the node's indexers, Badger, then the registry
// client. Safe after a failed Run.
func (m *nodeMain) Close() error {
	var errs []error
	if m.node != nil {
		errs = append(errs, m.node.Shutdown())
	}
	if m.fed != nil {
		errs = append(errs, m.fed.Close())
	}
	if m.out != nil {
		errs = append(errs, m.out.Close())
	}
	if m.node != nil {
		errs = append(errs, m.node.Close())
	}
	if m.store != nil {
		errs = append(errs, m.store.Close())
		m.store = nil
	}
	if m.client != nil {
		done := make(chan error, 1)
		go func() { done <- m.client.Close() }()
		select {
		case err := <-done:
			errs = append(errs, err)
		case <-time.After(10 * time.Second):
			errs = append(errs, errors.New("registry client did not close in 10s"))
		}
	}
	return errors.Join(errs...)
}

// storeMemory is the [store] section in bytes.
func storeMemory(s config.Store) store.Memory {
	return store.Memory{IndexCacheBytes: s.IndexCacheMiB << 20, BlockCacheBytes: s.BlockCacheMiB << 20, MemTableBytes: s.MemTableMiB << 20, NumMemtables: s.Memtables}
}

// pageCacheBytes is the node's profile page cache bound for the
// configuration's page_cache_mib: 0 the default, negative none.
func pageCacheBytes(mib int64) int64 {
	if mib < 0 {
		return -1
	}
	return mib << 20
}

// openBlobs opens the object storage of [materials] backend = "s3" (nil
// for the disk, which the node opens itself): it checks the bucket and
// counts what it holds, so that a node with a wrong bucket or keys fails
// to start.
func openBlobs(ctx context.Context, cfg config.Node) (blob.Store, error) {
	mc := cfg.Materials
	if mc.Backend != "s3" {
		return nil, nil
	}
	secret, err := mc.S3.Secret(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("node: materials.s3.secret_key_file: %w", err)
	}
	s, err := blob.OpenS3(ctx, s3Config(mc.S3, secret), filepath.Join(mc.Path(cfg.DataDir), "tmp"))
	if err != nil {
		return nil, fmt.Errorf("node: materials: %w", err)
	}
	return s, nil
}

// s3Config turns a configured bucket into the blob package's.
func s3Config(c config.S3, secret string) blob.S3Config {
	return blob.S3Config{Endpoint: c.Endpoint, Bucket: c.Bucket, Region: c.Region, Prefix: c.Prefix,
		AccessKey: c.AccessKey, SecretKey: secret, PathStyle: c.PathStyle}
}
