package node

import "testing"

// openService opens the store in dir and an IT node's Service on it: the
// set-up of the package's internal tests. The caller closes the store;
// opening the same dir again is a restart.
func openService(t *testing.T, dir string) (*Store, *Service) {
	t.Helper()
	store, err := OpenStore(dir, StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewService(Config{Country: "IT", BaseURL: "http://it.example"}, Deps{Store: store, Mailer: &SpoolMailer{Dir: t.TempDir()}})
	if err != nil {
		store.Close()
		t.Fatal(err)
	}
	return store, s
}
