package node

import (
	"context"
	"encoding/csv"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/twinfed/twinfed/node/mail"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
)

func requireAgency(p *twinfed.Principal) error {
	if !p.IsAgency() {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "This page is for the national agency's staff.")
	}
	return nil
}

// ListMembers returns members with the given status (the queue when
// status is pending), in username order, and their total. Agency only.
func (s *Service) ListMembers(ctx context.Context, p *twinfed.Principal, status twinfed.MemberStatus, offset, limit int) ([]*twinfed.Member, int, error) {
	if err := requireAgency(p); err != nil {
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
		names := store.KeysUnder(txn, store.PrefixStatus+string(status)+"/", 0)
		total = len(names)
		for i := offset; i < len(names) && len(out) < limit; i++ {
			m, err := getMember(txn, names[i])
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	return out, total, s.internal("list members", err)
}

// AgencyMember returns one member's whole record. Agency only.
func (s *Service) AgencyMember(ctx context.Context, p *twinfed.Principal, username string) (*twinfed.Member, error) {
	if err := requireAgency(p); err != nil {
		return nil, err
	}
	return s.Member(ctx, username)
}

// ValidateMember validates a pending member. The member's main school must
// be validated first. Agency only; ECONFLICT when the member is not pending.
func (s *Service) ValidateMember(ctx context.Context, p *twinfed.Principal, username string) (*twinfed.Member, error) {
	if err := requireAgency(p); err != nil {
		return nil, err
	}
	var m *twinfed.Member
	err := s.update(func(txn *badger.Txn) error {
		old, err := getMember(txn, username)
		if err != nil {
			return err
		}
		if old.Status != twinfed.StatusPending {
			return twinfed.Errorf(twinfed.ECONFLICT, "%s is not waiting for validation (status: %s).", username, old.Status)
		}
		if ms := old.MainSchool(); ms == nil || ms.SchoolID == "" {
			return twinfed.Errorf(twinfed.ECONFLICT, "Validate or reject the school %s proposed first.", username)
		}
		m = ptrCopy(old)
		now := s.now().UTC()
		m.Status, m.Validated, m.ValidatedBy, m.RejectReason, m.Updated = twinfed.StatusValidated, now, p.Username, "", now
		return s.saveMember(ctx, txn, old, m)
	})
	if err != nil {
		return nil, s.internal("validate member", err)
	}
	s.validations.WithLabelValues("member", "validated").Inc()
	s.sendMail(ctx, mail.Message{To: m.Email, Subject: "Twinfed: your registration is validated",
		Body: "Hello " + m.FirstName + ",\n\nthe national agency has validated your eTwinning registration. Welcome!\n\n" + s.cfg.BaseURL + "/\n"})
	return m, nil
}

// RejectMember rejects a pending member with a reason the member sees.
// Agency only.
func (s *Service) RejectMember(ctx context.Context, p *twinfed.Principal, username, reason string) (*twinfed.Member, error) {
	if err := requireAgency(p); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > 1000 {
		return nil, twinfed.FieldError("reason", "Give the member a reason (at most 1000 characters); they will read it.")
	}
	var m *twinfed.Member
	err := s.update(func(txn *badger.Txn) error {
		old, err := getMember(txn, username)
		if err != nil {
			return err
		}
		if old.Status != twinfed.StatusPending {
			return twinfed.Errorf(twinfed.ECONFLICT, "%s is not waiting for validation (status: %s).", username, old.Status)
		}
		m = ptrCopy(old)
		m.Status, m.RejectReason, m.ValidatedBy, m.Updated = twinfed.StatusRejected, reason, p.Username, s.now().UTC()
		return s.saveMember(ctx, txn, old, m)
	})
	if err != nil {
		return nil, s.internal("reject member", err)
	}
	s.validations.WithLabelValues("member", "rejected").Inc()
	s.sendMail(ctx, mail.Message{To: m.Email, Subject: "Twinfed: your registration needs attention",
		Body: "Hello " + m.FirstName + ",\n\nthe national agency could not validate your registration:\n\n" + reason + "\n\nYou can correct it and submit again: " + s.cfg.BaseURL + "/\n"})
	return m, nil
}

// ListProposals returns school proposals with the given status. Agency only.
func (s *Service) ListProposals(ctx context.Context, p *twinfed.Principal, status twinfed.SchoolStatus) ([]*SchoolProposal, error) {
	if err := requireAgency(p); err != nil {
		return nil, err
	}
	var out []*SchoolProposal
	err := s.store.View(func(txn *badger.Txn) error {
		return store.EachJSON(txn, store.PrefixProposal, func(sp *SchoolProposal) error {
			if status == "" || sp.Status == status {
				out = append(out, sp)
			}
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Created < out[j].Created })
	return out, s.internal("list proposals", err)
}

// Proposal returns one school proposal. Agency only.
func (s *Service) Proposal(ctx context.Context, p *twinfed.Principal, id string) (*SchoolProposal, error) {
	if err := requireAgency(p); err != nil {
		return nil, err
	}
	var sp SchoolProposal
	err := s.store.View(func(txn *badger.Txn) error { return store.GetJSON(txn, store.PrefixProposal+id, &sp) })
	if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
		return nil, twinfed.Errorf(twinfed.ENOTFOUND, "There is no school proposal %q.", id)
	}
	return &sp, s.internal("proposal", err)
}

// ValidateSchool validates a proposed school: it is written to the
// registry (signed by the node), and the proposing member's profile points
// to the registry's school. Agency only.
func (s *Service) ValidateSchool(ctx context.Context, p *twinfed.Principal, id string) (*twinfed.School, error) {
	sp, err := s.Proposal(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if sp.Status != twinfed.SchoolProposed {
		return nil, twinfed.Errorf(twinfed.ECONFLICT, "This school proposal was already decided (%s).", sp.Status)
	}
	if s.registry == nil {
		return nil, twinfed.Errorf(twinfed.EUNAVAILABLE, "The school registry is not reachable right now; try again in a few minutes.")
	}
	sc := sp.asSchool()
	sc.Status = twinfed.SchoolValidated
	sc.ValidatedBy = s.cfg.Country
	stored, err := s.registry.PutSchool(ctx, sc)
	if err != nil {
		// A write that may have been applied (leader change) or a duplicate
		// national number from an earlier attempt: adopt the registry's
		// school when it is this one, so that a retry converges.
		if found := s.findSameSchool(ctx, sc); found != nil {
			stored, err = found, nil
		} else {
			return nil, s.registryErr("put school", err)
		}
	}
	err = s.update(func(txn *badger.Txn) error {
		var cur SchoolProposal
		if err := store.GetJSON(txn, store.PrefixProposal+id, &cur); err != nil {
			return err
		}
		cur.Status, cur.SchoolID, cur.DecidedBy = twinfed.SchoolValidated, stored.ID, p.Username
		if err := store.SetJSON(txn, store.PrefixProposal+id, cur); err != nil {
			return err
		}
		if cur.ProposedBy == "" {
			return nil
		}
		old, err := getMember(txn, cur.ProposedBy)
		if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			return nil
		} else if err != nil {
			return err
		}
		m := ptrCopy(old)
		m.Schools = slices.Clone(old.Schools)
		for i := range m.Schools {
			if m.Schools[i].ProposalID == id {
				m.Schools[i].SchoolID, m.Schools[i].ProposalID, m.Schools[i].Name = stored.ID, "", stored.Name()
			}
		}
		return s.saveMember(ctx, txn, old, m)
	})
	if err != nil {
		return nil, s.internal("validate school", err)
	}
	s.validations.WithLabelValues("school", "validated").Inc()
	return stored, nil
}

// findSameSchool returns the registry's school with sc's national number and
// legal name, or nil. Schools without a national number cannot be matched.
func (s *Service) findSameSchool(ctx context.Context, sc *twinfed.School) *twinfed.School {
	if sc.NationalNumber == "" {
		return nil
	}
	list, _, err := s.registry.FindSchools(ctx, twinfed.SchoolFilter{Country: sc.Country, NationalNumber: sc.NationalNumber})
	if err != nil {
		return nil
	}
	for _, f := range list {
		if f.LegalName == sc.LegalName && f.Status == twinfed.SchoolValidated {
			return f
		}
	}
	return nil
}

// RejectSchool rejects a proposed school with a reason. The proposing
// member sees it and chooses another school. Agency only.
func (s *Service) RejectSchool(ctx context.Context, p *twinfed.Principal, id, reason string) (*SchoolProposal, error) {
	if err := requireAgency(p); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > 1000 {
		return nil, twinfed.FieldError("reason", "Give a reason (at most 1000 characters); the member will read it.")
	}
	var sp SchoolProposal
	err := s.update(func(txn *badger.Txn) error {
		if err := store.GetJSON(txn, store.PrefixProposal+id, &sp); err != nil {
			if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
				return twinfed.Errorf(twinfed.ENOTFOUND, "There is no school proposal %q.", id)
			}
			return err
		}
		if sp.Status != twinfed.SchoolProposed {
			return twinfed.Errorf(twinfed.ECONFLICT, "This school proposal was already decided (%s).", sp.Status)
		}
		sp.Status, sp.RejectReason, sp.DecidedBy = twinfed.SchoolRejected, reason, p.Username
		return store.SetJSON(txn, store.PrefixProposal+id, sp)
	})
	if err != nil {
		return nil, s.internal("reject school", err)
	}
	s.validations.WithLabelValues("school", "rejected").Inc()
	return &sp, nil
}

// Stats are the agency's statistics.
type Stats struct {
	ByStatus map[string]int `json:"by_status"`
	ByRegion map[string]int `json:"by_region"` // validated and pending members, by main school's region
	ByLevel  map[string]int `json:"by_level"`  // same, by main school's level
	PerWeek  []WeekCount    `json:"registrations_per_week"`
	Schools  map[string]int `json:"school_proposals_by_status"`
}

// WeekCount is the number of registrations submitted in an ISO week.
type WeekCount struct {
	Week  string `json:"week"` // e.g. 2026-W47
	Count int    `json:"count"`
}

// Stats computes the agency's statistics. Agency only.
func (s *Service) Stats(ctx context.Context, p *twinfed.Principal) (*Stats, error) {
	if err := requireAgency(p); err != nil {
		return nil, err
	}
	st := &Stats{ByStatus: map[string]int{}, ByRegion: map[string]int{}, ByLevel: map[string]int{}, Schools: map[string]int{}}
	err := s.store.View(func(txn *badger.Txn) error {
		for _, status := range twinfed.MemberStatuses {
			st.ByStatus[string(status)] = store.CountPrefix(txn, store.PrefixStatus+string(status)+"/")
		}
		if err := store.EachJSON(txn, store.PrefixMember, func(m *twinfed.Member) error {
			if m.Role != twinfed.RoleMember || (m.Status != twinfed.StatusValidated && m.Status != twinfed.StatusPending) {
				return nil
			}
			region, level := "(none)", "(none)"
			if ms := m.MainSchool(); ms != nil {
				if ms.Region != "" {
					region = ms.Region
				}
				if ms.Level != "" {
					level = string(ms.Level)
				}
			}
			st.ByRegion[region]++
			st.ByLevel[level]++
			return nil
		}); err != nil {
			return err
		}
		weeks := map[string]int{}
		for _, k := range store.KeysUnder(txn, store.PrefixRegWeekly, 0) {
			w, _, _ := strings.Cut(k, "/")
			weeks[w]++
		}
		for w, n := range weeks {
			st.PerWeek = append(st.PerWeek, WeekCount{Week: w, Count: n})
		}
		sort.Slice(st.PerWeek, func(i, j int) bool { return st.PerWeek[i].Week < st.PerWeek[j].Week })
		return store.EachJSON(txn, store.PrefixProposal, func(sp *SchoolProposal) error {
			st.Schools[string(sp.Status)]++
			return nil
		})
	})
	return st, s.internal("stats", err)
}

// ExportCSV writes every member (agency staff excluded) as CSV. Agency only.
func (s *Service) ExportCSV(ctx context.Context, p *twinfed.Principal, w io.Writer) error {
	if err := requireAgency(p); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"username", "first_name", "last_name", "email", "status", "school_id", "school_name", "region", "level", "role_at_school", "schools", "created", "submitted", "validated", "reject_reason"})
	err := s.store.View(func(txn *badger.Txn) error {
		return store.EachJSON(txn, store.PrefixMember, func(m *twinfed.Member) error {
			if m.Role != twinfed.RoleMember {
				return nil
			}
			var sid, sname, region, level, role string
			if ms := m.MainSchool(); ms != nil {
				sid, sname, region, level, role = ms.SchoolID, ms.Name, ms.Region, string(ms.Level), ms.Role
			}
			return cw.Write([]string{m.Username, csvSafe(m.FirstName), csvSafe(m.LastName), m.Email, string(m.Status), sid, csvSafe(sname), csvSafe(region), level, role,
				itoa(len(m.Schools)), fmtTime(m.Created), fmtTime(m.Submitted), fmtTime(m.Validated), csvSafe(m.RejectReason)})
		})
	})
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	return s.internal("export csv", err)
}

// csvSafe defuses spreadsheet formulas in member-written text.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
