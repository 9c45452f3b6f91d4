package feed

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/directory"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/web"
)

// The wall posts' catch-up, for a node that was away longer than the
// federation's retry window (its deliveries were parked): each node serves
// the recent posts of its members to the nodes of their readers only
// (LocalPosts, behind the HTTP-signature check, which names the signing
// node), and a node pages through every other node's (Backfill, a step of
// the directory's backfill), keeping the posts it did not receive.

// BackfillPath is where a node serves its members' recent wall posts to
// the nodes of their followers and contacts.
const BackfillPath = "/posts/backfill"

// BackfillWindow is how far back the catch-up goes: a node serves no older
// posts, and asks for no older ones.
const BackfillWindow = 30 * 24 * time.Hour

// BackfillPage is a page of the wall posts a node serves to another one;
// next is the cursor of the following page ("" at the end).
type BackfillPage struct {
	Posts []*Post `json:"posts"`
	Next  string  `json:"next,omitempty"`
}

// LocalPosts returns up to limit posts of this node's members, published
// at or after since (no earlier than BackfillWindow ago), whose followers
// or accepted contacts include a member of the node at host: what that
// node's members may read (twinfed.CanSeePost), and nothing else. after is
// the cursor of the previous page.
func (s *Service) LocalPosts(ctx context.Context, host string, since time.Time, after string, limit int) (*BackfillPage, error) {
	limit = min(max(limit, 1), 500)
	if floor := s.now().Add(-BackfillWindow); since.Before(floor) {
		since = floor
	}
	out := &BackfillPage{Posts: []*Post{}}
	prefix := store.PrefixWallByAuthor + s.actor("")
	err := s.store.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.PrefetchValues = false
		opts.Prefix = []byte(prefix)
		it := txn.NewIterator(opts)
		defer it.Close()
		start := prefix
		if after != "" {
			start = store.PrefixWallByAuthor + after + "\x00"
		}
		reaches := map[string]bool{} // author → a reader of theirs is on host
		it.Seek([]byte(start))
		for it.Valid() {
			k := string(it.Item().Key()[len(store.PrefixWallByAuthor):]) // <author> <inverted time>/<post>
			sp := strings.IndexByte(k, ' ')
			if sp < 0 || len(k) < sp+18 {
				it.Next()
				continue
			}
			author := k[:sp]
			r, ok := reaches[author]
			if !ok {
				r = s.reaches(txn, author, host)
				reaches[author] = r
			}
			// Newest first under each author: past since, or not read on
			// host, the next author.
			if !r || timeOfCursor(k[sp+1:]).Before(since) {
				it.Seek([]byte(store.PrefixWallByAuthor + author + " \xff"))
				continue
			}
			if len(out.Posts) == limit {
				out.Next = keyOf(out.Posts[len(out.Posts)-1])
				break
			}
			if post, err := getPost(txn, k[sp+18:]); err == nil {
				post.To = nil
				out.Posts = append(out.Posts, post)
			}
			it.Next()
		}
		return nil
	})
	return out, s.internal("local wall posts", err)
}

// keyOf is a post's listing under its author, without the prefix: the
// cursor of a backfill page.
func keyOf(p *Post) string { return authorKey(p)[len(store.PrefixWallByAuthor):] }

// reaches reports whether author, a member of this node, has a follower or
// an accepted contact on the node at host.
func (s *Service) reaches(txn *badger.Txn, author, host string) bool {
	u, ok := twinfed.UsernameFromActor(s.base, author)
	if !ok || host == "" {
		return false
	}
	audience, err := s.net.Audience(txn, u)
	if err != nil {
		return false
	}
	for _, a := range audience {
		if twinfed.URLHost(a) == host {
			return true
		}
	}
	return false
}

// Backfill takes the recent wall posts the node at base serves to this one
// (signed GETs of its BackfillPath) and keeps those it did not receive, in
// the feeds of their readers here, checked as a Create{Note} from that
// node is (ApplyPost); a post it holds with another text takes the change
// (ApplyPostUpdate); a post of that node it holds, published in the window
// but no longer listed, is forgotten (deleted meanwhile). It returns how
// many posts it stored.
func (s *Service) Backfill(ctx context.Context, fetch directory.Fetcher, base string) (int, error) {
	base = strings.TrimRight(base, "/")
	host := twinfed.URLHost(base)
	start := s.now()
	since := start.Add(-BackfillWindow).UTC()
	seen := map[string]bool{}
	stored := 0
	err := directory.BackfillPages(ctx, s.store.Update, fetch, base+BackfillPath+"?limit=200&since="+url.QueryEscape(since.Format(time.RFC3339))+"&after=",
		"wall posts' backfill from "+host,
		func(pg *BackfillPage) string { return pg.Next },
		func(txn *badger.Txn, pg *BackfillPage) error {
			for _, p := range pg.Posts {
				if p == nil || twinfed.URLHost(p.ID) != host || twinfed.URLHost(p.Author) != host {
					return fmt.Errorf("wall posts' backfill from %s: %v is not a post of that node's member", host, p)
				}
				seen[p.ID] = true
				if held, err := getPost(txn, p.ID); err == nil {
					// Changed while this node was away: the author's Update.
					if held.Content != s.html.Sanitize(p.Content) || len(held.Images) != len(p.Images) {
						a := &twinfed.Activity{Type: twinfed.ActivityUpdate, Actor: p.Author, Object: p.ID, Note: p.note(), Published: p.Updated}
						if err := s.ApplyPostUpdate(txn, a); err != nil && twinfed.ErrorCode(err) != twinfed.EINVALID && twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
							return err
						}
					}
					continue
				}
				if len(s.net.Readers(txn, p.Author)) == 0 {
					continue
				}
				a := &twinfed.Activity{Type: twinfed.ActivityCreate, Actor: p.Author, Object: p.ID, Note: p.note(), Published: p.Published}
				if err := s.ApplyPost(txn, a); err != nil {
					if c := twinfed.ErrorCode(err); c == twinfed.EINVALID || c == twinfed.EFORBIDDEN {
						s.log.Warn("feed: backfill skips a post", "node", host, "post", p.ID, "err", err)
						continue
					}
					return err
				}
				stored++
			}
			return nil
		})
	if err != nil {
		return stored, err
	}
	// The replicas of that node's posts it no longer lists were deleted
	// meanwhile. Margins: the two nodes' clocks bound the window, and a
	// post published while the pages were read may be missing from them.
	removed := 0
	err = s.store.Update(func(txn *badger.Txn) error {
		n, err := s.forgetUnlisted(txn, base, since.Add(24*time.Hour), start.Add(-time.Hour), seen)
		removed = n
		return err
	})
	if stored > 0 || removed > 0 {
		s.log.Info("feed: backfilled wall posts", "node", host, "stored", stored, "removed", removed)
	}
	if err != nil {
		return stored, err
	}
	return stored, s.backfillInteractions(ctx, fetch, base)
}

// forgetUnlisted deletes, within txn, the replicas of posts by members of
// the node at base published from since to before until that are not in
// listed.
func (s *Service) forgetUnlisted(txn *badger.Txn, base string, since, until time.Time, listed map[string]bool) (int, error) {
	removed := 0
	prefix := store.PrefixWallByAuthor + twinfed.ActorURL(base, "")
	for _, k := range store.KeysUnder(txn, prefix, 0) {
		sp := strings.IndexByte(k, ' ')
		if sp < 0 || len(k) < sp+18 {
			continue
		}
		if at := timeOfCursor(k[sp+1:]); at.Before(since) || !at.Before(until) {
			continue
		}
		id := k[sp+18:]
		if listed[id] {
			continue
		}
		if p, err := getPost(txn, id); err == nil {
			if err := s.deletePost(txn, p); err != nil {
				return removed, err
			}
			removed++
		}
	}
	return removed, nil
}

// BackfillRoute serves BackfillPath and InteractionsPath to other nodes,
// behind signed (the node's HTTP-signature check, which names the signing
// node: web.Signer).
func (s *Service) BackfillRoute(k *web.Kit, signed func(http.Handler) http.Handler) {
	k.Handle("GET "+BackfillPath, signed(http.HandlerFunc(s.backfillPage)))
	k.Handle("GET "+InteractionsPath, signed(http.HandlerFunc(s.interactionsPage)))
}

// backfillPage serves a page of LocalPosts to the node that signed the
// request.
func (s *Service) backfillPage(w http.ResponseWriter, r *http.Request) {
	host, since, ok := signedQuery(w, r)
	if !ok {
		return
	}
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	page, err := s.LocalPosts(r.Context(), host, since, r.URL.Query().Get("after"), limit)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, page)
}

// signedQuery reads the signing node's host and the since parameter of a
// backfill request; false when it answered with an error.
func signedQuery(w http.ResponseWriter, r *http.Request) (string, time.Time, bool) {
	host, ok := web.Signer(r.Context())
	if !ok {
		web.APIFail(w, twinfed.Errorf(twinfed.EUNAUTHORIZED, "This page is served only to a node of the federation, on a signed request."))
		return "", time.Time{}, false
	}
	var since time.Time
	if v := r.URL.Query().Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			web.APIFail(w, twinfed.FieldError("since", "Give since as an RFC 3339 time, such as 2026-11-06T08:00:00Z."))
			return "", time.Time{}, false
		}
		since = t
	}
	return host, since, true
}
