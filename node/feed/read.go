package feed

import (
	"context"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/notice"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/store"
)

// PageSize is how many posts a page of a feed shows.
const PageSize = 20

// ProjectNews are the notification kinds the feed shows as a project's
// news.
var ProjectNews = []notice.Kind{notice.PartnerJoined, notice.ProjectApproved, notice.ParticipationOK, notice.ProjectClosed}

// ForumWindow is how new a partner-forum post must be to show in a feed.
const ForumWindow = 30 * 24 * time.Hour

// forumPerPage bounds the partner-forum posts a page of a feed shows.
const forumPerPage = 10

// Item is one entry of a feed: a post, a project's news, or a new post of
// the partner forum matching the member's profile.
type Item struct {
	Post  *Post                `json:"post,omitempty"`
	News  *notice.Notification `json:"news,omitempty"`
	Forum *twinfed.ForumPost   `json:"forum,omitempty"`
}

// At is when the item happened.
func (i Item) At() time.Time {
	switch {
	case i.Post != nil:
		return i.Post.Published
	case i.Forum != nil:
		return i.Forum.Published
	}
	return i.News.At
}

// Page is a page of a feed, newest first, and the cursor of the next
// one ("" on the last page).
type Page struct {
	Items []Item `json:"items"`
	Next  string `json:"next,omitempty"`
}

// Feed returns a page of the member's feed: the posts of their contacts,
// of whom they follow and their own, with their projects' news and the
// partner forum's new posts matching their profile (Forum) between them,
// newest first. before is the cursor of a previous page ("" for the
// first).
func (s *Service) Feed(ctx context.Context, p *twinfed.Principal, before string, limit int) (*Page, error) {
	if err := social.Require(p); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 100 {
		limit = PageSize
	}
	out := &Page{Items: []Item{}}
	var me *twinfed.Member
	if s.forum != nil && s.members != nil {
		me, _ = s.members.Member(ctx, p.Username)
	}
	err := s.store.View(func(txn *badger.Txn) error {
		posts, next, err := s.readPosts(txn, p, store.PrefixTimeline+p.Username+"/", before, limit)
		if err != nil {
			return err
		}
		out.Next = next
		// The news between this page's oldest post and the previous
		// page's: every news item shows once.
		var newest, oldest time.Time
		if before != "" {
			newest = timeOfCursor(before)
		}
		if next != "" && len(posts) > 0 {
			oldest = posts[len(posts)-1].Published
		}
		news, err := s.notices.Recent(txn, p.Username, 50, ProjectNews...)
		if err != nil {
			return err
		}
		items := make([]Item, 0, len(posts)+len(news))
		for _, n := range news {
			if (newest.IsZero() || n.At.Before(newest)) && !n.At.Before(oldest) {
				n.Profile = s.dir.Get(txn, n.Actor)
				items = append(items, Item{News: n})
			}
		}
		for _, post := range posts {
			items = append(items, Item{Post: post})
		}
		if me != nil {
			// The same window as the news, and no older than ForumWindow.
			since := s.now().Add(-ForumWindow)
			if oldest.After(since) {
				since = oldest
			}
			for _, f := range s.forum.Matching(me, s.actor(p.Username), since, newest, forumPerPage) {
				items = append(items, Item{Forum: f})
			}
		}
		sortItems(items)
		out.Items = items
		return nil
	})
	return out, s.internal("feed", err)
}

// sortItems orders items newest first (a few dozen: insertion sort).
func sortItems(items []Item) {
	for i := 1; i < len(items); i++ {
		for j := i; j > 0 && items[j].At().After(items[j-1].At()); j-- {
			items[j], items[j-1] = items[j-1], items[j]
		}
	}
}

// timeOfCursor reads the time back from a cursor (an inverted time).
func timeOfCursor(c string) time.Time {
	var n uint64
	for _, r := range c[:min(16, len(c))] {
		switch {
		case r >= '0' && r <= '9':
			n = n<<4 | uint64(r-'0')
		case r >= 'a' && r <= 'f':
			n = n<<4 | uint64(r-'a'+10)
		default:
			return time.Time{}
		}
	}
	return time.Unix(0, int64(uint64(1<<63-1)-n))
}

// readPosts reads up to limit posts listed under prefix (keys
// <inverted time>/<post id>) after the cursor before, with their authors'
// profiles and whether p liked them. Entries of deleted posts are
// skipped. next is the cursor of the following page.
func (s *Service) readPosts(txn *badger.Txn, p *twinfed.Principal, prefix, before string, limit int) ([]*Post, string, error) {
	opts := badger.DefaultIteratorOptions
	opts.PrefetchValues = false
	opts.Prefix = []byte(prefix)
	it := txn.NewIterator(opts)
	defer it.Close()
	seek := prefix
	if before != "" {
		seek = prefix + before + "\xff"
	}
	me := ""
	if p != nil {
		me = s.actor(p.Username)
	}
	var posts []*Post
	var next string
	profiles := map[string]*twinfed.Profile{} // an author's posts on a page share one read
	for it.Seek([]byte(seek)); it.Valid(); it.Next() {
		k := string(it.Item().Key()[len(prefix):])
		if len(posts) == limit {
			next = lastCursor(posts)
			break
		}
		slash := strings.IndexByte(k, '/')
		if slash < 0 {
			continue
		}
		post, err := getPost(txn, k[slash+1:])
		if err != nil {
			continue // deleted since
		}
		post.cursor = k
		pr, ok := profiles[post.Author]
		if !ok {
			pr = s.dir.Get(txn, post.Author)
			profiles[post.Author] = pr
		}
		post.Profile = pr
		// Unliked posts need no read (a like here counts in post.Likes).
		post.Liked = me != "" && post.Likes > 0 && store.Has(txn, likeKey(post.ID, me))
		posts = append(posts, post)
	}
	return posts, next, nil
}

// lastCursor is the cursor after the last of posts.
func lastCursor(posts []*Post) string { return posts[len(posts)-1].cursor }

// ByAuthor returns a page of an author's posts that p may see (the
// profile's Activity tab), with the author's counts when they are a
// member of this node.
func (s *Service) ByAuthor(ctx context.Context, p *twinfed.Principal, author, before string, limit int) (*Page, error) {
	if limit <= 0 || limit > 100 {
		limit = PageSize
	}
	out := &Page{Items: []Item{}}
	err := s.store.View(func(txn *badger.Txn) error {
		if !s.canSee(txn, p, author) {
			return nil
		}
		posts, next, err := s.readPosts(txn, p, store.PrefixWallByAuthor+author+" ", before, limit)
		if err != nil {
			return err
		}
		for _, post := range posts {
			out.Items = append(out.Items, Item{Post: post})
		}
		out.Next = next
		return nil
	})
	return out, s.internal("posts", err)
}

// CanSee reports whether p may see author's posts.
func (s *Service) CanSee(ctx context.Context, p *twinfed.Principal, author string) bool {
	ok := false
	_ = s.store.View(func(txn *badger.Txn) error { ok = s.canSee(txn, p, author); return nil })
	return ok
}

// Counts returns the followers, following and contacts of a member of
// this node (zero for another node's: their node keeps them).
func (s *Service) Counts(ctx context.Context, actor string) social.NetworkCounts {
	var n social.NetworkCounts
	if u, ok := twinfed.UsernameFromActor(s.base, actor); ok {
		_ = s.store.View(func(txn *badger.Txn) error { n = s.net.CountsOf(txn, u); return nil })
	}
	return n
}

// Get returns a post p may see and its replies, oldest first.
func (s *Service) Get(ctx context.Context, p *twinfed.Principal, id string) (*Post, []*Reply, error) {
	var post *Post
	var replies []*Reply
	err := s.store.View(func(txn *badger.Txn) error {
		var err error
		if post, err = getPost(txn, id); err != nil || !s.canSee(txn, p, post.Author) {
			return twinfed.Errorf(twinfed.ENOTFOUND, "There is no such post.")
		}
		post.Profile = s.dir.Get(txn, post.Author)
		if p != nil {
			post.Liked = store.Has(txn, likeKey(post.ID, s.actor(p.Username)))
		}
		return store.EachJSON(txn, store.PrefixWallReply+post.ID+" ", func(r *Reply) error {
			r.Profile = s.dir.Get(txn, r.Author)
			replies = append(replies, r)
			return nil
		})
	})
	if err != nil {
		return nil, nil, s.internal("post", err)
	}
	return post, replies, nil
}

// Photos returns the images of an author's posts that p may see, newest
// first (the profile's Photos tab), at most limit.
func (s *Service) Photos(ctx context.Context, p *twinfed.Principal, author string, limit int) ([]twinfed.PostImage, error) {
	var out []twinfed.PostImage
	err := s.store.View(func(txn *badger.Txn) error {
		if !s.canSee(txn, p, author) {
			return nil
		}
		prefix := store.PrefixWallByAuthor + author + " "
		for _, k := range store.KeysUnder(txn, prefix, 0) {
			if len(out) >= limit {
				break
			}
			if post, err := getPost(txn, k[strings.IndexByte(k, '/')+1:]); err == nil {
				out = append(out, post.Images...)
			}
		}
		return nil
	})
	return out, s.internal("photos", err)
}
