package store_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
)

// MustOpen opens a store in a temp dir and closes it at the end of the test.
func MustOpen(tb testing.TB) *store.Store {
	tb.Helper()
	s, err := store.Open(tb.TempDir(), store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// TestStore_AfterCommit checks the hooks of Update: they run after the
// commit, when the write is visible to other transactions, once however
// often a conflict makes Update run fn again, and never for a transaction
// that fails.
func TestStore_AfterCommit(t *testing.T) {
	s := MustOpen(t)
	var seen []string
	attempts := 0
	err := s.Update(func(txn *badger.Txn) error {
		attempts++
		if attempts == 1 {
			// A concurrent transaction writes the key this one read:
			// its commit conflicts and Update runs fn again.
			_, _ = txn.Get([]byte("k"))
			if err := s.Update(func(other *badger.Txn) error { return other.Set([]byte("k"), []byte("other")) }); err != nil {
				t.Fatal(err)
			}
		}
		if err := txn.Set([]byte("k"), []byte("mine")); err != nil {
			return err
		}
		s.AfterCommit(txn, func() {
			_ = s.View(func(txn *badger.Txn) error {
				var v []byte
				if item, err := txn.Get([]byte("k")); err == nil {
					v, _ = item.ValueCopy(nil)
				}
				seen = append(seen, string(v))
				return nil
			})
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if attempts != 2 || !slices.Equal(seen, []string{"mine"}) {
		t.Fatalf("%d attempts, the hooks saw %q; want 2 attempts and one hook that saw the committed value", attempts, seen)
	}
	ran := false
	err = s.Update(func(txn *badger.Txn) error {
		s.AfterCommit(txn, func() { ran = true })
		return errors.New("refused")
	})
	if err == nil || ran {
		t.Fatalf("a failed transaction: err %v, hook ran %v", err, ran)
	}
}

// TestStore_JSONHelpers checks the helpers on a few records: reads of
// missing keys, listing and counting under a prefix, deleting a prefix
// without touching its neighbours.
func TestStore_JSONHelpers(t *testing.T) {
	s := MustOpen(t)
	type rec struct {
		N int `json:"n"`
	}
	err := s.Update(func(txn *badger.Txn) error {
		for i, k := range []string{"a/1", "a/2", "a/3", "ab/1"} {
			if err := store.SetJSON(txn, k, rec{N: i}); err != nil {
				return err
			}
		}
		return txn.Set([]byte("s"), []byte("value"))
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.View(func(txn *badger.Txn) error {
		var r rec
		if err := store.GetJSON(txn, "a/2", &r); err != nil || r.N != 1 {
			t.Errorf("GetJSON a/2: %+v, %v", r, err)
		}
		if err := store.GetJSON(txn, "a/9", &r); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
			t.Errorf("GetJSON of a missing key: %v, want ENOTFOUND", err)
		}
		if ok, err := store.Exists(txn, "a/1"); !ok || err != nil || store.Has(txn, "a/9") {
			t.Errorf("Exists a/1: %v, %v; Has a/9: %v", ok, err, store.Has(txn, "a/9"))
		}
		if v, ok, err := store.GetString(txn, "s"); v != "value" || !ok || err != nil {
			t.Errorf("GetString: %q, %v, %v", v, ok, err)
		}
		if _, ok, _ := store.GetString(txn, "missing"); ok {
			t.Error("GetString of a missing key reports it found")
		}
		if got := store.KeysUnder(txn, "a/", 2); !slices.Equal(got, []string{"1", "2"}) {
			t.Errorf("KeysUnder a/ (2): %q", got)
		}
		if n := store.CountPrefix(txn, "a/"); n != 3 {
			t.Errorf("CountPrefix a/: %d, want 3", n)
		}
		var ns []int
		_ = store.EachJSON(txn, "a/", func(r *rec) error { ns = append(ns, r.N); return nil })
		if !slices.Equal(ns, []int{0, 1, 2}) {
			t.Errorf("EachJSON a/: %v", ns)
		}
		return nil
	})
	if err := s.Update(func(txn *badger.Txn) error { return store.DeletePrefix(txn, "a/") }); err != nil {
		t.Fatal(err)
	}
	_ = s.View(func(txn *badger.Txn) error {
		if n, m := store.CountPrefix(txn, "a/"), store.CountPrefix(txn, "ab/"); n != 0 || m != 1 {
			t.Errorf("after DeletePrefix a/: %d under a/, %d under ab/; want 0 and 1", n, m)
		}
		return nil
	})
	if a, b := store.NewID(), store.NewID(); len(a) != 24 || a == b {
		t.Errorf("NewID: %q, %q", a, b)
	}
}

// TestOpen_Memory: the store opens with the sizes it is given, and with
// DefaultMemory's in the fields left at zero.
func TestOpen_Memory(t *testing.T) {
	s, err := store.Open(t.TempDir(), store.Options{Memory: store.Memory{BlockCacheBytes: 8 << 20, NumMemtables: 4}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	o := s.DB().Opts()
	if o.BlockCacheSize != 8<<20 || o.NumMemtables != 4 || o.IndexCacheSize != store.DefaultMemory.IndexCacheBytes || o.MemTableSize != store.DefaultMemory.MemTableBytes {
		t.Errorf("badger opened with block cache %d, memtables %d, index cache %d, memtable %d", o.BlockCacheSize, o.NumMemtables, o.IndexCacheSize, o.MemTableSize)
	}
	if err := s.Update(func(txn *badger.Txn) error { return txn.Set([]byte("k"), []byte("v")) }); err != nil {
		t.Fatal(err)
	}
}
