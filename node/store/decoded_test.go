package store_test

import (
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
)

type rec struct{ Title string }

// TestDecoded_OncePerVersion: a record read again at the same version is the
// value decoded before; a write of it, committed or still pending in the
// reader's own transaction (read at the version a committed value can
// share), is read as written; a missing one is ENOTFOUND.
func TestDecoded_OncePerVersion(t *testing.T) {
	s := MustOpen(t)
	d := store.NewDecoded[rec](8)
	set := func(key, title string) {
		t.Helper()
		if err := s.Update(func(txn *badger.Txn) error { return store.SetJSON(txn, key, rec{title}) }); err != nil {
			t.Fatal(err)
		}
	}
	get := func(txn *badger.Txn, key string) *rec {
		t.Helper()
		r, err := d.Get(txn, key)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	set("ev/1", "first")
	// A transaction that begins before any later commit: its read version
	// is the one that wrote "first".
	early := s.DB().NewTransaction(true)
	defer early.Discard()
	set("ev/other", "x")
	var a, b *rec
	s.View(func(txn *badger.Txn) error { a = get(txn, "ev/1"); return nil })
	s.View(func(txn *badger.Txn) error { b = get(txn, "ev/1"); return nil })
	if a.Title != "first" || a != b {
		t.Fatalf("read twice at one version: %+v and %+v, want one value decoded once", a, b)
	}
	// The early transaction's own write has its read version, the version
	// of "first" kept above.
	if err := store.SetJSON(early, "ev/1", rec{"mine"}); err != nil {
		t.Fatal(err)
	}
	if r := get(early, "ev/1"); r.Title != "mine" {
		t.Fatalf("own pending write read as %q, want mine", r.Title)
	}
	set("ev/1", "second")
	s.View(func(txn *badger.Txn) error {
		if r := get(txn, "ev/1"); r.Title != "second" {
			t.Errorf("after a write: %q, want second", r.Title)
		}
		if _, err := d.Get(txn, "ev/none"); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
			t.Errorf("missing record: %v, want ENOTFOUND", err)
		}
		return nil
	})
}
