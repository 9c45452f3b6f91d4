package node

import (
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
)

// TestSyncLocalProfiles_FromTheMembersRecords checks the one-time copy of
// a store from before the directory: validated members' public profiles go
// into dp/ (each read again in the writing transaction), others do not, a
// profile already there is not written again, and the copy is not made
// twice.
func TestSyncLocalProfiles_FromTheMembersRecords(t *testing.T) {
	db, s := openService(t, t.TempDir())
	defer db.Close()
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
	// bruno's profile was written with his record (saveMember does): the
	// copy leaves it as it is, version included, so that the profile page
	// cache's entry stays valid.
	bruno := &twinfed.Member{Username: "bruno", FirstName: "Bruno", LastName: "Verdi", Email: "bruno@scuola.it", Status: twinfed.StatusValidated, Role: twinfed.RoleMember, Public: twinfed.PublicFields}
	if err := db.Update(func(txn *badger.Txn) error {
		if err := store.SetJSON(txn, store.PrefixMember+bruno.Username, bruno); err != nil {
			return err
		}
		return s.dirPut(txn, s.publicOf(bruno))
	}); err != nil {
		t.Fatal(err)
	}
	brunoVersion := s.recordVersion(s.localDirKey("bruno"))
	annaID := s.publicOf(anna).ID
	if err := s.syncLocalProfiles(); err != nil {
		t.Fatal(err)
	}
	if v := s.recordVersion(s.localDirKey("bruno")); v != brunoVersion || v == 0 {
		t.Fatalf("bruno's profile, already there, was written again: version %d, was %d", v, brunoVersion)
	}
	var got *twinfed.Profile
	_ = db.View(func(txn *badger.Txn) error { got = s.dirGet(txn, annaID); return nil })
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
	if err := s.syncLocalProfiles(); err != nil {
		t.Fatal(err)
	}
	_ = db.View(func(txn *badger.Txn) error { got = s.dirGet(txn, annaID); return nil })
	if got != nil {
		t.Fatal("the copy was made twice")
	}
}
