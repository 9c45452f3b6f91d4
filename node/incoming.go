package node

import (
	"context"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
)

// Profiles as they arrive from other nodes, routed here by the inbox
// (inbox.go): a profile is taken only from its own node. Contacts, follows
// and messages are package social's (node/social/inbox.go).

func drop(format string, args ...any) error { return twinfed.Errorf(twinfed.EINVALID, format, args...) }

// checkProfileOrigin checks that a pushed profile belongs to the sending
// node's country.
func (s *Service) checkProfileOrigin(ctx context.Context, a *twinfed.Activity) error {
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

// applyProfileUpdate takes a profile of another node's member for the
// directory (HandleActivity has checked its origin).
func (s *Service) applyProfileUpdate(txn *badger.Txn, a *twinfed.Activity) error {
	if s.isLocal(a.Profile.ID) {
		return drop("Update of a profile of this node from elsewhere")
	}
	if old := s.dirGet(txn, a.Profile.ID); old != nil && old.Updated.After(a.Profile.Updated) {
		return nil // an older version arriving late
	}
	return s.dirPut(txn, s.cleanProfile(a.Profile))
}

// applyActorDelete takes the deletion of another node's member: the
// directory and this node's members forget them.
func (s *Service) applyActorDelete(txn *badger.Txn, a *twinfed.Activity) error {
	if s.isLocal(a.Actor) {
		return nil
	}
	if err := s.dirRemove(txn, a.Actor); err != nil {
		return err
	}
	return s.forgetPeer(txn, a.Actor)
}

// cleanProfile sanitises what another node sent before it is stored and
// shown: the description is HTML.
func (s *Service) cleanProfile(p *twinfed.Profile) *twinfed.Profile {
	c := *p
	c.Description = s.html.Sanitize(p.Description)
	return &c
}
