package node

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/agency"
	"github.com/twinfed/twinfed/node/directory"
	"github.com/twinfed/twinfed/node/event"
	"github.com/twinfed/twinfed/node/event/eventfiles"
	"github.com/twinfed/twinfed/node/event/eventtools"
	"github.com/twinfed/twinfed/node/feed"
	"github.com/twinfed/twinfed/node/forum"
	"github.com/twinfed/twinfed/node/inbound"
	"github.com/twinfed/twinfed/node/label"
	"github.com/twinfed/twinfed/node/mail"
	"github.com/twinfed/twinfed/node/notice"
	"github.com/twinfed/twinfed/node/outbox"
	"github.com/twinfed/twinfed/node/project"
	"github.com/twinfed/twinfed/node/pupil"
	"github.com/twinfed/twinfed/node/registration"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/training"
	"github.com/twinfed/twinfed/node/twinspace/workspace"
	"github.com/twinfed/twinfed/node/web"
)

// Config is what the service needs to know about its node.
type Config struct {
	Country         string // two-letter code; members register in this country only
	BaseURL         string // public base URL; actor ids and e-mailed links live under it
	AgencyName      string
	Policy          twinfed.Eligibility
	Hash            HashParams    // zero: DefaultHashParams
	SessionLifetime time.Duration // zero: 14 days
	ConfirmLinkTTL  time.Duration // zero: 48h
	ResetLinkTTL    time.Duration // zero: 1h
	LoginAttempts   int           // failed logins per username+IP per LoginWindow; zero: 5
	LoginWindow     time.Duration // zero: 15m
	// The bound on argon2id computations and the mails per address (see
	// account.Config); zero: the account feature's defaults.
	HashConcurrency int
	HashQueue       int
	HashWait        time.Duration
	MailsPerAddress int
	// Languages are the node's languages, default first: the mails are
	// written in the member's language among them, else the default. Nil:
	// the server's (Options.Server.Languages), else en.
	Languages []string
	// Events are the events' meeting rooms and places (see event.Config;
	// BaseURL and Country are filled by the node).
	Events event.Config
	// EventFiles bounds the events' file archives (eventfiles.Config; zero
	// values: its defaults).
	EventFiles eventfiles.Config
	// Embeds are the services a TwinSpace page may embed ([twinspace]
	// embeds; see pagehtml.Embeds). Nil: config.DefaultEmbeds; empty:
	// none.
	Embeds []string
}

// Deps are the service's collaborators.
type Deps struct {
	Store    *store.Store
	Registry twinfed.Registry // schools; nil makes school search and validation unavailable
	Mailer   mail.Sender      // the transport (SMTP or spool) behind the node's mail queue
	MailFrom string           // the From address: the domain of Message-IDs; "": as mail.Transport chooses
	// MailBackoff is the mail queue's first wait after a failed try
	// (doubling up to 15 minutes); zero: 5s.
	MailBackoff time.Duration
	Outbox      outbox.Outbox // the federation's outbox; nil: the node runs alone (see Options.Outbox)
	Prover      outbox.Prover // proofs of agency decisions; nil: none kept
	Logger      *slog.Logger
	Metrics     *prometheus.Registry // nil: metrics are not registered
	Now         func() time.Time     // nil: time.Now
}

// Service is the node's assembly of its features: the kits they share,
// the feature services, and the inbound router (HandleActivity, inbox.go).
// It is safe for concurrent use.
type Service struct {
	cfg      Config
	store    *store.Store
	registry twinfed.Registry
	mailer   mail.Sender  // the queue: every feature's mail goes through it
	mailq    *mail.Queue  // the durable mail queue (Node.Open runs its worker)
	cat      *web.Catalog // the node's languages, for the mails (and the server's pages)
	log      *slog.Logger
	now      func() time.Time

	acts    *outbox.Activities // this node's activities, sent through the federation's outbox (none: the node runs alone)
	proofs  outbox.Prover      // nil: decisions are kept without a proof
	notices *notice.Notices    // members' notifications and the unread index

	dir        *directory.Service    // the federated directory (assemble_account.go)
	accounts   *account.Service      // members' accounts (assemble_account.go)
	reg        *registration.Service // the registration (assemble_registration.go)
	agency     *agency.Service       // the agency's back office (assemble_registration.go)
	pupils     *pupil.Service        // pupils' and visitors' accounts (assemble_pupil.go)
	social     *social.Service       // contacts, follows, messages (assemble_social.go)
	feed       *feed.Service         // wall posts and the home feed (assemble_feed.go)
	projects   *project.Service      // projects (assemble_project.go; built by Node.Open)
	twinspaces *workspace.Tools      // TwinSpaces and their tools (assemble_project.go; built by Node.Open)
	labels     *label.Service        // the quality labels (assemble_label.go; built by Node.Open)
	forum      *forum.Service        // the partner-finding forum (assemble_forum.go)
	ev         *eventtools.Tools     // events, their forums and file archives (assemble_event.go; built by Node.Open)
	training   *training.Service     // professional development (assemble_training.go; built by Node.Open)
	inbox      *inbound.Router       // the features' inbound routes (inbox.go; built by Node.Open)

	registrations prometheus.Counter     // the registration's submissions
	validations   *prometheus.CounterVec // the agency's decisions and the labels recorded
}

// NewService builds the kits and the features below the projects, and
// registers the node's metrics.
func NewService(cfg Config, d Deps) (*Service, error) {
	if d.Store == nil || d.Mailer == nil {
		return nil, fmt.Errorf("node: NewService needs a Store and a Mailer")
	}
	if len(cfg.Country) != 2 {
		return nil, fmt.Errorf("node: country %q is not a two-letter code", cfg.Country)
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	cat, err := web.NewCatalog(cfg.Languages)
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	_, from := mail.Transport(d.Mailer, d.MailFrom, "", cfg.Country, nil, nil)
	mailq := mail.NewQueue(d.Store, d.Mailer, mail.QueueOptions{From: from, Logger: d.Logger, Now: d.Now, MinBackoff: d.MailBackoff})
	s := &Service{cfg: cfg, store: d.Store, registry: d.Registry, mailer: mailq, mailq: mailq, cat: cat, acts: outbox.NewActivities(cfg.BaseURL, d.Outbox, d.Now), proofs: d.Prover, notices: notice.New(d.Store, d.Now), log: d.Logger, now: d.Now}
	s.registrations = prometheus.NewCounter(prometheus.CounterOpts{Name: "twinfed_node_registrations_total", Help: "Registrations submitted to the agency's queue."})
	s.validations = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "twinfed_node_validations_total", Help: "Agency decisions on members and schools, and quality labels recorded (kind label)."}, []string{"kind", "decision"})
	if err := s.assembleAccount(d); err != nil {
		return nil, err
	}
	if err := s.notices.BuildIndex(); err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	if err := s.notices.SetMailing(notice.Mailing{Queue: mailq, Postman: s.accounts, BaseURL: cfg.BaseURL}); err != nil {
		return nil, fmt.Errorf("node: notification mail: %w", err)
	}
	if err := s.assembleRegistration(); err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	if err := s.assemblePupil(); err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	if err := s.assembleSocial(); err != nil {
		return nil, err
	}
	if err := s.assembleForum(); err != nil {
		return nil, err
	}
	if err := s.assembleFeed(); err != nil {
		return nil, err
	}
	pending := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "twinfed_node_validations_pending", Help: "Members waiting in the agency's validation queue."}, func() float64 {
		n := 0
		_ = s.store.View(func(txn *badger.Txn) error { n = s.accounts.CountStatus(txn, twinfed.StatusPending); return nil })
		return float64(n)
	})
	if d.Metrics != nil {
		for _, c := range append([]prometheus.Collector{s.registrations, s.validations, pending}, mailq.Collectors()...) {
			if err := d.Metrics.Register(c); err != nil {
				return nil, fmt.Errorf("node: register metrics: %w", err)
			}
		}
	}
	return s, nil
}

// catalogFor returns the service's catalogue if it offers langs (nil: en),
// so that the pages and the mails share it; nil otherwise.
func (s *Service) catalogFor(langs []string) *web.Catalog {
	if len(langs) == 0 {
		langs = []string{"en"}
	}
	if slices.Equal(s.cat.Languages(), langs) {
		return s.cat
	}
	return nil
}
