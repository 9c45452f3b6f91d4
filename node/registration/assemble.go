package registration

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/feature"
	"github.com/twinfed/twinfed/node/web"
)

var (
	_ Members                  = (*account.Service)(nil)
	_ Accounts                 = (*account.Service)(nil)
	_ account.RegistrationView = (*Service)(nil)
)

// Assemble builds the registration on the node's kit and the accounts
// (with the node's eligibility policy), gives the accounts its view
// (proposals for the export, each member's next step for the pages),
// unlinks a deleted member's proposals, counts the registrations
// submitted (twinfed_node_registrations_total) and adds its pages and
// JSON API to the node's routes.
func Assemble(k *feature.Kit, cfg Config, accounts *account.Service) (*Service, error) {
	submitted := prometheus.NewCounter(prometheus.CounterOpts{Name: "twinfed_node_registrations_total", Help: "Registrations submitted to the agency's queue."})
	if err := k.Register(submitted); err != nil {
		return nil, err
	}
	cfg.Country = k.Country
	s, err := New(cfg, Deps{Store: k.Store, Registry: k.Registry, Members: accounts, Registrations: submitted, Logger: k.Log, Now: k.Now})
	if err != nil {
		return nil, err
	}
	accounts.SetRegistration(s)
	accounts.OnDelete(s.UnlinkProposals)
	k.AddRoutes(func(w *web.Kit) error { return NewWeb(s, accounts).Routes(w) })
	return s, nil
}
