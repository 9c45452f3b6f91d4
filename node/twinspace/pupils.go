package twinspace

import (
	"context"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/pupil"
)

var _ Pupils = PupilAccounts{}

// PupilAccounts gives the TwinSpaces the node's pupils' and visitors'
// accounts (node/pupil) as Pupils.
type PupilAccounts struct{ P *pupil.Service }

// AddSpace asks the accounts.
func (a PupilAccounts) AddSpace(txn *badger.Txn, teacher, username, project, title string) error {
	return a.P.AddSpace(txn, teacher, username, project, title)
}

// RemoveSpace asks the accounts.
func (a PupilAccounts) RemoveSpace(txn *badger.Txn, username, project string) error {
	return a.P.RemoveSpace(txn, username, project)
}

// Mine lists a teacher's pupils and visitors.
func (a PupilAccounts) Mine(ctx context.Context, teacher string) ([]PupilRef, error) {
	pupils, visitors, err := a.P.Mine(ctx, &twinfed.Principal{Username: teacher, Role: twinfed.RoleMember, Status: twinfed.StatusValidated})
	if err != nil {
		return nil, err
	}
	out := make([]PupilRef, 0, len(pupils)+len(visitors))
	for _, x := range pupils {
		out = append(out, PupilRef{Username: x.Username, Name: x.DisplayName})
	}
	for _, x := range visitors {
		out = append(out, PupilRef{Username: x.Username, Name: x.DisplayName, Visitor: true, Expires: x.Expires})
	}
	return out, nil
}

// UsePupils gives the service the node's pupils' and visitors' accounts,
// and takes a pupil removed (or a visitor's invitation ended) by their
// teacher out of every TwinSpace they were in.
func (s *Service) UsePupils(p *pupil.Service) {
	s.SetPupils(PupilAccounts{p})
	p.OnRemove(func(txn *badger.Txn, a *pupil.Account) error {
		projects := make([]string, 0, len(a.Spaces))
		for _, sp := range a.Spaces {
			projects = append(projects, sp.Project)
		}
		return s.DropPupil(txn, a.Teacher, a.Username, projects)
	})
}
