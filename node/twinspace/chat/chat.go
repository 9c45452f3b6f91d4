package chat

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/twinspace"
)

const (
	// MaxRunes is the longest message, in characters.
	MaxRunes = 2000
	// PageSize is how many messages a page of the history shows.
	PageSize = 100
)

// errLength is the refusal of an empty or overlong message.
const errLength = "Write a message of at most 2,000 characters."

// Service is the chat of the node's TwinSpaces. It is safe for concurrent
// use.
type Service struct {
	ts *twinspace.Service

	mu   sync.Mutex
	last int64 // the latest arrival stamp given: stamps only grow
}

// New returns the chat of ts's TwinSpaces and registers its kind of
// object with ts.
func New(ts *twinspace.Service) *Service {
	s := &Service{ts: ts}
	ts.Register(twinfed.SpaceKindChat, twinspace.Kind{Create: twinfed.SpaceChat, Needs: needs, Check: check, Applied: s.applied, Quiet: true})
	return s
}

// needs: writing needs SpaceChat; the author removes their own message
// with SpaceEditOwn, a teacher anyone's with SpaceRemoveChat.
func needs(old, o *twinfed.SpaceObject) []twinfed.SpaceAction {
	switch {
	case old == nil:
		return []twinfed.SpaceAction{twinfed.SpaceChat}
	case o.Writer() == old.Author:
		return []twinfed.SpaceAction{twinfed.SpaceEditOwn}
	}
	return []twinfed.SpaceAction{twinfed.SpaceRemoveChat}
}

// check keeps a message plain text of 1 to MaxRunes characters, at the
// top of its TwinSpace, never public, and never changed once written
// (only removed: deletions skip Check). It runs again on every node a
// message reaches.
func check(o *twinfed.SpaceObject) error {
	o.Content = strings.TrimSpace(strings.ToValidUTF8(o.Content, "\uFFFD"))
	if o.Content == "" || utf8.RuneCountInString(o.Content) > MaxRunes {
		return &twinfed.Error{Code: twinfed.EINVALID, Message: errLength, Fields: map[string]string{"content": errLength}}
	}
	if o.Version > 1 || o.Editor != o.Author {
		return twinfed.Errorf(twinfed.EINVALID, "chat message %s is changed: a message is only written or removed", o.ID)
	}
	o.Parent, o.Title, o.Public, o.Fields, o.Order, o.Base = "", "", false, nil, 0, 0
	return nil
}

// stamp returns the next arrival stamp: the node's clock in Unix
// nanoseconds, always above the last one given.
func (s *Service) stamp() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last = max(s.ts.Now().UnixNano(), s.last+1)
	return s.last
}

// Cursor is a position in the node's arrival log (an event's id).
type Cursor int64

func (c Cursor) String() string { return fmt.Sprintf("%019d", int64(c)) }

// ParseCursor reads a cursor; ok false when s is none.
func ParseCursor(s string) (Cursor, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return Cursor(n), err == nil && n >= 0
}

// Now returns the cursor of the present: every state applied from now on
// arrives after it.
func (s *Service) Now() Cursor { return Cursor(s.ts.Now().UnixNano()) }

func arrivalPrefix(project string) string { return store.PrefixChatArrival + project + " " }

// ArrivalKeep is how long the arrival log keeps a state: a page away for
// longer (a laptop asleep overnight) is told to reload rather than caught
// up, and the log does not grow for ever.
const ArrivalKeep = 24 * time.Hour

// applied records, on every node, when this node applied a state of a
// message (the event stream's catch-up reads it), for ArrivalKeep: the
// store drops the record after that (Badger's expiry, at compaction).
func (s *Service) applied(txn *badger.Txn, _, o *twinfed.SpaceObject) error {
	e := badger.NewEntry([]byte(arrivalPrefix(o.Project)+Cursor(s.stamp()).String()), []byte(o.ID))
	e.ExpiresAt = uint64(s.ts.Now().Add(ArrivalKeep).Unix())
	return txn.SetEntry(e)
}

// Send writes a message in project's chat as p.
func (s *Service) Send(ctx context.Context, p *twinfed.Principal, project, text string) (*twinfed.SpaceObject, error) {
	text = strings.TrimSpace(text)
	if text == "" || utf8.RuneCountInString(text) > MaxRunes {
		return nil, &twinfed.Error{Code: twinfed.EINVALID, Message: errLength, Fields: map[string]string{"content": errLength}}
	}
	return s.ts.Edit(ctx, p, project, twinfed.SpaceKindChat, "", func(v *twinspace.View, o *twinfed.SpaceObject) error {
		o.Content = text
		return nil
	})
}

// Remove removes a message of project's chat as p: their own, or anyone's
// for a teacher. The removal replicates to every partner node.
func (s *Service) Remove(ctx context.Context, p *twinfed.Principal, project, id string) error {
	_, err := s.ts.Edit(ctx, p, project, twinfed.SpaceKindChat, id, func(v *twinspace.View, o *twinfed.SpaceObject) error {
		if o.Version == 0 || o.Deleted {
			return twinfed.Errorf(twinfed.ENOTFOUND, "This item of the TwinSpace does not exist (or no longer does).")
		}
		o.Deleted = true
		return nil
	})
	return err
}

// History returns a page of v's chat: the PageSize messages written
// before the message before ("" for the latest), oldest first, and the
// cursor of the page before it ("" when there is none).
func (s *Service) History(v *twinspace.View, before string) (msgs []*twinfed.SpaceObject, older string, err error) {
	if err := v.RequireMember(); err != nil {
		return nil, "", err
	}
	err = s.ts.Store().View(func(txn *badger.Txn) error {
		var from *twinfed.SpaceObject
		if before != "" {
			o, err := twinspace.Object(txn, v.Project.ID, before)
			if err != nil || o.Kind != twinfed.SpaceKindChat {
				return twinfed.Errorf(twinfed.EINVALID, "There are no older messages from this point: go back to the latest ones.")
			}
			from = o
		}
		return twinspace.Newest(txn, v.Project.ID, twinfed.SpaceKindChat, "", from, func(o *twinfed.SpaceObject) error {
			if !s.ts.Sees(v, o) {
				return nil
			}
			if len(msgs) == PageSize {
				older = msgs[PageSize-1].ID
				return twinspace.ErrStop
			}
			msgs = append(msgs, o)
			return nil
		})
	})
	for i, j := 0, len(msgs)-1; i < j; i, j = i+1, j-1 {
		msgs[i], msgs[j] = msgs[j], msgs[i]
	}
	return msgs, older, err
}

// Change is a state of a message applied on this node after a cursor.
type Change struct {
	At      Cursor
	Message *twinfed.SpaceObject // Deleted: removed
}

// Since returns the states of v's chat's messages this node applied after
// cursor, in that order, at most limit, each message once in its latest
// state; more is true when some were left out, or when after is older
// than the log keeps (ArrivalKeep): the reader reloads the page instead.
func (s *Service) Since(v *twinspace.View, after Cursor, limit int) (out []Change, more bool, err error) {
	if after < Cursor(s.ts.Now().Add(-ArrivalKeep).UnixNano()) {
		return nil, true, nil
	}
	seen := map[string]bool{}
	err = s.ts.Store().View(func(txn *badger.Txn) error {
		prefix := []byte(arrivalPrefix(v.Project.ID))
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		for it.Seek(append(append([]byte(nil), prefix...), (after + 1).String()...)); it.Valid(); it.Next() {
			if len(out) == limit {
				more = true
				return nil
			}
			at, _ := ParseCursor(string(it.Item().Key()[len(prefix):]))
			var id string
			if err := it.Item().Value(func(b []byte) error { id = string(b); return nil }); err != nil {
				return err
			}
			if seen[id] {
				continue
			}
			seen[id] = true
			o, err := twinspace.Object(txn, v.Project.ID, id)
			if err != nil {
				continue
			}
			if o.Deleted || s.ts.Sees(v, o) {
				out = append(out, Change{At: at, Message: o})
			}
		}
		return nil
	})
	return out, more, err
}

// CanRemove reports whether v's reader may remove o: their own with
// SpaceEditOwn, anyone's with SpaceRemoveChat.
func CanRemove(v *twinspace.View, o *twinfed.SpaceObject) bool {
	if o.Author == v.Actor && v.Can(twinfed.SpaceEditOwn) {
		return true
	}
	return v.Can(twinfed.SpaceRemoveChat)
}
