package agency

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/feature"
	"github.com/twinfed/twinfed/node/web"
)

var _ Accounts = (*account.Service)(nil)

// Assemble builds the agency's back office on the node's kit, the
// accounts and the registration's proposals (node/registration, of the
// same rank, so not named here), counts its decisions
// (twinfed_node_validations_total, beside the labels recorded:
// LabelRecorded) and adds its pages and JSON API to the node's routes.
func Assemble(k *feature.Kit, accounts *account.Service, reg Proposals) (*Service, error) {
	decisions := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "twinfed_node_validations_total",
		Help: "Agency decisions on members and schools, and quality labels recorded (kind label)."}, []string{"kind", "decision"})
	if err := k.Register(decisions); err != nil {
		return nil, err
	}
	s, err := New(Config{Country: k.Country, BaseURL: k.BaseURL}, Deps{Store: k.Store, Registry: k.Registry, Mailer: k.Mailer, Catalog: k.Catalog,
		Accounts: accounts, Proposals: reg, Validations: decisions, Logger: k.Log, Now: k.Now})
	if err != nil {
		return nil, err
	}
	k.AddRoutes(func(w *web.Kit) error { return NewWeb(s, k.Log).Routes(w) })
	return s, nil
}
