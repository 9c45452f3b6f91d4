package workspace

import (
	"context"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/project"
	"github.com/twinfed/twinfed/node/pupil"
	"github.com/twinfed/twinfed/node/twinspace"
)

var _ pupil.Spaces = teacherSpaces{}

// teacherSpaces gives the pupils' accounts the TwinSpaces a teacher may
// invite a visitor to, those of the teacher's approved projects, and adds
// the visitor to one.
type teacherSpaces struct {
	projects *project.Service
	core     *twinspace.Service
}

// TeacherSpaces asks the projects.
func (t teacherSpaces) TeacherSpaces(ctx context.Context, username string) ([]pupil.SpaceRef, error) {
	mine, err := t.projects.MyProjects(ctx, &twinfed.Principal{Username: username, Role: twinfed.RoleMember, Status: twinfed.StatusValidated})
	if err != nil {
		return nil, err
	}
	out := make([]pupil.SpaceRef, 0, len(mine.Approved))
	for _, p := range mine.Approved {
		out = append(out, pupil.SpaceRef{Project: p.ID, Title: p.Title})
	}
	return out, nil
}

// AddVisitor asks the TwinSpace's core.
func (t teacherSpaces) AddVisitor(ctx context.Context, teacher *twinfed.Principal, username, project string) error {
	return t.core.AddVisitor(ctx, teacher, username, project)
}
