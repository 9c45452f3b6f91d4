package eventforum

import (
	"context"
	"errors"
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

// Post is a message of an event's forum.
type Post struct {
	ID        string    `json:"id"` // URL under its author's node
	Event     string    `json:"event"`
	Author    string    `json:"author"` // actor URL
	Text      string    `json:"text"`   // plain text
	Published time.Time `json:"published"`
}

// Service is the events' forums on a node. It is safe for concurrent use.
type Service struct {
	events *event.Service
	store  *store.Store
	acts   *outbox.Activities
	base   string
	now    func() time.Time
}

// New returns the forums of events, kept in st, sent with acts.
func New(base string, events *event.Service, st *store.Store, acts *outbox.Activities, now func() time.Time) (*Service, error) {
	if events == nil || st == nil || acts == nil {
		return nil, errors.New("eventforum: New needs the events, a store and the node's Activities")
	}
	if now == nil {
		now = time.Now
	}
	return &Service{events: events, store: st, acts: acts, base: strings.TrimRight(base, "/"), now: now}, nil
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
			out = append(out, *v)
			return nil
		})
	})
	return out, err
}

// Write posts p's message in the forum of event id: kept here, and sent
// to the event's home node (Create{Note}) or, on the home node, to the
// nodes of the confirmed participants (Announce).
func (s *Service) Write(ctx context.Context, p *twinfed.Principal, id, text string) (*Post, error) {
	text = strings.TrimSpace(text)
	if text == "" || utf8.RuneCountInString(text) > maxText {
		return nil, &twinfed.Error{Code: twinfed.EINVALID, Message: "Write a message of 1 to 5,000 characters.", Fields: map[string]string{"text": "Write a message of 1 to 5,000 characters."}}
	}
	var post *Post
	err := s.store.Update(func(txn *badger.Txn) error {
		me := actorOf(s.base, p)
		e, err := s.allowed(txn, id, me)
		if err != nil {
			return err
		}
		post = &Post{ID: s.base + "/event-posts/" + store.NewID(), Event: e.ID, Author: me, Text: text, Published: s.now().UTC()}
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

func put(txn *badger.Txn, p *Post) error {
	return store.SetJSON(txn, store.PrefixEventPost+p.Event+"/"+p.Published.Format(time.RFC3339Nano)+"/"+p.ID, p)
}

func note(p *Post) *twinfed.Note {
	return &twinfed.Note{ID: p.ID, From: p.Author, To: p.Event, Content: p.Text, InReplyTo: p.Event, Published: p.Published}
}

// announce shares a post of e's forum, on its home node, with the nodes
// of the confirmed participants.
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

// fromNote reads a message from another node.
func fromNote(n *twinfed.Note) (*Post, error) {
	text := strings.TrimSpace(n.Content)
	if text == "" || utf8.RuneCountInString(text) > maxText || n.Published.IsZero() {
		return nil, twinfed.Errorf(twinfed.EINVALID, "event forum message %s: empty, too long or undated", n.ID)
	}
	return &Post{ID: n.ID, Event: n.InReplyTo, Author: n.From, Text: text, Published: n.Published.UTC()}, nil
}

// ApplyCreate takes, on the event's home node, a participant's message
// from their node: the rule is checked with the home node's bookings; the
// message is kept and announced. The federation has checked that the
// signing node hosts the author (same origin).
func (s *Service) ApplyCreate(ctx context.Context, txn *badger.Txn, a *twinfed.Activity) error {
	p, err := fromNote(a.Note)
	if err != nil {
		return err
	}
	if p.Author != a.Actor || !s.events.IsHome(p.Event) {
		return twinfed.Errorf(twinfed.EINVALID, "event forum message %s not by its actor or not for an event of this node", p.ID)
	}
	e, err := s.allowed(txn, p.Event, p.Author)
	if err != nil {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "event forum message %s: %s", p.ID, twinfed.ErrorMessage(err))
	}
	if err := put(txn, p); err != nil {
		return err
	}
	return s.announce(ctx, txn, e, p)
}

// ApplyAnnounce keeps, on a participant's node, a message the event's
// home node announced: only the event's organiser (its home node)
// announces its forum.
func (s *Service) ApplyAnnounce(_ context.Context, txn *badger.Txn, a *twinfed.Activity) error {
	p, err := fromNote(a.Note)
	if err != nil {
		return err
	}
	e, err := s.events.Event(txn, p.Event)
	if err != nil || e.Organiser != a.Actor || s.events.IsHome(e.ID) {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "event forum message %s announced by %s, not by the event's organiser", p.ID, a.Actor)
	}
	return put(txn, p)
}
