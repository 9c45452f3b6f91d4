package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"sync"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
)

// DecodedMax bounds how many records a Decoded keeps.
const DecodedMax = 4096

// Decoded keeps JSON records decoded, each with the bytes it was decoded
// from, so that a record read again unchanged is copied instead of
// decoded (a member's record, read by each of their clicks on an event).
// It is keyed by those bytes, never by a Badger version: a reader only
// ever gets the decoding of exactly the record its transaction holds,
// whatever happened to the database in between (a restore, a reopen).
// At most DecodedMax records are kept, any one dropped to make room. Its
// zero value is ready to use.
type Decoded[T any] struct {
	mu sync.Mutex
	m  map[string]decodedRecord[T] // key → the record decoded last
}

// decodedRecord is a record's bytes and their decoding, which is never
// handed out: readers get copies.
type decodedRecord[T any] struct {
	raw []byte
	v   *T
}

// Get reads key within txn, as GetJSON does (ENOTFOUND when missing), and
// returns clone of its decoding: clone must copy every slice, map and
// pointer of a T, so that what the caller changes is its own.
func (d *Decoded[T]) Get(txn *badger.Txn, key string, clone func(*T) *T) (*T, error) {
	item, err := txn.Get([]byte(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, twinfed.Errorf(twinfed.ENOTFOUND, "not found")
	}
	if err != nil {
		return nil, err
	}
	var out *T
	err = item.Value(func(raw []byte) error {
		d.mu.Lock()
		r, ok := d.m[key]
		d.mu.Unlock()
		if ok && bytes.Equal(r.raw, raw) {
			out = clone(r.v)
			return nil
		}
		v := new(T)
		if err := json.Unmarshal(raw, v); err != nil {
			return err
		}
		d.mu.Lock()
		if d.m == nil {
			d.m = make(map[string]decodedRecord[T])
		}
		if _, ok := d.m[key]; !ok && len(d.m) >= DecodedMax {
			for k := range d.m { // any one: Go's map order is random
				delete(d.m, k)
				break
			}
		}
		d.m[key] = decodedRecord[T]{raw: bytes.Clone(raw), v: v}
		d.mu.Unlock()
		out = clone(v)
		return nil
	})
	return out, err
}
