package feed

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/directory"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/web"
)

// The catch-up of replies and likes, beside the wall posts' (backfill.go):
// the author's node is where every reply, like, unlike and reply's
// deletion of its members' posts arrives, so it lists those posts by the
// time their replies or likes last changed (store.PrefixWallTouched) and
// serves, from a time on, each one's replies and like count to the nodes
// of the author's readers only (LocalInteractions). A node takes them
// after the posts (Backfill), brings its replica of each post to the
// author's node's state (reconcile: the replies it misses, those deleted
// meanwhile, the like count), and keeps how far it took each node's
// (store.PrefixWallCursor), so the next catch-up asks only for what
// changed since. Applying the same state twice changes nothing.

// InteractionsPath is where a node serves the replies and likes of its
// members' posts to the nodes of their followers and contacts.
const InteractionsPath = "/posts/backfill/interactions"

// maxServedReplies bounds the replies served with one post.
const maxServedReplies = 1000

// cursorMargin is how far before its cursor a node asks again: a change
// committed late, with an earlier time than one already taken, is not
// missed.
const cursorMargin = time.Minute

// Interactions are a post's replies and likes as its author's node holds
// them.
type Interactions struct {
	Post    string    `json:"post"`
	Touched time.Time `json:"touched"` // when they last changed
	Likes   int       `json:"likes"`
	// LikedThere are the likers among the members of the node served.
	LikedThere []string `json:"liked_there,omitempty"`
	Replies    []*Reply `json:"replies"`
}

// InteractionsPage is a page of the interactions a node serves to another
// one, oldest change first; next is the cursor of the following page (""
// at the end).
type InteractionsPage struct {
	Items []*Interactions `json:"items"`
	Next  string          `json:"next,omitempty"`
}

// LocalInteractions returns the replies and likes of up to limit posts of
// this node's members whose replies or likes changed at or after since
// (no earlier than BackfillWindow ago), oldest change first, for the posts
// whose author has a follower or an accepted contact on the node at host:
// what that node's members may read (twinfed.CanSeePost), and nothing
// else. after is the cursor of the previous page.
func (s *Service) LocalInteractions(ctx context.Context, host string, since time.Time, after string, limit int) (*InteractionsPage, error) {
	limit = min(max(limit, 1), 200)
	if floor := s.now().Add(-BackfillWindow); since.Before(floor) {
		since = floor
	}
	out := &InteractionsPage{Items: []*Interactions{}}
	err := s.store.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.PrefetchValues = false
		opts.Prefix = []byte(store.PrefixWallTouched)
		it := txn.NewIterator(opts)
		defer it.Close()
		start := touchedKey(since, "")
		if after != "" {
			start = max(start, store.PrefixWallTouched+after+"\x00")
		}
		reaches := map[string]bool{} // author → a reader of theirs is on host
		for it.Seek([]byte(start)); it.Valid(); it.Next() {
			k := string(it.Item().Key()[len(store.PrefixWallTouched):]) // <time>/<post>
			if len(k) < 18 {
				continue
			}
			post, err := getPost(txn, k[17:])
			if err != nil {
				continue
			}
			r, ok := reaches[post.Author]
			if !ok {
				r = s.reaches(txn, post.Author, host)
				reaches[post.Author] = r
			}
			if !r {
				continue
			}
			if len(out.Items) == limit {
				last := out.Items[len(out.Items)-1]
				out.Next = touchedKey(last.Touched, last.Post)[len(store.PrefixWallTouched):]
				break
			}
			item := &Interactions{Post: post.ID, Touched: post.Touched, Likes: post.Likes, Replies: []*Reply{}}
			for _, liker := range store.KeysUnder(txn, store.PrefixWallLike+post.ID+" ", 0) {
				if twinfed.URLHost(liker) == host {
					item.LikedThere = append(item.LikedThere, liker)
				}
			}
			if err := store.EachJSON(txn, store.PrefixWallReply+post.ID+" ", func(r *Reply) error {
				if len(item.Replies) < maxServedReplies {
					item.Replies = append(item.Replies, r)
				}
				return nil
			}); err != nil {
				return err
			}
			out.Items = append(out.Items, item)
		}
		return nil
	})
	return out, s.internal("local replies and likes", err)
}

// interactionsPage serves a page of LocalInteractions to the node that
// signed the request.
func (s *Service) interactionsPage(w http.ResponseWriter, r *http.Request) {
	host, since, ok := signedQuery(w, r)
	if !ok {
		return
	}
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	page, err := s.LocalInteractions(r.Context(), host, since, r.URL.Query().Get("after"), limit)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, page)
}

// backfillInteractions takes the replies and likes that changed on the
// node at base since this node's cursor for it (less cursorMargin), and
// moves the cursor to the last change it took.
func (s *Service) backfillInteractions(ctx context.Context, fetch directory.Fetcher, base string) error {
	host := twinfed.URLHost(base)
	var since time.Time
	if err := s.store.View(func(txn *badger.Txn) error {
		v, ok, err := store.GetString(txn, store.PrefixWallCursor+host)
		if ok {
			since, err = time.Parse(time.RFC3339Nano, v)
			since = since.Add(-cursorMargin)
		}
		return err
	}); err != nil {
		return fmt.Errorf("replies and likes' backfill from %s: the cursor: %w", host, err)
	}
	var last time.Time
	changed := 0
	err := directory.BackfillPages(ctx, s.store.Update, fetch, base+InteractionsPath+"?limit=100&since="+url.QueryEscape(since.UTC().Format(time.RFC3339Nano))+"&after=",
		"replies and likes' backfill from "+host,
		func(pg *InteractionsPage) string { return pg.Next },
		func(txn *badger.Txn, pg *InteractionsPage) error {
			for _, item := range pg.Items {
				if item == nil || twinfed.URLHost(item.Post) != host {
					return fmt.Errorf("replies and likes' backfill from %s: %v is not a post of that node's member", host, item)
				}
				n, err := s.reconcile(txn, host, item)
				if err != nil {
					return err
				}
				changed += n
				if item.Touched.After(last) {
					last = item.Touched
				}
			}
			// The cursor moves with the page: a run cut short resumes here.
			if last.IsZero() {
				return nil
			}
			return txn.Set([]byte(store.PrefixWallCursor+host), []byte(last.UTC().Format(time.RFC3339Nano)))
		})
	if changed > 0 {
		s.log.Info("feed: backfilled replies and likes", "node", host, "changes", changed)
	}
	return err
}

// reconcile brings, within txn, this node's replica of a post of the node
// at host to the replies and likes that node serves for it: the replies
// it misses are added, those it no longer lists are removed (but this
// node's members' own, which may be on their way to it, and those newer
// than its state), and the like count is that node's, with this node's
// members' likes as this node knows them. It returns how many changes it
// made; a post not kept here is left out.
func (s *Service) reconcile(txn *badger.Txn, host string, in *Interactions) (int, error) {
	post, err := getPost(txn, in.Post)
	if err != nil || twinfed.URLHost(post.Author) != host {
		return 0, nil
	}
	held := map[string]*Reply{}
	if err := store.EachJSON(txn, store.PrefixWallReply+post.ID+" ", func(r *Reply) error {
		held[r.ID] = r
		return nil
	}); err != nil {
		return 0, err
	}
	changes := 0
	listed := map[string]bool{}
	for _, r := range in.Replies {
		if r == nil || r.ID == "" || r.Author == "" || r.Post != post.ID {
			return changes, fmt.Errorf("replies and likes' backfill from %s: %v is not a reply to %s", host, r, post.ID)
		}
		listed[r.ID] = true
		if held[r.ID] != nil {
			continue
		}
		content := s.html.Sanitize(r.Content)
		if strings.TrimSpace(content) == "" || utf8.RuneCountInString(content) > 2*twinfed.MaxPostRunes {
			s.log.Warn("feed: backfill skips a reply", "node", host, "reply", r.ID)
			continue
		}
		add := &Reply{ID: r.ID, Post: post.ID, Author: r.Author, Content: content, Published: r.Published.UTC()}
		if err := s.addReply(txn, post, add); err != nil {
			return changes, err
		}
		held[add.ID] = add
		changes++
	}
	for id, r := range held {
		if listed[id] || s.acts.IsLocal(r.Author) || !r.Published.Before(in.Touched) || len(in.Replies) == maxServedReplies {
			continue
		}
		if err := s.removeReply(txn, post, r); err != nil {
			return changes, err
		}
		delete(held, id)
		changes++
	}
	// The likes: that node's count, where this node's members' likes are
	// as this node knows them (a like or an unlike of theirs may still be
	// on its way there).
	likes := in.Likes
	there := map[string]bool{}
	for _, a := range in.LikedThere {
		there[a] = true
		if !store.Has(txn, likeKey(post.ID, a)) {
			likes--
		}
	}
	for _, a := range store.KeysUnder(txn, store.PrefixWallLike+post.ID+" ", 0) {
		if !there[a] {
			likes++
		}
	}
	likes = max(likes, 0)
	// A like count passed on live since that node read this state is
	// newer: it stays (twinfed.NewerLikes).
	likesAt := post.LikesAt
	if twinfed.NewerLikes(post.LikesAt, in.Touched) || in.Touched.Equal(post.LikesAt) {
		likesAt = in.Touched.UTC()
	} else {
		likes = post.Likes
	}
	if likes == post.Likes && len(held) == post.Replies && likesAt.Equal(post.LikesAt) {
		return changes, nil
	}
	if likes != post.Likes {
		changes++
	}
	post.Likes, post.Replies, post.LikesAt = likes, len(held), likesAt
	return changes, s.savePost(txn, post)
}
