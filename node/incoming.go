package node

import (
	"context"
	"strings"

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
	if !a.Contact {
		if err := setJSON(txn, peerKey(prefixFollower, u, a.Actor), Follow{Peer: a.Actor, Request: a.ID, Accepted: true, Since: a.Published}); err != nil {
			return err
		}
		if err := txn.Set([]byte(peerKey(prefixPeer, a.Actor, u)), nil); err != nil {
			return err
		}
		if err := setJSON(txn, reqKey(false, a.ID), requestRef{Username: u, Peer: a.Actor}); err != nil {
			return err
		}
		if err := s.notify(txn, u, NoticeFollowed, a.Actor); err != nil {
			return err
		}
		acc := s.newActivity(twinfed.ActivityAccept, u)
		acc.To, acc.Object = []string{a.Actor}, a.ID
		return s.send(txn, acc)
	}
	if c, err := getContact(txn, u, a.Actor); err == nil {
		switch c.State {
		case ContactAccepted, ContactPending:
			return nil // already contacts, or the same request again
		case ContactRequested:
			// Both asked each other: the member's own request stands for
			// consent; accept theirs.
			if err := txn.Delete([]byte(reqKey(true, c.Request))); err != nil {
				return err
			}
			c.State, c.Request, c.Outgoing, c.Since = ContactPending, a.ID, false, a.Published
			if err := setJSON(txn, reqKey(false, a.ID), requestRef{Username: u, Peer: a.Actor, Contact: true}); err != nil {
				return err
			}
			_, err := s.answer(txn, u, c, true)
			return err
		}
	}
	c := &Contact{Peer: a.Actor, State: ContactPending, Request: a.ID, Message: s.html.Sanitize(strings.TrimSpace(a.Summary)), Since: a.Published}
	if r := []rune(c.Message); len(r) > 500 {
		c.Message = string(r[:500])
	}
	if err := putContact(txn, u, c); err != nil {
		return err
	}
	if err := setJSON(txn, reqKey(false, a.ID), requestRef{Username: u, Peer: a.Actor, Contact: true}); err != nil {
		return err
	}
	return s.notify(txn, u, NoticeContactRequest, a.Actor)
}

// applyAnswer takes an Accept or Reject of a Follow: of the local member's
// own request (the peer answered), or of the peer's request the local
// member had accepted (the peer removes the contact).
func (s *Service) applyAnswer(txn *badger.Txn, a *twinfed.Activity) error {
	var ref requestRef
	if err := getJSON(txn, reqKey(true, a.Object), &ref); err != nil {
		return nil // unknown or already withdrawn request: nothing to do
	}
	if ref.Peer != a.Actor {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "%s answered a request addressed to %s", a.Actor, ref.Peer)
	}
	accept := a.Type == twinfed.ActivityAccept
	if !ref.Contact {
		var f Follow
		if err := getJSON(txn, peerKey(prefixFollowing, ref.Username, ref.Peer), &f); err != nil {
			return nil
		}
		if accept {
			f.Accepted = true
			return setJSON(txn, peerKey(prefixFollowing, ref.Username, ref.Peer), f)
		}
		if err := txn.Delete([]byte(reqKey(true, a.Object))); err != nil {
			return err
		}
		return txn.Delete([]byte(peerKey(prefixFollowing, ref.Username, ref.Peer)))
	}
	c, err := getContact(txn, ref.Username, ref.Peer)
	if err != nil || c.Request != a.Object {
		return nil
	}
	if accept {
		if c.State != ContactRequested {
			return nil
		}
		c.State, c.Since = ContactAccepted, a.Published
		if err := putContact(txn, ref.Username, c); err != nil {
			return err
		}
		return s.notify(txn, ref.Username, NoticeContactAccepted, a.Actor)
	}
	if err := deleteContact(txn, ref.Username, c); err != nil {
		return err
	}
	if c.State == ContactRequested {
		return s.notify(txn, ref.Username, NoticeContactDeclined, a.Actor)
	}
	return nil
}

// applyUndo takes the withdrawal of a Follow the peer had sent.
func (s *Service) applyUndo(txn *badger.Txn, a *twinfed.Activity) error {
	var ref requestRef
	if err := getJSON(txn, reqKey(false, a.Object), &ref); err != nil {
		return nil
	}
	if ref.Peer != a.Actor {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "%s cannot undo %s", a.Actor, a.Object)
	}
	if err := txn.Delete([]byte(reqKey(false, a.Object))); err != nil {
		return err
	}
	if !ref.Contact {
		return txn.Delete([]byte(peerKey(prefixFollower, ref.Username, ref.Peer)))
	}
	if c, err := getContact(txn, ref.Username, ref.Peer); err == nil && c.Request == a.Object {
		return deleteContact(txn, ref.Username, c)
	}
	return nil
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
	content := s.html.Sanitize(n.Content)
	if strings.TrimSpace(content) == "" {
		return drop("empty message %s", n.ID)
	}
	if r := []rune(content); len(r) > 2*maxMessageRunes {
		return drop("message %s is too long", n.ID)
	}
	published := n.Published
	if published.IsZero() {
		published = a.Published
	}
	return s.storeMessage(txn, u, n.From, &Message{ID: n.ID, From: n.From, To: n.To, Content: content, Published: published.UTC()})
}

// cleanProfile sanitises what another node sent before it is stored and
// shown: the description is HTML.
func (s *Service) cleanProfile(p *twinfed.Profile) *twinfed.Profile {
	c := *p
	c.Description = s.html.Sanitize(p.Description)
	return &c
}
