package training

import (
	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/inbound"
)

// InboxRoutes are professional development's claims on activities from
// other nodes (node/inbound): the Create or Update of an agency's training
// offer, which it carries.
func (s *Service) InboxRoutes() []inbound.Route {
	return []inbound.Route{{Name: "training.ApplyTraining", Types: []twinfed.ActivityType{twinfed.ActivityCreate, twinfed.ActivityUpdate},
		Claims: func(_ *badger.Txn, a *twinfed.Activity) bool { return a.Training != nil }, Apply: s.ApplyTraining}}
}
