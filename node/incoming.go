package node

import (
	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
)

// Contacts, follows, messages and profiles as they arrive from other nodes,
// routed here by the inbox (inbox.go). Each activity is checked against the
// records it touches: an Accept is taken only from the member who was
// asked, a message only for a member of this node, a profile only from its
// own node. What an activity does to the member it reaches is the social
// code's (social.go, messages.go), shared with this node's own members'
// actions.

func drop(format string, args ...any) error { return twinfed.Errorf(twinfed.EINVALID, format, args...) }

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
	acc := s.acts.New(twinfed.ActivityAccept, u)
	acc.To, acc.Object = []string{a.Actor}, a.ID
	return s.acts.Send(txn, acc)
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
