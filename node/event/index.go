package event

import (
	"slices"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
)

// The events by month: an in-memory index of every event this node holds
// (home and replicas), by the CET month of its start, so that the lists and
// the month calendar read the month's events without reading and decoding
// every event in Badger. It is built from Badger when the service starts
// and kept current by putEvent (creation and incoming Create{Event} and
// Update{Event}) once the transaction has committed.

// monthIndex holds the events by month. It is safe for concurrent use.
type monthIndex struct {
	cet     *time.Location
	mu      sync.RWMutex
	byMonth map[string][]*twinfed.Event // yyyy-mm in CET → its events, by start
	byID    map[string]*twinfed.Event   // event id → the event
}

func newMonthIndex(cet *time.Location) *monthIndex {
	return &monthIndex{cet: cet, byMonth: map[string][]*twinfed.Event{}, byID: map[string]*twinfed.Event{}}
}

func (x *monthIndex) key(t time.Time) string { return t.In(x.cet).Format("2006-01") }

// load fills the index from Badger.
func (x *monthIndex) load(st *store.Store) error {
	return st.View(func(txn *badger.Txn) error {
		return store.EachJSON(txn, store.PrefixEvent, func(e *twinfed.Event) error {
			x.put(e)
			return nil
		})
	})
}

// put adds e, or replaces the version it holds unless that one is newer.
func (x *monthIndex) put(e *twinfed.Event) {
	ce := *e
	x.mu.Lock()
	defer x.mu.Unlock()
	if old, ok := x.byID[e.ID]; ok {
		if old.Version > e.Version {
			return
		}
		m := x.key(old.Start)
		list := x.byMonth[m]
		if i := slices.Index(list, old); i >= 0 {
			x.byMonth[m] = slices.Delete(list, i, i+1)
		}
	}
	m := x.key(e.Start)
	list := x.byMonth[m]
	i, _ := slices.BinarySearchFunc(list, ce.Start, func(o *twinfed.Event, t time.Time) int {
		if o.Start.After(t) {
			return 1
		}
		return -1 // after the events that start at the same time: arrival order
	})
	x.byMonth[m] = slices.Insert(list, i, &ce)
	x.byID[e.ID] = &ce
}

// get returns a copy of event id; false when the node holds none.
func (x *monthIndex) get(id string) (*twinfed.Event, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	e, ok := x.byID[id]
	if !ok {
		return nil, false
	}
	ce := *e
	return &ce, true
}

// between returns the events that start in [from, to), by start. They are
// the index's own, never modified (put replaces an event by a new copy):
// callers only read them.
func (x *monthIndex) between(from, to time.Time) []*twinfed.Event {
	var out []*twinfed.Event
	x.mu.RLock()
	defer x.mu.RUnlock()
	first := time.Date(from.In(x.cet).Year(), from.In(x.cet).Month(), 1, 0, 0, 0, 0, x.cet)
	for m := first; m.Before(to); m = m.AddDate(0, 1, 0) {
		for _, e := range x.byMonth[x.key(m)] {
			if !e.Start.Before(from) && e.Start.Before(to) {
				out = append(out, e)
			}
		}
	}
	return out
}
