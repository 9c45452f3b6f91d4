package registration

import (
	"context"
	"slices"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
)

// A validated member's further schools (/account/schools): chosen from the
// registry or proposed to the agency, as at registration.

// AddSchool adds a further school (a member who teaches in several, or
// moved) with the member's role there. Only validated members add schools;
// a proposed school waits for the agency like at registration.
func (s *Service) AddSchool(ctx context.Context, p *twinfed.Principal, c twinfed.SchoolChoice, role string) (*twinfed.Member, error) {
	if !slices.Contains(twinfed.SchoolRoles, role) {
		return nil, twinfed.FieldError("role", "Choose your role at the school from the list.")
	}
	if err := s.cfg.Policy.CheckRole(role); err != nil {
		return nil, err
	}
	var cur *twinfed.Member
	if err := s.store.View(func(txn *badger.Txn) (err error) { cur, err = s.members.MemberIn(txn, p.Username); return err }); err != nil {
		return nil, s.internal("get member", err)
	}
	if cur.Status != twinfed.StatusValidated {
		return nil, twinfed.Errorf(twinfed.EFORBIDDEN, "You can add schools once the agency has validated your registration.")
	}
	ms, prop, err := s.ResolveSchool(ctx, p.Username, c)
	if err != nil {
		return nil, err
	}
	ms.Role = role
	var m *twinfed.Member
	err = s.store.Update(func(txn *badger.Txn) error {
		old, err := s.members.MemberIn(txn, p.Username)
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
		m = clone(old)
		m.Schools = append(slices.Clone(old.Schools), ms)
		if prop != nil {
			if err := s.PutProposal(txn, prop); err != nil {
				return err
			}
		}
		m.Updated = s.now().UTC()
		return s.members.SaveMember(ctx, txn, old, m)
	})
	return m, s.internal("add school", err)
}

// RemoveSchool removes one of the member's further schools (index ≥ 1;
// the main school is changed, not removed).
func (s *Service) RemoveSchool(ctx context.Context, p *twinfed.Principal, index int) (*twinfed.Member, error) {
	var m *twinfed.Member
	err := s.store.Update(func(txn *badger.Txn) error {
		old, err := s.members.MemberIn(txn, p.Username)
		if err != nil {
			return err
		}
		if index < 1 || index >= len(old.Schools) {
			return twinfed.Errorf(twinfed.EINVALID, "There is no such further school in your profile.")
		}
		m = clone(old)
		m.Schools = slices.Delete(slices.Clone(old.Schools), index, index+1)
		m.Updated = s.now().UTC()
		return s.members.SaveMember(ctx, txn, old, m)
	})
	return m, s.internal("remove school", err)
}
