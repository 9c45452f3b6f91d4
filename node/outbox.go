package node

import (
	"context"
	"encoding/json"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
)

// isLocal reports whether an actor URL lives on this node.
func (s *Service) isLocal(actor string) bool { return s.acts.IsLocal(actor) }

// kick tells the outbox and the directory indexer that a transaction
// committed work for them.
func (s *Service) kick() {
	s.acts.Notify()
	s.dirWake()
}

// update runs fn in a store transaction and kicks the workers after a
// successful commit.
func (s *Service) update(fn func(txn *badger.Txn) error) error {
	if err := s.store.Update(fn); err != nil {
		return err
	}
	s.kick()
	return nil
}

// otherNodes returns the agency actor URL of every other active node: the
// recipients of what every node must hold (public profiles). The registry
// client answers from its local cache, kept current by the change feed, so
// a node that joins is a recipient as soon as the cache has it.
func (s *Service) otherNodes(ctx context.Context) []string {
	if s.registry == nil {
		return nil
	}
	list, err := s.registry.Countries(ctx)
	if err != nil {
		s.log.Warn("registry: list of nodes (other nodes will get this change by backfill)", "err", err)
		return nil
	}
	var out []string
	for _, c := range list {
		if c.Active && c.NodeURL != "" && twinfed.URLHost(c.NodeURL) != twinfed.URLHost(s.cfg.BaseURL) {
			out = append(out, twinfed.AgencyURL(c.NodeURL))
		}
	}
	return out
}

// publicOf returns the public profile a member shows the federation, nil
// for anyone not shown (not validated, agency staff, deleted).
func (s *Service) publicOf(m *twinfed.Member) *twinfed.Profile {
	if m == nil || m.Status != twinfed.StatusValidated || m.Role != twinfed.RoleMember {
		return nil
	}
	return m.PublicProfile(twinfed.ActorURL(s.cfg.BaseURL, m.Username), s.PhotoURL(m.Username))
}

func sameProfile(a, b *twinfed.Profile) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, y := *a, *b
	x.Updated, y.Updated = time.Time{}, time.Time{}
	jx, _ := json.Marshal(x)
	jy, _ := json.Marshal(y)
	return string(jx) == string(jy)
}

// saveMember writes m (see putMember) and, when its public profile
// changed, updates the directory and tells every other node: Update{Person},
// or Delete{Person} when the member is no longer shown. All in txn.
func (s *Service) saveMember(ctx context.Context, txn *badger.Txn, old, m *twinfed.Member) error {
	if err := putMember(txn, old, m); err != nil {
		return err
	}
	return s.profileChanged(ctx, txn, s.publicOf(old), s.publicOf(m), true)
}

// profileChanged records a local member's public profile change in the
// directory, and with publish sends it to the other nodes.
func (s *Service) profileChanged(ctx context.Context, txn *badger.Txn, before, after *twinfed.Profile, publish bool) error {
	if sameProfile(before, after) {
		return nil
	}
	to := s.otherNodes(ctx)
	switch {
	case after != nil:
		if err := s.dirPut(txn, after); err != nil {
			return err
		}
		if o := s.acts.Outbox(); publish && len(to) > 0 && o != nil {
			a := s.acts.New(twinfed.ActivityUpdate, after.Username)
			a.To, a.Object, a.Profile = to, after.ID, after
			return o.Enqueue(txn, a)
		}
	case before != nil:
		if err := s.dirRemove(txn, before.ID); err != nil {
			return err
		}
		if o := s.acts.Outbox(); publish && len(to) > 0 && o != nil {
			a := s.acts.New(twinfed.ActivityDelete, before.Username)
			a.To, a.Object = to, before.ID
			return o.Enqueue(txn, a)
		}
	}
	return nil
}
