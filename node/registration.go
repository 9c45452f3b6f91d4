package node

import (
	"context"
	"slices"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/store"
)

// SchoolProposal is a school a member proposed because it is not in the
// registry yet. The agency validates it (then it is written to the registry)
// or rejects it.
type SchoolProposal struct {
	ID             string               `json:"id"`
	Country        string               `json:"country"`
	LegalName      string               `json:"legal_name"`
	PublicName     string               `json:"public_name,omitempty"`
	City           string               `json:"city"`
	Region         string               `json:"region"`
	NationalNumber string               `json:"national_number,omitempty"`
	Level          twinfed.SchoolLevel  `json:"level"`
	CourseYears    int                  `json:"course_years,omitempty"`
	Institution    twinfed.Institution  `json:"institution"`
	Status         twinfed.SchoolStatus `json:"status"`
	ProposedBy     string               `json:"proposed_by"`
	RejectReason   string               `json:"reject_reason,omitempty"`
	SchoolID       string               `json:"school_id,omitempty"` // registry id once validated
	Created        string               `json:"created"`
	DecidedBy      string               `json:"decided_by,omitempty"`
}

func (p *SchoolProposal) asSchool() *twinfed.School {
	return &twinfed.School{Country: p.Country, LegalName: p.LegalName, PublicName: p.PublicName, City: p.City, Region: p.Region,
		NationalNumber: p.NationalNumber, Level: p.Level, CourseYears: p.CourseYears, Institution: p.Institution}
}

// SchoolChoice is step 1 of registration (or adding a school later): a
// registry school by id, or a new school proposed to the agency.
type SchoolChoice struct {
	SchoolID string          `json:"school_id,omitempty"`
	Proposal *SchoolProposal `json:"proposal,omitempty"`
}

// Preferences is step 3 of registration, and the editable profile (the
// account's).
type Preferences = account.Preferences

// Subjects offered by the forms.
var Subjects = []string{"art", "biology", "chemistry", "citizenship", "computing", "cross_curricular", "economics", "english", "foreign_languages", "geography", "history", "mathematics", "music", "native_language", "physical_education", "physics", "pre_school", "religion", "science", "special_needs", "technology", "vocational"}

// Languages offered by the forms (ISO 639-1).
var Languages = []string{"bg", "ca", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "it", "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv", "tr", "uk"}

// FindSchools searches the registry's validated schools of the node's
// country (step 1). EUNAVAILABLE when the registry cannot be reached.
func (s *Service) FindSchools(ctx context.Context, query string, offset, limit int) ([]*twinfed.School, int, error) {
	if s.registry == nil {
		return nil, 0, twinfed.Errorf(twinfed.EUNAVAILABLE, "The school registry is not reachable right now; try again in a few minutes.")
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

func (s *Service) registryErr(op string, err error) error {
	switch twinfed.ErrorCode(err) {
	case twinfed.EINTERNAL:
		s.log.Error("registry "+op, "err", err)
		return twinfed.Errorf(twinfed.EUNAVAILABLE, "The school registry is not reachable right now; try again in a few minutes.")
	default:
		return err
	}
}

// requireRegistering loads the member and checks that they may edit the
// registration steps (confirmed, not yet validated; a rejected member may
// correct and submit again).
func requireRegistering(txn *badger.Txn, username string) (*twinfed.Member, error) {
	m, err := getMember(txn, username)
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

// resolveSchool checks a school choice against the registry and the
// eligibility policy. For a proposal it returns the proposal to store.
func (s *Service) resolveSchool(ctx context.Context, username string, c SchoolChoice) (twinfed.MemberSchool, *SchoolProposal, error) {
	switch {
	case c.SchoolID != "":
		if s.registry == nil {
			return twinfed.MemberSchool{}, nil, twinfed.Errorf(twinfed.EUNAVAILABLE, "The school registry is not reachable right now; try again in a few minutes.")
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
		sc := p.asSchool()
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
		if err := invalid(f); err != nil {
			return twinfed.MemberSchool{}, nil, err
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
func (s *Service) SetSchool(ctx context.Context, p *twinfed.Principal, c SchoolChoice) (*twinfed.Member, error) {
	ms, prop, err := s.resolveSchool(ctx, p.Username, c)
	if err != nil {
		return nil, err
	}
	var m *twinfed.Member
	err = s.update(func(txn *badger.Txn) error {
		old, err := requireRegistering(txn, p.Username)
		if err != nil {
			return err
		}
		m = ptrCopy(old)
		if len(m.Schools) > 0 {
			ms.Role = m.Schools[0].Role
			m.Schools = append([]twinfed.MemberSchool{ms}, m.Schools[1:]...)
		} else {
			m.Schools = []twinfed.MemberSchool{ms}
		}
		if prop != nil {
			if err := store.SetJSON(txn, store.PrefixProposal+prop.ID, prop); err != nil {
				return err
			}
		}
		m.Updated = s.now().UTC()
		return s.saveMember(ctx, txn, old, m)
	})
	return m, s.internal("set school", err)
}

// SetRole is registration step 2: the member's role at their main school.
func (s *Service) SetRole(ctx context.Context, p *twinfed.Principal, role string) (*twinfed.Member, error) {
	if !slices.Contains(twinfed.SchoolRoles, role) {
		return nil, twinfed.FieldError("role", "Choose your role at the school from the list.")
	}
	if err := s.cfg.Policy.CheckRole(role); err != nil {
		return nil, err
	}
	var m *twinfed.Member
	err := s.update(func(txn *badger.Txn) error {
		old, err := requireRegistering(txn, p.Username)
		if err != nil {
			return err
		}
		if len(old.Schools) == 0 {
			return twinfed.Errorf(twinfed.ECONFLICT, "Choose your school first (step 1).")
		}
		m = ptrCopy(old)
		m.Schools = slices.Clone(old.Schools)
		m.Schools[0].Role = role
		m.Updated = s.now().UTC()
		return s.saveMember(ctx, txn, old, m)
	})
	return m, s.internal("set role", err)
}

// checkPreferences normalises and checks step 3 (the account's rule).
func (s *Service) checkPreferences(pr *Preferences) error { return s.accounts.CheckPreferences(pr) }

func applyPreferences(m *twinfed.Member, pr Preferences) { account.ApplyPreferences(m, pr) }

// SetPreferences is registration step 3.
func (s *Service) SetPreferences(ctx context.Context, p *twinfed.Principal, pr Preferences) (*twinfed.Member, error) {
	if err := s.checkPreferences(&pr); err != nil {
		return nil, err
	}
	var m *twinfed.Member
	err := s.update(func(txn *badger.Txn) error {
		old, err := requireRegistering(txn, p.Username)
		if err != nil {
			return err
		}
		m = ptrCopy(old)
		applyPreferences(m, pr)
		m.Updated = s.now().UTC()
		return s.saveMember(ctx, txn, old, m)
	})
	return m, s.internal("set preferences", err)
}

// RegistrationStep returns the first registration step the member has not
// completed (1 to 3), or 4 when only the preview and confirmation remain.
func RegistrationStep(m *twinfed.Member) int {
	switch {
	case len(m.Schools) == 0:
		return 1
	case m.Schools[0].Role == "":
		return 2
	case len(m.Languages) == 0 || len(m.Subjects) == 0 || len(m.PupilAges) == 0:
		return 3
	}
	return 4
}

// Submit is registration step 4: the member confirms and the registration
// goes to the agency's validation queue. The eligibility rules are checked
// again against the current policy.
func (s *Service) Submit(ctx context.Context, p *twinfed.Principal) (*twinfed.Member, error) {
	var m *twinfed.Member
	err := s.update(func(txn *badger.Txn) error {
		old, err := requireRegistering(txn, p.Username)
		if err != nil {
			return err
		}
		if st := RegistrationStep(old); st < 4 {
			return twinfed.Errorf(twinfed.EINVALID, "Complete step %d first.", st)
		}
		if err := s.cfg.Policy.CheckRole(old.Schools[0].Role); err != nil {
			return err
		}
		m = ptrCopy(old)
		now := s.now().UTC()
		m.Status, m.Submitted, m.Updated, m.RejectReason = twinfed.StatusPending, now, now, ""
		y, w := now.ISOWeek()
		if err := txn.Set([]byte(store.PrefixRegWeekly+weekKey(y, w)+"/"+store.NewID()), nil); err != nil {
			return err
		}
		return s.saveMember(ctx, txn, old, m)
	})
	if err != nil {
		return nil, s.internal("submit", err)
	}
	s.registrations.Inc()
	return m, nil
}

func weekKey(y, w int) string {
	return strings.TrimSpace(strings.Join([]string{itoa4(y), "W" + itoa2(w)}, "-"))
}

func itoa4(n int) string {
	return string([]byte{byte('0' + n/1000%10), byte('0' + n/100%10), byte('0' + n/10%10), byte('0' + n%10)})
}
func itoa2(n int) string { return string([]byte{byte('0' + n/10%10), byte('0' + n%10)}) }
