package account

import (
	"github.com/dgraph-io/badger/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/directory"
	"github.com/twinfed/twinfed/node/feature"
	"github.com/twinfed/twinfed/node/web"
)

var (
	_ directory.Members = (*Service)(nil)
	_ web.Authenticator = (*Service)(nil)
)

// Assemble builds the accounts on the node's kit and the directory (cfg's
// Country, BaseURL, Subjects and Languages are the kit's and the root
// package's), gives the directory its members, counts the members waiting
// for the agency (twinfed_node_validations_pending) and adds the
// account's pages and JSON API to the node's routes. The registration, built next,
// gives them its view (SetRegistration).
func Assemble(k *feature.Kit, cfg Config, dir *directory.Service) (*Service, error) {
	cfg.Country, cfg.BaseURL, cfg.Subjects, cfg.Languages = k.Country, k.BaseURL, twinfed.Subjects, twinfed.Languages
	s, err := New(cfg, Deps{Store: k.Store, Mailer: k.Mailer, Catalog: k.Catalog, Directory: dir, Activities: k.Acts, Notices: k.Notices,
		Logger: k.Log, Metrics: k.Metrics, Now: k.Now})
	if err != nil {
		return nil, err
	}
	dir.SetMembers(s)
	pending := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "twinfed_node_validations_pending", Help: "Members waiting in the agency's validation queue."}, func() float64 {
		n := 0
		_ = k.Store.View(func(txn *badger.Txn) error { n = s.CountStatus(txn, twinfed.StatusPending); return nil })
		return float64(n)
	})
	if err := k.Register(pending); err != nil {
		return nil, err
	}
	k.AddRoutes(func(w *web.Kit) error { return NewWeb(s, s.reg).Routes(w) })
	return s, nil
}
