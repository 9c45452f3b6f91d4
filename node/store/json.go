package store

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
)

// GetJSON reads key into v; ENOTFOUND when missing.
func GetJSON(txn *badger.Txn, key string, v any) error {
	item, err := txn.Get([]byte(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return twinfed.Errorf(twinfed.ENOTFOUND, "not found")
	}
	if err != nil {
		return err
	}
	return item.Value(func(b []byte) error { return json.Unmarshal(b, v) })
}

// SetJSON writes v, as JSON, at key.
func SetJSON(txn *badger.Txn, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return txn.Set([]byte(key), b)
}

// EachJSON decodes every value under prefix into a fresh T and calls fn, in
// key order; an error from fn stops the walk and is returned.
func EachJSON[T any](txn *badger.Txn, prefix string, fn func(v *T) error) error {
	opts := badger.DefaultIteratorOptions
	opts.Prefix = []byte(prefix)
	it := txn.NewIterator(opts)
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		var v T
		if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &v) }); err != nil {
			return err
		}
		if err := fn(&v); err != nil {
			return err
		}
	}
	return nil
}

// Exists reports whether key exists.
func Exists(txn *badger.Txn, key string) (bool, error) {
	_, err := txn.Get([]byte(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Has reports whether key exists (false on a read error too).
func Has(txn *badger.Txn, key string) bool {
	ok, _ := Exists(txn, key)
	return ok
}

// GetString reads the value at key as a string; false when it is missing.
func GetString(txn *badger.Txn, key string) (string, bool, error) {
	item, err := txn.Get([]byte(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	b, err := item.ValueCopy(nil)
	return string(b), true, err
}

// CountPrefix counts keys under prefix without reading values.
func CountPrefix(txn *badger.Txn, prefix string) int {
	opts := badger.DefaultIteratorOptions
	opts.PrefetchValues = false
	opts.Prefix = []byte(prefix)
	it := txn.NewIterator(opts)
	defer it.Close()
	n := 0
	for it.Rewind(); it.Valid(); it.Next() {
		n++
	}
	return n
}

// KeysUnder returns the key suffixes under prefix, in order, at most limit
// (0: all), without reading values.
func KeysUnder(txn *badger.Txn, prefix string, limit int) []string {
	opts := badger.DefaultIteratorOptions
	opts.PrefetchValues = false
	opts.Prefix = []byte(prefix)
	it := txn.NewIterator(opts)
	defer it.Close()
	var out []string
	for it.Rewind(); it.Valid(); it.Next() {
		out = append(out, string(bytes.TrimPrefix(it.Item().Key(), []byte(prefix))))
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out
}

// DeletePrefix deletes every key under prefix within txn.
func DeletePrefix(txn *badger.Txn, prefix string) error {
	for _, k := range KeysUnder(txn, prefix, 0) {
		if err := txn.Delete([]byte(prefix + k)); err != nil {
			return err
		}
	}
	return nil
}

// NewID returns a new random id (24 hex digits), for records, their keys
// and the URLs made from them.
func NewID() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// PageJSON reads, in key order, up to limit JSON records of type T whose
// keys are keyPrefix + their id, among the keys under scan (keyPrefix or
// longer), after the record with id after ("" from the start), and keeps
// those keep accepts (nil: all). next is the id of the last record read
// when more follow, "" at the end: the paging of the nodes' signed
// backfills.
func PageJSON[T any](txn *badger.Txn, keyPrefix, scan, after string, limit int, id func(*T) string, keep func(*T) bool) (items []*T, next string, err error) {
	opts := badger.DefaultIteratorOptions
	opts.Prefix = []byte(scan)
	it := txn.NewIterator(opts)
	defer it.Close()
	start := []byte(scan)
	if after != "" {
		start = []byte(keyPrefix + after + "\x00")
	}
	items = []*T{}
	last := ""
	for it.Seek(start); it.Valid() && len(items) < limit; it.Next() {
		var v T
		if err := it.Item().Value(func(raw []byte) error { return json.Unmarshal(raw, &v) }); err != nil {
			return nil, "", err
		}
		last = id(&v)
		if keep == nil || keep(&v) {
			items = append(items, &v)
		}
	}
	if it.Valid() {
		next = last
	}
	return items, next, nil
}
