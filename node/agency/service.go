package agency

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/mail"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/web"
)

// Config is what the agency needs to know about its node.
type Config struct {
	Country string // two-letter code: the schools it validates are of this country
	BaseURL string // public base URL, for the links of its mails
}

// Deps are the agency's collaborators.
type Deps struct {
	Store     *store.Store
	Registry  twinfed.Registry // validated schools are written there; nil: unavailable
	Mailer    mail.Sender      // the members' mails about their registration
	Catalog   *web.Catalog     // the mails' texts, in the member's language; nil: English only
	Accounts  Accounts         // the account feature
	Proposals Proposals        // the registration feature's school proposals
	// Validations counts decisions by kind (member, school) and decision;
	// nil: not counted.
	Validations *prometheus.CounterVec
	Logger      *slog.Logger     // nil: discarded
	Now         func() time.Time // nil: time.Now
}

// Accounts is what the agency asks of the account feature.
type Accounts interface {
	// Member returns a member's whole record; ENOTFOUND when there is none.
	Member(ctx context.Context, username string) (*twinfed.Member, error)
	// MemberIn returns a member's record as of txn; ENOTFOUND when there is
	// none.
	MemberIn(txn *badger.Txn, username string) (*twinfed.Member, error)
	// SaveMember writes m, whose previous version is old, in txn, with what
	// follows from it (the status index, the public profile, the other
	// nodes told once txn has committed).
	SaveMember(ctx context.Context, txn *badger.Txn, old, m *twinfed.Member) error
	// MembersByStatus returns the members with status in username order,
	// from offset and at most limit, and how many there are.
	MembersByStatus(txn *badger.Txn, status twinfed.MemberStatus, offset, limit int) ([]*twinfed.Member, int, error)
	// CountStatus returns how many accounts have status.
	CountStatus(txn *badger.Txn, status twinfed.MemberStatus) int
	// EachMember calls fn with every account (staff included), in username
	// order; an error from fn stops the walk and is returned.
	EachMember(txn *badger.Txn, fn func(*twinfed.Member) error) error
	// CreateStaff creates an agency account: EFORBIDDEN unless p is an
	// agency admin (nil: the bootstrap), EINVALID, ECONFLICT: taken.
	CreateStaff(ctx context.Context, p *twinfed.Principal, username, email, firstName, lastName, password string, role twinfed.Role) (*twinfed.Member, error)
	// ImportMembers checks and stores members in bulk, without passwords,
	// with their public profiles (EINVALID/ECONFLICT naming the first bad
	// record, before anything is written).
	ImportMembers(ctx context.Context, members []*twinfed.Member) error
}

// Proposals is what the agency asks of the registration feature: the
// schools members proposed, and the count of submissions per week.
type Proposals interface {
	// ProposalIn returns a school proposal as of txn; ENOTFOUND when there
	// is none.
	ProposalIn(txn *badger.Txn, id string) (*twinfed.SchoolProposal, error)
	// PutProposal writes a school proposal in txn.
	PutProposal(txn *badger.Txn, sp *twinfed.SchoolProposal) error
	// EachProposal calls fn with every school proposal.
	EachProposal(txn *badger.Txn, fn func(*twinfed.SchoolProposal) error) error
	// SubmissionsPerWeek returns the registrations submitted per ISO week.
	SubmissionsPerWeek(txn *badger.Txn) map[string]int
}

// Service is the national agency's back office: the validation queues of
// members and of proposed schools, staff accounts, statistics, the
// members' export and import. Every method is for agency staff only. It is
// safe for concurrent use.
type Service struct {
	cfg         Config
	store       *store.Store
	registry    twinfed.Registry
	mailer      mail.Sender
	cat         *web.Catalog
	accounts    Accounts
	proposals   Proposals
	validations *prometheus.CounterVec
	log         *slog.Logger
	now         func() time.Time
}

// New builds the agency's service.
func New(cfg Config, d Deps) (*Service, error) {
	if d.Store == nil || d.Mailer == nil || d.Accounts == nil || d.Proposals == nil {
		return nil, errors.New("agency: New needs a Store, a Mailer, Accounts and Proposals")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if d.Catalog == nil {
		cat, err := web.NewCatalog(nil)
		if err != nil {
			return nil, fmt.Errorf("agency: %w", err)
		}
		d.Catalog = cat
	}
	return &Service{cfg: cfg, store: d.Store, registry: d.Registry, mailer: d.Mailer, cat: d.Catalog, accounts: d.Accounts, proposals: d.Proposals,
		validations: d.Validations, log: d.Logger, now: d.Now}, nil
}

// Country returns the node's country code.
func (s *Service) Country() string { return s.cfg.Country }

// Require returns EFORBIDDEN unless p is agency staff
// (twinfed.Role.IsAgency): the rule of every back-office page and of the
// agency's JSON API.
func Require(p *twinfed.Principal) error {
	if !p.IsAgency() {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "This page is for the national agency's staff.")
	}
	return nil
}

// internal wraps an unexpected error: logged with details, shown as a
// generic message.
func (s *Service) internal(op string, err error) error { return web.Internal(s.log, op, err) }

// LabelRecorded counts a quality label the registry recorded, beside the
// agency's decisions (twinfed_node_validations_total{kind="label"}): the
// labels' Recorded.
func (s *Service) LabelRecorded() { s.count("label", "recorded") }

func (s *Service) count(kind, decision string) {
	if s.validations != nil {
		s.validations.WithLabelValues(kind, decision).Inc()
	}
}

// sendMail writes l to member m in their language (web.Catalog.MailLang)
// and sends it.
func (s *Service) sendMail(ctx context.Context, m *twinfed.Member, l web.Letter) {
	l.Name, l.Site = m.FirstName, s.cfg.BaseURL+"/"
	msg := s.cat.Mail(s.cat.MailLang(m.Locale), m.Email, l)
	if err := s.mailer.Send(ctx, msg); err != nil {
		s.log.Error("send mail", "to", msg.To, "subject", msg.Subject, "err", err)
	}
}

// registryErr shows a registry error as web.RegistryErr does.
func (s *Service) registryErr(op string, err error) error { return web.RegistryErr(s.log, op, err) }

// clone returns a copy of m to modify (its slices are shared).
func clone(m *twinfed.Member) *twinfed.Member { c := *m; return &c }

// ListMembers returns members with the given status (the queue when
// status is pending), in username order, and their total. Agency only.
func (s *Service) ListMembers(ctx context.Context, p *twinfed.Principal, status twinfed.MemberStatus, offset, limit int) ([]*twinfed.Member, int, error) {
	if err := Require(p); err != nil {
		return nil, 0, err
	}
	if !slices.Contains(twinfed.MemberStatuses, status) {
		return nil, 0, twinfed.FieldError("status", "Unknown status; use one of unconfirmed, registering, pending, validated, rejected.")
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var out []*twinfed.Member
	total := 0
	err := s.store.View(func(txn *badger.Txn) error {
		var err error
		out, total, err = s.accounts.MembersByStatus(txn, status, offset, limit)
		return err
	})
	return out, total, s.internal("list members", err)
}

// AgencyMember returns one member's whole record. Agency only.
func (s *Service) AgencyMember(ctx context.Context, p *twinfed.Principal, username string) (*twinfed.Member, error) {
	if err := Require(p); err != nil {
		return nil, err
	}
	return s.accounts.Member(ctx, username)
}

// ValidateMember validates a pending member. The member's main school must
// be validated first. Agency only; ECONFLICT when the member is not pending.
func (s *Service) ValidateMember(ctx context.Context, p *twinfed.Principal, username string) (*twinfed.Member, error) {
	if err := Require(p); err != nil {
		return nil, err
	}
	var m *twinfed.Member
	err := s.store.Update(func(txn *badger.Txn) error {
		old, err := s.accounts.MemberIn(txn, username)
		if err != nil {
			return err
		}
		if old.Status != twinfed.StatusPending {
			return twinfed.Errorf(twinfed.ECONFLICT, "%s is not waiting for validation.", username)
		}
		if ms := old.MainSchool(); ms == nil || ms.SchoolID == "" {
			return twinfed.Errorf(twinfed.ECONFLICT, "Validate or reject the school %s proposed first.", username)
		}
		m = clone(old)
		now := s.now().UTC()
		m.Status, m.Validated, m.ValidatedBy, m.RejectReason, m.Updated = twinfed.StatusValidated, now, p.Username, "", now
		return s.accounts.SaveMember(ctx, txn, old, m)
	})
	if err != nil {
		return nil, s.internal("validate member", err)
	}
	s.count("member", "validated")
	s.sendMail(ctx, m, web.Letter{Subject: "mail.validated.subject",
		Parts: []web.LetterPart{web.Para("mail.validated.body"), web.LinkPart(s.cfg.BaseURL + "/")}})
	return m, nil
}

// RejectMember rejects a pending member with a reason the member sees.
// Agency only.
func (s *Service) RejectMember(ctx context.Context, p *twinfed.Principal, username, reason string) (*twinfed.Member, error) {
	if err := Require(p); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > 1000 {
		return nil, twinfed.FieldError("reason", "Give the member a reason (at most 1000 characters); they will read it.")
	}
	var m *twinfed.Member
	err := s.store.Update(func(txn *badger.Txn) error {
		old, err := s.accounts.MemberIn(txn, username)
		if err != nil {
			return err
		}
		if old.Status != twinfed.StatusPending {
			return twinfed.Errorf(twinfed.ECONFLICT, "%s is not waiting for validation.", username)
		}
		m = clone(old)
		m.Status, m.RejectReason, m.ValidatedBy, m.Updated = twinfed.StatusRejected, reason, p.Username, s.now().UTC()
		return s.accounts.SaveMember(ctx, txn, old, m)
	})
	if err != nil {
		return nil, s.internal("reject member", err)
	}
	s.count("member", "rejected")
	s.sendMail(ctx, m, web.Letter{Subject: "mail.rejected.subject",
		Parts: []web.LetterPart{web.Para("mail.rejected.body"), web.QuotePart(reason), web.Para("mail.rejected.action"), web.LinkPart(s.cfg.BaseURL + "/")}})
	return m, nil
}

// CreateStaff creates an agency account (officer or admin), confirmed and
// validated, through the account feature. Only an agency admin may call it
// (or the bootstrap, with a nil principal). EFORBIDDEN otherwise.
func (s *Service) CreateStaff(ctx context.Context, p *twinfed.Principal, username, email, firstName, lastName, password string, role twinfed.Role) (*twinfed.Member, error) {
	return s.accounts.CreateStaff(ctx, p, username, email, firstName, lastName, password, role)
}

// ImportMembers stores members in bulk, for a migration from the legacy
// platform (and for the benchmarks' 100,000-member nodes). They keep the
// status they come with and have no password: they set one with the
// password-reset link. Usernames and e-mails must be new; the whole import
// is refused (EINVALID/ECONFLICT naming the first bad record) before
// anything is written when one is not. Only an agency admin (or the
// operator, with a nil principal) imports.
func (s *Service) ImportMembers(ctx context.Context, p *twinfed.Principal, members []*twinfed.Member) error {
	if p != nil && p.Role != twinfed.RoleAgencyAdmin {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "Only an agency administrator can import members.")
	}
	return s.accounts.ImportMembers(ctx, members)
}
