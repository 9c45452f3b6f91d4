package forum

import (
	"context"
	"fmt"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/directory"
	"github.com/twinfed/twinfed/node/store"
)

// The forum's catch-up: each node serves the posts and replies it hosts
// (LocalPosts, behind the HTTP-signature check), and a node that was away
// pages through every other node's (Backfill, a step of the directory's
// backfill), keeps those newer than its replica and forgets those the node
// no longer lists (deleted meanwhile).

// BackfillPath is where a node serves the posts it hosts to other nodes.
const BackfillPath = "/forum/backfill"

// PageOf is a page of the posts and replies a node hosts: after is the
// last id of the previous page.
type PageOf struct {
	Posts []*twinfed.ForumPost `json:"posts"`
	Next  string               `json:"next,omitempty"` // empty at the end
}

// LocalPosts returns up to limit posts and replies this node hosts whose
// id sorts after after.
func (s *Service) LocalPosts(ctx context.Context, after string, limit int) (*PageOf, error) {
	limit = min(max(limit, 1), 500)
	out := &PageOf{Posts: []*twinfed.ForumPost{}}
	err := s.store.View(func(txn *badger.Txn) error {
		var err error
		out.Posts, out.Next, err = store.PageJSON(txn, store.PrefixForum, store.PrefixForum+s.PostURL(""), after, limit,
			func(p *twinfed.ForumPost) string { return p.ID }, nil)
		return err
	})
	return out, s.internal("local forum posts", err)
}

// Backfill takes the posts and replies the node at base hosts (signed GETs
// of its BackfillPath), stores those newer than this node's replica, and
// removes the replicas of that node's posts it no longer lists. It returns
// how many it stored.
func (s *Service) Backfill(ctx context.Context, fetch directory.Fetcher, base string) (int, error) {
	base = strings.TrimRight(base, "/")
	host := twinfed.URLHost(base)
	seen := map[string]bool{}
	stored := 0
	var pending []*twinfed.ForumPost // replies met before their post
	apply := func(txn *badger.Txn, p *twinfed.ForumPost) error {
		a := &twinfed.Activity{Type: twinfed.ActivityUpdate, Actor: p.Author, Forum: p}
		before := s.Get(txn, p.ID)
		if err := s.ApplyPost(ctx, txn, a); err != nil {
			return err
		}
		if after := s.Get(txn, p.ID); after != nil && (before == nil || after.Version != before.Version) {
			stored++
		}
		return nil
	}
	err := directory.BackfillPages(ctx, s.store.Update, fetch, base+BackfillPath+"?limit=200&after=", "forum backfill from "+host,
		func(pg *PageOf) string { return pg.Next },
		func(txn *badger.Txn, pg *PageOf) error {
			for _, p := range pg.Posts {
				if twinfed.URLHost(p.ID) != host {
					return fmt.Errorf("forum backfill from %s: %s is not a post of that node", host, p.ID)
				}
				seen[p.ID] = true
				if p.IsReply() && s.Get(txn, p.InReplyTo) == nil {
					pending = append(pending, p)
					continue
				}
				if err := apply(txn, p); err != nil {
					if c := twinfed.ErrorCode(err); c == twinfed.EINVALID || c == twinfed.EFORBIDDEN {
						s.log.Warn("forum: backfill skips a post", "node", host, "post", p.ID, "err", err)
						continue
					}
					return err
				}
			}
			return nil
		})
	if err != nil {
		return stored, err
	}
	err = s.store.Update(func(txn *badger.Txn) error {
		for _, p := range pending {
			if err := apply(txn, p); err != nil && twinfed.ErrorCode(err) != twinfed.EINVALID && twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
				return err
			}
		}
		// The replicas of that node's posts it no longer lists.
		prefix := store.PrefixForum + base + "/forum/posts/"
		for _, k := range store.KeysUnder(txn, prefix, 0) {
			if id := base + "/forum/posts/" + k; !seen[id] {
				if p := s.Get(txn, id); p != nil {
					if err := s.remove(txn, p); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if stored > 0 {
		s.log.Info("forum: backfilled", "node", host, "stored", stored)
	}
	return stored, err
}
