package social

import (
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/inbound"
	"github.com/twinfed/twinfed/node/notice"
	"github.com/twinfed/twinfed/node/store"
)

// Contacts, follows and messages as they arrive from other nodes: the
// node's inbound router (node/inbox.go) hands each verified activity to
// one of the Apply methods, within the transaction that records its id.
// Each activity is checked against the records it touches: an Accept is
// taken only from the member who was asked, a message only for a member of
// this node. What an activity does to the member it reaches (followed,
// contactRequested, answered, withdrawn, receiveMessage) is shared with
// this node's own members' actions, which call it directly when the peer
// is a member of this node, in the same transaction.

// drop is the error of an activity that can never apply (the federation
// drops it with a log line).
func drop(format string, args ...any) error { return twinfed.Errorf(twinfed.EINVALID, format, args...) }

// LocalTarget returns the username of the validated local member an actor
// URL names; EINVALID (an activity to drop) when it names none.
func (s *Service) LocalTarget(txn *badger.Txn, actor string) (string, error) {
	u, ok := twinfed.UsernameFromActor(s.base, actor)
	if !ok {
		return "", drop("%s is not a member of this node", actor)
	}
	if s.members.Public(txn, u) == nil {
		return "", drop("%s is not a member of this node", actor)
	}
	return u, nil
}

// ApplyFollow takes a Follow of a member of this node: a contact request
// (Contact set) waits for the member's answer; a one-way follow is
// accepted at once.
func (s *Service) ApplyFollow(txn *badger.Txn, a *twinfed.Activity) error {
	u, err := s.LocalTarget(txn, a.Object)
	if err != nil {
		return err
	}
	if a.Contact {
		return s.contactRequested(txn, u, a.Actor, a.ID, a.Summary, a.Published)
	}
	if err := s.followed(txn, u, a.Actor, a.ID, a.Published); err != nil {
		return err
	}
	acc := s.acts.New(twinfed.ActivityAccept, u)
	acc.To, acc.Object = []string{a.Actor}, a.ID
	return s.acts.Send(txn, acc)
}

// ApplyAnswer takes an Accept or Reject of a Follow (see answered).
func (s *Service) ApplyAnswer(txn *badger.Txn, a *twinfed.Activity) error {
	return s.answered(txn, a.Object, a.Actor, a.Type == twinfed.ActivityAccept, a.Published)
}

// ApplyUndo takes the withdrawal of a Follow the peer had sent.
func (s *Service) ApplyUndo(txn *badger.Txn, a *twinfed.Activity) error {
	return s.withdrawn(txn, a.Object, a.Actor)
}

// ApplyNote takes a direct message (Create{Note}) to a member of this
// node, from the member who wrote it.
func (s *Service) ApplyNote(txn *badger.Txn, a *twinfed.Activity) error {
	n := a.Note
	if n.From != a.Actor {
		return drop("note %s from %s sent by %s", n.ID, n.From, a.Actor)
	}
	u, err := s.LocalTarget(txn, n.To)
	if err != nil {
		return err
	}
	published := n.Published
	if published.IsZero() {
		published = a.Published
	}
	return s.receiveMessage(txn, u, n, published)
}

// followed records that follower follows username (request: the Follow's
// id) and tells the member. A one-way follow needs no answer from the
// member: the caller accepts it.
func (s *Service) followed(txn *badger.Txn, username, follower, request string, since time.Time) error {
	if err := store.SetJSON(txn, peerKey(store.PrefixFollower, username, follower), Follow{Peer: follower, Request: request, Accepted: true, Since: since}); err != nil {
		return err
	}
	if err := txn.Set([]byte(peerKey(store.PrefixPeer, follower, username)), nil); err != nil {
		return err
	}
	if err := store.SetJSON(txn, reqKey(false, request), requestRef{Username: username, Peer: follower}); err != nil {
		return err
	}
	return s.notices.Notify(txn, username, notice.Followed, follower)
}

// contactRequested records peer's contact request (request: the Follow's
// id, message: what they wrote, sanitised here) for username to answer. When the
// member had asked peer too, their own request stands for consent: peer's
// is accepted.
func (s *Service) contactRequested(txn *badger.Txn, username, peer, request, message string, since time.Time) error {
	if c, err := getContact(txn, username, peer); err == nil {
		switch c.State {
		case ContactAccepted, ContactPending:
			return nil // already contacts, or the same request again
		case ContactRequested:
			if err := txn.Delete([]byte(reqKey(true, c.Request))); err != nil {
				return err
			}
			c.State, c.Request, c.Outgoing, c.Since = ContactPending, request, false, since
			if err := store.SetJSON(txn, reqKey(false, request), requestRef{Username: username, Peer: peer, Contact: true}); err != nil {
				return err
			}
			_, err := s.answer(txn, username, c, true)
			return err
		}
	}
	c := &Contact{Peer: peer, State: ContactPending, Request: request, Message: s.html.Sanitize(strings.TrimSpace(message)), Since: since}
	if r := []rune(c.Message); len(r) > 500 {
		c.Message = string(r[:500])
	}
	if err := putContact(txn, username, c); err != nil {
		return err
	}
	if err := store.SetJSON(txn, reqKey(false, request), requestRef{Username: username, Peer: peer, Contact: true}); err != nil {
		return err
	}
	return s.notices.Notify(txn, username, notice.ContactRequest, peer)
}

// answered takes an Accept or Reject by answerer of a Follow: of a member's
// own request (the peer answered), or of the peer's request the member had
// accepted (the peer removes the contact).
func (s *Service) answered(txn *badger.Txn, request, answerer string, accept bool, at time.Time) error {
	var ref requestRef
	if err := store.GetJSON(txn, reqKey(true, request), &ref); err != nil {
		return nil // unknown or already withdrawn request: nothing to do
	}
	if ref.Peer != answerer {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "%s answered a request addressed to %s", answerer, ref.Peer)
	}
	if !ref.Contact {
		var f Follow
		if err := store.GetJSON(txn, peerKey(store.PrefixFollowing, ref.Username, ref.Peer), &f); err != nil {
			return nil
		}
		if accept {
			f.Accepted = true
			return store.SetJSON(txn, peerKey(store.PrefixFollowing, ref.Username, ref.Peer), f)
		}
		if err := txn.Delete([]byte(reqKey(true, request))); err != nil {
			return err
		}
		return txn.Delete([]byte(peerKey(store.PrefixFollowing, ref.Username, ref.Peer)))
	}
	c, err := getContact(txn, ref.Username, ref.Peer)
	if err != nil || c.Request != request {
		return nil
	}
	if accept {
		if c.State != ContactRequested {
			return nil
		}
		c.State, c.Since = ContactAccepted, at
		if err := putContact(txn, ref.Username, c); err != nil {
			return err
		}
		return s.notices.Notify(txn, ref.Username, notice.ContactAccepted, answerer)
	}
	if err := deleteContact(txn, ref.Username, c); err != nil {
		return err
	}
	if c.State == ContactRequested {
		return s.notices.Notify(txn, ref.Username, notice.ContactDeclined, answerer)
	}
	return nil
}

// withdrawn takes the withdrawal by peer of the Follow request they had sent.
func (s *Service) withdrawn(txn *badger.Txn, request, peer string) error {
	var ref requestRef
	if err := store.GetJSON(txn, reqKey(false, request), &ref); err != nil {
		return nil
	}
	if ref.Peer != peer {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "%s cannot undo %s", peer, request)
	}
	if err := txn.Delete([]byte(reqKey(false, request))); err != nil {
		return err
	}
	if !ref.Contact {
		return txn.Delete([]byte(peerKey(store.PrefixFollower, ref.Username, ref.Peer)))
	}
	if c, err := getContact(txn, ref.Username, ref.Peer); err == nil && c.Request == request {
		return deleteContact(txn, ref.Username, c)
	}
	return nil
}

// receiveMessage keeps the recipient's copy of n, a message to username
// published at published: from another node (ApplyNote) or from a member
// of this node (SendMessage).
func (s *Service) receiveMessage(txn *badger.Txn, username string, n *twinfed.Note, published time.Time) error {
	content := s.html.Sanitize(n.Content)
	if strings.TrimSpace(content) == "" {
		return drop("empty message %s", n.ID)
	}
	if r := []rune(content); len(r) > 2*MaxMessageRunes {
		return drop("message %s is too long", n.ID)
	}
	return s.storeMessage(txn, username, n.From, &Message{ID: n.ID, From: n.From, To: n.To, Content: content, Published: published.UTC()})
}

// InboxRoutes are the social feature's claims on activities from other
// nodes (node/inbound): every Follow; then, once every other feature had
// its say, an Accept or Reject without a target (the answer to a contact
// request), an Undo (of a follow or a contact request: an unlike is the
// wall posts'), and a Create of a note (a direct message: an event's or a
// wall post's note, or a reply, is claimed before).
func (s *Service) InboxRoutes() []inbound.Route {
	types := func(t ...twinfed.ActivityType) []twinfed.ActivityType { return t }
	return []inbound.Route{
		{Name: "social.ApplyFollow", Types: types(twinfed.ActivityFollow), Apply: inbound.Tx(s.ApplyFollow)},
		{Name: "social.ApplyAnswer", Types: types(twinfed.ActivityAccept, twinfed.ActivityReject), Pass: inbound.ByReference, Apply: inbound.Tx(s.ApplyAnswer),
			Claims: func(_ *badger.Txn, a *twinfed.Activity) bool { return a.Target == "" }},
		{Name: "social.ApplyUndo", Types: types(twinfed.ActivityUndo), Pass: inbound.ByReference, Apply: inbound.Tx(s.ApplyUndo)},
		{Name: "social.ApplyNote", Types: types(twinfed.ActivityCreate), Pass: inbound.ByReference, Apply: inbound.Tx(s.ApplyNote),
			Claims: func(_ *badger.Txn, a *twinfed.Activity) bool { return a.Note != nil }},
	}
}
