package node

import (
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
)

// TestSyncLocalProfiles_FromTheMembersRecords checks the one-time copy of
// a store from before the directory: validated members' public profiles go
// into dp/ (each read again in the writing transaction), others do not, and
// the copy is not made twice.
func TestSyncLocalProfiles_FromTheMembersRecords(t *testing.T) {
	store, err := OpenStore(t.TempDir(), StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	s, err := NewService(Config{Country: "IT", BaseURL: "http://it.example"}, Deps{Store: store, Mailer: &SpoolMailer{Dir: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	anna := &twinfed.Member{Username: "anna", FirstName: "Anna", LastName: "Rossi", Email: "anna@scuola.it", Status: twinfed.StatusValidated, Role: twinfed.RoleMember,
		Schools: []twinfed.MemberSchool{{SchoolID: "it-1", Name: "Scuola Uno", Level: twinfed.LevelPrimary, Role: "teacher"}}, Public: twinfed.PublicFields}
	carla := &twinfed.Member{Username: "carla", FirstName: "Carla", LastName: "Bianchi", Email: "carla@scuola.it", Status: twinfed.StatusPending, Role: twinfed.RoleMember, Public: twinfed.PublicFields}
	if err := store.Update(func(txn *badger.Txn) error {
		for _, m := range []*twinfed.Member{anna, carla} {
			if err := setJSON(txn, prefixMember+m.Username, m); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	annaID := s.publicOf(anna).ID
	if err := s.syncLocalProfiles(); err != nil {
		t.Fatal(err)
	}
	var got *twinfed.Profile
	_ = store.View(func(txn *badger.Txn) error { got = s.dirGet(txn, annaID); return nil })
	if got == nil || got.Name != "Anna Rossi" {
		t.Fatalf("anna's profile in the directory: %+v", got)
	}
	if n := 0; store.View(func(txn *badger.Txn) error { n = countPrefix(txn, prefixDirProfile); return nil }) != nil || n != 1 {
		t.Fatalf("%d profiles in the directory, want 1 (carla is not validated)", n)
	}
	// Done once: a second call copies nothing.
	if err := store.Update(func(txn *badger.Txn) error { return txn.Delete([]byte(prefixDirProfile + annaID)) }); err != nil {
		t.Fatal(err)
	}
	if err := s.syncLocalProfiles(); err != nil {
		t.Fatal(err)
	}
	_ = store.View(func(txn *badger.Txn) error { got = s.dirGet(txn, annaID); return nil })
	if got != nil {
		t.Fatal("the copy was made twice")
	}
}
