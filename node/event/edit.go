package event

import (
	"context"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/notice"
	"github.com/twinfed/twinfed/node/store"
)

// Editing and cancelling an event, by its organiser, on its home node.
// An edit is checked as a creation is (twinfed.ValidateEvent, the free
// meeting room of a new time) and by twinfed.CheckEventChange (the type
// stays, the audience only widens, the expected participants at least
// the confirmed ones); it bumps the event's version (its iCalendar
// SEQUENCE) and goes to the audience's nodes as Update{Event}. A
// cancellation keeps the event, marked cancelled (STATUS:CANCELLED in
// iCalendar), frees its meeting room and goes out as Delete{Event}. Both
// run in the event's single writer, so that an edit sees every booking
// decided before it. Each node tells its own members who booked a change
// of time or a cancellation (notice.EventChanged, notice.EventCancelled).

// Edit changes event id, organised by p, to in (whether it gives
// certificates only when in.SetCertifying; with in.SetInvited, invites
// in.Invited besides those already invited). The start and the duration of an online
// event must find a meeting room free (the event's own time counts as
// free).
func (s *Service) Edit(ctx context.Context, p *twinfed.Principal, id string, in Input) (*twinfed.Event, error) {
	var out *twinfed.Event
	err := s.retry(id, func(txn *badger.Txn) error {
		old, now, err := s.organised(txn, p, id)
		if err != nil {
			return err
		}
		e := *old
		e.Title, e.Description, e.Language, e.Place, e.Expected = in.Title, in.Description, in.Language, in.Place, in.Expected
		e.Kind, e.Audience, e.Countries = in.Kind, in.Audience, in.Countries
		e.Start, e.Minutes = s.parseStart(in.Date, in.Slot), in.Minutes
		if e.Kind == "" {
			e.Kind = old.Kind
		}
		if e.Audience == "" {
			e.Audience, e.Countries = old.Audience, old.Countries
		}
		if in.SetCertifying {
			e.Certifying = in.Certifying
		}
		if in.SetInvited {
			contacts, err := s.contacts.AcceptedContacts(txn, p.Username)
			if err != nil {
				return err
			}
			if e.Invited, err = invite(contacts, old.Invited, in.Invited); err != nil {
				return err
			}
		}
		if in.SetPhotos {
			if e.Photos, err = photosOf(txn, p.Username, in.Photos, old.Photos); err != nil {
				return err
			}
		}
		b, err := getBookings(txn, id)
		if err != nil {
			return err
		}
		if err := joinFields(twinfed.ValidateEvent(&e, now), twinfed.CheckEventChange(old, &e, b.Confirmed)); err != nil {
			return err
		}
		if e.Audience == twinfed.AudienceContacts && old.Audience != twinfed.AudienceContacts {
			e.Contacts = nil
		}
		moved := !e.Start.Equal(old.Start) || e.Minutes != old.Minutes
		if moved && e.Kind == twinfed.EventOnline {
			day, err := s.eventsOn(txn, e.Start)
			if err != nil {
				return err
			}
			others := day[:0]
			for _, o := range day {
				if o.ID != e.ID {
					others = append(others, o)
				}
			}
			if e.Room = twinfed.FreeRoom(e.Start, e.Minutes, s.cfg.Rooms, others); e.Room == 0 {
				return &twinfed.Error{Code: twinfed.EINVALID, Message: "The event cannot be saved; correct the fields shown.", Fields: map[string]string{"slot": "This time slot is already full; choose another."}}
			}
		}
		if err := s.unday(txn, old); err != nil {
			return err
		}
		e.Version, e.Updated = old.Version+1, now.UTC()
		if err := s.putEvent(txn, &e); err != nil {
			return err
		}
		if moved {
			if err := s.tell(txn, &e, notice.EventChanged); err != nil {
				return err
			}
		}
		out = &e
		return s.publish(ctx, txn, twinfed.ActivityUpdate, &e)
	})
	return out, err
}

// organised returns event id as stored and the time now, when p, its
// organiser, may still change it (twinfed.CanEditEvent).
func (s *Service) organised(txn *badger.Txn, p *twinfed.Principal, id string) (*twinfed.Event, time.Time, error) {
	m, err := s.member(txn, p)
	if err != nil {
		return nil, time.Time{}, err
	}
	old, err := getEvent(txn, id)
	if err != nil {
		return nil, time.Time{}, err
	}
	now := s.now()
	if err := twinfed.CanEditEvent(old, twinfed.ActorURL(s.cfg.BaseURL, m.Username), now); err != nil {
		return nil, time.Time{}, err
	}
	return old, now, nil
}

// Cancel cancels event id, organised by p: it stays, marked cancelled, its
// meeting room is free again, and those who booked are told.
func (s *Service) Cancel(ctx context.Context, p *twinfed.Principal, id string) error {
	return s.retry(id, func(txn *badger.Txn) error {
		old, now, err := s.organised(txn, p, id)
		if err != nil {
			return err
		}
		e := *old
		e.Cancelled, e.Version, e.Updated = true, old.Version+1, now.UTC()
		if err := s.unday(txn, old); err != nil {
			return err
		}
		if err := s.putEvent(txn, &e); err != nil {
			return err
		}
		if err := s.tell(txn, &e, notice.EventCancelled); err != nil {
			return err
		}
		return s.publish(ctx, txn, twinfed.ActivityDelete, &e)
	})
}

// unday removes an event of this node from its day's index (ed/), where
// its meeting room is counted: before it moves or is cancelled.
func (s *Service) unday(txn *badger.Txn, e *twinfed.Event) error {
	if !s.isLocal(e.ID) {
		return nil
	}
	return txn.Delete([]byte(store.PrefixEventDay + s.dayKey(e.Start) + "/" + e.ID))
}

// tell notifies, within txn, the members of this node who booked e (any
// state but refused) of kind, a change of time or a cancellation; the
// organiser, who made it, is not told.
func (s *Service) tell(txn *badger.Txn, e *twinfed.Event, kind notice.Kind) error {
	if s.notices == nil {
		return nil
	}
	suffix := "/" + e.ID
	var users []string
	for _, k := range store.KeysUnder(txn, store.PrefixMyEvent, 0) {
		u, ok := strings.CutSuffix(k, suffix)
		if !ok || strings.Contains(u, "/") {
			continue
		}
		if myState(txn, u, e.ID) == stateRefused || twinfed.ActorURL(s.cfg.BaseURL, u) == e.Organiser {
			continue
		}
		users = append(users, u)
	}
	for _, u := range users {
		if err := s.notices.NotifyLink(txn, u, kind, e.Organiser, e.Title, s.Path(e.ID)); err != nil {
			return err
		}
	}
	return nil
}

// joinFields is the first of two errors, with the fields of both: every
// problem of an edit is shown at once.
func joinFields(a, b error) error {
	if a == nil {
		return b
	}
	fa, fb := twinfed.ErrorFields(a), twinfed.ErrorFields(b)
	if fa == nil || fb == nil {
		return a
	}
	for k, v := range fb {
		if _, ok := fa[k]; !ok {
			fa[k] = v
		}
	}
	return a
}
