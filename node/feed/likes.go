package feed

import (
	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
)

// Likes passed on live. Every like and unlike of a post reaches its
// author's node (Like, Undo{Like}); that node then sends the post's new
// like count to the nodes the post reached (Post.To) as an Update of the
// post carrying a twinfed.PostLikes: the count, the likes of each node's
// members (a replica counts its own members' likes as it knows them), and
// the time of the change (Post.Touched, which only grows). A replica takes
// it only from the post's author and only when it is newer than the count
// it holds (Post.LikesAt, twinfed.NewerLikes), so counts delivered out of
// order, replayed, or overtaken by a backfill never go back; a count it
// missed (a node away beyond the retry window) comes with the next
// backfill (reconcile), which follows the same rule.

// passLikes sends, within txn, the like count of a post of this node's
// member to the nodes the post reached; nothing for a post of another
// node or one sent nowhere.
func (s *Service) passLikes(txn *badger.Txn, post *Post) error {
	if !s.acts.IsLocal(post.Author) || len(post.To) == 0 {
		return nil
	}
	l := &twinfed.PostLikes{Post: post.ID, Likes: post.Likes, At: post.Touched}
	for _, liker := range store.KeysUnder(txn, store.PrefixWallLike+post.ID+" ", 0) {
		if h := twinfed.URLHost(liker); !s.acts.IsLocal(liker) {
			if l.ByNode == nil {
				l.ByNode = map[string]int{}
			}
			l.ByNode[h]++
		}
	}
	a := s.acts.NewBy(twinfed.ActivityUpdate, post.Author)
	a.To, a.Object, a.Likes = post.To, post.ID, l
	return s.acts.Send(txn, a)
}

// ApplyLikes takes the like count of a post kept here from the post's
// author's node (an Update carrying twinfed.PostLikes): a count older
// than the one held changes nothing; one from anyone but the post's
// author is refused.
func (s *Service) ApplyLikes(txn *badger.Txn, a *twinfed.Activity) error {
	in := a.Likes
	if in == nil || in.Post != a.Object || in.Likes < 0 {
		return drop("like count of %s malformed", a.Object)
	}
	post, err := getPost(txn, in.Post)
	if err != nil {
		return nil // deleted since
	}
	if post.Author != a.Actor || s.acts.IsLocal(post.Author) {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "%s cannot count the likes of %s's post", a.Actor, post.Author)
	}
	if !twinfed.NewerLikes(post.LikesAt, in.At) {
		return nil
	}
	local := len(store.KeysUnder(txn, store.PrefixWallLike+post.ID+" ", 0))
	post.Likes, post.LikesAt = in.ReplicaLikes(twinfed.URLHost(s.base), local), in.At.UTC()
	return s.savePost(txn, post)
}
