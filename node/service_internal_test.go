package node

import (
	"testing"

	"github.com/twinfed/twinfed/node/mail"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/twinspace/materials"
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
	s, err := NewService(Config{Country: "IT", BaseURL: "http://it.example"}, Deps{Store: db, Mailer: &mail.Spool{Dir: t.TempDir()}, Materials: materials.Config{Dir: t.TempDir()}})
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	return db, s
}
