package eventroom

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/event"
	"github.com/twinfed/twinfed/node/store"
)

// Fetcher makes a signed GET to another node and returns the body of a
// 2xx answer (the federation's Get); its refusals are *twinfed.Error
// whose message ends with what the node said.
type Fetcher func(ctx context.Context, rawURL string) ([]byte, error)

// Deps are what the meeting room is built on.
type Deps struct {
	Events  *event.Service
	Store   *store.Store
	Members event.Members
	Fetch   Fetcher // the home nodes' links; nil: another node's room cannot be entered
	Logger  *slog.Logger
	Now     func() time.Time // nil: time.Now
}

// Service is the events' meeting room. It is safe for concurrent use.
type Service struct {
	cfg     event.Config
	events  *event.Service
	store   *store.Store
	members event.Members
	fetch   Fetcher
	log     *slog.Logger
	now     func() time.Time
	userKey []byte // keys the participants' {user} ids
}

// New builds the meeting room of the events of the node cfg describes
// (BaseURL, MeetingURL, Secret).
func New(cfg event.Config, d Deps) (*Service, error) {
	if d.Events == nil || d.Store == nil || d.Members == nil {
		return nil, errors.New("eventroom: New needs the Events, a Store and the Members")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	s := &Service{cfg: cfg, events: d.Events, store: d.Store, members: d.Members, fetch: d.Fetch, log: d.Logger, now: d.Now}
	secret, err := nodeSecret(d.Store)
	if err != nil {
		return nil, err
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("twinfed meeting-room participant"))
	s.userKey = mac.Sum(nil)
	return s, nil
}

// nodeSecret is the node secret (store.KeyNodeSecret, the accounts'), or,
// on a node built without accounts (some tests), a new random one.
func nodeSecret(st *store.Store) ([]byte, error) {
	var secret []byte
	err := st.View(func(txn *badger.Txn) error {
		v, ok, err := store.GetString(txn, store.KeyNodeSecret)
		secret = []byte(v)
		if err == nil && !ok {
			secret = make([]byte, 32)
			_, err = rand.Read(secret)
		}
		return err
	})
	return secret, err
}

// UserID is the {user} of the join link of actor in event id: an opaque
// id, stable for the pair, by which the meeting room's service reports
// who was there without learning who they are. It is keyed by the node
// secret, which the service never holds (the meeting secret would let it
// try actor URLs).
func (s *Service) UserID(id, actor string) string {
	mac := hmac.New(sha256.New, s.userKey)
	mac.Write([]byte(id + "\n" + actor))
	return hex.EncodeToString(mac.Sum(nil)[:16])
}

// Room is the meeting room's name of an event: event-<the last segment
// of its id>.
func Room(id string) string { return "event-" + id[strings.LastIndexByte(id, '/')+1:] }

// JoinURL is the join link of the meeting room of e, an online event of
// this node, for actor named name: the template with {room}, {name},
// {user}, and, with a secret, {expires} and {signature} (hex HMAC-SHA256
// of room, name and expiry); "" without a provider.
func (s *Service) JoinURL(e *twinfed.Event, actor, name string) string {
	if s.cfg.MeetingURL == "" || e.Kind != twinfed.EventOnline {
		return ""
	}
	room := Room(e.ID)
	expires := strconv.FormatInt(e.End().Unix(), 10)
	sig := ""
	if s.cfg.Secret != "" {
		mac := hmac.New(sha256.New, []byte(s.cfg.Secret))
		mac.Write([]byte(room + "\n" + name + "\n" + expires))
		sig = hex.EncodeToString(mac.Sum(nil))
	}
	return strings.NewReplacer("{room}", url.PathEscape(room), "{name}", url.QueryEscape(name), "{expires}", expires, "{signature}", sig,
		"{user}", s.UserID(e.ID, actor)).Replace(s.cfg.MeetingURL)
}

// The refusals the home node gives (RoomFor), which a member's node shows
// to its member translated; any other becomes errRemote.
const (
	msgNotOpen   = "The meeting room opens to participants a few minutes before the event."
	msgNoEvent   = "There is no such event."
	msgNotYours  = "This page is not open to you."
	msgNoService = "This node has no meeting-room service configured."
	msgRemote    = "The event's node did not give the link to its meeting room; try again in a moment."
)

// Enter returns the meeting room's link for p, a confirmed participant
// (or the organiser) of event id, while the room is open. The room is
// always the event's home node's: for another node's event, this node
// asks the home node for p's link (RoomFor there, by a signed GET).
func (s *Service) Enter(ctx context.Context, p *twinfed.Principal, id string) (string, error) {
	v, err := s.events.Get(ctx, p, id)
	if err != nil {
		return "", err
	}
	if !v.RoomOpen {
		return "", twinfed.Errorf(twinfed.EFORBIDDEN, msgNotOpen)
	}
	actor := twinfed.ActorURL(s.cfg.BaseURL, p.Username)
	if !s.events.IsHome(v.Event.ID) {
		return s.remote(ctx, v.Event, actor)
	}
	name := p.Username
	_ = s.store.View(func(txn *badger.Txn) error {
		if m, err := s.members.MemberIn(txn, p.Username); err == nil {
			name = m.Name()
		}
		return nil
	})
	if u := s.JoinURL(v.Event, actor, name); u != "" {
		return u, nil
	}
	return "", twinfed.Errorf(twinfed.EUNAVAILABLE, msgNoService)
}

// forPath is the home node's answer to a member's node: RoomFor at
// <event id>/room/for?actor=<actor URL>, signed GETs only.
const forPath = "/room/for"

// link is the home node's answer: the join link.
type link struct {
	URL string `json:"url"`
}

// remote asks e's home node for actor's link and checks it is one.
func (s *Service) remote(ctx context.Context, e *twinfed.Event, actor string) (string, error) {
	if s.fetch == nil {
		return "", twinfed.Errorf(twinfed.EUNAVAILABLE, msgRemote)
	}
	body, err := s.fetch(ctx, e.ID+forPath+"?actor="+url.QueryEscape(actor))
	if err != nil {
		for _, m := range []string{msgNotOpen, msgNoEvent, msgNotYours} {
			if strings.HasSuffix(twinfed.ErrorMessage(err), ": "+m) {
				return "", &twinfed.Error{Code: twinfed.ErrorCode(err), Message: m}
			}
		}
		s.log.Warn("event room: the home node gave no link", "event", e.ID, "err", err)
		return "", twinfed.Errorf(twinfed.EUNAVAILABLE, msgRemote)
	}
	var l link
	if json.Unmarshal(body, &l) == nil {
		if u, err := url.Parse(l.URL); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
			return l.URL, nil
		}
	}
	s.log.Warn("event room: the home node's answer is not a link", "event", e.ID, "answer", string(body[:min(len(body), 200)]))
	return "", twinfed.Errorf(twinfed.EUNAVAILABLE, msgRemote)
}

// RoomFor is the home node's answer to the node of host, which asks the
// link of its member actor to event id of this node: only for a
// confirmed participant, signed for by the participant's own node, while
// the room is open; the name is the one the booking holds.
func (s *Service) RoomFor(ctx context.Context, host, id, actor string) (string, error) {
	if host == "" || twinfed.URLHost(actor) != host {
		return "", twinfed.Errorf(twinfed.EFORBIDDEN, msgNotYours)
	}
	var (
		e  *twinfed.Event
		bk *event.Booking
	)
	err := s.store.View(func(txn *badger.Txn) error {
		var err error
		if e, err = s.events.Event(txn, id); err != nil || !s.events.IsHome(e.ID) {
			return twinfed.Errorf(twinfed.ENOTFOUND, msgNoEvent)
		}
		bk = s.events.ConfirmedBooking(txn, e.ID, actor)
		return nil
	})
	if err != nil {
		return "", err
	}
	if bk == nil || !e.RoomOpen(s.now()) {
		return "", twinfed.Errorf(twinfed.EFORBIDDEN, msgNotOpen)
	}
	if u := s.JoinURL(e, actor, bk.Name); u != "" {
		return u, nil
	}
	return "", twinfed.Errorf(twinfed.EUNAVAILABLE, msgNoService)
}
