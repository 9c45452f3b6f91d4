package social

import (
	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/directory"
	"github.com/twinfed/twinfed/node/feature"
	"github.com/twinfed/twinfed/node/web"
)

var (
	_ Members          = (*account.Service)(nil)
	_ Directory        = (*directory.Service)(nil)
	_ Nodes            = twinfed.Registry(nil)
	_ web.Counter      = (*Service)(nil) // the menu's counts
	_ directory.Social = DirectoryView{}
)

// Assemble builds the social feature on the node's kit, the accounts and
// the directory, gives the directory its view (SetSocial), registers its
// hooks (a member who deletes their account has their social records
// erased and is forgotten by the others, as is a member of another node
// who left) and adds its pages and JSON API to the node's routes.
func Assemble(k *feature.Kit, accounts *account.Service, dir *directory.Service) (*Service, error) {
	s, err := New(Config{BaseURL: k.BaseURL}, Deps{Store: k.Store, Activities: k.Acts, Notices: k.Notices, Nodes: k.Registry,
		Members: accounts, Directory: dir, Logger: k.Log, Now: k.Now})
	if err != nil {
		return nil, err
	}
	dir.SetSocial(s.ForDirectory())
	dir.OnActorDeleted(s.ForgetPeer)
	accounts.OnDelete(func(txn *badger.Txn, username string) error {
		if err := s.EraseSocial(txn, username); err != nil {
			return err
		}
		return s.ForgetPeer(txn, twinfed.ActorURL(k.BaseURL, username))
	})
	k.AddRoutes(s.Routes)
	return s, nil
}
