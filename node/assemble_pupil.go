package node

import (
	"context"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed/node/twinspace"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/project/certificate"
	"github.com/twinfed/twinfed/node/pupil"
	"github.com/twinfed/twinfed/node/web"
)

// The assembly of the pupils' and visitors' accounts (node/pupil): the
// service on the accounts' password hashing and login limit, the
// TwinSpaces a teacher may invite a visitor to, the one web
// Authenticator that hands each session to the service that owns it, and
// the routes.

var (
	_ pupil.Passwords   = account.Passwords{}
	_ pupil.Limiter     = (*account.LoginLimiter)(nil)
	_ pupil.Members     = (*account.Service)(nil)
	_ pupil.Spaces      = teacherSpaces{}
	_ web.Authenticator = sessions{}
	_ twinspace.Pupils  = twinspacePupils{}
)

// assemblePupil builds the pupils' accounts on the members' accounts, and
// removes a teacher's pupils and visitors with the teacher's account.
func (s *Service) assemblePupil() error {
	regular, bold := certificate.Fonts()
	tries, window := s.accounts.LoginLimits()
	var err error
	s.pupils, err = pupil.New(pupil.Config{BaseURL: s.cfg.BaseURL, Node: "eTwinning · Twinfed " + strings.ToUpper(s.cfg.Country)},
		pupil.Deps{Store: s.store, Passwords: s.accounts.Passwords(), Limiter: account.NewLoginLimiter(tries, window, s.now),
			Members: s.accounts, Spaces: teacherSpaces{s}, Mailer: s.mailer, Catalog: s.cat, Fonts: [2][]byte{regular, bold}, Visual: certificate.VisualLine, Logger: s.log, Now: s.now})
	if err != nil {
		return err
	}
	s.accounts.OnDelete(s.pupils.RemoveTeacher) // a teacher's pupils and visitors leave with them
	return nil
}

// Pupils returns the pupils' and visitors' accounts.
func (n *Node) Pupils() *pupil.Service { return n.svc.pupils }

// pupilRoutes registers the pupils' pages and JSON API.
func (s *Server) pupilRoutes(k *web.Kit) error { return pupil.NewWeb(s.svc.pupils).Routes(k) }

// teacherSpaces gives the TwinSpaces a teacher may invite a visitor to:
// those of their approved projects (the projects are built after the
// pupils, so they are read when asked).
type teacherSpaces struct{ s *Service }

// TeacherSpaces asks the projects.
func (t teacherSpaces) TeacherSpaces(ctx context.Context, username string) ([]pupil.SpaceRef, error) {
	if t.s.projects == nil {
		return nil, nil
	}
	mine, err := t.s.projects.MyProjects(ctx, &twinfed.Principal{Username: username, Role: twinfed.RoleMember, Status: twinfed.StatusValidated})
	if err != nil {
		return nil, err
	}
	out := make([]pupil.SpaceRef, 0, len(mine.Approved))
	for _, p := range mine.Approved {
		out = append(out, pupil.SpaceRef{Project: p.ID, Title: p.Title})
	}
	return out, nil
}

// AddVisitor asks the TwinSpaces.
func (t teacherSpaces) AddVisitor(ctx context.Context, teacher *twinfed.Principal, username, project string) error {
	return t.s.twinspaces.AddVisitor(ctx, teacher, username, project)
}

// twinspacePupils gives the TwinSpaces the pupils' and visitors' accounts
// (twinspace.Pupils).
type twinspacePupils struct{ p *pupil.Service }

func (a twinspacePupils) AddSpace(txn *badger.Txn, teacher, username, project, title string) error {
	return a.p.AddSpace(txn, teacher, username, project, title)
}

func (a twinspacePupils) RemoveSpace(txn *badger.Txn, username, project string) error {
	return a.p.RemoveSpace(txn, username, project)
}

// Mine lists a teacher's pupils and visitors (visitors whose invitation
// ended are left out).
func (a twinspacePupils) Mine(ctx context.Context, teacher string) ([]twinspace.PupilRef, error) {
	pupils, visitors, err := a.p.Mine(ctx, &twinfed.Principal{Username: teacher, Role: twinfed.RoleMember, Status: twinfed.StatusValidated})
	if err != nil {
		return nil, err
	}
	out := make([]twinspace.PupilRef, 0, len(pupils)+len(visitors))
	for _, x := range pupils {
		out = append(out, twinspace.PupilRef{Username: x.Username, Name: x.DisplayName})
	}
	for _, x := range visitors {
		out = append(out, twinspace.PupilRef{Username: x.Username, Name: x.DisplayName, Visitor: true, Expires: x.Expires})
	}
	return out, nil
}

// sessions is the web kit's Authenticator: a pupil's or a visitor's
// session token (pupil.TokenPrefix) goes to the pupils' accounts, every
// other to the members'; each owns its sessions.
type sessions struct {
	accounts *account.Service
	pupils   *pupil.Service
}

// Authenticate asks the service that owns token.
func (a sessions) Authenticate(ctx context.Context, token string) (*twinfed.Principal, string, error) {
	if pupil.IsToken(token) {
		return a.pupils.Authenticate(ctx, token)
	}
	return a.accounts.Authenticate(ctx, token)
}

// AnonymousCSRF asks the members' accounts (the node secret).
func (a sessions) AnonymousCSRF(anon string) string { return a.accounts.AnonymousCSRF(anon) }

// Member asks the members' accounts.
func (a sessions) Member(ctx context.Context, username string) (*twinfed.Member, error) {
	return a.accounts.Member(ctx, username)
}
