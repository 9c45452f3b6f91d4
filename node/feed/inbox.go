package feed

import (
	"strings"
	"unicode/utf8"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/inbound"
	"github.com/twinfed/twinfed/node/store"
)

// Wall posts as they arrive from other nodes: the node's inbound router
// (node/inbox.go) hands each verified activity to one of the Apply
// methods, within the transaction that records its id, so a replay
// changes nothing. The federation has already checked that the activity,
// its actor and the note it creates are under the signing node.

// drop is the error of an activity that can never apply.
func drop(format string, args ...any) error { return twinfed.Errorf(twinfed.EINVALID, format, args...) }

// IsWallPost reports whether a note is a wall post (addressed to its
// author's followers) rather than a direct message.
func IsWallPost(n *twinfed.Note) bool {
	return n != nil && n.From != "" && n.To == twinfed.FollowersURL(n.From)
}

// inbound checks and cleans a note from another node: its author is the
// activity's actor, its content is sanitised and bounded, its images are
// on the author's node.
func (s *Service) inbound(a *twinfed.Activity) (*Post, error) {
	n := a.Note
	if n == nil || n.From != a.Actor {
		return nil, drop("wall post from %s sent by %s", n.From, a.Actor)
	}
	content := s.html.Sanitize(n.Content)
	if utf8.RuneCountInString(content) > 2*twinfed.MaxPostRunes {
		return nil, drop("wall post %s is too long", n.ID)
	}
	if strings.TrimSpace(content) == "" && len(n.Images) == 0 {
		return nil, drop("empty wall post %s", n.ID)
	}
	if len(n.Images) > twinfed.MaxPostImages {
		return nil, drop("wall post %s has %d images", n.ID, len(n.Images))
	}
	for _, im := range n.Images {
		if twinfed.URLHost(im.URL) != twinfed.URLHost(n.From) || !strings.HasPrefix(im.MediaType, "image/") {
			return nil, drop("wall post %s has an image %s not on its author's node", n.ID, im.URL)
		}
	}
	published := n.Published
	if published.IsZero() {
		published = a.Published
	}
	return &Post{ID: n.ID, Author: n.From, Content: content, Images: n.Images, Published: published.UTC()}, nil
}

// ApplyPost takes a wall post of another node's member (Create{Note} to
// their followers): kept once, in the feed of every member of this node
// who follows the author or is their contact.
func (s *Service) ApplyPost(txn *badger.Txn, a *twinfed.Activity) error {
	post, err := s.inbound(a)
	if err != nil {
		return err
	}
	if s.Has(txn, post.ID) {
		return nil
	}
	return s.putPost(txn, post, s.net.Readers(txn, post.Author))
}

// ApplyPostUpdate takes a change of a post's text or images by its author.
func (s *Service) ApplyPostUpdate(txn *badger.Txn, a *twinfed.Activity) error {
	in, err := s.inbound(a)
	if err != nil {
		return err
	}
	post, err := getPost(txn, in.ID)
	if err != nil {
		return nil // never received, or deleted since
	}
	if post.Author != a.Actor {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "%s cannot change %s's post", a.Actor, post.Author)
	}
	post.Content, post.Images, post.Updated = in.Content, in.Images, a.Published.UTC()
	return store.SetJSON(txn, store.PrefixWallPost+post.ID, post)
}

// ApplyPostDelete takes the deletion of a post by its author.
func (s *Service) ApplyPostDelete(txn *badger.Txn, a *twinfed.Activity) error {
	post, err := getPost(txn, a.Object)
	if err != nil {
		return nil
	}
	if post.Author != a.Actor {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "%s cannot delete %s's post", a.Actor, post.Author)
	}
	return s.deletePost(txn, post)
}

// ApplyReply takes a reply to a post kept here: Create{Note} from the
// replier to the post's author (this node is the author's: it tells them
// and passes the reply on), or Announce by the post's author of a reply
// (a replica here keeps it).
func (s *Service) ApplyReply(txn *badger.Txn, a *twinfed.Activity) error {
	n := a.Note
	post, err := getPost(txn, n.InReplyTo)
	if err != nil {
		return drop("reply %s to unknown post %s", n.ID, n.InReplyTo)
	}
	if a.Type == twinfed.ActivityAnnounce {
		if a.Actor != post.Author {
			return twinfed.Errorf(twinfed.EFORBIDDEN, "%s announced a reply to %s's post", a.Actor, post.Author)
		}
	} else if n.From != a.Actor {
		return drop("reply from %s sent by %s", n.From, a.Actor)
	}
	content := s.html.Sanitize(n.Content)
	if strings.TrimSpace(content) == "" || utf8.RuneCountInString(content) > 2*twinfed.MaxPostRunes {
		return drop("reply %s is empty or too long", n.ID)
	}
	published := n.Published
	if published.IsZero() {
		published = a.Published
	}
	r := &Reply{ID: n.ID, Post: post.ID, Author: n.From, Content: content, Published: published.UTC()}
	if s.acts.IsLocal(post.Author) {
		if err := s.fromAudience(txn, post, n.From); err != nil {
			return err
		}
		clean := *n
		clean.Content = content
		return s.replied(txn, post, r, &clean)
	}
	return s.addReply(txn, post, r)
}

// ApplyLike takes a Like of a post of this node's member.
func (s *Service) ApplyLike(txn *badger.Txn, a *twinfed.Activity) error {
	post, err := getPost(txn, a.Object)
	if err != nil || !s.acts.IsLocal(post.Author) {
		return drop("like of unknown post %s", a.Object)
	}
	if err := s.fromAudience(txn, post, a.Actor); err != nil {
		return err
	}
	if store.Has(txn, likeKey(post.ID, a.Actor)) {
		return nil
	}
	return s.liked(txn, post, a.Actor)
}

// ApplyUnlike takes an Undo{Like} of a post of this node's member: the
// post is the Undo's target, the liker its actor. A like never received
// changes nothing.
func (s *Service) ApplyUnlike(txn *badger.Txn, a *twinfed.Activity) error {
	post, err := getPost(txn, a.Target)
	if err != nil || !s.acts.IsLocal(post.Author) {
		return drop("unlike of unknown post %s", a.Target)
	}
	if !store.Has(txn, likeKey(post.ID, a.Actor)) {
		return nil
	}
	return s.unliked(txn, post, a.Actor)
}

// ApplyReplyDelete takes the deletion of a reply to a post kept here (the
// Delete's target), from the reply's author (or the post's): to the
// post's author's node, which passes the deletion of its own member's
// reply on, or from the author's node to a replica. A reply not kept here
// changes nothing.
func (s *Service) ApplyReplyDelete(txn *badger.Txn, a *twinfed.Activity) error {
	post, err := getPost(txn, a.Target)
	if err != nil {
		return drop("deletion of a reply to unknown post %s", a.Target)
	}
	r := findReply(txn, post.ID, a.Object)
	if r == nil {
		return nil
	}
	if a.Actor != r.Author && a.Actor != post.Author {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "%s cannot delete %s's reply", a.Actor, r.Author)
	}
	if err := s.removeReply(txn, post, r); err != nil {
		return err
	}
	if s.acts.IsLocal(post.Author) {
		return s.passReplyDelete(txn, post, r, a.Actor)
	}
	return nil
}

// InboxRoutes are the wall posts' claims on activities from other nodes
// (node/inbound). By what they carry: a like count from a post's author's
// node (refused for a post not held here), a wall post's Create and
// Update, every Like. By the posts this node holds: a reply (Create, or
// the post's node's Announce), a reply's Delete (the post is its target),
// a post's Delete, an unlike (the Undo's target is the post).
func (s *Service) InboxRoutes() []inbound.Route {
	types := func(t ...twinfed.ActivityType) []twinfed.ActivityType { return t }
	wallPost := func(_ *badger.Txn, a *twinfed.Activity) bool { return IsWallPost(a.Note) }
	likes := func(_ *badger.Txn, a *twinfed.Activity) bool { return a.Likes != nil }
	ofTarget := func(txn *badger.Txn, a *twinfed.Activity) bool { return a.Target != "" && s.Has(txn, a.Target) }
	return []inbound.Route{
		{Name: "feed.ApplyLikes", Types: types(twinfed.ActivityUpdate), Apply: inbound.Tx(s.ApplyLikes),
			Claims: func(txn *badger.Txn, a *twinfed.Activity) bool { return a.Likes != nil && s.Has(txn, a.Object) }},
		{Name: "feed.likes", Types: types(twinfed.ActivityUpdate), Claims: likes},
		{Name: "feed.ApplyPost", Types: types(twinfed.ActivityCreate), Claims: wallPost, Apply: inbound.Tx(s.ApplyPost)},
		{Name: "feed.ApplyPostUpdate", Types: types(twinfed.ActivityUpdate), Claims: wallPost, Apply: inbound.Tx(s.ApplyPostUpdate)},
		{Name: "feed.ApplyLike", Types: types(twinfed.ActivityLike), Apply: inbound.Tx(s.ApplyLike)},
		{Name: "feed.ApplyReply", Types: types(twinfed.ActivityCreate, twinfed.ActivityAnnounce), Pass: inbound.ByReference, Apply: inbound.Tx(s.ApplyReply),
			Claims: func(txn *badger.Txn, a *twinfed.Activity) bool { return a.Note != nil && s.Has(txn, a.Note.InReplyTo) }},
		{Name: "feed.ApplyReplyDelete", Types: types(twinfed.ActivityDelete), Pass: inbound.ByReference, Claims: ofTarget, Apply: inbound.Tx(s.ApplyReplyDelete)},
		{Name: "feed.ApplyPostDelete", Types: types(twinfed.ActivityDelete), Pass: inbound.ByReference, Apply: inbound.Tx(s.ApplyPostDelete),
			Claims: func(txn *badger.Txn, a *twinfed.Activity) bool { return s.Has(txn, a.Object) }},
		{Name: "feed.ApplyUnlike", Types: types(twinfed.ActivityUndo), Pass: inbound.ByReference, Claims: ofTarget, Apply: inbound.Tx(s.ApplyUnlike)},
	}
}
