package node

import (
	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/directory"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/web"
)

// The social feature's assembly (node/social): its service, built with the
// node's store, Activities and Notices, the accounts, the directory and
// the registry; its hooks on the accounts and the directory; its routes.
// Its inbound routes are its own (social.Service.InboxRoutes).

var (
	_ social.Members   = (*account.Service)(nil)
	_ social.Directory = (*directory.Service)(nil)
	_ social.Nodes     = twinfed.Registry(nil)
	_ web.Counter      = (*social.Service)(nil) // the menu's counts
)

// assembleSocial builds the social feature on s (NewService calls it) and
// registers its hooks: a member who deletes their account has their social
// records erased and is forgotten by the others, as is a member of another
// node who left.
func (s *Service) assembleSocial() error {
	var err error
	if s.social, err = social.New(social.Config{BaseURL: s.cfg.BaseURL}, social.Deps{Store: s.store, Activities: s.acts, Notices: s.notices,
		Nodes: s.registry, Members: s.accounts, Directory: s.dir, Logger: s.log, Now: s.now}); err != nil {
		return err
	}
	s.dir.SetSocial(s.social.ForDirectory())
	s.dir.OnActorDeleted(s.social.ForgetPeer)
	s.accounts.OnDelete(func(txn *badger.Txn, username string) error {
		if err := s.social.EraseSocial(txn, username); err != nil {
			return err
		}
		return s.social.ForgetPeer(txn, twinfed.ActorURL(s.cfg.BaseURL, username))
	})
	return nil
}

// Social returns the node's social feature: contacts, follows, messages,
// notifications.
func (n *Node) Social() *social.Service { return n.svc.social }

// socialRoutes registers the social feature's pages and JSON API.
func (s *Server) socialRoutes(k *web.Kit) error { return s.svc.social.Routes(k) }
