package twinspace

import (
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/project"
	"github.com/twinfed/twinfed/node/store"
)

// openService opens the store in dir and an IT node's TwinSpace service
// on it, over a project service without the other features. The caller
// closes the store.
func openService(t *testing.T, dir string) (*store.Store, *Service) {
	t.Helper()
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := project.New(project.Config{Country: "IT", BaseURL: "http://it.example"}, project.Deps{Store: db})
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	s, err := New(Config{BaseURL: "http://it.example"}, Deps{Store: db, Projects: ps})
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	return db, s
}

// TestOpenTwinSpace_ExactlyOne checks the guard behind "exactly one
// TwinSpace per project": the home node refuses a second one, and the
// first stays as it was.
func TestOpenTwinSpace_ExactlyOne(t *testing.T) {
	db, s := openService(t, t.TempDir())
	defer db.Close()
	p := &twinfed.Project{ID: twinfed.ProjectURL("http://it.example", "p1"), State: twinfed.ProjectApproved, Partners: []twinfed.Partner{
		{Actor: "http://it.example/users/maria", Role: twinfed.RoleFounder, Status: twinfed.PartnerApproved},
		{Actor: "http://fr.example/users/jean", Role: twinfed.RoleCofounder, Status: twinfed.PartnerApproved},
		{Actor: "http://es.example/users/ana", Role: twinfed.RolePartner, Status: twinfed.PartnerApproved},
	}}
	if err := db.Update(func(txn *badger.Txn) error { return s.openTwinSpace(txn, p) }); err != nil {
		t.Fatal(err)
	}
	if p.TwinSpace != twinfed.TwinSpaceURL(p.ID) {
		t.Fatalf("TwinSpace URL %q", p.TwinSpace)
	}
	var first TwinSpace
	_ = db.View(func(txn *badger.Txn) error { return store.GetJSON(txn, store.PrefixTwinSpace+p.ID, &first) })
	if len(first.Admins) != 2 {
		t.Fatalf("admins %v: want the two founders", first.Admins)
	}
	time.Sleep(time.Millisecond)
	err := db.Update(func(txn *badger.Txn) error { return s.openTwinSpace(txn, p) })
	if twinfed.ErrorCode(err) != twinfed.ECONFLICT {
		t.Fatalf("a second TwinSpace for one project: %v", err)
	}
	var again TwinSpace
	_ = db.View(func(txn *badger.Txn) error { return store.GetJSON(txn, store.PrefixTwinSpace+p.ID, &again) })
	if !again.Opened.Equal(first.Opened) {
		t.Fatal("the refused second TwinSpace changed the first")
	}
}
