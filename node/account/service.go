package account

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
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/microcosm-cc/bluemonday"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/directory"
	"github.com/twinfed/twinfed/node/mail"
	"github.com/twinfed/twinfed/node/notice"
	"github.com/twinfed/twinfed/node/outbox"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/web"
)

// Config is what the accounts need to know about their node.
type Config struct {
	Country         string        // two-letter code; members register in this country only
	BaseURL         string        // public base URL; actor ids and e-mailed links live under it
	Hash            HashParams    // zero: DefaultHashParams
	SessionLifetime time.Duration // zero: 14 days
	ConfirmLinkTTL  time.Duration // zero: 48h
	ResetLinkTTL    time.Duration // zero: 1h
	LoginAttempts   int           // failed logins per username+IP per LoginWindow; zero: 5
	LoginWindow     time.Duration // zero: 15m
	// HashConcurrency argon2id computations run at once, HashQueue more
	// wait at most HashWait; beyond that, ErrBusy. Zero: 4, 64 and 10s.
	HashConcurrency int
	HashQueue       int
	HashWait        time.Duration
	// MailsPerAddress is how many confirmation or reset mails one address
	// gets per hour at most; zero: 3.
	MailsPerAddress int
	// Subjects and Languages are what the profile's forms offer; a
	// profile takes only these.
	Subjects  []string
	Languages []string
}

// Deps are the accounts' collaborators.
type Deps struct {
	Store      *store.Store
	Mailer     mail.Sender
	Catalog    *web.Catalog       // the mails' texts, in the member's language; nil: English only
	Directory  *directory.Service // where members' public profiles go
	Activities *outbox.Activities // this node's activities: profile updates to the other nodes
	Proposals  Proposals          // the schools members proposed, for their export; nil: none (or SetRegistration)
	Notices    *notice.Notices    // members' notifications: their e-mail preferences; nil: none
	Logger     *slog.Logger
	Metrics    *prometheus.Registry // nil: metrics are not registered
	Now        func() time.Time     // nil: time.Now
}

// Proposals reads the schools a member proposed (the registration
// feature's records), for the member's export.
type Proposals interface {
	// ProposedBy returns the proposals of username within txn (a list
	// that encodes to JSON), nil when there are none.
	ProposedBy(txn *badger.Txn, username string) (any, error)
}

// DeleteHook is what another feature does when a member deletes their
// account, in the deletion's transaction: erase what it holds about them.
type DeleteHook func(txn *badger.Txn, username string) error

// Service is the members' accounts: registration's first form and its
// e-mail link, login and sessions (it is the web kit's
// web.Authenticator), passwords, the account and profile pages' changes,
// the photo, the export and the deletion of an account. Every change of a
// member goes through SaveMember, which keeps the directory and the other
// nodes current. It is safe for concurrent use.
type Service struct {
	cfg       Config
	store     *store.Store
	mailer    mail.Sender
	cat       *web.Catalog
	dir       *directory.Service
	acts      *outbox.Activities
	props     Proposals
	reg       Registration // the pages' next registration step (SetRegistration)
	notices   *notice.Notices
	log       *slog.Logger
	now       func() time.Time
	limiter   *limiter  // failed logins per username and address
	mailQuota *limiter  // confirmation and reset mails per address
	hashes    *hashGate // argon2id computations at once
	secret    []byte    // node secret: CSRF tokens of anonymous visitors
	html      *bluemonday.Policy
	usage     usageCache   // NodeInfo's counts (usage.go)
	deleted   []DeleteHook // OnDelete

	logins *prometheus.CounterVec

	decoded store.Decoded[twinfed.Member] // the members MemberIn decoded last
}

// New builds the accounts, reading (or making, the first time) the node
// secret, and registers their metrics.
func New(cfg Config, d Deps) (*Service, error) {
	if d.Store == nil || d.Mailer == nil || d.Directory == nil || d.Activities == nil {
		return nil, fmt.Errorf("account: New needs a Store, a Mailer, the Directory and the Activities")
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
	if cfg.HashConcurrency == 0 {
		cfg.HashConcurrency = 4
	}
	if cfg.HashQueue == 0 {
		cfg.HashQueue = 64
	}
	if cfg.HashWait == 0 {
		cfg.HashWait = 10 * time.Second
	}
	if cfg.MailsPerAddress == 0 {
		cfg.MailsPerAddress = 3
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Catalog == nil {
		cat, err := web.NewCatalog(nil)
		if err != nil {
			return nil, fmt.Errorf("account: %w", err)
		}
		d.Catalog = cat
	}
	s := &Service{cfg: cfg, store: d.Store, mailer: d.Mailer, cat: d.Catalog, dir: d.Directory, acts: d.Activities, props: d.Proposals, notices: d.Notices,
		log: d.Logger, now: d.Now, html: web.NewHTMLPolicy()}
	s.limiter = newLimiter(cfg.LoginAttempts, cfg.LoginWindow, d.Now)
	s.mailQuota = newLimiter(cfg.MailsPerAddress, time.Hour, d.Now)
	s.hashes = newHashGate(cfg.HashConcurrency, cfg.HashQueue, cfg.HashWait)
	secret, err := s.loadSecret()
	if err != nil {
		return nil, err
	}
	s.secret = secret
	s.logins = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "twinfed_node_logins_total", Help: "Login attempts by outcome."}, []string{"outcome"})
	if d.Metrics != nil {
		if err := d.Metrics.Register(s.logins); err != nil {
			return nil, fmt.Errorf("account: register metrics: %w", err)
		}
		for _, c := range s.hashes.collectors() {
			if err := d.Metrics.Register(c); err != nil {
				return nil, fmt.Errorf("account: register metrics: %w", err)
			}
		}
	}
	return s, nil
}

// RegistrationView is what the accounts read from the registration: the
// schools a member proposed, for the export, and the member's next
// registration step, for the pages.
type RegistrationView interface {
	Proposals
	Registration
}

// SetRegistration gives the accounts the registration, which is built on
// them, so after them.
func (s *Service) SetRegistration(r RegistrationView) { s.props, s.reg = r, r }

// OnDelete adds what another feature erases when a member deletes their
// account, in the same transaction (registered at assembly).
func (s *Service) OnDelete(h DeleteHook) { s.deleted = append(s.deleted, h) }

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

// internal wraps an unexpected error: logged with details, shown as a
// generic message.
func (s *Service) internal(op string, err error) error { return web.Internal(s.log, op, err) }

// update runs fn in a store transaction, then wakes the outbox and the
// directory's indexer.
func (s *Service) update(fn func(txn *badger.Txn) error) error {
	if err := s.store.Update(fn); err != nil {
		return err
	}
	s.wake()
	return nil
}

// wake tells the outbox and the directory's indexer that a transaction
// committed work for them.
func (s *Service) wake() {
	s.acts.Notify()
	s.dir.Wake()
}

// sendMail writes l to m in m's language (web.Catalog.MailLang: the
// language they chose, or registered in) and sends it to address to.
func (s *Service) sendMail(ctx context.Context, m *twinfed.Member, to string, l web.Letter) {
	l.Name, l.Site = m.FirstName, s.cfg.BaseURL+"/"
	msg := s.cat.Mail(s.cat.MailLang(m.Locale), to, l)
	if err := s.mailer.Send(ctx, msg); err != nil {
		s.log.Error("send mail", "to", msg.To, "subject", msg.Subject, "err", err)
	}
}

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

// --- input checks ---

// UsernameRE is what a username looks like: 3 to 30 lower-case letters,
// digits, dots, dashes or underscores, starting with a letter or digit.
var UsernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{2,29}$`)

// NormEmail is the form of an e-mail address the e-mail index keys.
func NormEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// CheckEmail puts in fields[field] what is wrong with the e-mail address
// e, if anything.
func CheckEmail(fields map[string]string, field, e string) {
	if e == "" {
		fields[field] = "Enter your e-mail address."
		return
	}
	a, err := netmail.ParseAddress(e)
	if err != nil || a.Address != e || !strings.Contains(e[strings.LastIndex(e, "@")+1:], ".") {
		fields[field] = "Enter an e-mail address such as name@school.it."
	}
}

// CheckPasswordPolicy puts in fields what is wrong with a new password
// pw and its confirmation, if anything.
func CheckPasswordPolicy(fields map[string]string, field, pw, confirm, confirmField string) {
	switch {
	case len(pw) < 10:
		fields[field] = "Choose a password of at least 10 characters."
	case len(pw) > 128:
		fields[field] = "Choose a password of at most 128 characters."
	case pw != confirm:
		fields[confirmField] = "The two passwords differ; type the same password twice."
	}
}

// CheckName puts in fields[field] what is wrong with a person's name v
// (what: "first name", "last name"), if anything. Its messages are
// whole literals: each is a message id of the catalogues.
func CheckName(fields map[string]string, field, v, what string) {
	msgs := nameMessages[what]
	v = strings.TrimSpace(v)
	if v == "" {
		fields[field] = msgs[0]
	} else if len(v) > 80 {
		fields[field] = msgs[1]
	}
}

// nameMessages are CheckName's messages by name: empty, too long.
var nameMessages = map[string][2]string{
	"first name": {"Enter your first name.", "Your first name is too long (at most 80 characters)."},
	"last name":  {"Enter your last name.", "Your last name is too long (at most 80 characters)."},
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
