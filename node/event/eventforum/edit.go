package eventforum

import (
	"context"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
)

// Editing and deleting a message: its author edits and deletes it, the
// event's organiser deletes any (on the home node, where the organiser
// is). Like writing, both need a place in the event (CanUseEventTools)
// and an event not cancelled.

// errNoPost is the answer about a message that is not there (or deleted).
var errNoPost = twinfed.Errorf(twinfed.ENOTFOUND, "There is no such message in the event's forum.")

// Edit replaces the text of p's message postID in the forum of event id,
// here and on every node that keeps it. It returns the message as it now
// is. Errors: EINVALID (the text, or a cancelled event), EFORBIDDEN (not
// its author, or without a place), ENOTFOUND.
func (s *Service) Edit(ctx context.Context, p *twinfed.Principal, id, postID, text string) (*Post, error) {
	text, err := checkText(text)
	if err != nil {
		return nil, err
	}
	var out *Post
	err = s.change(ctx, p, id, postID, func(e *twinfed.Event, me string, old *Post) (*Post, error) {
		if old.Author != me {
			return nil, twinfed.Errorf(twinfed.EFORBIDDEN, "Only its author edits a message.")
		}
		out = old
		if text == old.Text {
			return nil, nil
		}
		p := *old
		p.Text, p.Updated = text, s.after(old)
		out = &p
		return &p, nil
	})
	return out, err
}

// Delete removes p's message postID (p is its author or the event's
// organiser) from the forum of event id, here and on every node that
// keeps it. Errors: EINVALID (a cancelled event), EFORBIDDEN, ENOTFOUND.
func (s *Service) Delete(ctx context.Context, p *twinfed.Principal, id, postID string) error {
	return s.change(ctx, p, id, postID, func(e *twinfed.Event, me string, old *Post) (*Post, error) {
		if old.Author != me && e.Organiser != me {
			return nil, twinfed.Errorf(twinfed.EFORBIDDEN, "Only its author or the event's organiser deletes a message.")
		}
		p := *old
		p.Text, p.Deleted, p.Updated = "", true, s.after(old)
		return &p, nil
	})
}

// after is the time of a change to old: now, and always after its last
// change, so that every node keeps it (newer).
func (s *Service) after(old *Post) time.Time {
	if t := s.clock(); t.After(old.version()) {
		return t
	}
	return old.version().Truncate(time.Second).Add(time.Second)
}

// change applies to message postID of event id the change do makes of it
// (nil: none), by p, and sends it: to the nodes of the participants from
// the home node (Announce), to the home node from another (Update or
// Delete, from the author's node).
func (s *Service) change(ctx context.Context, p *twinfed.Principal, id, postID string, do func(e *twinfed.Event, me string, old *Post) (*Post, error)) error {
	err := s.store.Update(func(txn *badger.Txn) error {
		me := actorOf(s.base, p)
		e, err := s.allowed(txn, id, me)
		if err != nil {
			return err
		}
		old, err := find(txn, e.ID, postID)
		if err != nil {
			return err
		}
		if old == nil || old.Deleted {
			return errNoPost
		}
		post, err := do(e, me, old)
		if err != nil || post == nil {
			return err
		}
		if s.events.IsHome(e.ID) {
			return s.apply(ctx, txn, e, post)
		}
		if err := put(txn, post); err != nil {
			return err
		}
		typ := twinfed.ActivityUpdate
		if post.Deleted {
			typ = twinfed.ActivityDelete
		}
		a := s.acts.New(typ, p.Username)
		a.To, a.Object, a.Note = []string{e.Organiser}, post.ID, note(post)
		return s.acts.Send(txn, a)
	})
	if err == nil {
		s.acts.Notify()
	}
	return err
}

// Page is a page of a forum's messages, oldest first; Next is the cursor
// of the next page ("" at the end).
type Page struct {
	Posts []*Post `json:"items"`
	Next  string  `json:"next,omitempty"`
}

// ListPage returns up to limit (1 to 200) messages of the forum of event
// id after the cursor after, for p, who must be its organiser or a
// confirmed participant.
func (s *Service) ListPage(ctx context.Context, p *twinfed.Principal, id, after string, limit int) (*Page, error) {
	limit = min(max(limit, 1), 200)
	out := &Page{}
	err := s.store.View(func(txn *badger.Txn) error {
		if _, err := s.allowed(txn, id, actorOf(s.base, p)); err != nil && twinfed.ErrorCode(err) != twinfed.EINVALID {
			return err
		}
		var err error
		out.Posts, out.Next, err = store.PageJSON(txn, store.PrefixEventPost+id+"/", store.PrefixEventPost+id+"/", after, limit, cursor,
			func(p *Post) bool { return !p.Deleted })
		return err
	})
	return out, err
}
