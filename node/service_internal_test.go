package node

import (
	"errors"
	"slices"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed/node/mail"
	"github.com/twinfed/twinfed/node/store"
)

// openService opens the store in dir and an IT node's Service on it: the
// set-up of the package's internal tests. The caller closes the store;
// opening the same dir again is a restart.
func openService(t *testing.T, dir string) (*store.Store, *Service) {
	t.Helper()
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewService(Config{Country: "IT", BaseURL: "http://it.example"}, Deps{Store: db, Mailer: &mail.Spool{Dir: t.TempDir()}})
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	return db, s
}

// TestStore_AfterCommit checks the hooks of Update: they run after the
// commit, when the write is visible to other transactions, once however
// often a conflict makes Update run fn again, and never for a transaction
// that fails.
func TestStore_AfterCommit(t *testing.T) {
	db, _ := openService(t, t.TempDir())
	defer db.Close()
	var seen []string
	attempts := 0
	err := db.Update(func(txn *badger.Txn) error {
		attempts++
		if attempts == 1 {
			// A concurrent transaction writes the key this one read:
			// its commit conflicts and Update runs fn again.
			_, _ = txn.Get([]byte("k"))
			if err := db.Update(func(other *badger.Txn) error { return other.Set([]byte("k"), []byte("other")) }); err != nil {
				t.Fatal(err)
			}
		}
		if err := txn.Set([]byte("k"), []byte("mine")); err != nil {
			return err
		}
		db.AfterCommit(txn, func() {
			_ = db.View(func(txn *badger.Txn) error {
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
	err = db.Update(func(txn *badger.Txn) error {
		db.AfterCommit(txn, func() { ran = true })
		return errors.New("refused")
	})
	if err == nil || ran {
		t.Fatalf("a failed transaction: err %v, hook ran %v", err, ran)
	}
}
