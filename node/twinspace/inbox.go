package twinspace

import (
	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/inbound"
)

// InboxRoutes are the TwinSpaces' claims on activities from other nodes
// (node/inbound): every activity that carries a TwinSpace object, whatever
// its type, is theirs. A member's Create, Update or Delete to the project's
// Group on its home node is applied by ApplyWrite, the Group's Announce by
// ApplyAnnounced; any other type is refused.
func (s *Service) InboxRoutes() []inbound.Route {
	carries := func(_ *badger.Txn, a *twinfed.Activity) bool { return a.Space != nil }
	return []inbound.Route{
		{Name: "twinspace.ApplyWrite", Types: []twinfed.ActivityType{twinfed.ActivityCreate, twinfed.ActivityUpdate, twinfed.ActivityDelete}, Claims: carries, Apply: s.ApplyWrite},
		{Name: "twinspace.ApplyAnnounced", Types: []twinfed.ActivityType{twinfed.ActivityAnnounce}, Claims: carries, Apply: s.ApplyAnnounced},
		{Name: "twinspace", Claims: carries},
	}
}
