package store

import (
	"encoding/json"
	"errors"
	"sync"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
)

// Decoded keeps records read often, decoded from their JSON, each with the
// Badger version it was decoded from, so that a hot path (an event read
// for each of a thousand bookings at once) decodes a record once per write
// of it rather than once per read. A version is the commit that wrote the
// value, so a record read at the version kept is the value kept: a later
// write has a later version and is decoded afresh. It is safe for
// concurrent use.
type Decoded[T any] struct {
	mu  sync.Mutex
	max int
	m   map[string]decodedValue[T]
}

type decodedValue[T any] struct {
	version uint64
	v       *T
}

// NewDecoded returns a Decoded that keeps at most max records (when full,
// it starts again from none).
func NewDecoded[T any](max int) *Decoded[T] {
	return &Decoded[T]{max: max, m: map[string]decodedValue[T]{}}
}

// Get is GetJSON for the record at key as txn sees it (ENOTFOUND when
// missing), decoded once per version. The value is shared with the other
// readers of that version: callers must not modify it.
func (d *Decoded[T]) Get(txn *badger.Txn, key string) (*T, error) {
	item, err := txn.Get([]byte(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, twinfed.Errorf(twinfed.ENOTFOUND, "not found")
	}
	if err != nil {
		return nil, err
	}
	// A write of txn itself, not yet committed, is read at the
	// transaction's own read version, which a committed value of the key
	// may also have: only a version below it names one value.
	v := item.Version()
	committed := v < txn.ReadTs()
	if committed {
		d.mu.Lock()
		e, ok := d.m[key]
		d.mu.Unlock()
		if ok && e.version == v {
			return e.v, nil
		}
	}
	t := new(T)
	if err := item.Value(func(b []byte) error { return json.Unmarshal(b, t) }); err != nil {
		return nil, err
	}
	if committed {
		d.mu.Lock()
		if len(d.m) >= d.max {
			clear(d.m)
		}
		if e, ok := d.m[key]; !ok || e.version < v {
			d.m[key] = decodedValue[T]{version: v, v: t}
		}
		d.mu.Unlock()
	}
	return t, nil
}
