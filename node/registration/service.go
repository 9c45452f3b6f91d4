package registration

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/microcosm-cc/bluemonday"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/web"
)

// Config is what the registration needs to know about its node.
type Config struct {
	Country string              // two-letter code; members register in a school of this country
	Policy  twinfed.Eligibility // the node's eligibility policy
}

// Deps are the registration's collaborators.
type Deps struct {
	Store    *store.Store
	Registry twinfed.Registry // schools; nil makes school search and choice unavailable
	Members  Members          // the account feature's member records
	// Registrations counts the registrations submitted; nil: not counted.
	Registrations prometheus.Counter
	Logger        *slog.Logger     // nil: discarded
	Now           func() time.Time // nil: time.Now
}

// Members is what the registration asks of the account feature: the
// member's record, read and written in the registration's transactions.
type Members interface {
	// MemberIn returns username's record as of txn; ENOTFOUND when there is
	// no such member.
	MemberIn(txn *badger.Txn, username string) (*twinfed.Member, error)
	// SaveMember writes m, whose previous version is old, in txn, with what
	// follows from it (the status index, the public profile, the other
	// nodes told once txn has committed).
	SaveMember(ctx context.Context, txn *badger.Txn, old, m *twinfed.Member) error
}

// Service runs the four steps of registration (the main school, the role
// there, the preferences, the submission to the agency's queue) and the
// choice of a school, from the registry or proposed to the agency. It is
// safe for concurrent use.
type Service struct {
	cfg      Config
	store    *store.Store
	registry twinfed.Registry
	members  Members
	counter  prometheus.Counter
	html     *bluemonday.Policy
	log      *slog.Logger
	now      func() time.Time
}

// New builds the registration's service.
func New(cfg Config, d Deps) (*Service, error) {
	if d.Store == nil || d.Members == nil {
		return nil, errors.New("registration: New needs a Store and Members")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{cfg: cfg, store: d.Store, registry: d.Registry, members: d.Members, counter: d.Registrations,
		html: web.NewHTMLPolicy(), log: d.Logger, now: d.Now}, nil
}

// internal wraps an unexpected error: logged with details, shown as a
// generic message.
func (s *Service) internal(op string, err error) error { return web.Internal(s.log, op, err) }

// registryErr shows a registry error as web.RegistryErr does.
func (s *Service) registryErr(op string, err error) error { return web.RegistryErr(s.log, op, err) }

// clone returns a copy of m to modify (its slices are shared).
func clone(m *twinfed.Member) *twinfed.Member { c := *m; return &c }

// FindSchools searches the registry's validated schools of the node's
// country (step 1). EUNAVAILABLE when the registry cannot be reached.
func (s *Service) FindSchools(ctx context.Context, query string, offset, limit int) ([]*twinfed.School, int, error) {
	if s.registry == nil {
		return nil, 0, web.ErrRegistryDown()
	}
	if limit <= 0 || limit > 50 {
		limit = 20
	}
	list, total, err := s.registry.FindSchools(ctx, twinfed.SchoolFilter{Country: s.cfg.Country, Query: strings.TrimSpace(query), Status: twinfed.SchoolValidated, Offset: offset, Limit: limit})
	if err != nil {
		return nil, 0, s.registryErr("find schools", err)
	}
	return list, total, nil
}

// requireRegistering loads the member and checks that they may edit the
// registration steps (confirmed, not yet validated; a rejected member may
// correct and submit again).
func (s *Service) requireRegistering(txn *badger.Txn, username string) (*twinfed.Member, error) {
	m, err := s.members.MemberIn(txn, username)
	if err != nil {
		return nil, err
	}
	switch m.Status {
	case twinfed.StatusRegistering, twinfed.StatusRejected:
		return m, nil
	case twinfed.StatusPending:
		return nil, twinfed.Errorf(twinfed.ECONFLICT, "Your registration is waiting for the agency's validation; it cannot change now.")
	case twinfed.StatusValidated:
		return nil, twinfed.Errorf(twinfed.ECONFLICT, "Your registration is complete; edit your profile instead.")
	default:
		return nil, twinfed.Errorf(twinfed.EFORBIDDEN, "Confirm your e-mail address first.")
	}
}

// ResolveSchool checks a school choice against the registry and the
// eligibility policy (twinfed.Eligibility.CheckSchool; a proposal also
// against twinfed.ValidateSchool's bounds). For a proposal it returns the
// proposal to store with PutProposal, in the transaction that gives the
// member the school. EINVALID names the wrong fields; EUNAVAILABLE: the
// registry cannot be reached.
func (s *Service) ResolveSchool(ctx context.Context, username string, c twinfed.SchoolChoice) (twinfed.MemberSchool, *twinfed.SchoolProposal, error) {
	switch {
	case c.SchoolID != "":
		if s.registry == nil {
			return twinfed.MemberSchool{}, nil, web.ErrRegistryDown()
		}
		sc, err := s.registry.School(ctx, c.SchoolID)
		if err != nil {
			if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
				return twinfed.MemberSchool{}, nil, twinfed.FieldError("school_id", "This school is not in the registry; search again or propose it.")
			}
			return twinfed.MemberSchool{}, nil, s.registryErr("school", err)
		}
		if sc.Country != s.cfg.Country || sc.Status != twinfed.SchoolValidated {
			return twinfed.MemberSchool{}, nil, twinfed.FieldError("school_id", "Choose a validated school of your country.")
		}
		if err := s.cfg.Policy.CheckSchool(sc); err != nil {
			return twinfed.MemberSchool{}, nil, err
		}
		return twinfed.MemberSchool{SchoolID: sc.ID, Name: sc.Name(), Region: sc.Region, Level: sc.Level}, nil, nil
	case c.Proposal != nil:
		p := *c.Proposal
		p.LegalName, p.City, p.Region, p.NationalNumber = strings.TrimSpace(p.LegalName), strings.TrimSpace(p.City), strings.TrimSpace(p.Region), strings.TrimSpace(p.NationalNumber)
		f := map[string]string{}
		if p.LegalName == "" {
			f["legal_name"] = "Enter the school's legal name."
		}
		if p.City == "" {
			f["city"] = "Enter the school's town or city."
		}
		if p.Region == "" {
			f["region"] = "Enter the school's region."
		}
		p.Country = s.cfg.Country
		sc := p.School()
		sc.Status = twinfed.SchoolProposed
		// The registry's bounds, in the form's words where it has its own.
		if err := twinfed.ValidateSchool(sc); err != nil {
			for k, msg := range err.Fields {
				if f[k] == "" {
					f[k] = msg
				}
			}
		}
		if f["level"] != "" {
			f["level"] = "Choose the school's level."
		}
		if f["institution"] != "" {
			f["institution"] = "Choose the kind of school."
		}
		// A proposed vocational school says how long its courses are: the
		// eligibility policy may ask for a minimum.
		if f["course_years"] != "" || p.Level == twinfed.LevelVocational && p.CourseYears < 1 {
			f["course_years"] = "Enter the length of the courses in years (1 to 10)." // twinfed.MaxCourseYears
		}
		if len(f) > 0 {
			return twinfed.MemberSchool{}, nil, &twinfed.Error{Code: twinfed.EINVALID, Message: "Some fields need your attention.", Fields: f}
		}
		if err := s.cfg.Policy.CheckSchool(sc); err != nil {
			return twinfed.MemberSchool{}, nil, err
		}
		p.ID = store.NewID()
		p.Status = twinfed.SchoolProposed
		p.ProposedBy = username
		p.Created = s.now().UTC().Format("2006-01-02T15:04:05Z")
		p.SchoolID, p.RejectReason, p.DecidedBy = "", "", ""
		name := p.PublicName
		if name == "" {
			name = p.LegalName
		}
		return twinfed.MemberSchool{ProposalID: p.ID, Name: name, Region: p.Region, Level: p.Level}, &p, nil
	default:
		return twinfed.MemberSchool{}, nil, twinfed.FieldError("school_id", "Choose your school from the list, or propose a new one.")
	}
}

// SetSchool is registration step 1: the member's main school.
func (s *Service) SetSchool(ctx context.Context, p *twinfed.Principal, c twinfed.SchoolChoice) (*twinfed.Member, error) {
	ms, prop, err := s.ResolveSchool(ctx, p.Username, c)
	if err != nil {
		return nil, err
	}
	var m *twinfed.Member
	err = s.store.Update(func(txn *badger.Txn) error {
		old, err := s.requireRegistering(txn, p.Username)
		if err != nil {
			return err
		}
		m = clone(old)
		if len(m.Schools) > 0 {
			ms.Role = m.Schools[0].Role
			m.Schools = append([]twinfed.MemberSchool{ms}, m.Schools[1:]...)
		} else {
			m.Schools = []twinfed.MemberSchool{ms}
		}
		if prop != nil {
			if err := s.PutProposal(txn, prop); err != nil {
				return err
			}
		}
		m.Updated = s.now().UTC()
		return s.members.SaveMember(ctx, txn, old, m)
	})
	return m, s.internal("set school", err)
}

// SetRole is registration step 2: the member's role at their main school,
// one of twinfed.SchoolRoles that the policy accepts
// (twinfed.Eligibility.CheckRole).
func (s *Service) SetRole(ctx context.Context, p *twinfed.Principal, role string) (*twinfed.Member, error) {
	if !slices.Contains(twinfed.SchoolRoles, role) {
		return nil, twinfed.FieldError("role", "Choose your role at the school from the list.")
	}
	if err := s.cfg.Policy.CheckRole(role); err != nil {
		return nil, err
	}
	var m *twinfed.Member
	err := s.store.Update(func(txn *badger.Txn) error {
		old, err := s.requireRegistering(txn, p.Username)
		if err != nil {
			return err
		}
		if len(old.Schools) == 0 {
			return twinfed.Errorf(twinfed.ECONFLICT, "Choose your school first (step 1).")
		}
		m = clone(old)
		m.Schools = slices.Clone(old.Schools)
		m.Schools[0].Role = role
		m.Updated = s.now().UTC()
		return s.members.SaveMember(ctx, txn, old, m)
	})
	return m, s.internal("set role", err)
}

// CheckPreferences sanitises the description and normalises and checks
// the rest (twinfed.CheckPreferences): step 3, and the profile's edits.
func (s *Service) CheckPreferences(pr *twinfed.Preferences) error {
	pr.Description = s.html.Sanitize(pr.Description)
	return twinfed.CheckPreferences(pr)
}

// SetPreferences is registration step 3.
func (s *Service) SetPreferences(ctx context.Context, p *twinfed.Principal, pr twinfed.Preferences) (*twinfed.Member, error) {
	if err := s.CheckPreferences(&pr); err != nil {
		return nil, err
	}
	var m *twinfed.Member
	err := s.store.Update(func(txn *badger.Txn) error {
		old, err := s.requireRegistering(txn, p.Username)
		if err != nil {
			return err
		}
		m = clone(old)
		pr.ApplyTo(m)
		m.Updated = s.now().UTC()
		return s.members.SaveMember(ctx, txn, old, m)
	})
	return m, s.internal("set preferences", err)
}

// Submit is registration step 4: the member confirms and the registration
// goes to the agency's validation queue. Every step must be complete
// (twinfed.RegistrationStep) and the role is checked again against the
// current policy (twinfed.Eligibility.CheckRole). The submission is counted
// in its ISO week.
func (s *Service) Submit(ctx context.Context, p *twinfed.Principal) (*twinfed.Member, error) {
	var m *twinfed.Member
	err := s.store.Update(func(txn *badger.Txn) error {
		old, err := s.requireRegistering(txn, p.Username)
		if err != nil {
			return err
		}
		if st := twinfed.RegistrationStep(old); st < 4 {
			return twinfed.Errorf(twinfed.EINVALID, "Complete step %d first.", st)
		}
		if err := s.cfg.Policy.CheckRole(old.Schools[0].Role); err != nil {
			return err
		}
		m = clone(old)
		now := s.now().UTC()
		m.Status, m.Submitted, m.Updated, m.RejectReason = twinfed.StatusPending, now, now, ""
		if err := countSubmission(txn, now); err != nil {
			return err
		}
		return s.members.SaveMember(ctx, txn, old, m)
	})
	if err != nil {
		return nil, s.internal("submit", err)
	}
	if s.counter != nil {
		s.counter.Inc()
	}
	return m, nil
}
