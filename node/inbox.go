package node

import (
	"context"
	"errors"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/inbound"
	"github.com/twinfed/twinfed/node/store"
)

// The node's twinfed.InboxHandler. The federation calls HandleActivity once
// per verified activity from another node (signature, registry key and same
// origin already checked); the inbox hands it to the feature that claims it
// (node/inbound: each feature says which activities are its own and how it
// applies them) and applies it in one transaction that also records its
// id, so that an activity handed over again (the federation does after a
// crash between applying an activity and marking it done) changes nothing
// and sends nothing. Actions of this node's own members never come this
// way: they make their effect on other members of this node themselves,
// with the features' own functions.

var _ twinfed.InboxHandler = (*Service)(nil)

// The activities from other nodes this node applied are recorded under
// store.PrefixApplied: ap/<activity id> → the time it was applied (RFC
// 3339, 20 bytes), about a hundred bytes with the key. They are kept, not
// pruned: a replay can come at any time, and the federation keeps its own
// record of every incoming activity, raw body and headers included, which
// is many times larger. An activity dropped (EINVALID, EFORBIDDEN) is not
// recorded.

// newInbox builds the inbound router on the features' routes (Open calls
// it once every feature is built). The order is the precedence between
// features (see node/inbound): a TwinSpace object and a training offer
// whatever else the activity says; the partner forum's posts; an event's
// file before its forum's message (a file's note also answers its event),
// before the event; wall posts before the notes and answers left to the
// contacts (a reply before a direct message, an unlike before the Undo of
// a follow); the projects' Update and Delete after the notes' (a project
// may be a note's target); the directory's profiles and deleted actors
// last.
func (s *Service) newInbox() *inbound.Router {
	return inbound.NewRouter(
		s.twinspaces.Core.InboxRoutes(),
		s.training.InboxRoutes(),
		s.forum.InboxRoutes(),
		s.ev.InboxRoutes(),
		s.feed.InboxRoutes(),
		s.social.InboxRoutes(),
		s.projects.InboxRoutes(),
		s.dir.InboxRoutes(),
	)
}

// HandleActivity applies an activity from another node, once: an id applied
// before is a no-op. It returns EINVALID or EFORBIDDEN for one that can
// never apply (the federation then drops it with a log line, and nothing
// is recorded); other errors are retried.
func (s *Service) HandleActivity(ctx context.Context, a *twinfed.Activity) error {
	if a.ID == "" {
		return twinfed.Errorf(twinfed.EINVALID, "%s activity without an id", a.Type)
	}
	if a.Type == twinfed.ActivityUpdate && a.Profile != nil {
		if err := s.dir.CheckProfileOrigin(ctx, a); err != nil {
			return err
		}
	}
	// A transaction that conflicted with a concurrent one is run again at
	// once rather than handed back to the federation's retry backoff.
	var err error
	for range 100 {
		if err = s.apply(ctx, a); !errors.Is(err, badger.ErrConflict) {
			break
		}
	}
	if err != nil {
		return err
	}
	// The handlers' work for the outbox. The directory's indexer is woken
	// by the directory's own writes (directory.Service.Put, Remove), not
	// by every activity: each wake walks its queue of markers.
	s.kit.Acts.Notify()
	return nil
}

// apply runs the handler of the route that claims a in one transaction
// that also records its id; the events choose the writer of their
// bookings (eventtools.Tools.Writer).
func (s *Service) apply(ctx context.Context, a *twinfed.Activity) error {
	run := s.kit.Store.Update
	if s.ev != nil {
		if w := s.ev.Writer(a); w != nil {
			run = w
		}
	}
	return run(func(txn *badger.Txn) error {
		key := store.PrefixApplied + a.ID
		if done, err := store.Exists(txn, key); err != nil || done {
			return err
		}
		r, ok := s.inbox.Route(txn, a)
		if !ok || r.Apply == nil {
			return inbound.Refused(a)
		}
		if err := txn.Set([]byte(key), []byte(s.kit.Now().UTC().Format(time.RFC3339))); err != nil {
			return err
		}
		return r.Apply(ctx, txn, a)
	})
}
