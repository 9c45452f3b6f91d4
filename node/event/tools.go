package event

import (
	"context"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
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
