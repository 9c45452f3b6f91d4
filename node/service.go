package node

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/microcosm-cc/bluemonday"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/mail"
	"github.com/twinfed/twinfed/node/notice"
	"github.com/twinfed/twinfed/node/outbox"
	"github.com/twinfed/twinfed/node/project"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/twinspace"
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
}

// Deps are the service's collaborators.
type Deps struct {
	Store    *store.Store
	Registry twinfed.Registry // schools; nil makes school search and validation unavailable
	Mailer   mail.Sender
	Outbox   outbox.Outbox // the federation's outbox; nil: the node runs alone (see Options.Outbox)
	Prover   outbox.Prover // proofs of agency decisions; nil: none kept
	Logger   *slog.Logger
	Metrics  *prometheus.Registry // nil: metrics are not registered
	Now      func() time.Time     // nil: time.Now
}

// Service implements the node's domain rules over its store: accounts,
// registration, the agency's queues and profiles. It is safe for
// concurrent use.
type Service struct {
	cfg      Config
	store    *store.Store
	registry twinfed.Registry
	mailer   mail.Sender
	log      *slog.Logger
	now      func() time.Time
	limiter  *limiter
	secret   []byte // node secret: CSRF tokens of anonymous visitors
	html     *bluemonday.Policy

	acts    *outbox.Activities // this node's activities, sent through the federation's outbox (none: the node runs alone)
	proofs  outbox.Prover      // nil: decisions are kept without a proof
	notices *notice.Notices    // members' notifications and the unread index
	usage   usageCache         // NodeInfo's counts (usage.go)
	dir     *dirState          // the directory index; nil until Node.Open opens it
	stamps  *dirStamps         // changes of the directory's records, for the page cache

	// The project and TwinSpace features (labels.go, the inbox and the
	// directory's backfill ask them); set by assembleProjects.
	projects   *project.Service
	twinspaces *twinspace.Service

	registrations prometheus.Counter
	validations   *prometheus.CounterVec
	logins        *prometheus.CounterVec
}

// NewService builds the service and registers its metrics.
func NewService(cfg Config, d Deps) (*Service, error) {
	if d.Store == nil || d.Mailer == nil {
		return nil, fmt.Errorf("node: NewService needs a Store and a Mailer")
	}
	if len(cfg.Country) != 2 {
		return nil, fmt.Errorf("node: country %q is not a two-letter code", cfg.Country)
	}
	if cfg.Hash == (HashParams{}) {
		cfg.Hash = DefaultHashParams
	}
	if cfg.SessionLifetime == 0 {
		cfg.SessionLifetime = 14 * 24 * time.Hour
	}
	if cfg.ConfirmLinkTTL == 0 {
		cfg.ConfirmLinkTTL = 48 * time.Hour
	}
	if cfg.ResetLinkTTL == 0 {
		cfg.ResetLinkTTL = time.Hour
	}
	if cfg.LoginAttempts == 0 {
		cfg.LoginAttempts = 5
	}
	if cfg.LoginWindow == 0 {
		cfg.LoginWindow = 15 * time.Minute
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	s := &Service{cfg: cfg, store: d.Store, registry: d.Registry, mailer: d.Mailer, acts: outbox.NewActivities(cfg.BaseURL, d.Outbox, d.Now), proofs: d.Prover, notices: notice.New(d.Store, d.Now), log: d.Logger, now: d.Now, html: web.NewHTMLPolicy(), stamps: newDirStamps()}
	s.limiter = newLimiter(cfg.LoginAttempts, cfg.LoginWindow, d.Now)
	secret, err := s.loadSecret()
	if err != nil {
		return nil, err
	}
	s.secret = secret
	if err := s.notices.BuildIndex(); err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	s.registrations = prometheus.NewCounter(prometheus.CounterOpts{Name: "twinfed_node_registrations_total", Help: "Registrations submitted to the agency's queue."})
	s.validations = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "twinfed_node_validations_total", Help: "Agency decisions on members and schools, and quality labels recorded (kind label)."}, []string{"kind", "decision"})
	s.logins = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "twinfed_node_logins_total", Help: "Login attempts by outcome."}, []string{"outcome"})
	pending := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "twinfed_node_validations_pending", Help: "Members waiting in the agency's validation queue."}, func() float64 {
		return float64(s.countStatus(twinfed.StatusPending))
	})
	backlog := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "twinfed_node_directory_backlog", Help: "Profile changes waiting for the directory's search index."}, func() float64 {
		return float64(s.DirectoryBacklog())
	})
	indexed := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "twinfed_node_directory_profiles", Help: "Public profiles in the directory's search index."}, func() float64 {
		if s.dir == nil {
			return 0
		}
		n, _ := s.dir.ix.Count()
		return float64(n)
	})
	if d.Metrics != nil {
		for _, c := range []prometheus.Collector{s.registrations, s.validations, s.logins, pending, backlog, indexed} {
			if err := d.Metrics.Register(c); err != nil {
				return nil, fmt.Errorf("node: register metrics: %w", err)
			}
		}
	}
	return s, nil
}

// Country returns the node's country code.
func (s *Service) Country() string { return s.cfg.Country }

// BaseURL returns the node's public base URL.
func (s *Service) BaseURL() string { return s.cfg.BaseURL }

// Policy returns the node's eligibility policy.
func (s *Service) Policy() twinfed.Eligibility { return s.cfg.Policy }

// HashParams returns the password-hash parameters of new hashes.
func (s *Service) HashParams() HashParams { return s.cfg.Hash }

func (s *Service) loadSecret() ([]byte, error) {
	var secret []byte
	err := s.store.Update(func(txn *badger.Txn) error {
		v, ok, err := store.GetString(txn, store.KeyNodeSecret)
		if err != nil {
			return err
		}
		if ok {
			secret = []byte(v)
			return nil
		}
		secret = make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return err
		}
		return txn.Set([]byte(store.KeyNodeSecret), secret)
	})
	if err != nil {
		return nil, fmt.Errorf("node: secret: %w", err)
	}
	return secret, nil
}

func (s *Service) countStatus(st twinfed.MemberStatus) int {
	n := 0
	_ = s.store.View(func(txn *badger.Txn) error {
		n = store.CountPrefix(txn, store.PrefixStatus+string(st)+"/")
		return nil
	})
	return n
}

// internal wraps an unexpected error: logged with details, shown as a
// generic message.
func (s *Service) internal(op string, err error) error { return web.Internal(s.log, op, err) }

// randomToken returns a URL-safe random token and the hex SHA-256 under
// which it is stored (the token itself is never stored).
func randomToken() (token, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, tokenHash(token)
}

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// --- members in the store ---

func getMember(txn *badger.Txn, username string) (*twinfed.Member, error) {
	var m twinfed.Member
	if err := store.GetJSON(txn, store.PrefixMember+username, &m); err != nil {
		if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			return nil, twinfed.Errorf(twinfed.ENOTFOUND, "There is no member %q on this node.", username)
		}
		return nil, err
	}
	return &m, nil
}

// putMember writes m and keeps the status index in step with it. old is the
// previous version (nil for a new member).
func putMember(txn *badger.Txn, old, m *twinfed.Member) error {
	if old != nil && old.Status != m.Status {
		if err := txn.Delete([]byte(store.PrefixStatus + string(old.Status) + "/" + old.Username)); err != nil {
			return err
		}
	}
	if old == nil || old.Status != m.Status {
		if err := txn.Set([]byte(store.PrefixStatus+string(m.Status)+"/"+m.Username), nil); err != nil {
			return err
		}
	}
	return store.SetJSON(txn, store.PrefixMember+m.Username, m)
}

// Member returns a member's whole record (personal data included): for the
// member themselves and the agency only.
func (s *Service) Member(ctx context.Context, username string) (*twinfed.Member, error) {
	var m *twinfed.Member
	err := s.store.View(func(txn *badger.Txn) error {
		var err error
		m, err = getMember(txn, username)
		return err
	})
	return m, s.internal("get member", err)
}

// --- input checks ---

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{2,29}$`)

func normEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

func checkEmail(fields map[string]string, field, e string) {
	if e == "" {
		fields[field] = "Enter your e-mail address."
		return
	}
	a, err := netmail.ParseAddress(e)
	if err != nil || a.Address != e || !strings.Contains(e[strings.LastIndex(e, "@")+1:], ".") {
		fields[field] = "Enter an e-mail address such as name@school.it."
	}
}

func checkPasswordPolicy(fields map[string]string, field, pw, confirm, confirmField string) {
	switch {
	case len(pw) < 10:
		fields[field] = "Choose a password of at least 10 characters."
	case len(pw) > 128:
		fields[field] = "Choose a password of at most 128 characters."
	case pw != confirm:
		fields[confirmField] = "The two passwords differ; type the same password twice."
	}
}

func checkName(fields map[string]string, field, v, what string) {
	v = strings.TrimSpace(v)
	if v == "" {
		fields[field] = "Enter your " + what + "."
	} else if len(v) > 80 {
		fields[field] = "Your " + what + " is too long (at most 80 characters)."
	}
}

// invalid turns collected field messages into one EINVALID error, nil when
// there are none.
func invalid(fields map[string]string) error {
	if len(fields) == 0 {
		return nil
	}
	return &twinfed.Error{Code: twinfed.EINVALID, Message: "Some fields need your attention.", Fields: fields}
}

// --- login rate limiting ---

// limiter counts failed logins per key (username+IP) in a sliding window.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	now    func() time.Time
	fails  map[string][]time.Time
}

func newLimiter(max int, window time.Duration, now func() time.Time) *limiter {
	return &limiter{max: max, window: window, now: now, fails: map[string][]time.Time{}}
}

// allowed reports whether key may try again, and when it may otherwise.
func (l *limiter) allowed(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	list := l.prune(key, now)
	if len(list) >= l.max {
		return false, list[0].Add(l.window).Sub(now)
	}
	return true, 0
}

func (l *limiter) fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.fails[key] = append(l.prune(key, now), now)
	if len(l.fails) > 100000 { // bound memory under a spray of usernames
		for k := range l.fails {
			if len(l.prune(k, now)) == 0 {
				delete(l.fails, k)
			}
		}
	}
}

func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}

func (l *limiter) prune(key string, now time.Time) []time.Time {
	list := l.fails[key]
	i := 0
	for i < len(list) && now.Sub(list[i]) >= l.window {
		i++
	}
	list = list[i:]
	if len(list) == 0 {
		delete(l.fails, key)
	} else {
		l.fails[key] = list
	}
	return list
}

func itoa(n int) string { return strconv.Itoa(n) }

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
