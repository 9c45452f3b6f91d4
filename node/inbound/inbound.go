package inbound

import (
	"context"
	"slices"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
)

// Handler applies one activity from another node within txn, the
// transaction that also records its id. It returns EINVALID or EFORBIDDEN
// for an activity that can never apply (dropped by the federation, and
// nothing is recorded); other errors are retried.
type Handler func(ctx context.Context, txn *badger.Txn, a *twinfed.Activity) error

// Tx makes a Handler of a handler that needs no context.
func Tx(h func(txn *badger.Txn, a *twinfed.Activity) error) Handler {
	return func(_ context.Context, txn *badger.Txn, a *twinfed.Activity) error { return h(txn, a) }
}

// Pass is when the Router asks a route (see the package's Precedence).
type Pass int

// The passes, in the order the Router asks them.
const (
	// ByContent routes claim an activity by what it carries.
	ByContent Pass = iota
	// ByReference routes claim it by an id this node holds, or take what
	// is left of a type; asked after every ByContent route.
	ByReference
)

// Route is a feature's claim on activities from other nodes.
type Route struct {
	// Name is the handler, as feature.Handler: for the tests and the logs.
	Name string
	// Types are the activity types the route looks at; nil: every type.
	Types []twinfed.ActivityType
	Pass  Pass
	// Claims reports, within the activity's transaction, whether a is the
	// route's; nil: every activity of Types is.
	Claims func(txn *badger.Txn, a *twinfed.Activity) bool
	// Apply applies a claimed activity; nil: the route claims it to refuse
	// it (it is its feature's, but not one the feature takes).
	Apply Handler
}

// Router finds the route that owns an activity. The zero Router has no
// routes and refuses everything. It is safe for concurrent use.
type Router struct {
	routes []Route // by pass, then in the order given to NewRouter
}

// NewRouter returns a router over the features' routes, each feature's in
// its order, the features in the order given.
func NewRouter(features ...[]Route) *Router {
	r := &Router{routes: slices.Concat(features...)}
	slices.SortStableFunc(r.routes, func(a, b Route) int { return int(a.Pass) - int(b.Pass) })
	return r
}

// Route returns the route that claims a within txn, and false when none
// does.
func (r *Router) Route(txn *badger.Txn, a *twinfed.Activity) (Route, bool) {
	if r == nil {
		return Route{}, false
	}
	for _, rt := range r.routes {
		if (rt.Types == nil || slices.Contains(rt.Types, a.Type)) && (rt.Claims == nil || rt.Claims(txn, a)) {
			return rt, true
		}
	}
	return Route{}, false
}

// Refused is the error of an activity that no route takes: EINVALID.
func Refused(a *twinfed.Activity) error {
	return twinfed.Errorf(twinfed.EINVALID, "%s activities are not handled by this node", a.Type)
}
