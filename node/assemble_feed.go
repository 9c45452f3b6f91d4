package node

import (
	"context"
	"net/http"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/directory"
	"github.com/twinfed/twinfed/node/feed"
	"github.com/twinfed/twinfed/node/forum"
	"github.com/twinfed/twinfed/node/project"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/web"
)

// The assembly of the wall posts and the home feed (node/feed): its
// service, built on the node's store, Activities and Notices, the social
// feature (who reads whom), the directory and the registry; its hooks on
// account deletions; its routes, the home page of a validated member. Its
// inbound routes are its own (feed.Service.InboxRoutes).

var (
	_ feed.Network   = (*social.Service)(nil)
	_ feed.Directory = (*directory.Service)(nil)
	_ feed.Nodes     = twinfed.Registry(nil)
	_ feed.Suggester = (*directory.Service)(nil)
	_ feed.Members   = (*account.Service)(nil)
	_ feed.Schools   = twinfed.Registry(nil)
	_ feed.People    = (*directory.Service)(nil)
	_ feed.Projects  = (*project.Service)(nil)
	_ feed.Forum     = feedForum{}
)

// feedForum gives the feed the partner forum's new posts matching a
// member's profile: the two packages are of one rank and do not import
// each other.
type feedForum struct{ f *forum.Service }

// Matching asks the forum for the posts that share a subject or a pupils'
// age band with m's profile or seek m's country.
func (a feedForum) Matching(m *twinfed.Member, actor string, since, until time.Time, limit int) []*twinfed.ForumPost {
	in := forum.Interest{Actor: actor, Subjects: m.Subjects, Bands: twinfed.AgeBandsOf(m.PupilAges), Country: m.Country}
	return a.f.Matching(in, since, until, limit)
}

// assembleFeed builds the feed on s (NewService calls it) and registers
// its hooks: the posts of a member who deleted their account, here or on
// another node, are forgotten; its step of the directory's backfill (the
// wall posts a node missed while away).
func (s *Service) assembleFeed() error {
	var err error
	var nodes feed.Nodes
	if s.registry != nil {
		nodes = s.registry
	}
	var fm feed.Forum
	if s.forum != nil {
		fm = feedForum{s.forum}
	}
	if s.feed, err = feed.New(feed.Config{BaseURL: s.cfg.BaseURL}, feed.Deps{Store: s.store, Activities: s.acts, Notices: s.notices,
		Network: s.social, Directory: s.dir, Members: s.accounts, Nodes: nodes, Forum: fm, Logger: s.log, Now: s.now}); err != nil {
		return err
	}
	s.dir.OnActorDeleted(s.feed.ForgetAuthor)
	// A node away beyond the retry window catches up on its readers' posts.
	s.dir.OnBackfill(func(ctx context.Context, fetch directory.Fetcher, base string) error {
		_, err := s.feed.Backfill(ctx, fetch, base)
		return err
	})
	s.accounts.OnDelete(func(txn *badger.Txn, username string) error {
		return s.feed.ForgetAuthor(txn, twinfed.ActorURL(s.cfg.BaseURL, username))
	})
	return nil
}

// Feed returns the node's wall posts and feeds.
func (n *Node) Feed() *feed.Service { return n.svc.feed }

// feedRoutes registers the feed's pages and JSON API.
func (s *Server) feedRoutes(k *web.Kit) error {
	d := feed.SchoolDeps{People: s.svc.dir, Country: s.svc.cfg.Country}
	if s.svc.registry != nil {
		d.Schools = s.svc.registry
	}
	if s.svc.projects != nil {
		d.Projects = s.svc.projects
	}
	if s.cfg.Signed != nil {
		s.svc.feed.BackfillRoute(k, s.cfg.Signed)
	}
	return s.svc.feed.Routes(k, s.svc.dir, d)
}

// feedHome is the home page of a validated member: their feed.
func (s *Server) feedHome(w http.ResponseWriter, r *http.Request) { s.svc.feed.Home(w, r) }
