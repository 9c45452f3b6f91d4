package node

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/agency"
	"github.com/twinfed/twinfed/node/blob"
	"github.com/twinfed/twinfed/node/directory"
	"github.com/twinfed/twinfed/node/event"
	"github.com/twinfed/twinfed/node/event/eventcert"
	"github.com/twinfed/twinfed/node/event/eventfiles"
	"github.com/twinfed/twinfed/node/event/eventtools"
	"github.com/twinfed/twinfed/node/feature"
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
	"github.com/twinfed/twinfed/node/twinspace/materials"
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
	// Materials are the TwinSpaces' files' limits and directory (Dir is
	// required unless Blobs is given), Blobs their object storage (nil: a
	// blob.Disk in Materials.Dir), FetchFile the signed GETs of files
	// uploaded on other nodes (nil: not read here). See Options.
	Materials materials.Config
	Blobs     blob.Store
	FetchFile materials.FileFetcher
	// Fetch makes signed GETs to other nodes, for the directory's backfill
	// and the events' catch-up, every BackfillEvery (zero: 6h); nil: none.
	Fetch         Fetcher
	BackfillEvery time.Duration
	Logger        *slog.Logger
	Metrics       *prometheus.Registry // nil: metrics are not registered
	Now           func() time.Time     // nil: time.Now
}

// HashParams are the argon2id parameters of new password hashes (the
// account's).
type HashParams = account.HashParams

// DefaultHashParams is the production setting (the account's).
var DefaultHashParams = account.DefaultHashParams

// Fetcher makes a signed GET to another node: what the federation offers
// for the directory's backfill.
type Fetcher = directory.Fetcher

// Service is the node's assembly of its features: the kit they share
// (node/feature), the feature services, and the inbound router
// (HandleActivity, inbox.go). It is safe for concurrent use.
type Service struct {
	cfg   Config
	kit   *feature.Kit // what every feature is built from (store, activities, notices, catalogue, clock…), and their routes
	mailq *mail.Queue  // the kit's Mailer: the durable mail queue (Node.Open runs its worker)

	dir        *directory.Service
	accounts   *account.Service
	reg        *registration.Service
	agency     *agency.Service
	pupils     *pupil.Service
	social     *social.Service
	projects   *project.Service
	labels     *label.Service
	twinspaces *workspace.Tools // the TwinSpaces and their tools
	forum      *forum.Service   // the partner-finding forum
	feed       *feed.Service
	ev         *eventtools.Tools  // events, their forums and file archives
	certs      *eventcert.Service // the events' certificates of participation
	training   *training.Service  // professional development
	inbox      *inbound.Router    // the features' inbound routes (inbox.go)
}

// NewService builds the kit and every feature on it, each with its own
// Assemble, in the import order (node/doc.go), and the inbound router.
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
	if d.BackfillEvery <= 0 {
		d.BackfillEvery = 6 * time.Hour
	}
	k := &feature.Kit{Country: cfg.Country, BaseURL: cfg.BaseURL, AgencyName: cfg.AgencyName, Store: d.Store, Registry: d.Registry,
		Acts: outbox.NewActivities(cfg.BaseURL, d.Outbox, d.Now), Proofs: d.Prover, Notices: notice.New(d.Store, d.Now), Mailer: mailq, Catalog: cat,
		Log: d.Logger, Metrics: d.Metrics, Now: d.Now, FetchFile: d.FetchFile,
		Fetch: d.Fetch, CatchUpEvery: d.BackfillEvery}
	s := &Service{cfg: cfg, kit: k, mailq: mailq}
	if err := s.assemble(d); err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	if err := k.Register(mailq.Collectors()...); err != nil {
		return nil, err
	}
	return s, nil
}

// assemble builds each feature on the kit and on the features below it
// (their Assemble functions register their hooks and routes), then the
// inbound router on their routes.
func (s *Service) assemble(d Deps) (err error) {
	k, c := s.kit, s.cfg
	if s.dir, err = directory.Assemble(k); err != nil {
		return err
	}
	if s.accounts, err = account.Assemble(k, account.Config{Hash: c.Hash, SessionLifetime: c.SessionLifetime, ConfirmLinkTTL: c.ConfirmLinkTTL,
		ResetLinkTTL: c.ResetLinkTTL, LoginAttempts: c.LoginAttempts, LoginWindow: c.LoginWindow, HashConcurrency: c.HashConcurrency,
		HashQueue: c.HashQueue, HashWait: c.HashWait, MailsPerAddress: c.MailsPerAddress}, s.dir); err != nil {
		return err
	}
	if err = s.kit.Notices.BuildIndex(); err != nil {
		return err
	}
	if err = s.kit.Notices.SetMailing(notice.Mailing{Queue: s.mailq, Postman: s.accounts, BaseURL: c.BaseURL}); err != nil {
		return fmt.Errorf("notification mail: %w", err)
	}
	if s.reg, err = registration.Assemble(k, registration.Config{Policy: c.Policy}, s.accounts); err != nil {
		return err
	}
	if s.agency, err = agency.Assemble(k, s.accounts, s.reg); err != nil {
		return err
	}
	if s.pupils, err = pupil.Assemble(k, s.accounts); err != nil {
		return err
	}
	if s.social, err = social.Assemble(k, s.accounts, s.dir); err != nil {
		return err
	}
	if s.projects, err = workspace.AssembleProjects(k, s.accounts, s.social, s.dir); err != nil {
		return err
	}
	if s.labels, err = label.Assemble(k, s.projects, s.agency.LabelRecorded); err != nil {
		return err
	}
	if s.twinspaces, err = workspace.Assemble(k, workspace.Config{Embeds: c.Embeds, Materials: d.Materials}, s.projects, s.pupils, s.labels, d.Blobs); err != nil {
		return err
	}
	if s.forum, err = forum.Assemble(k, s.accounts, s.dir, s.social); err != nil {
		return err
	}
	if s.feed, err = feed.Assemble(k, s.accounts, s.dir, s.social, s.forum.ForFeed(), s.projects); err != nil {
		return err
	}
	if s.ev, err = eventtools.Assemble(k, c.Events, c.EventFiles, s.accounts, s.social, s.dir, s.projects, s.twinspaces); err != nil {
		return err
	}
	var presence eventcert.Presence // who attended another node's event, as its home node says
	if s.ev.Places != nil {
		presence = s.ev.Places
	}
	if s.certs, err = eventcert.Assemble(k, s.ev.Events, s.accounts, presence); err != nil {
		return err
	}
	if s.training, err = training.Assemble(k, s.accounts); err != nil {
		return err
	}
	s.inbox = s.newInbox()
	return nil
}

// catalogFor returns the service's catalogue if it offers langs (nil: en),
// so that the pages and the mails share it; nil otherwise.
func (s *Service) catalogFor(langs []string) *web.Catalog {
	if len(langs) == 0 {
		langs = []string{"en"}
	}
	if slices.Equal(s.kit.Catalog.Languages(), langs) {
		return s.kit.Catalog
	}
	return nil
}
