package training

import (
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/feature"
	"github.com/twinfed/twinfed/node/web"
)

var _ Members = (*account.Service)(nil)

// Assemble builds professional development on the node's kit and the
// accounts, makes a deleted account's applications go with it, and adds
// its pages to the node's routes.
func Assemble(k *feature.Kit, accounts *account.Service) (*Service, error) {
	s, err := New(Config{BaseURL: k.BaseURL, Country: k.Country, AgencyName: k.AgencyName}, Deps{Store: k.Store, Members: accounts, Notices: k.Notices,
		Acts: k.Acts, Registry: k.Registry, Catalog: k.Catalog, Logger: k.Log, Now: k.Now})
	if err != nil {
		return nil, err
	}
	accounts.OnDelete(s.Forget)
	k.AddRoutes(func(w *web.Kit) error { return NewWeb(s).Routes(w) })
	return s, nil
}
