package directory_test

import (
	"errors"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/directory"
	"github.com/twinfed/twinfed/node/mail"
	"github.com/twinfed/twinfed/node/outbox"
	"github.com/twinfed/twinfed/node/store"
)

const base = "http://it.example"

// openDirectory opens a store in a temporary dir, an IT node's directory
// on it and the accounts that give it the members, closed at the end of
// the test. The index is not opened.
func openDirectory(t *testing.T) (*store.Store, *directory.Service, *account.Service) {
	t.Helper()
	db, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	dir, err := directory.New(directory.Config{BaseURL: base}, directory.Deps{Store: db})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := account.New(account.Config{Country: "IT", BaseURL: base}, account.Deps{Store: db, Mailer: &mail.Spool{Dir: t.TempDir()},
		Directory: dir, Activities: outbox.NewActivities(base, nil, nil)})
	if err != nil {
		t.Fatal(err)
	}
	dir.SetMembers(acc)
	return db, dir, acc
}

// localDirKey is the key of a local member's directory record.
func localDirKey(username string) string {
	return store.PrefixDirProfile + twinfed.ActorURL(base, username)
}

// recordVersion is the Badger version of key, 0 when it is missing.
func recordVersion(db *store.Store, key string) uint64 {
	var v uint64
	_ = db.View(func(txn *badger.Txn) error {
		if item, err := txn.Get([]byte(key)); err == nil {
			v = item.Version()
		}
		return nil
	})
	return v
}

// TestSyncLocalProfiles_FromTheMembersRecords checks the one-time copy of
// a store from before the directory: validated members' public profiles go
// into dp/ (each read again in the writing transaction), others do not, a
// profile already there is not written again, and the copy is not made
// twice.
func TestSyncLocalProfiles_FromTheMembersRecords(t *testing.T) {
	db, s, acc := openDirectory(t)
	anna := &twinfed.Member{Username: "anna", FirstName: "Anna", LastName: "Rossi", Email: "anna@scuola.it", Status: twinfed.StatusValidated, Role: twinfed.RoleMember,
		Schools: []twinfed.MemberSchool{{SchoolID: "it-1", Name: "Scuola Uno", Level: twinfed.LevelPrimary, Role: "teacher"}}, Public: twinfed.PublicFields}
	carla := &twinfed.Member{Username: "carla", FirstName: "Carla", LastName: "Bianchi", Email: "carla@scuola.it", Status: twinfed.StatusPending, Role: twinfed.RoleMember, Public: twinfed.PublicFields}
	if err := db.Update(func(txn *badger.Txn) error {
		for _, m := range []*twinfed.Member{anna, carla} {
			if err := store.SetJSON(txn, store.PrefixMember+m.Username, m); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// bruno's profile was written with his record (the account's SaveMember does): the
	// copy leaves it as it is, version included, so that the profile page
	// cache's entry stays valid.
	bruno := &twinfed.Member{Username: "bruno", FirstName: "Bruno", LastName: "Verdi", Email: "bruno@scuola.it", Status: twinfed.StatusValidated, Role: twinfed.RoleMember, Public: twinfed.PublicFields}
	if err := db.Update(func(txn *badger.Txn) error {
		if err := store.SetJSON(txn, store.PrefixMember+bruno.Username, bruno); err != nil {
			return err
		}
		return s.Put(txn, acc.PublicOf(bruno))
	}); err != nil {
		t.Fatal(err)
	}
	brunoVersion := recordVersion(db, localDirKey("bruno"))
	annaID := acc.PublicOf(anna).ID
	if err := s.SyncLocalProfiles(); err != nil {
		t.Fatal(err)
	}
	if v := recordVersion(db, localDirKey("bruno")); v != brunoVersion || v == 0 {
		t.Fatalf("bruno's profile, already there, was written again: version %d, was %d", v, brunoVersion)
	}
	var got *twinfed.Profile
	_ = db.View(func(txn *badger.Txn) error { got = s.Get(txn, annaID); return nil })
	if got == nil || got.Name != "Anna Rossi" {
		t.Fatalf("anna's profile in the directory: %+v", got)
	}
	if n := 0; db.View(func(txn *badger.Txn) error { n = store.CountPrefix(txn, store.PrefixDirProfile); return nil }) != nil || n != 2 {
		t.Fatalf("%d profiles in the directory, want 2 (carla is not validated)", n)
	}
	// Done once: a second call copies nothing.
	if err := db.Update(func(txn *badger.Txn) error { return txn.Delete([]byte(store.PrefixDirProfile + annaID)) }); err != nil {
		t.Fatal(err)
	}
	if err := s.SyncLocalProfiles(); err != nil {
		t.Fatal(err)
	}
	_ = db.View(func(txn *badger.Txn) error { got = s.Get(txn, annaID); return nil })
	if got != nil {
		t.Fatal("the copy was made twice")
	}
}

// TestStamps_WriteAndRemove checks that a directory record's stamp
// changes with each committed write and removal of it, and not with a
// transaction that fails.
func TestStamps_WriteAndRemove(t *testing.T) {
	db, s, _ := openDirectory(t)
	p := &twinfed.Profile{ID: "http://it.example/users/anna", Username: "anna", Name: "Anna Rossi"}
	key := store.PrefixDirProfile + p.ID
	before := s.ProfileStamp(key)
	if err := db.Update(func(txn *badger.Txn) error { return s.Put(txn, p) }); err != nil {
		t.Fatal(err)
	}
	afterPut := s.ProfileStamp(key)
	if afterPut == before {
		t.Fatal("a write left the record's stamp as it was")
	}
	_ = db.Update(func(txn *badger.Txn) error {
		if err := s.Remove(txn, p.ID); err != nil {
			return err
		}
		return errors.New("refused")
	})
	if s.ProfileStamp(key) != afterPut {
		t.Fatal("a removal that did not commit changed the stamp")
	}
	if err := db.Update(func(txn *badger.Txn) error { return s.Remove(txn, p.ID) }); err != nil {
		t.Fatal(err)
	}
	if s.ProfileStamp(key) == afterPut {
		t.Fatal("a removal left the record's stamp as it was")
	}
}
