package event

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/event/eventical"
	"github.com/twinfed/twinfed/node/store"
)

// The events' records: ev/<event id> (the event), ed/<CET day>/<event id>
// (its day, for the slots), eb/<event id> (its bookings, on its home node),
// em/<username>/<event id> (a member's bookings), ef/t/<sha256 of a feed
// token> → username and ef/u/<username> → that hash (the member's feed).

func getEvent(txn *badger.Txn, id string) (*twinfed.Event, error) {
	e := new(twinfed.Event)
	if err := store.GetJSON(txn, store.PrefixEvent+id, e); err != nil {
		if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			return nil, twinfed.Errorf(twinfed.ENOTFOUND, "There is no such event.")
		}
		return nil, err
	}
	return e, nil
}

func (s *Service) dayKey(t time.Time) string { return t.In(s.cet).Format("2006-01-02") }

// putEvent stores e and its day, and puts it in the index by month once
// txn has committed. The day's own key (ed/<day>) is read and written too,
// so that two events created at once on the same day conflict and the
// second sees the first's meeting room taken.
func (s *Service) putEvent(txn *badger.Txn, e *twinfed.Event) error {
	ce := *e
	s.store.AfterCommit(txn, func() { s.idx.put(&ce) })
	old, _ := getEvent(txn, e.ID)
	if err := s.notePhotos(txn, old, e); err != nil {
		return err
	}
	if !s.isLocal(e.ID) || e.Cancelled { // another node's rooms, or none: not counted here
		return store.SetJSON(txn, store.PrefixEvent+e.ID, e)
	}
	day := store.PrefixEventDay + s.dayKey(e.Start)
	if _, err := txn.Get([]byte(day)); err != nil && !errors.Is(err, badger.ErrKeyNotFound) {
		return err
	}
	if err := txn.Set([]byte(day), []byte(e.ID)); err != nil {
		return err
	}
	if err := txn.Set([]byte(store.PrefixEventDay+s.dayKey(e.Start)+"/"+e.ID), nil); err != nil {
		return err
	}
	return store.SetJSON(txn, store.PrefixEvent+e.ID, e)
}

// eventsOn returns the events of day (CET) this node holds.
func (s *Service) eventsOn(txn *badger.Txn, day time.Time) ([]*twinfed.Event, error) {
	var out []*twinfed.Event
	prefix := store.PrefixEventDay + s.dayKey(day) + "/"
	for _, k := range store.KeysUnder(txn, prefix, 0) {
		e, err := getEvent(txn, k)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// Booking is a member's place in an event, on its home node.
type Booking struct {
	Actor string               `json:"actor"`
	Name  string               `json:"name"`
	At    time.Time            `json:"at"`
	Seq   int                  `json:"seq"` // arrival order
	State twinfed.BookingState `json:"state"`
}

// Bookings are the counts of an event's bookings (and its attendance),
// kept by its home node in one small record that every booking reads and
// writes, through the event's single writer (Serial).
type Bookings struct {
	Confirmed int      `json:"confirmed"`
	Waiting   int      `json:"waiting"`
	Seq       int      `json:"seq"`                // the last arrival
	Attended  []string `json:"attended,omitempty"` // recorded by the organiser, or from the meeting room
	Room      []string `json:"room,omitempty"`     // reported present by the meeting room (node/event/eventroom)
}

// The bookings' keys: eb/<event id> (Bookings), eb/<event id>/b/<actor>
// (Booking), eb/<event id>/c/<seq> and eb/<event id>/w/<seq> → actor (the
// confirmed and the waiting list in arrival order).
const (
	orderConfirmed = "c"
	orderWaiting   = "w"
)

func getBookings(txn *badger.Txn, id string) (*Bookings, error) {
	b := new(Bookings)
	if err := store.GetJSON(txn, store.PrefixEventBooking+id, b); err != nil && twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		return nil, err
	}
	return b, nil
}

func bookingKey(id, actor string) string { return store.PrefixEventBooking + id + "/b/" + actor }

func orderKey(id string, bk *Booking) string {
	o := orderConfirmed
	if bk.State == twinfed.BookingWaiting {
		o = orderWaiting
	}
	return fmt.Sprintf("%s%s/%s/%010d", store.PrefixEventBooking, id, o, bk.Seq)
}

func getBooking(txn *badger.Txn, id, actor string) (*Booking, bool) {
	bk := new(Booking)
	if err := store.GetJSON(txn, bookingKey(id, actor), bk); err != nil {
		return nil, false
	}
	return bk, true
}

// bookingState is where actor stands in event id; "" when not booked.
func bookingState(txn *badger.Txn, id, actor string) twinfed.BookingState {
	if bk, ok := getBooking(txn, id, actor); ok {
		return bk.State
	}
	return ""
}

func putBooking(txn *badger.Txn, id string, bk *Booking) error {
	if err := txn.Set([]byte(orderKey(id, bk)), []byte(bk.Actor)); err != nil {
		return err
	}
	return store.SetJSON(txn, bookingKey(id, bk.Actor), bk)
}

func deleteBooking(txn *badger.Txn, id string, bk *Booking) error {
	if err := txn.Delete([]byte(orderKey(id, bk))); err != nil {
		return err
	}
	return txn.Delete([]byte(bookingKey(id, bk.Actor)))
}

// listBookings returns the confirmed or the waiting bookings of event id in
// arrival order, at most limit[0] of them when given.
func listBookings(txn *badger.Txn, id, order string, limit ...int) []Booking {
	n := 0
	if len(limit) > 0 {
		n = limit[0]
	}
	prefix := store.PrefixEventBooking + id + "/" + order + "/"
	var out []Booking
	opts := badger.DefaultIteratorOptions
	opts.Prefix = []byte(prefix)
	it := txn.NewIterator(opts)
	defer it.Close()
	for it.Rewind(); it.Valid() && (n == 0 || len(out) < n); it.Next() {
		actor, err := it.Item().ValueCopy(nil)
		if err != nil {
			continue
		}
		if bk, ok := getBooking(txn, id, string(actor)); ok {
			out = append(out, *bk)
		}
	}
	return out
}

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// NewFeed gives p a new personal calendar feed's secret token, revoking
// the one they had.
func (s *Service) NewFeed(ctx context.Context, p *twinfed.Principal) (string, error) {
	var b [24]byte
	rand.Read(b[:])
	token := base64.RawURLEncoding.EncodeToString(b[:])
	err := s.store.Update(func(txn *badger.Txn) error {
		if _, err := s.member(txn, p); err != nil {
			return err
		}
		if err := s.revoke(txn, p.Username); err != nil {
			return err
		}
		h := tokenHash(token)
		if err := txn.Set([]byte(store.PrefixEventFeed+"t/"+h), []byte(p.Username)); err != nil {
			return err
		}
		return txn.Set([]byte(store.PrefixEventFeed+"u/"+p.Username), []byte(h))
	})
	return token, err
}

// RevokeFeed ends p's personal calendar feed: its URL answers 404.
func (s *Service) RevokeFeed(ctx context.Context, p *twinfed.Principal) error {
	return s.store.Update(func(txn *badger.Txn) error {
		if _, err := s.member(txn, p); err != nil {
			return err
		}
		return s.revoke(txn, p.Username)
	})
}

// HasFeed reports whether p has a personal calendar feed.
func (s *Service) HasFeed(p *twinfed.Principal) bool {
	ok := false
	_ = s.store.View(func(txn *badger.Txn) error {
		ok = p != nil && store.Has(txn, store.PrefixEventFeed+"u/"+p.Username)
		return nil
	})
	return ok
}

func (s *Service) revoke(txn *badger.Txn, username string) error {
	h, ok, err := store.GetString(txn, store.PrefixEventFeed+"u/"+username)
	if err != nil || !ok {
		return err
	}
	if err := txn.Delete([]byte(store.PrefixEventFeed + "t/" + h)); err != nil {
		return err
	}
	return txn.Delete([]byte(store.PrefixEventFeed + "u/" + username))
}

// Feed returns the iCalendar feed of the member whose secret token this
// is: every event they organise or take part in. ENOTFOUND for a token
// unknown or revoked.
func (s *Service) Feed(ctx context.Context, token string) ([]byte, error) {
	var username string
	err := s.store.View(func(txn *badger.Txn) error {
		u, ok, err := store.GetString(txn, store.PrefixEventFeed+"t/"+tokenHash(token))
		if err != nil {
			return err
		}
		if !ok {
			return twinfed.Errorf(twinfed.ENOTFOUND, "There is no such calendar.")
		}
		username = u
		return nil
	})
	if err != nil {
		return nil, err
	}
	evs, err := s.MemberEvents(ctx, username)
	if err != nil {
		return nil, err
	}
	return s.ICS(evs), nil
}

// ICS writes events as one iCalendar document (eventical).
func (s *Service) ICS(events []*twinfed.Event) []byte { return eventical.Write(events, s.now(), s.cet) }
