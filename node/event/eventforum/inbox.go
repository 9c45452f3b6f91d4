package eventforum

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/inbound"
)

// The forum's activities between nodes. A participant's node sends its
// member's message, edit and deletion to the event's home node as
// Create, Update and Delete of a Note (its inReplyTo and to: the event);
// the home node checks them against its bookings and the author, keeps
// them and Announces the message's new state (its content, published and
// updated; no content once deleted) to the nodes of the confirmed
// participants. Every node keeps a change only when it is newer than its
// copy (newer), so replays and late arrivals change nothing.

// announce shares the state of a post of e's forum, on its home node,
// with the nodes of the confirmed participants.
func (s *Service) announce(ctx context.Context, txn *badger.Txn, e *twinfed.Event, p *Post) error {
	to := s.events.ParticipantNodes(ctx, txn, e)
	if len(to) == 0 {
		return nil
	}
	a := s.acts.NewBy(twinfed.ActivityAnnounce, e.Organiser)
	a.To, a.Object, a.Note = to, p.ID, note(p)
	return s.acts.Send(txn, a)
}

// IsPost reports whether an incoming note is a message of the forum of an
// event this node holds (its inReplyTo).
func (s *Service) IsPost(txn *badger.Txn, n *twinfed.Note) bool {
	return n != nil && n.InReplyTo != "" && n.To == n.InReplyTo && s.events.Has(txn, n.InReplyTo)
}

// fromNote reads a message from another node; a note without content is
// a deletion when tombstone allows it (and it has its time).
func fromNote(n *twinfed.Note, tombstone bool) (*Post, error) {
	text := strings.TrimSpace(n.Content)
	p := &Post{ID: n.ID, Event: n.InReplyTo, Author: n.From, Text: text, Published: n.Published.UTC(), Updated: n.Updated.UTC()}
	switch {
	case n.Published.IsZero() || utf8.RuneCountInString(text) > maxText:
		return nil, twinfed.Errorf(twinfed.EINVALID, "event forum message %s: too long or undated", n.ID)
	case text == "" && (!tombstone || n.Updated.IsZero()):
		return nil, twinfed.Errorf(twinfed.EINVALID, "event forum message %s: empty", n.ID)
	case text == "":
		p.Deleted = true
	}
	return p, nil
}

// fromAuthor reads, on the event's home node, a message (or its change)
// that its author's node sent: the author is the activity's actor (the
// federation has checked that the signing node hosts it) and the event is
// this node's; the rule is checked with the home node's bookings.
func (s *Service) fromAuthor(txn *badger.Txn, a *twinfed.Activity, tombstone bool) (*Post, *twinfed.Event, error) {
	p, err := fromNote(a.Note, tombstone)
	if err != nil {
		return nil, nil, err
	}
	if p.Author != a.Actor || !s.events.IsHome(p.Event) {
		return nil, nil, twinfed.Errorf(twinfed.EINVALID, "event forum message %s not by its actor or not for an event of this node", p.ID)
	}
	e, err := s.allowed(txn, p.Event, p.Author)
	if err != nil {
		return nil, nil, twinfed.Errorf(twinfed.EFORBIDDEN, "event forum message %s: %s", p.ID, twinfed.ErrorMessage(err))
	}
	return p, e, nil
}

// ApplyCreate takes, on the event's home node, a participant's message
// from their node: the message is kept and announced.
func (s *Service) ApplyCreate(ctx context.Context, txn *badger.Txn, a *twinfed.Activity) error {
	p, e, err := s.fromAuthor(txn, a, false)
	if err != nil {
		return err
	}
	p.Updated = time.Time{} // a new message: no change yet
	return s.apply(ctx, txn, e, p)
}

// ApplyChange takes, on the event's home node, an edit (Update) or a
// deletion (Delete) of a message by its author's node: only the message's
// author changes it that way (the organiser deletes on the home node
// itself). A change older than the home node's copy changes nothing.
func (s *Service) ApplyChange(ctx context.Context, txn *badger.Txn, a *twinfed.Activity) error {
	p, e, err := s.fromAuthor(txn, a, a.Type == twinfed.ActivityDelete)
	if err != nil {
		return err
	}
	if (a.Type == twinfed.ActivityDelete) != p.Deleted || p.Updated.IsZero() {
		return twinfed.Errorf(twinfed.EINVALID, "event forum message %s: a %s without its time or with the wrong content", p.ID, a.Type)
	}
	old, err := find(txn, p.Event, p.ID)
	if err != nil {
		return err
	}
	if old == nil {
		return twinfed.Errorf(twinfed.EINVALID, "event forum message %s: changed but never received", p.ID)
	}
	if old.Author != a.Actor {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "event forum message %s: %s cannot change %s's message", p.ID, a.Actor, old.Author)
	}
	p.Published = old.Published
	return s.apply(ctx, txn, e, p)
}

// apply keeps p on the event's home node when it is newer than the copy
// here, and announces it.
func (s *Service) apply(ctx context.Context, txn *badger.Txn, e *twinfed.Event, p *Post) error {
	if ok, err := keep(txn, p); err != nil || !ok {
		return err
	}
	return s.announce(ctx, txn, e, p)
}

// ApplyAnnounce keeps, on a participant's node, the state of a message
// the event's home node announced (new, edited or deleted): only the
// event's organiser (its home node) announces its forum.
func (s *Service) ApplyAnnounce(_ context.Context, txn *badger.Txn, a *twinfed.Activity) error {
	p, err := fromNote(a.Note, true)
	if err != nil {
		return err
	}
	e, err := s.events.Event(txn, p.Event)
	if err != nil || e.Organiser != a.Actor || s.events.IsHome(e.ID) {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "event forum message %s announced by %s, not by the event's organiser", p.ID, a.Actor)
	}
	_, err = keep(txn, p)
	return err
}

// InboxRoutes are the events' forums' claims on activities from other
// nodes (node/inbound): a message of an event this node holds (IsPost),
// carried by a Create (ApplyCreate), an Announce of the event's home node
// (ApplyAnnounce), an Update or a Delete (ApplyChange). The file
// archive's claims are asked before: a file's note also answers its event.
func (s *Service) InboxRoutes() []inbound.Route {
	post := func(txn *badger.Txn, a *twinfed.Activity) bool { return s.IsPost(txn, a.Note) }
	return []inbound.Route{
		{Name: "eventforum.ApplyCreate", Types: []twinfed.ActivityType{twinfed.ActivityCreate}, Claims: post, Apply: s.ApplyCreate},
		{Name: "eventforum.ApplyAnnounce", Types: []twinfed.ActivityType{twinfed.ActivityAnnounce}, Claims: post, Apply: s.ApplyAnnounce},
		{Name: "eventforum.ApplyChange", Types: []twinfed.ActivityType{twinfed.ActivityUpdate, twinfed.ActivityDelete}, Claims: post, Apply: s.ApplyChange},
	}
}
