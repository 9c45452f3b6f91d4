package directory

import (
	"context"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/inbound"
)

// Profiles as they arrive from other nodes, routed here by the node's
// inbound router (node/inbox.go): an Update{Person} carries a profile for
// the directory, a Delete{Person} by the actor itself removes it. A
// profile is taken only from its own node.

// ActorDeleted is what another feature does when a member of another node
// deletes their account, in the transaction that removes the profile (the
// social feature forgets them).
type ActorDeleted func(txn *badger.Txn, actor string) error

func drop(format string, args ...any) error { return twinfed.Errorf(twinfed.EINVALID, format, args...) }

// OnActorDeleted adds a reaction to the deletion of another node's member.
func (s *Service) OnActorDeleted(f ActorDeleted) { s.deleted = append(s.deleted, f) }

// CheckProfileOrigin checks, before the transaction that applies it, that
// a pushed profile is its sender's own and belongs to the sending node's
// country: EINVALID or EFORBIDDEN when it does not.
func (s *Service) CheckProfileOrigin(ctx context.Context, a *twinfed.Activity) error {
	if a.Profile.ID != a.Actor {
		return drop("Update of %s sent by %s", a.Profile.ID, a.Actor)
	}
	if s.registry == nil {
		return nil
	}
	c, err := s.registry.CountryByHost(ctx, twinfed.URLHost(a.Actor))
	if err != nil {
		if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			return twinfed.Errorf(twinfed.EFORBIDDEN, "%s is not a node of the federation", twinfed.URLHost(a.Actor))
		}
		return err
	}
	if c.Code != a.Profile.Country {
		return drop("profile %s claims country %s, its node is %s's", a.Profile.ID, a.Profile.Country, c.Code)
	}
	return nil
}

// ApplyProfileUpdate takes a profile of another node's member for the
// directory (CheckProfileOrigin has checked its origin); an older version
// arriving late changes nothing. EINVALID for a profile of this node.
func (s *Service) ApplyProfileUpdate(txn *badger.Txn, a *twinfed.Activity) error {
	if s.IsLocal(a.Profile.ID) {
		return drop("Update of a profile of this node from elsewhere")
	}
	if old := s.Get(txn, a.Profile.ID); old != nil && old.Updated.After(a.Profile.Updated) {
		return nil // an older version arriving late
	}
	return s.Put(txn, s.cleanProfile(a.Profile))
}

// ApplyActorDelete takes the deletion of another node's member: the
// directory and the features registered with OnActorDeleted forget them.
func (s *Service) ApplyActorDelete(txn *badger.Txn, a *twinfed.Activity) error {
	if s.IsLocal(a.Actor) {
		return nil
	}
	if err := s.Remove(txn, a.Actor); err != nil {
		return err
	}
	for _, f := range s.deleted {
		if err := f(txn, a.Actor); err != nil {
			return err
		}
	}
	return nil
}

// cleanProfile sanitises what another node sent before it is stored and
// shown: the description is HTML.
func (s *Service) cleanProfile(p *twinfed.Profile) *twinfed.Profile {
	c := *p
	c.Description = s.html.Sanitize(p.Description)
	return &c
}

// InboxRoutes are the directory's claims on activities from other nodes
// (node/inbound): the Update of a profile, which it carries (its origin is
// checked before, CheckProfileOrigin), and the Delete of the actor that
// sends it.
func (s *Service) InboxRoutes() []inbound.Route {
	return []inbound.Route{
		{Name: "directory.ApplyProfileUpdate", Types: []twinfed.ActivityType{twinfed.ActivityUpdate}, Apply: inbound.Tx(s.ApplyProfileUpdate),
			Claims: func(_ *badger.Txn, a *twinfed.Activity) bool { return a.Profile != nil }},
		{Name: "directory.ApplyActorDelete", Types: []twinfed.ActivityType{twinfed.ActivityDelete}, Apply: inbound.Tx(s.ApplyActorDelete),
			Claims: func(_ *badger.Txn, a *twinfed.Activity) bool { return a.Object == a.Actor }},
	}
}
