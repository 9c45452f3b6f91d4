// Package inbound is the kit of the node's inbound router: what a feature
// says of the activities other nodes send it (Route: which activities are
// its own, and how it applies them), and the Router that asks the
// features' routes in the node's order.
//
// Each feature package exports its routes (InboxRoutes, in its inbox.go);
// the node (node/inbox.go) builds one Router from them, in one documented
// order of the features, and runs the route that claims an activity in the
// transaction that also records the activity's id. A new feature adds its
// routes to its own package and its place in that order, not to a table of
// the node's.
//
// # Precedence
//
// The Router asks the routes in two passes. First every route of pass
// ByContent, feature after feature, in the order given to NewRouter: those
// that claim an activity by what it carries (its embedded object, its
// actor, a note that this node knows to be an event's). Then every route
// of pass ByReference, in the same order: those that claim it by an id this
// node holds (a wall post that is the target of an Undo, an event that a
// Join names) or take what is left of a type (a Create of a note that
// nothing claimed is a direct message). The first route that claims the
// activity owns it; a route without Apply owns it to refuse it. An
// activity carries at most one embedded object (twinfed.Activity, which
// the federation decodes from its one object), plus, for some, a project
// as its target: two routes of one pass that look at different objects
// never both claim the same activity.
//
// The package imports only the root package and Badger: every feature
// package can use it (rank 1 in layout_test.go's order).
package inbound
