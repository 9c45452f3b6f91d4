package node

import (
	"context"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
)

// The node's twinfed.InboxHandler: the federation calls HandleActivity once
// per verified activity (signature, registry key and same origin already
// checked), and the same code applies activities between members of this
// node (Service.send). Each activity is checked against the records it
// touches: an Accept is taken only from the member who was asked, a message
// only for a member of this node, a profile only from its own node.

var _ twinfed.InboxHandler = (*Service)(nil)

// HandleActivity applies an activity from another node. It returns EINVALID
// or EFORBIDDEN for one that can never apply (the federation then drops it
// with a log line); other errors are retried.
func (s *Service) HandleActivity(ctx context.Context, a *twinfed.Activity) error {
	if a.Type == twinfed.ActivityUpdate && a.Profile != nil {
		if err := s.checkProfileOrigin(ctx, a); err != nil {
			return err
		}
	}
	return s.update(func(txn *badger.Txn) error { return s.apply(txn, a) })
}

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

// localTarget returns the validated local member an actor URL names.
func (s *Service) localTarget(txn *badger.Txn, actor string) (string, error) {
	u, ok := twinfed.UsernameFromActor(s.cfg.BaseURL, actor)
	if !ok {
		return "", drop("%s is not a member of this node", actor)
	}
	m, err := getMember(txn, u)
	if err != nil || s.publicOf(m) == nil {
		return "", drop("%s is not a member of this node", actor)
	}
	return u, nil
}

// apply applies a within txn.
func (s *Service) apply(txn *badger.Txn, a *twinfed.Activity) error {
	if ok, err := s.applyProject(txn, a); ok {
		return err
	}
	switch a.Type {
	case twinfed.ActivityFollow:
		return s.applyFollow(txn, a)
	case twinfed.ActivityAccept, twinfed.ActivityReject:
		return s.applyAnswer(txn, a)
	case twinfed.ActivityUndo:
		return s.applyUndo(txn, a)
	case twinfed.ActivityCreate:
		if a.Note == nil {
			return drop("Create without a note is not handled")
		}
		return s.applyNote(txn, a)
	case twinfed.ActivityUpdate:
		if a.Profile == nil {
			return drop("Update without a profile is not handled")
		}
		if s.isLocal(a.Profile.ID) {
			return drop("Update of a profile of this node from elsewhere")
		}
		if old := s.dirGet(txn, a.Profile.ID); old != nil && old.Updated.After(a.Profile.Updated) {
			return nil // an older version arriving late
		}
		return s.dirPut(txn, s.cleanProfile(a.Profile))
	case twinfed.ActivityDelete:
		if a.Object != a.Actor {
			return drop("Delete of %s by %s is not handled", a.Object, a.Actor)
		}
		if s.isLocal(a.Actor) {
			return nil
		}
		if err := s.dirRemove(txn, a.Actor); err != nil {
			return err
		}
		return s.forgetPeer(txn, a.Actor)
	}
	return drop("%s activities are not handled by this node", a.Type)
}

func (s *Service) applyFollow(txn *badger.Txn, a *twinfed.Activity) error {
	u, err := s.localTarget(txn, a.Object)
	if err != nil {
		return err
	}
	if a.Contact {
		return s.contactRequested(txn, u, a.Actor, a.ID, a.Summary, a.Published)
	}
	if err := s.followed(txn, u, a.Actor, a.ID, a.Published); err != nil {
		return err
	}
	acc := s.newActivity(twinfed.ActivityAccept, u)
	acc.To, acc.Object = []string{a.Actor}, a.ID
	return s.send(txn, acc)
}

// applyAnswer takes an Accept or Reject of a Follow (see answered).
func (s *Service) applyAnswer(txn *badger.Txn, a *twinfed.Activity) error {
	return s.answered(txn, a.Object, a.Actor, a.Type == twinfed.ActivityAccept, a.Published)
}

// applyUndo takes the withdrawal of a Follow the peer had sent.
func (s *Service) applyUndo(txn *badger.Txn, a *twinfed.Activity) error {
	return s.withdrawn(txn, a.Object, a.Actor)
}

func (s *Service) applyNote(txn *badger.Txn, a *twinfed.Activity) error {
	n := a.Note
	if n.From != a.Actor {
		return drop("note %s from %s sent by %s", n.ID, n.From, a.Actor)
	}
	u, err := s.localTarget(txn, n.To)
	if err != nil {
		return err
	}
	published := n.Published
	if published.IsZero() {
		published = a.Published
	}
	return s.receiveMessage(txn, u, n, published)
}

// cleanProfile sanitises what another node sent before it is stored and
// shown: the description is HTML.
func (s *Service) cleanProfile(p *twinfed.Profile) *twinfed.Profile {
	c := *p
	c.Description = s.html.Sanitize(p.Description)
	return &c
}
