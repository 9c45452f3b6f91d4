package eventtools

import (
	"context"
	"slices"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/inbound"
)

// InboxRoutes are the events' and their tools' claims on activities from
// other nodes (node/inbound), in this order: an event's file
// (eventfiles), a message of an event's forum (eventforum), then the
// events' own: the Create, Update or Delete of an event, which it carries;
// by the events this node holds, a Join or Leave of one, and the home
// node's Accept or Reject of a booking (the event is the target). An
// Accept that confirms a member of this node also marks the event's forum
// and files due for a catch-up (eventforum.Service.OnAnswer); every
// answer drops the counts of places kept for the event's page
// (eventplaces.Service.Forget). The events'
// routes are written here, where the tools are joined, rather than in
// node/event, which is at its size bound.
func (t *Tools) InboxRoutes() []inbound.Route {
	types := func(ts ...twinfed.ActivityType) []twinfed.ActivityType { return ts }
	ev := t.Events
	held := func(txn *badger.Txn, a *twinfed.Activity) bool { return ev.Has(txn, a.Object) }
	booking := func(txn *badger.Txn, a *twinfed.Activity) bool { return a.Target != "" && ev.Has(txn, a.Target) }
	return slices.Concat(t.Files.InboxRoutes(), t.Forum.InboxRoutes(), []inbound.Route{
		{Name: "event.ApplyEvent", Types: types(twinfed.ActivityCreate, twinfed.ActivityUpdate, twinfed.ActivityDelete), Apply: ev.ApplyEvent,
			Claims: func(_ *badger.Txn, a *twinfed.Activity) bool { return a.Event != nil }},
		{Name: "event.ApplyJoin", Types: types(twinfed.ActivityJoin), Pass: inbound.ByReference, Claims: held, Apply: ev.ApplyJoin},
		{Name: "event.ApplyLeave", Types: types(twinfed.ActivityLeave), Pass: inbound.ByReference, Claims: held, Apply: ev.ApplyLeave},
		{Name: "event.ApplyAnswer+eventforum.OnAnswer", Types: types(twinfed.ActivityAccept), Pass: inbound.ByReference, Claims: booking, Apply: t.applyAccept},
		{Name: "event.ApplyAnswer", Types: types(twinfed.ActivityReject), Pass: inbound.ByReference, Claims: booking, Apply: t.applyReject},
	})
}

// applyAccept takes the home node's acceptance of a booking; a member of
// this node confirmed catches up on the event's forum and files.
func (t *Tools) applyAccept(ctx context.Context, txn *badger.Txn, a *twinfed.Activity) error {
	if err := t.applyReject(ctx, txn, a); err != nil {
		return err
	}
	return t.Forum.OnAnswer(txn, a)
}

// applyReject takes the home node's answer to a booking (a refusal, or
// the acceptance for applyAccept): the counts of places kept for the
// event's page are dropped, so that its next view asks the home node,
// which counts the booking now.
func (t *Tools) applyReject(ctx context.Context, txn *badger.Txn, a *twinfed.Activity) error {
	if err := t.Events.ApplyAnswer(ctx, txn, a); err != nil {
		return err
	}
	if t.Places != nil {
		t.Places.Forget(a.Target)
	}
	return nil
}

// Writer returns what runs an activity from another node in place of a
// transaction of its own, nil for most: the Join and Leave of an event of
// this node run in the event's single writer, which decides its bookings
// in batches (event.Service.Serial), and the home node's answers to the
// bookings of this node's members (Accept and Reject, the event their
// target) in the writer of that event, which records many of them in one
// commit.
func (t *Tools) Writer(a *twinfed.Activity) func(fn func(txn *badger.Txn) error) error {
	id := ""
	switch a.Type {
	case twinfed.ActivityJoin, twinfed.ActivityLeave:
		if t.Events.IsHome(a.Object) {
			id = a.Object
		}
	case twinfed.ActivityAccept, twinfed.ActivityReject:
		if isEventURL(a.Target) && !t.Events.IsHome(a.Target) {
			id = a.Target
		}
	}
	if id == "" {
		return nil
	}
	return func(fn func(txn *badger.Txn) error) error { return t.Events.Serial(id, fn) }
}

// isEventURL reports whether u has the form of an event's id,
// <node>/events/<id>: the writer is only a choice of batches, so a URL of
// that form that names no event costs nothing more (the inbox refuses its
// activity as it would in a transaction of its own).
func isEventURL(u string) bool {
	host, rest, ok := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://"), "/events/")
	return ok && host != "" && !strings.Contains(host, "/") && rest != "" && !strings.ContainsAny(rest, "/?#")
}
