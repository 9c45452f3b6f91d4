package agency

import (
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// ListProposals returns school proposals with the given status (all for
// ""), oldest first. Agency only.
func (s *Service) ListProposals(ctx context.Context, p *twinfed.Principal, status twinfed.SchoolStatus) ([]*twinfed.SchoolProposal, error) {
	if err := Require(p); err != nil {
		return nil, err
	}
	var out []*twinfed.SchoolProposal
	err := s.store.View(func(txn *badger.Txn) error {
		return s.proposals.EachProposal(txn, func(sp *twinfed.SchoolProposal) error {
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
func (s *Service) Proposal(ctx context.Context, p *twinfed.Principal, id string) (*twinfed.SchoolProposal, error) {
	if err := Require(p); err != nil {
		return nil, err
	}
	var sp *twinfed.SchoolProposal
	err := s.store.View(func(txn *badger.Txn) error {
		var err error
		sp, err = s.proposals.ProposalIn(txn, id)
		return err
	})
	return sp, s.internal("proposal", err)
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
		return nil, twinfed.Errorf(twinfed.ECONFLICT, "This school proposal was already decided.")
	}
	if s.registry == nil {
		return nil, web.ErrRegistryDown()
	}
	sc := sp.School()
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
	err = s.store.Update(func(txn *badger.Txn) error {
		cur, err := s.proposals.ProposalIn(txn, id)
		if err != nil {
			return err
		}
		cur.Status, cur.SchoolID, cur.DecidedBy = twinfed.SchoolValidated, stored.ID, p.Username
		if err := s.proposals.PutProposal(txn, cur); err != nil {
			return err
		}
		if cur.ProposedBy == "" {
			return nil
		}
		old, err := s.accounts.MemberIn(txn, cur.ProposedBy)
		if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			return nil
		} else if err != nil {
			return err
		}
		m := clone(old)
		m.Schools = slices.Clone(old.Schools)
		for i := range m.Schools {
			if m.Schools[i].ProposalID == id {
				m.Schools[i].SchoolID, m.Schools[i].ProposalID, m.Schools[i].Name = stored.ID, "", stored.Name()
			}
		}
		return s.accounts.SaveMember(ctx, txn, old, m)
	})
	if err != nil {
		return nil, s.internal("validate school", err)
	}
	s.count("school", "validated")
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
func (s *Service) RejectSchool(ctx context.Context, p *twinfed.Principal, id, reason string) (*twinfed.SchoolProposal, error) {
	if err := Require(p); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > 1000 {
		return nil, twinfed.FieldError("reason", "Give a reason (at most 1000 characters); the member will read it.")
	}
	var sp *twinfed.SchoolProposal
	err := s.store.Update(func(txn *badger.Txn) error {
		var err error
		if sp, err = s.proposals.ProposalIn(txn, id); err != nil {
			return err
		}
		if sp.Status != twinfed.SchoolProposed {
			return twinfed.Errorf(twinfed.ECONFLICT, "This school proposal was already decided.")
		}
		sp.Status, sp.RejectReason, sp.DecidedBy = twinfed.SchoolRejected, reason, p.Username
		return s.proposals.PutProposal(txn, sp)
	})
	if err != nil {
		return nil, s.internal("reject school", err)
	}
	s.count("school", "rejected")
	return sp, nil
}
