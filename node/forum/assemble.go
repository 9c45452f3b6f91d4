package forum

import (
	"context"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/directory"
	"github.com/twinfed/twinfed/node/feature"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/web"
)

var (
	_ Members  = (*account.Service)(nil)
	_ Nodes    = (*directory.Service)(nil)
	_ Contacts = (*social.Service)(nil)
	_ Registry = twinfed.Registry(nil)
)

// Assemble builds the forum on the node's kit, the accounts, the directory
// (the other nodes) and the contacts, builds its index, registers its
// hooks (what a member wrote goes with their account, here and, on their
// node's Delete{Person}, everywhere; its step of the directory's
// backfill) and adds its pages and JSON API to the node's routes.
func Assemble(k *feature.Kit, accounts *account.Service, dir *directory.Service, contacts *social.Service) (*Service, error) {
	s, err := New(Config{BaseURL: k.BaseURL, Country: k.Country}, Deps{Store: k.Store, Activities: k.Acts, Notices: k.Notices,
		Members: accounts, Nodes: dir, Contacts: contacts, Registry: k.Registry, Logger: k.Log, Now: k.Now})
	if err != nil {
		return nil, err
	}
	if err := s.Open(); err != nil {
		return nil, err
	}
	accounts.OnDelete(func(txn *badger.Txn, username string) error {
		return s.ForgetAuthor(txn, twinfed.ActorURL(k.BaseURL, username))
	})
	dir.OnActorDeleted(s.ForgetAuthor)
	dir.OnBackfill(func(ctx context.Context, fetch directory.Fetcher, base string) error {
		_, err := s.Backfill(ctx, fetch, base)
		return err
	})
	k.AddRoutes(func(w *web.Kit) error { return s.Routes(w, WebConfig{Signed: k.Web.Signed}) })
	return s, nil
}

// ForFeed gives the home feed the forum's new posts that match a member's
// profile (feed.Forum): the two features are of one rank and do not
// import each other.
func (s *Service) ForFeed() FeedView { return FeedView{s} }

// FeedView answers the home feed (ForFeed).
type FeedView struct{ s *Service }

// Matching asks the forum for the posts that share a subject or a pupils'
// age band with m's profile or seek m's country.
func (v FeedView) Matching(m *twinfed.Member, actor string, since, until time.Time, limit int) []*twinfed.ForumPost {
	return v.s.Matching(Interest{Actor: actor, Subjects: m.Subjects, Bands: twinfed.AgeBandsOf(m.PupilAges), Country: m.Country}, since, until, limit)
}
