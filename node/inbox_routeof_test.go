package node

import (
	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
)

// routeOf names the handler the router picks for a ("" when none), for
// TestInbox_Routes.
func routeOf(s *Service, txn *badger.Txn, a *twinfed.Activity) string {
	if r, ok := s.inbox.Route(txn, a); ok && r.Apply != nil {
		return r.Name
	}
	return ""
}
