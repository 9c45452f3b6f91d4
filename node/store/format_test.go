package store

import (
	"errors"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

// TestFormat_NewOldAndNewer checks the format version: a new store is
// recorded as current; a store of the first format (records, no version)
// runs every migration in order and is then current; a store written by a
// newer binary is refused with a message that says what to do, and left
// as it was.
func TestFormat_NewOldAndNewer(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := Format(s.DB()); v != FormatVersion {
		t.Errorf("new store: format %d, want %d", v, FormatVersion)
	}
	s.Close()

	// A store of format 1: a record and no version.
	old := t.TempDir()
	db, err := badger.Open(badger.DefaultOptions(old).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	_ = db.Update(func(txn *badger.Txn) error { return txn.Set([]byte(PrefixMember+"anna"), []byte(`{}`)) })
	db.Close()
	var ran []string
	mig := Migration{From: 1, Name: "a feature's step", Run: func(db *badger.DB) error {
		ran = append(ran, "feature")
		return db.View(func(txn *badger.Txn) error { _, err := txn.Get([]byte(PrefixMember + "anna")); return err })
	}}
	s, err = Open(old, Options{Migrations: []Migration{mig}})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := Format(s.DB()); v != FormatVersion || len(ran) != 1 {
		t.Errorf("old store: format %d, migrations %v; want %d and the feature's step run once", v, ran, FormatVersion)
	}
	if err := setFormat(s.DB(), FormatVersion+1); err != nil { // as a newer binary would leave it
		t.Fatal(err)
	}
	s.Close()

	_, err = Open(old, Options{})
	if !errors.Is(err, ErrNewerFormat) || !strings.Contains(err.Error(), "reads formats up to") {
		t.Fatalf("newer store: %v; want ErrNewerFormat saying what this binary reads", err)
	}
	db, err = badger.Open(badger.DefaultOptions(old).WithLogger(nil))
	if err != nil {
		t.Fatalf("the refused store can no longer be opened: %v", err)
	}
	defer db.Close()
	if v, _ := Format(db); v != FormatVersion+1 {
		t.Errorf("the refused store's format became %d", v)
	}
}
