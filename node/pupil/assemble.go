package pupil

import (
	"strings"

	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/feature"
	"github.com/twinfed/twinfed/node/project/certificate"
	"github.com/twinfed/twinfed/node/web"
)

var (
	_ Passwords         = account.Passwords{}
	_ Limiter           = (*account.LoginLimiter)(nil)
	_ Members           = (*account.Service)(nil)
	_ web.Authenticator = Sessions{}
)

// Assemble builds the pupils' and visitors' accounts on the node's kit and
// the members' accounts (their password hashing and login limits), makes
// a teacher's pupils and visitors leave with the teacher's account, and
// adds the pupils' pages and JSON API to the node's routes. The
// TwinSpaces, built later, give it the spaces a teacher may invite a
// visitor to (UseSpaces).
func Assemble(k *feature.Kit, accounts *account.Service) (*Service, error) {
	regular, bold := certificate.Fonts()
	tries, window := accounts.LoginLimits()
	s, err := New(Config{BaseURL: k.BaseURL, Node: "eTwinning · Twinfed " + strings.ToUpper(k.Country)},
		Deps{Store: k.Store, Passwords: accounts.Passwords(), Limiter: account.NewLoginLimiter(tries, window, k.Now), Members: accounts,
			Mailer: k.Mailer, Catalog: k.Catalog, Fonts: [2][]byte{regular, bold}, Visual: certificate.VisualLine, Logger: k.Log, Now: k.Now})
	if err != nil {
		return nil, err
	}
	accounts.OnDelete(s.RemoveTeacher)
	k.AddRoutes(func(w *web.Kit) error { return NewWeb(s).Routes(w) })
	return s, nil
}
