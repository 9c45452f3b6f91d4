package node

import (
	"context"
	"slices"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
)

// A validated member's further schools (the account's profile, with the
// registration's school choice and proposals: these move with the
// registration feature).

// AddSchool adds a further school (a member who teaches in several, or
// moved) with the member's role there. Only validated members add schools;
// a proposed school waits for the agency like at registration.
func (s *Service) AddSchool(ctx context.Context, p *twinfed.Principal, c SchoolChoice, role string) (*twinfed.Member, error) {
	if !slices.Contains(twinfed.SchoolRoles, role) {
		return nil, twinfed.FieldError("role", "Choose your role at the school from the list.")
	}
	if err := s.cfg.Policy.CheckRole(role); err != nil {
		return nil, err
	}
	if cur, err := s.Member(ctx, p.Username); err != nil {
		return nil, err
	} else if cur.Status != twinfed.StatusValidated {
		return nil, twinfed.Errorf(twinfed.EFORBIDDEN, "You can add schools once the agency has validated your registration.")
	}
	ms, prop, err := s.resolveSchool(ctx, p.Username, c)
	if err != nil {
		return nil, err
	}
	ms.Role = role
	var m *twinfed.Member
	err = s.update(func(txn *badger.Txn) error {
		old, err := getMember(txn, p.Username)
		if err != nil {
			return err
		}
		if old.Status != twinfed.StatusValidated {
			return twinfed.Errorf(twinfed.EFORBIDDEN, "You can add schools once the agency has validated your registration.")
		}
		for _, have := range old.Schools {
			if have.SchoolID != "" && have.SchoolID == ms.SchoolID {
				return twinfed.FieldError("school_id", "This school is already in your profile.")
			}
		}
		if len(old.Schools) >= 5 {
			return twinfed.Errorf(twinfed.EINVALID, "A profile holds at most 5 schools; remove one first.")
		}
		m = ptrCopy(old)
		m.Schools = append(slices.Clone(old.Schools), ms)
		if prop != nil {
			if err := store.SetJSON(txn, store.PrefixProposal+prop.ID, prop); err != nil {
				return err
			}
		}
		m.Updated = s.now().UTC()
		return s.saveMember(ctx, txn, old, m)
	})
	return m, s.internal("add school", err)
}

// RemoveSchool removes one of the member's further schools (index ≥ 1;
// the main school is changed, not removed).
func (s *Service) RemoveSchool(ctx context.Context, p *twinfed.Principal, index int) (*twinfed.Member, error) {
	var m *twinfed.Member
	err := s.update(func(txn *badger.Txn) error {
		old, err := getMember(txn, p.Username)
		if err != nil {
			return err
		}
		if index < 1 || index >= len(old.Schools) {
			return twinfed.Errorf(twinfed.EINVALID, "There is no such further school in your profile.")
		}
		m = ptrCopy(old)
		m.Schools = slices.Delete(slices.Clone(old.Schools), index, index+1)
		m.Updated = s.now().UTC()
		return s.saveMember(ctx, txn, old, m)
	})
	return m, s.internal("remove school", err)
}
