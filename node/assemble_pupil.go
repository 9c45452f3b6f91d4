package node

import (
	"strings"

	"github.com/twinfed/twinfed/node/twinspace"

	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/project/certificate"
	"github.com/twinfed/twinfed/node/pupil"
	"github.com/twinfed/twinfed/node/web"
)

// The assembly of the pupils' and visitors' accounts (node/pupil): the
// service on the accounts' password hashing and login limit, the
// TwinSpaces a teacher may invite a visitor to (given by the
// TwinSpaces' assembly, node/twinspace/workspace), the one web
// Authenticator that hands each session to the service that owns it, and
// the routes.

var (
	_ pupil.Passwords   = account.Passwords{}
	_ pupil.Limiter     = (*account.LoginLimiter)(nil)
	_ pupil.Members     = (*account.Service)(nil)
	_ web.Authenticator = pupil.Sessions{}
	_ twinspace.Pupils  = twinspace.PupilAccounts{}
)

// assemblePupil builds the pupils' accounts on the members' accounts, and
// removes a teacher's pupils and visitors with the teacher's account.
func (s *Service) assemblePupil() error {
	regular, bold := certificate.Fonts()
	tries, window := s.accounts.LoginLimits()
	var err error
	s.pupils, err = pupil.New(pupil.Config{BaseURL: s.cfg.BaseURL, Node: "eTwinning · Twinfed " + strings.ToUpper(s.cfg.Country)},
		pupil.Deps{Store: s.store, Passwords: s.accounts.Passwords(), Limiter: account.NewLoginLimiter(tries, window, s.now),
			Members: s.accounts, Mailer: s.mailer, Catalog: s.cat, Fonts: [2][]byte{regular, bold}, Visual: certificate.VisualLine, Logger: s.log, Now: s.now})
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
