package eventplaces

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed/node/event"
	"github.com/twinfed/twinfed/node/feature"
	"github.com/twinfed/twinfed/node/web"
)

var _ event.Places = (*Service)(nil)

// Assemble builds the counts of places of the events (events) on the
// node's kit: the signed fetcher (Kit.Fetch; nil: other nodes' counts are
// not asked for), the registry (the signing nodes' countries), the clock;
// it counts the fetches (twinfed_node_event_places_fetches_total) and
// adds, behind the kit's signature check (Kit.Web.Signed), the route that
// serves this node's events' counts to other nodes.
func Assemble(k *feature.Kit, events *event.Service) (*Service, error) {
	fetches := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "twinfed_node_event_places_fetches_total",
		Help: "Counts of places of other nodes' events asked of their home nodes, by result (ok, unavailable, refused, bad_answer)."}, []string{"result"})
	if err := k.Register(fetches); err != nil {
		return nil, err
	}
	s := New(Deps{Events: events, Store: k.Store, Registry: k.Registry, Fetch: k.Fetch, Fetches: fetches, Logger: k.Log, Now: k.Now})
	k.AddRoutes(func(w *web.Kit) error {
		if k.Web.Signed != nil {
			w.Handle("GET "+Path, k.Web.Signed(s))
		}
		return nil
	})
	return s, nil
}
