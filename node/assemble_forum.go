package node

import (
	"context"

	"github.com/dgraph-io/badger/v4"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/directory"
	"github.com/twinfed/twinfed/node/forum"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/web"
)

// The assembly of the partner-finding forum (node/forum): its service,
// built on the node's store, Activities and Notices, the accounts, the
// directory (the other nodes), the contacts and the registry; its step of
// the directory's backfill; its routes. Its inbound routes are its own
// (forum.Service.InboxRoutes).

var (
	_ forum.Members  = (*account.Service)(nil)
	_ forum.Nodes    = (*directory.Service)(nil)
	_ forum.Contacts = (*social.Service)(nil)
	_ forum.Registry = twinfed.Registry(nil)
)

// assembleForum builds the forum on s (NewService calls it), builds its
// index and registers its hooks: the deletion of an account (here or on
// another node) and its step of the directory's backfill.
func (s *Service) assembleForum() error {
	var reg forum.Registry
	if s.registry != nil {
		reg = s.registry
	}
	f, err := forum.New(forum.Config{BaseURL: s.cfg.BaseURL, Country: s.cfg.Country}, forum.Deps{Store: s.store, Activities: s.acts, Notices: s.notices,
		Members: s.accounts, Nodes: s.dir, Contacts: s.social, Registry: reg, Logger: s.log, Now: s.now})
	if err != nil {
		return err
	}
	if err := f.Open(); err != nil {
		return err
	}
	// What a member wrote goes with their account, here and, on their
	// node's Delete{Person}, everywhere.
	s.accounts.OnDelete(func(txn *badger.Txn, username string) error {
		return f.ForgetAuthor(txn, twinfed.ActorURL(s.cfg.BaseURL, username))
	})
	s.dir.OnActorDeleted(f.ForgetAuthor)
	s.dir.OnBackfill(func(ctx context.Context, fetch directory.Fetcher, base string) error {
		_, err := f.Backfill(ctx, fetch, base)
		return err
	})
	s.forum = f
	return nil
}

// Forum returns the node's partner-finding forum.
func (n *Node) Forum() *forum.Service { return n.svc.forum }

// forumRoutes registers the forum's pages and JSON API.
func (s *Server) forumRoutes(k *web.Kit) error {
	return s.svc.forum.Routes(k, forum.WebConfig{Signed: s.cfg.Signed})
}
