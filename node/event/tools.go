package event

import (
	"context"
	"slices"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
)

// What the event's tools (node/event/eventforum) ask of the events.

// Event returns event id as this node holds it, within txn; ENOTFOUND
// when it holds none.
func (s *Service) Event(txn *badger.Txn, id string) (*twinfed.Event, error) { return getEvent(txn, id) }

// Counts returns the counts of the bookings of event id, one of this
// node's, within txn: zero when none was made.
func (s *Service) Counts(txn *badger.Txn, id string) (*Bookings, error) { return getBookings(txn, id) }

// Confirmed reports whether actor holds a confirmed place in e, as this
// node knows it: the home node from its bookings, another node for its
// own members.
func (s *Service) Confirmed(txn *badger.Txn, e *twinfed.Event, actor string) bool {
	if s.isLocal(e.ID) {
		return bookingState(txn, e.ID, actor) == twinfed.BookingConfirmed
	}
	u := s.localUsername(actor)
	return u != "" && myState(txn, u, e.ID) == twinfed.BookingConfirmed
}

// ConfirmedBooking returns, on the home node of event id, actor's booking
// when it is confirmed; nil otherwise.
func (s *Service) ConfirmedBooking(txn *badger.Txn, id, actor string) *Booking {
	if bk, ok := getBooking(txn, id, actor); ok && bk.State == twinfed.BookingConfirmed {
		return bk
	}
	return nil
}

// ParticipantNodes are the agency actors of the other nodes of e's
// confirmed participants, on e's home node.
func (s *Service) ParticipantNodes(_ context.Context, txn *badger.Txn, e *twinfed.Event) []string {
	seen := map[string]bool{}
	var out []string
	for _, b := range listBookings(txn, e.ID, orderConfirmed) {
		h, i := twinfed.URLHost(b.Actor), strings.Index(b.Actor, "/users/")
		if s.isLocal(b.Actor) || seen[h] || i < 0 {
			continue
		}
		seen[h] = true
		out = append(out, twinfed.AgencyURL(b.Actor[:i]))
	}
	return out
}

// Participants are the confirmed participants of e, an event of this
// node, in arrival order, within txn.
func (s *Service) Participants(txn *badger.Txn, id string) []Booking {
	return listBookings(txn, id, orderConfirmed)
}

// AddAttended records, within txn in the event's single writer (Serial),
// that the meeting room reported actors present in event id of this node:
// each confirmed participant among them is added to those who attended
// (nothing the organiser recorded is removed); the others are ignored.
func (s *Service) AddAttended(txn *badger.Txn, id string, actors []string) error {
	b, err := getBookings(txn, id)
	if err != nil {
		return err
	}
	for _, a := range actors {
		if bookingState(txn, id, a) != twinfed.BookingConfirmed {
			continue
		}
		if !slices.Contains(b.Attended, a) {
			b.Attended = append(b.Attended, a)
		}
		if !slices.Contains(b.Room, a) {
			b.Room = append(b.Room, a)
		}
	}
	return store.SetJSON(txn, store.PrefixEventBooking+id, b)
}

// set is the members of list.
func set(list []string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, v := range list {
		m[v] = true
	}
	return m
}

// Certificates is what an event's page asks of the certificates of
// participation (node/event/eventcert, which sets itself with
// SetCertificates).
type Certificates interface {
	// HasCertificate reports whether the page of e offers p their
	// certificate of participation.
	HasCertificate(ctx context.Context, p *twinfed.Principal, e *twinfed.Event) bool
}

// SetCertificates sets what the event's page asks about certificates.
func (s *Service) SetCertificates(c Certificates) { s.certs = c }

// Attended returns, on e's home node, the bookings of those its organiser
// recorded as present (RecordAttendance), within txn; a booking left
// since is not among them.
func (s *Service) Attended(txn *badger.Txn, e *twinfed.Event) ([]Booking, error) {
	b, err := getBookings(txn, e.ID)
	if err != nil || !s.isLocal(e.ID) {
		return nil, err
	}
	var out []Booking
	for _, a := range b.Attended {
		if bk, ok := getBooking(txn, e.ID, a); ok {
			out = append(out, *bk)
		}
	}
	return out, nil
}
