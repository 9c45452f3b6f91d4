package eventforum

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/event"
	"github.com/twinfed/twinfed/node/outbox"
	"github.com/twinfed/twinfed/node/store"
)

// maxText bounds a message.
const maxText = 5000

// Post is a message of an event's forum. Its times are to the second, as
// they travel between nodes.
type Post struct {
	ID        string    `json:"id"` // URL under its author's node
	Event     string    `json:"event"`
	Author    string    `json:"author"` // actor URL
	Text      string    `json:"text"`   // plain text; "" once deleted
	Published time.Time `json:"published"`
	// Updated is the last edit, or the deletion; zero when neither.
	Updated time.Time `json:"updated,omitzero"`
	// Deleted marks a tombstone: the message is gone everywhere, and its
	// record stays so that no older copy brings it back.
	Deleted bool `json:"deleted,omitempty"`
}

// Edited reports whether the message was changed after it was written.
func (p *Post) Edited() bool { return !p.Updated.IsZero() && !p.Deleted }

// version is the time of the post's last change.
func (p *Post) version() time.Time {
	if p.Updated.IsZero() {
		return p.Published
	}
	return p.Updated
}

// newer is the ordering rule every node applies, so that copies converge
// whatever the order the changes arrive in: a deletion is final; else the
// later change wins, and at the same second the greater text (the same
// choice everywhere). A replay is not newer.
func newer(p, old *Post) bool {
	switch {
	case old == nil:
		return true
	case old.Deleted:
		return false
	case p.Deleted:
		return true
	case !p.version().Equal(old.version()):
		return p.version().After(old.version())
	}
	return p.Text > old.Text
}

// Service is the events' forums on a node. It is safe for concurrent use.
type Service struct {
	events *event.Service
	store  *store.Store
	acts   *outbox.Activities
	base   string
	log    *slog.Logger
	now    func() time.Time
	woken  chan struct{} // a catch-up is due (Run)
	parts  []namedPart   // the event's other tools caught up with the forum (Also)
	profs  Profiles      // names the authors; nil: by their address
}

// Profiles returns the directory's profiles of actors (by actor URL,
// unknown ones absent): directory.Service.Profiles.
type Profiles func(actors []string) map[string]*twinfed.Profile

// UseProfiles has the forum's pages name authors as the directory (p)
// knows them, instead of by their address. Call it before serving.
func (s *Service) UseProfiles(p Profiles) { s.profs = p }

// profiles returns the directory's profiles of the actors, none without
// a directory.
func (s *Service) profiles(actors []string) map[string]*twinfed.Profile {
	if s.profs == nil {
		return nil
	}
	return s.profs(actors)
}

// New returns the forums of events, kept in st, sent with acts, logged
// to log (nil: nowhere).
func New(base string, events *event.Service, st *store.Store, acts *outbox.Activities, log *slog.Logger, now func() time.Time) (*Service, error) {
	if events == nil || st == nil || acts == nil {
		return nil, errors.New("eventforum: New needs the events, a store and the node's Activities")
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{events: events, store: st, acts: acts, base: strings.TrimRight(base, "/"), log: log, now: now, woken: make(chan struct{}, 1)}, nil
}

// allowed checks the rule for actor in event id within txn.
func (s *Service) allowed(txn *badger.Txn, id, actor string) (*twinfed.Event, error) {
	e, err := s.events.Event(txn, id)
	if err != nil {
		return nil, err
	}
	if err := twinfed.CanUseEventTools(e, actor, s.events.Confirmed(txn, e, actor)); err != nil {
		return nil, err
	}
	return e, nil
}

func actorOf(base string, p *twinfed.Principal) string {
	if p == nil || p.Role != twinfed.RoleMember || p.Username == "" {
		return ""
	}
	return twinfed.ActorURL(base, p.Username)
}

// List returns the forum of event id, oldest first, for p, who must be
// its organiser or a confirmed participant.
func (s *Service) List(ctx context.Context, p *twinfed.Principal, id string) ([]Post, error) {
	out := []Post{}
	err := s.store.View(func(txn *badger.Txn) error {
		if _, err := s.allowed(txn, id, actorOf(s.base, p)); err != nil && twinfed.ErrorCode(err) != twinfed.EINVALID {
			return err
		}
		return store.EachJSON(txn, store.PrefixEventPost+id+"/", func(v *Post) error {
			if !v.Deleted {
				out = append(out, *v)
			}
			return nil
		})
	})
	return out, err
}

// Write posts p's message in the forum of event id: kept here, and sent
// to the event's home node (Create{Note}) or, on the home node, to the
// nodes of the confirmed participants (Announce).
func (s *Service) Write(ctx context.Context, p *twinfed.Principal, id, text string) (*Post, error) {
	text, err := checkText(text)
	if err != nil {
		return nil, err
	}
	var post *Post
	err = s.store.Update(func(txn *badger.Txn) error {
		me := actorOf(s.base, p)
		e, err := s.allowed(txn, id, me)
		if err != nil {
			return err
		}
		// The id begins with the time in nanoseconds: messages of one
		// second keep their order, in the keys, on every node.
		post = &Post{ID: fmt.Sprintf("%s/event-posts/%016x%s", s.base, s.now().UnixNano(), store.NewID()[:8]), Event: e.ID, Author: me, Text: text, Published: s.clock()}
		if err := put(txn, post); err != nil {
			return err
		}
		if s.events.IsHome(e.ID) {
			return s.announce(ctx, txn, e, post)
		}
		a := s.acts.New(twinfed.ActivityCreate, p.Username)
		a.To, a.Object, a.Note = []string{e.Organiser}, post.ID, note(post)
		return s.acts.Send(txn, a)
	})
	if err == nil {
		s.acts.Notify()
	}
	return post, err
}

// checkText trims a message and checks its length.
func checkText(text string) (string, error) {
	text = strings.TrimSpace(text)
	if text == "" || utf8.RuneCountInString(text) > maxText {
		return "", &twinfed.Error{Code: twinfed.EINVALID, Message: "Write a message of 1 to 5,000 characters.", Fields: map[string]string{"text": "Write a message of 1 to 5,000 characters."}}
	}
	return text, nil
}

// clock is the node's time to the second, as times travel.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Second) }

func postKey(p *Post) string { return store.PrefixEventPost + p.Event + "/" + cursor(p) }

// cursor is where a post is in its forum's keys (a page's cursor): by
// its time, then by the last part of its id (which begins with its time
// in nanoseconds), whichever node it comes from.
func cursor(p *Post) string {
	return p.Published.Format(time.RFC3339Nano) + "/" + p.ID[strings.LastIndexByte(p.ID, '/')+1:] + "/" + p.ID
}

func put(txn *badger.Txn, p *Post) error { return store.SetJSON(txn, postKey(p), p) }

// keep stores p unless the copy here is as new (newer); it reports
// whether it did.
func keep(txn *badger.Txn, p *Post) (bool, error) {
	old, err := find(txn, p.Event, p.ID)
	if err != nil || !newer(p, old) {
		return false, err
	}
	if old != nil && postKey(old) != postKey(p) { // the same message, its time read elsewhere at another precision
		if err := txn.Delete([]byte(postKey(old))); err != nil {
			return false, err
		}
	}
	return true, put(txn, p)
}

// find returns the message id of event's forum, tombstones included; nil
// when there is none. Forums are small (an event has at most a hundred
// participants): its keys are scanned.
func find(txn *badger.Txn, event, id string) (*Post, error) {
	prefix := store.PrefixEventPost + event + "/"
	for _, k := range store.KeysUnder(txn, prefix, 0) {
		if strings.HasSuffix(k, "/"+id) {
			var p Post
			if err := store.GetJSON(txn, prefix+k, &p); err != nil {
				return nil, err
			}
			return &p, nil
		}
	}
	return nil, nil
}

func note(p *Post) *twinfed.Note {
	return &twinfed.Note{ID: p.ID, From: p.Author, To: p.Event, Content: p.Text, InReplyTo: p.Event, Published: p.Published, Updated: p.Updated}
}
