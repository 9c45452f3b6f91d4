package event

import "github.com/dgraph-io/badger/v4"

// The bookings of an event are decided by one writer per event
// (store.Serializer): the requests that wait for it (Participate, Leave,
// attendance, and the inbox's Join and Leave from other nodes) run one
// after another, in arrival order, batched in one Badger transaction,
// committed (synced) before any of them is answered. A member's node runs
// the bookings of another node's event through the event's writer too:
// its members' clicks (each a pending state and a Join in the outbox) and
// the home node's answers (the inbox's Accept and Reject), so that a burst
// of them also costs a few synced commits instead of one each.

// Serial runs fn in a transaction of event id's single writer, possibly
// shared with other requests of the same event that came before and after
// it, and returns once that transaction committed (or fn failed, and then
// nothing of fn was committed). fn may run more than once, so it must set
// its results afresh on each run. The node's inbox applies the Join and
// Leave of this node's events, and the answers to its members' bookings of
// other nodes' events, through it.
func (s *Service) Serial(id string, fn func(txn *badger.Txn) error) error { return s.w.Run(id, fn) }
