package feed

import (
	"fmt"
	"math"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
)

// The records, under the keys this feature owns (doc.go). A post is kept
// once (wp/), listed under its author (wa/) and in the feed of each local
// reader (tl/), newest first by an inverted time; replies and likes are
// kept beside it.

// Post is a wall post, of a member of this node or a replica of another
// node's.
type Post struct {
	ID        string              `json:"id"`     // <author's node>/posts/<id>
	Author    string              `json:"author"` // actor URL
	Content   string              `json:"content"`
	Images    []twinfed.PostImage `json:"images,omitempty"`
	Published time.Time           `json:"published"`
	Updated   time.Time           `json:"updated,omitzero"`
	Replies   int                 `json:"replies"`
	Likes     int                 `json:"likes"`
	// Touched is, on the author's node, when a reply or a like last
	// changed (its listing under store.PrefixWallTouched).
	Touched time.Time `json:"touched,omitzero"`
	// LikesAt is, on a replica, when the author's node's like count it
	// holds changed there (twinfed.NewerLikes).
	LikesAt time.Time `json:"likes_at,omitzero"`
	// To is, on the author's node, one reader per other node the post was
	// sent to (for its Update, Delete and replies).
	To []string `json:"to,omitempty"`

	// Filled on reads, not stored.
	Profile *twinfed.Profile `json:"profile,omitempty"`
	Liked   bool             `json:"liked,omitempty"`
	cursor  string           // where a page read it, for the next page
}

// note is the post as the federation carries it.
func (p *Post) note() *twinfed.Note {
	return &twinfed.Note{ID: p.ID, From: p.Author, To: twinfed.FollowersURL(p.Author), Content: p.Content, Images: p.Images, Published: p.Published}
}

// Reply answers a post.
type Reply struct {
	ID        string           `json:"id"`
	Post      string           `json:"post"`
	Author    string           `json:"author"`
	Content   string           `json:"content"`
	Published time.Time        `json:"published"`
	Profile   *twinfed.Profile `json:"profile,omitempty"`
}

// invTime orders keys newest first.
func invTime(t time.Time) string { return fmt.Sprintf("%016x", uint64(math.MaxInt64-t.UnixNano())) }

func authorKey(p *Post) string {
	return store.PrefixWallByAuthor + p.Author + " " + invTime(p.Published) + "/" + p.ID
}

func timelineKey(username string, p *Post) string {
	return store.PrefixTimeline + username + "/" + invTime(p.Published) + "/" + p.ID
}

func likeKey(post, actor string) string { return store.PrefixWallLike + post + " " + actor }

func replyKey(r *Reply) string {
	return store.PrefixWallReply + r.Post + " " + r.Published.UTC().Format("20060102T150405.000000000") + "/" + r.ID
}

// touchedKey lists a post of this node's member by the time its replies
// or likes last changed, oldest first.
func touchedKey(t time.Time, post string) string {
	return store.PrefixWallTouched + fmt.Sprintf("%016x", uint64(t.UnixNano())) + "/" + post
}

// savePost writes a post back after its replies or likes changed; on its
// author's node the change is listed for the backfill (touchedKey), at a
// time later than the previous change's even if the clock went back (the
// version replicas order like counts by).
func (s *Service) savePost(txn *badger.Txn, p *Post) error {
	if s.acts.IsLocal(p.Author) {
		now := s.now().UTC()
		if !p.Touched.IsZero() {
			if err := txn.Delete([]byte(touchedKey(p.Touched, p.ID))); err != nil {
				return err
			}
			if !now.After(p.Touched) {
				now = p.Touched.Add(time.Nanosecond)
			}
		}
		p.Touched = now
		if err := txn.Set([]byte(touchedKey(p.Touched, p.ID)), nil); err != nil {
			return err
		}
	}
	return store.SetJSON(txn, store.PrefixWallPost+p.ID, p)
}

// findReply returns the reply id to post, nil when it is not kept here.
func findReply(txn *badger.Txn, post, id string) *Reply {
	var out *Reply
	_ = store.EachJSON(txn, store.PrefixWallReply+post+" ", func(r *Reply) error {
		if r.ID == id {
			out = r
		}
		return nil
	})
	return out
}

// removeReply deletes a reply kept here and counts it off.
func (s *Service) removeReply(txn *badger.Txn, post *Post, r *Reply) error {
	if err := txn.Delete([]byte(replyKey(r))); err != nil {
		return err
	}
	post.Replies = max(post.Replies-1, 0)
	return s.savePost(txn, post)
}

func getPost(txn *badger.Txn, id string) (*Post, error) {
	var p Post
	if err := store.GetJSON(txn, store.PrefixWallPost+id, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// putPost stores a new post, lists it under its author and puts it in the
// feed of each reader (usernames).
func (s *Service) putPost(txn *badger.Txn, p *Post, readers []string) error {
	if err := store.SetJSON(txn, store.PrefixWallPost+p.ID, p); err != nil {
		return err
	}
	if err := txn.Set([]byte(authorKey(p)), nil); err != nil {
		return err
	}
	for _, u := range readers {
		if err := txn.Set([]byte(timelineKey(u, p)), nil); err != nil {
			return err
		}
	}
	return nil
}

// deletePost removes a post, its listing, replies and likes. The feeds'
// entries go when a reader's feed meets them (readPosts): a post's
// readers may have changed since it was posted.
func (s *Service) deletePost(txn *badger.Txn, p *Post) error {
	keys := []string{store.PrefixWallPost + p.ID, authorKey(p)}
	if !p.Touched.IsZero() {
		keys = append(keys, touchedKey(p.Touched, p.ID))
	}
	for _, k := range keys {
		if err := txn.Delete([]byte(k)); err != nil {
			return err
		}
	}
	for _, pre := range []string{store.PrefixWallReply + p.ID + " ", store.PrefixWallLike + p.ID + " "} {
		if err := store.DeletePrefix(txn, pre); err != nil {
			return err
		}
	}
	return nil
}

// addReply stores a reply to post (once) and counts it.
func (s *Service) addReply(txn *badger.Txn, post *Post, r *Reply) error {
	k := replyKey(r)
	if store.Has(txn, k) {
		return nil
	}
	if err := store.SetJSON(txn, k, r); err != nil {
		return err
	}
	post.Replies++
	return s.savePost(txn, post)
}

// ForgetAuthor deletes, within txn, every post of an author whose account
// was deleted (this node's member or another's): the node's assembly
// registers it for both.
func (s *Service) ForgetAuthor(txn *badger.Txn, actor string) error {
	prefix := store.PrefixWallByAuthor + actor + " "
	for _, k := range store.KeysUnder(txn, prefix, 0) {
		id := k[len("0000000000000000/"):]
		if p, err := getPost(txn, id); err == nil {
			if err := s.deletePost(txn, p); err != nil {
				return err
			}
		} else if err := txn.Delete([]byte(prefix + k)); err != nil {
			return err
		}
	}
	return nil
}
