package node

import (
	"github.com/dgraph-io/badger/v4"
)

// isLocal reports whether an actor URL lives on this node.
func (s *Service) isLocal(actor string) bool { return s.acts.IsLocal(actor) }

// kick tells the outbox and the directory indexer that a transaction
// committed work for them.
func (s *Service) kick() {
	s.acts.Notify()
	s.dir.Wake()
}

// update runs fn in a store transaction and kicks the workers after a
// successful commit.
func (s *Service) update(fn func(txn *badger.Txn) error) error {
	if err := s.store.Update(fn); err != nil {
		return err
	}
	s.kick()
	return nil
}
