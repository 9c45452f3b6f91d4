package feed

import (
	"context"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/directory"
	"github.com/twinfed/twinfed/node/feature"
	"github.com/twinfed/twinfed/node/project"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/web"
)

var (
	_ Network   = (*social.Service)(nil)
	_ Directory = (*directory.Service)(nil)
	_ Nodes     = twinfed.Registry(nil)
	_ Suggester = (*directory.Service)(nil)
	_ Members   = (*account.Service)(nil)
	_ Schools   = twinfed.Registry(nil)
	_ People    = (*directory.Service)(nil)
	_ Projects  = (*project.Service)(nil)
)

// Assemble builds the wall posts and the home feed on the node's kit, the
// contacts (who reads whom), the directory, the accounts and the partner
// forum's posts matching a member's profile (node/forum's ForFeed: the
// two features are of one rank); registers its hooks (the
// posts of a member who deleted their account, here or on another node,
// are forgotten; its step of the directory's backfill: the wall posts a
// node missed while away) and adds its pages, JSON API and, for other
// nodes, its backfill pages to the node's routes. The school pages list
// the projects.
func Assemble(k *feature.Kit, accounts *account.Service, dir *directory.Service, contacts *social.Service, fm Forum, projects *project.Service) (*Service, error) {
	s, err := New(Config{BaseURL: k.BaseURL}, Deps{Store: k.Store, Activities: k.Acts, Notices: k.Notices, Network: contacts, Directory: dir,
		Members: accounts, Nodes: k.Registry, Forum: fm, Logger: k.Log, Now: k.Now})
	if err != nil {
		return nil, err
	}
	dir.OnActorDeleted(s.ForgetAuthor)
	dir.OnBackfill(func(ctx context.Context, fetch directory.Fetcher, base string) error {
		_, err := s.Backfill(ctx, fetch, base)
		return err
	})
	accounts.OnDelete(func(txn *badger.Txn, username string) error {
		return s.ForgetAuthor(txn, twinfed.ActorURL(k.BaseURL, username))
	})
	k.AddRoutes(func(w *web.Kit) error {
		if k.Web.Signed != nil {
			s.BackfillRoute(w, k.Web.Signed)
		}
		return s.Routes(w, dir, SchoolDeps{Schools: k.Registry, People: dir, Projects: projects, Country: k.Country})
	})
	return s, nil
}
