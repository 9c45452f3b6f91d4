package event

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/blob"
	"github.com/twinfed/twinfed/node/mail"
	"github.com/twinfed/twinfed/node/notice"
	"github.com/twinfed/twinfed/node/outbox"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/web"
)

// Config is what the events feature needs to know about its node.
type Config struct {
	BaseURL    string // public base URL: event ids live under it
	Country    string
	Rooms      int    // meeting rooms at once; zero: 4
	Capacity   int    // places of an online event; zero: twinfed.EventCapacity
	MeetingURL string // join link template ({room}, {name}, {expires}, {signature}, {user}); empty: no link (node/event/eventroom)
	Secret     string // signs join links and authenticates the room's presence reports; empty: unsigned, no reports
}

// Deps are the events feature's collaborators.
type Deps struct {
	Store    *store.Store
	Members  Members
	Contacts Contacts
	Acts     *outbox.Activities // this node's activities; nil: the node runs alone
	Registry twinfed.Registry   // the nodes of an event's audience; nil: none
	Mailer   mail.Sender        // the reminders; nil: none
	Notices  *notice.Notices    // changes of time and cancellations; nil: none
	Blobs    *blob.Collector    // the node's blob store, for the events' photos; nil: no photos
	Fetch    PhotoFetcher       // other nodes' photos; nil: not fetched
	Catalog  *web.Catalog       // the mails' languages; nil: no reminders
	Logger   *slog.Logger
	Now      func() time.Time // nil: time.Now
}

// Members is what the events feature asks of the accounts.
type Members interface {
	// MemberIn returns a member of this node within txn; ENOTFOUND when
	// there is none.
	MemberIn(txn *badger.Txn, username string) (*twinfed.Member, error)
}

// Contacts is what the events feature asks of the social feature.
type Contacts interface {
	// AcceptedContacts returns the member's accepted contacts within txn.
	AcceptedContacts(txn *badger.Txn, username string) ([]*social.Contact, error)
}

var _ Contacts = (*social.Service)(nil)

// Service implements the events of the node. It is safe for concurrent
// use.
type Service struct {
	cfg      Config
	store    *store.Store
	members  Members
	contacts Contacts
	acts     *outbox.Activities
	registry twinfed.Registry
	mailer   mail.Sender
	notices  *notice.Notices
	blobs    *blob.Collector
	fetch    PhotoFetcher
	cat      *web.Catalog
	projects Projects     // the Live tab's projects; nil: none (SetProjects)
	certs    Certificates // the event page's certificate link; nil: none (SetCertificates)
	log      *slog.Logger
	now      func() time.Time
	cet      *time.Location
	w        *store.Serializer // each event's single writer of its bookings
	idx      *monthIndex       // the events by month
}

// New builds the events feature.
func New(cfg Config, d Deps) (*Service, error) {
	if d.Store == nil || d.Members == nil || d.Contacts == nil {
		return nil, errors.New("event: New needs a Store, the Members and the Contacts")
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.Rooms <= 0 {
		cfg.Rooms = 4
	}
	if cfg.Capacity <= 0 {
		cfg.Capacity = twinfed.EventCapacity
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	cet, ok := web.LoadZone(twinfed.ProgrammeZone)
	if !ok {
		return nil, errors.New("event: no zone data for " + twinfed.ProgrammeZone)
	}
	if d.Acts == nil {
		d.Acts = outbox.NewActivities(cfg.BaseURL, nil, d.Now)
	}
	idx := newMonthIndex(cet)
	if err := idx.load(d.Store); err != nil {
		return nil, fmt.Errorf("event: index the events by month: %w", err)
	}
	return &Service{cfg: cfg, store: d.Store, members: d.Members, contacts: d.Contacts, acts: d.Acts, registry: d.Registry, mailer: d.Mailer, notices: d.Notices, blobs: d.Blobs, fetch: d.Fetch, cat: d.Catalog, log: d.Logger, now: d.Now, cet: cet,
		w: store.NewSerializer(d.Store), idx: idx}, nil
}

// CET is the programme's zone, the one events are set in.
func (s *Service) CET() *time.Location { return s.cet }

// Input is what the creation wizard sends.
type Input struct {
	Title       string
	Description string
	Language    string
	Kind        twinfed.EventKind
	Place       string
	Expected    int
	Audience    twinfed.EventAudience
	Countries   []string
	Date        string // yyyy-mm-dd, in CET
	Slot        string // hh:mm, in CET
	Minutes     int
	Invited     []string // actor URLs among the organiser's contacts
	Certifying  bool
	Photos      []string // the photos' hashes: uploaded (UploadPhotos) or, for an edit, the event's
	SetPhotos   bool     // an edit replaces the photos with Photos (else they stay)
	// SetCertifying: an edit sets Certifying (else whether the event gives
	// certificates stays).
	SetCertifying bool
	// SetInvited: an edit invites Invited besides those already invited
	// (invitations are never taken back).
	SetInvited bool
}

// member loads the principal's account: only members take part in events.
func (s *Service) member(txn *badger.Txn, p *twinfed.Principal) (*twinfed.Member, error) {
	if p == nil || p.Role != twinfed.RoleMember || p.Username == "" {
		return nil, twinfed.Errorf(twinfed.EFORBIDDEN, "Events are open to the members of the programme.")
	}
	return s.members.MemberIn(txn, p.Username)
}

// viewer is the principal as the audience rule sees them.
func (s *Service) viewer(m *twinfed.Member) twinfed.EventViewer {
	return twinfed.EventViewer{Actor: twinfed.ActorURL(s.cfg.BaseURL, m.Username), Country: m.Country}
}

// actor is p's actor URL on this node; "" for nobody.
func (s *Service) actor(p *twinfed.Principal) string {
	if p == nil || p.Username == "" {
		return ""
	}
	return twinfed.ActorURL(s.cfg.BaseURL, p.Username)
}

// CanEdit reports whether p may change or cancel e now
// (twinfed.CanEditEvent).
func (s *Service) CanEdit(p *twinfed.Principal, e *twinfed.Event) bool {
	return twinfed.CanEditEvent(e, s.actor(p), s.now()) == nil
}

// parseStart reads a date and a slot in CET; the zero time when either is
// missing or malformed (ValidateEvent then says so).
func (s *Service) parseStart(date, slot string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", strings.TrimSpace(date)+" "+strings.TrimSpace(slot), s.cet)
	if err != nil {
		return time.Time{}
	}
	return t
}

// Create creates an event organised by p. An online event takes a meeting
// room free for its whole time: a slot already full is refused.
func (s *Service) Create(ctx context.Context, p *twinfed.Principal, in Input) (*twinfed.Event, error) {
	if in.Audience == twinfed.AudienceProject {
		return nil, &twinfed.Error{Code: twinfed.EINVALID, Message: "The event cannot be saved; correct the fields shown.", Fields: map[string]string{"audience": "Choose who the event is for."}}
	}
	return s.create(ctx, p, in, nil)
}

// create is Create; tweak, when set, completes the event before it is
// checked (a project meeting's members and places).
func (s *Service) create(ctx context.Context, p *twinfed.Principal, in Input, tweak func(e *twinfed.Event)) (*twinfed.Event, error) {
	var e *twinfed.Event
	err := s.update(func(txn *badger.Txn) error {
		m, err := s.member(txn, p)
		if err != nil {
			return err
		}
		now := s.now()
		me := twinfed.ActorURL(s.cfg.BaseURL, m.Username)
		e = &twinfed.Event{ID: s.cfg.BaseURL + "/events/" + store.NewID(), Title: in.Title, Description: in.Description, Language: in.Language,
			Kind: in.Kind, Place: in.Place, Expected: in.Expected, Audience: in.Audience, Countries: in.Countries,
			Start: s.parseStart(in.Date, in.Slot), Minutes: in.Minutes, Certifying: in.Certifying,
			Organiser: me, OrgName: m.Name(), OrgCountry: m.Country, Published: now.UTC(), Version: 1}
		if e.Kind == twinfed.EventOnline {
			e.Capacity = s.cfg.Capacity
		}
		if e.Photos, err = photosOf(txn, m.Username, in.Photos, nil); err != nil {
			return err
		}
		if tweak != nil {
			tweak(e)
		}
		if err := twinfed.ValidateEvent(e, now); err != nil {
			return err
		}
		contacts, err := s.contacts.AcceptedContacts(txn, m.Username)
		if err != nil {
			return err
		}
		if e.Invited, err = invite(contacts, nil, in.Invited); err != nil {
			return err
		}
		if e.Audience == twinfed.AudienceContacts {
			for _, c := range contacts {
				e.Contacts = append(e.Contacts, c.Peer)
			}
		}
		if e.Kind == twinfed.EventOnline {
			day, err := s.eventsOn(txn, e.Start)
			if err != nil {
				return err
			}
			if e.Room = twinfed.FreeRoom(e.Start, e.Minutes, s.cfg.Rooms, day); e.Room == 0 {
				return &twinfed.Error{Code: twinfed.EINVALID, Message: "The event cannot be saved; correct the fields shown.", Fields: map[string]string{"slot": "This time slot is already full; choose another."}}
			}
		}
		if err := s.putEvent(txn, e); err != nil {
			return err
		}
		return s.publish(ctx, txn, twinfed.ActivityCreate, e)
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// invite returns the invitations have with add, each of which must be
// among contacts: an event's invitations only grow.
func invite(contacts []*social.Contact, have, add []string) ([]string, error) {
	out := slices.Clone(have)
	for _, a := range add {
		if !slices.ContainsFunc(contacts, func(c *social.Contact) bool { return c.Peer == a }) {
			return nil, &twinfed.Error{Code: twinfed.EINVALID, Message: "The event cannot be saved; correct the fields shown.", Fields: map[string]string{"invited": "Invite only your contacts."}}
		}
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out, nil
}

// Contacts returns the actor URLs of p's accepted contacts, whom the
// wizard offers to invite.
func (s *Service) Contacts(ctx context.Context, p *twinfed.Principal) ([]string, error) {
	var out []string
	err := s.store.View(func(txn *badger.Txn) error {
		if _, err := s.member(txn, p); err != nil {
			return err
		}
		cs, err := s.contacts.AcceptedContacts(txn, p.Username)
		for _, c := range cs {
			out = append(out, c.Peer)
		}
		return err
	})
	return out, err
}

// Slots returns the free starts of date (yyyy-mm-dd in CET) for an online
// event of minutes.
func (s *Service) Slots(ctx context.Context, date string, minutes int) ([]time.Time, error) {
	day, err := time.ParseInLocation("2006-01-02", date, s.cet)
	if err != nil {
		return nil, nil
	}
	if minutes < twinfed.EventMinMinutes || minutes > twinfed.EventMaxMinutes {
		minutes = 60
	}
	var out []time.Time
	err = s.store.View(func(txn *badger.Txn) error {
		booked, err := s.eventsOn(txn, day)
		out = twinfed.EventSlots(day, s.cet, minutes, s.cfg.Rooms, booked, s.now())
		return err
	})
	return out, err
}

// View is an event as a member sees it.
type View struct {
	Event     *twinfed.Event
	State     twinfed.BookingState // the viewer's booking: confirmed, waiting or ""
	Confirmed int
	Waiting   int
	Live      bool
	RoomOpen  bool            // the viewer may enter the meeting room now
	Mine      bool            // the viewer organises it
	Attendees []Booking       // the confirmed participants, for the organiser
	WaitList  []Booking       // the waiting list in order, for the organiser
	Attended  map[string]bool // who attended (by actor), for the organiser
	FromRoom  map[string]bool // those of them the meeting room reported present
}

// Get returns an event for a member of its audience.
func (s *Service) Get(ctx context.Context, p *twinfed.Principal, id string) (*View, error) {
	var v *View
	err := s.store.View(func(txn *badger.Txn) error {
		m, err := s.member(txn, p)
		if err != nil {
			return err
		}
		e, ok := s.idx.get(id) // read often: from the index, not decoded
		if !ok {
			return twinfed.Errorf(twinfed.ENOTFOUND, "There is no such event.")
		}
		vw := s.viewer(m)
		if !twinfed.CanSeeEvent(e, vw) {
			return twinfed.Errorf(twinfed.ENOTFOUND, "There is no such event.")
		}
		// The counts and the bookings are the home node's; a member of
		// another node sees where they stand as their node records it.
		b, st := new(Bookings), myState(txn, m.Username, e.ID)
		if s.isLocal(e.ID) {
			if b, err = getBookings(txn, e.ID); err != nil {
				return err
			}
			st = bookingState(txn, e.ID, vw.Actor)
		}
		now := s.now()
		v = &View{Event: e, State: st, Confirmed: b.Confirmed, Waiting: b.Waiting, Live: e.Live(now), Mine: e.Organiser == vw.Actor}
		v.RoomOpen = e.RoomOpen(now) && (v.State == twinfed.BookingConfirmed || v.Mine)
		if v.Mine {
			v.Attendees, v.WaitList = listBookings(txn, e.ID, orderConfirmed), listBookings(txn, e.ID, orderWaiting)
			v.Attended, v.FromRoom = set(b.Attended), set(b.Room)
		}
		return nil
	})
	return v, err
}

// Participate books a place for p: confirmed while places remain, else on
// the waiting list. Booking twice changes nothing and answers the same.
func (s *Service) Participate(ctx context.Context, p *twinfed.Principal, id string) (twinfed.BookingState, error) {
	var st twinfed.BookingState
	err := s.retry(id, func(txn *badger.Txn) error {
		m, err := s.member(txn, p)
		if err != nil {
			return err
		}
		e, err := getEvent(txn, id)
		if err != nil {
			return err
		}
		vw := s.viewer(m)
		if !s.isLocal(e.ID) {
			return s.join(txn, e, vw, m, &st)
		}
		st, err = s.decide(txn, e, vw, m.Name())
		if err != nil {
			return err
		}
		return txn.Set([]byte(store.PrefixMyEvent+m.Username+"/"+e.ID), []byte(st))
	})
	if err == nil {
		s.acts.Notify()
	}
	return st, err
}

// decide is the home node's decision on a booking, in arrival order: the
// capacity rule of twinfed.DecideBooking over the event's bookings, held
// in one record that the event's single writer (Serial) reads and writes
// for one booking after another.
func (s *Service) decide(txn *badger.Txn, e *twinfed.Event, vw twinfed.EventViewer, name string) (twinfed.BookingState, error) {
	if err := twinfed.CanBook(e, vw, s.now()); err != nil {
		return "", err
	}
	b, err := getBookings(txn, e.ID)
	if err != nil {
		return "", err
	}
	if st := bookingState(txn, e.ID, vw.Actor); st != "" {
		return st, nil
	}
	st := twinfed.DecideBooking(b.Confirmed, e.Capacity)
	b.Seq++
	if st == twinfed.BookingConfirmed {
		b.Confirmed++
	} else {
		b.Waiting++
	}
	bk := Booking{Actor: vw.Actor, Name: name, At: s.now().UTC(), Seq: b.Seq, State: st}
	if err := putBooking(txn, e.ID, &bk); err != nil {
		return "", err
	}
	return st, store.SetJSON(txn, store.PrefixEventBooking+e.ID, b)
}

// Leave frees p's place (or their place on the waiting list); the first on
// the waiting list then moves up.
func (s *Service) Leave(ctx context.Context, p *twinfed.Principal, id string) error {
	return s.retry(id, func(txn *badger.Txn) error {
		m, err := s.member(txn, p)
		if err != nil {
			return err
		}
		e, err := getEvent(txn, id)
		if err != nil {
			return err
		}
		me := twinfed.ActorURL(s.cfg.BaseURL, m.Username)
		if err := txn.Delete([]byte(store.PrefixMyEvent + m.Username + "/" + e.ID)); err != nil {
			return err
		}
		if !s.isLocal(e.ID) {
			lv := s.acts.New(twinfed.ActivityLeave, m.Username)
			lv.To, lv.Object = []string{e.Organiser}, e.ID
			return s.acts.Send(txn, lv)
		}
		return s.leave(txn, e, me)
	})
}

// leave frees actor's place in e, an event of this node: the first on the
// waiting list moves up, and is told when they are on another node.
func (s *Service) leave(txn *badger.Txn, e *twinfed.Event, actor string) error {
	b, err := getBookings(txn, e.ID)
	if err != nil {
		return err
	}
	bk, ok := getBooking(txn, e.ID, actor)
	if !ok {
		return nil
	}
	if err := deleteBooking(txn, e.ID, bk); err != nil {
		return err
	}
	if bk.State == twinfed.BookingWaiting {
		b.Waiting--
		return store.SetJSON(txn, store.PrefixEventBooking+e.ID, b)
	}
	b.Confirmed--
	if up := listBookings(txn, e.ID, orderWaiting, 1); len(up) == 1 && b.Confirmed < e.Capacity {
		if err := deleteBooking(txn, e.ID, &up[0]); err != nil {
			return err
		}
		up[0].State = twinfed.BookingConfirmed
		if err := putBooking(txn, e.ID, &up[0]); err != nil {
			return err
		}
		b.Confirmed++
		b.Waiting--
		if u := s.localUsername(up[0].Actor); u != "" {
			if err := txn.Set([]byte(store.PrefixMyEvent+u+"/"+e.ID), []byte(twinfed.BookingConfirmed)); err != nil {
				return err
			}
		} else {
			ans := s.acts.NewBy(twinfed.ActivityAccept, e.Organiser)
			ans.Summary, ans.To, ans.Object, ans.Target = string(twinfed.BookingConfirmed), []string{up[0].Actor}, e.ID, e.ID
			if err := s.acts.Send(txn, ans); err != nil {
				return err
			}
		}
	}
	return store.SetJSON(txn, store.PrefixEventBooking+e.ID, b)
}

// RecordAttendance records, for the organiser, who attended: only
// confirmed participants.
func (s *Service) RecordAttendance(ctx context.Context, p *twinfed.Principal, id string, attended []string) error {
	return s.retry(id, func(txn *badger.Txn) error {
		m, err := s.member(txn, p)
		if err != nil {
			return err
		}
		e, err := getEvent(txn, id)
		if err != nil {
			return err
		}
		if e.Organiser != twinfed.ActorURL(s.cfg.BaseURL, m.Username) {
			return twinfed.Errorf(twinfed.EFORBIDDEN, "Only the organiser records attendance.")
		}
		b, err := getBookings(txn, e.ID)
		if err != nil {
			return err
		}
		b.Attended = nil
		for _, a := range attended {
			if bookingState(txn, e.ID, a) == twinfed.BookingConfirmed {
				b.Attended = append(b.Attended, a)
			}
		}
		return store.SetJSON(txn, store.PrefixEventBooking+e.ID, b)
	})
}

// retry runs fn in the event's single writer (Serial), again when it
// conflicted with a concurrent transaction, and tells the outbox after the
// commit. On the event's home node the writer decides its bookings one
// after another; on a member's node it records the members' clicks (the
// pending state and the Join) and the home node's answers, many to one
// synced commit.
func (s *Service) retry(id string, fn func(txn *badger.Txn) error) error {
	for range 1000 {
		err := s.Serial(id, fn)
		if !errors.Is(err, badger.ErrConflict) {
			if err == nil {
				s.acts.Notify()
			}
			return err
		}
	}
	return twinfed.Errorf(twinfed.EUNAVAILABLE, "Too many bookings at once; try again in a moment.")
}

// update runs fn in a transaction and tells the outbox after the commit.
func (s *Service) update(fn func(txn *badger.Txn) error) error {
	if err := s.store.Update(fn); err != nil {
		return err
	}
	s.acts.Notify()
	return nil
}

// The states of a member's booking of another node's event, on their own
// node, besides confirmed and waiting.
const (
	statePending = "pending" // the Join is on its way to the home node
	stateRefused = "refused" // the home node said no
)

// myState is where the member stands for an event, as their node records
// it under em/: "" when they have not booked.
func myState(txn *badger.Txn, username, id string) twinfed.BookingState {
	v, _, _ := store.GetString(txn, store.PrefixMyEvent+username+"/"+id)
	return twinfed.BookingState(v)
}

// join books, for a member of this node, an event another node is home
// to: a Join to its organiser, unless one was sent already.
func (s *Service) join(txn *badger.Txn, e *twinfed.Event, vw twinfed.EventViewer, m *twinfed.Member, st *twinfed.BookingState) error {
	if err := twinfed.CanBook(e, vw, s.now()); err != nil {
		return err
	}
	if cur := myState(txn, m.Username, e.ID); cur != "" && cur != stateRefused {
		*st = cur
		return nil
	}
	j := s.acts.New(twinfed.ActivityJoin, m.Username)
	j.To, j.Object, j.Summary = []string{e.Organiser}, e.ID, m.Name()
	*st = statePending
	if err := txn.Set([]byte(store.PrefixMyEvent+m.Username+"/"+e.ID), []byte(statePending)); err != nil {
		return err
	}
	return s.acts.Send(txn, j)
}

// Filter chooses the events a list shows.
type Filter struct {
	From, To time.Time // the events that start in [From, To)
	Query    string    // keyword in title, description, organiser or place
	Kind     twinfed.EventKind
	Mine     bool   // only the viewer's: organised or booked
	Project  string // only a project's meetings (its TwinSpace's Live tab); "": none of them
}

// List returns the events p may see that match f, by start. With a
// period (From and To), they are the index's own: callers only read them.
func (s *Service) List(ctx context.Context, p *twinfed.Principal, f Filter) ([]*twinfed.Event, error) {
	var out []*twinfed.Event
	q := strings.ToLower(strings.TrimSpace(f.Query))
	err := s.store.View(func(txn *badger.Txn) error {
		m, err := s.member(txn, p)
		if err != nil {
			return err
		}
		vw := s.viewer(m)
		keep := func(e *twinfed.Event) error {
			if (!f.From.IsZero() && e.Start.Before(f.From)) || (!f.To.IsZero() && !e.Start.Before(f.To)) {
				return nil
			}
			// A project's meetings show in its Live tab and among "my
			// events", not in the programme's lists.
			if f.Kind != "" && e.Kind != f.Kind || f.Project != "" && e.Project != f.Project || f.Project == "" && e.Project != "" && !f.Mine {
				return nil
			}
			if !twinfed.CanSeeEvent(e, vw) {
				return nil
			}
			if f.Mine && e.Organiser != vw.Actor {
				if st := myState(txn, m.Username, e.ID); st == "" || st == stateRefused {
					return nil
				}
			}
			if q != "" && !strings.Contains(strings.ToLower(e.Title+"\n"+e.Description+"\n"+e.OrgName+"\n"+e.Place), q) {
				return nil
			}
			out = append(out, e)
			return nil
		}
		// A period (the lists by day, week and month, the calendar) is read
		// from the index by month; the rest from Badger.
		if !f.From.IsZero() && !f.To.IsZero() {
			for _, e := range s.idx.between(f.From, f.To) {
				if err := keep(e); err != nil {
					return err
				}
			}
			return nil
		}
		return store.EachJSON(txn, store.PrefixEvent, keep)
	})
	slices.SortStableFunc(out, func(a, b *twinfed.Event) int { return a.Start.Compare(b.Start) })
	return out, err
}

// MemberEvents lists the events a member of this node organises or takes
// part in, by start: the profile's Events tab.
func (s *Service) MemberEvents(ctx context.Context, username string) ([]*twinfed.Event, error) {
	return s.List(ctx, &twinfed.Principal{Username: username, Role: twinfed.RoleMember}, Filter{Mine: true})
}

// Check validates an event's input as Create would, without saving it: the
// wizard asks it before offering the slots.
func (s *Service) Check(p *twinfed.Principal, in Input) (*twinfed.Event, error) {
	var e *twinfed.Event
	err := s.store.View(func(txn *badger.Txn) error {
		if _, err := s.member(txn, p); err != nil {
			return err
		}
		e = &twinfed.Event{Title: in.Title, Description: in.Description, Language: in.Language, Kind: in.Kind, Place: in.Place,
			Expected: in.Expected, Audience: in.Audience, Countries: in.Countries, Start: s.parseStart(in.Date, in.Slot), Minutes: in.Minutes}
		return twinfed.ValidateEvent(e, s.now())
	})
	return e, err
}
