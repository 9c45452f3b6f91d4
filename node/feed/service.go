package feed

import (
	"context"
	"errors"
	"html"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/microcosm-cc/bluemonday"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/notice"
	"github.com/twinfed/twinfed/node/outbox"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/web"
)

// Notification kinds of wall posts (the contract with node/notice: the
// notification centre shows and mails them by these names).
const (
	KindPostReply notice.Kind = "post_reply"
	KindPostLike  notice.Kind = "post_like"
)

// Config is what the feature needs to know about its node.
type Config struct {
	BaseURL string // the node's public base URL: its posts' and images' URLs live under it
}

// Network is what the feed asks of contacts and follows (node/social).
type Network interface {
	// Audience returns the actor URLs of username's followers and accepted contacts.
	Audience(txn *badger.Txn, username string) ([]string, error)
	// Readers returns the local usernames who follow author or are their contacts.
	Readers(txn *badger.Txn, author string) []string
	// Stands reports whether username is author's accepted contact, follower.
	Stands(txn *badger.Txn, username, author string) (contact, follower bool)
	// CountsOf returns a local member's followers, following and contacts.
	CountsOf(txn *badger.Txn, username string) social.NetworkCounts
	// InAudience reports whether peer follows username or is their contact.
	InAudience(txn *badger.Txn, username, peer string) bool
}

// Directory is what the feed asks of the directory.
type Directory interface {
	// Get returns the public profile of an actor URL, nil when none is held.
	Get(txn *badger.Txn, actor string) *twinfed.Profile
}

// Members is what the feed asks of the accounts.
type Members interface {
	// Member returns a member of this node: ENOTFOUND when there is none.
	Member(ctx context.Context, username string) (*twinfed.Member, error)
}

// Forum is what the feed asks of the partner forum (node/forum, which is
// of the feed's rank: the node's assembly adapts it).
type Forum interface {
	// Matching returns, newest first, at most limit posts of the forum
	// (not replies, not hidden) published at or after since and before
	// until (zero: no bound), by others than actor (m's actor URL), that
	// share a subject or a pupils' age band with m's profile or seek m's
	// country.
	Matching(m *twinfed.Member, actor string, since, until time.Time, limit int) []*twinfed.ForumPost
}

// Nodes is what the feed asks of the registry (twinfed.Registry).
type Nodes interface {
	// CountryByHost returns the country whose node has host: ENOTFOUND
	// when no node of the federation has it.
	CountryByHost(ctx context.Context, host string) (*twinfed.Country, error)
}

// Deps are the feature's collaborators.
type Deps struct {
	Store      *store.Store
	Activities *outbox.Activities
	Notices    *notice.Notices
	Network    Network
	Directory  Directory
	Members    Members      // nil: no last login on profiles
	Nodes      Nodes        // nil: images of other nodes are not shown
	Forum      Forum        // nil (or no Members): no forum posts in the feed
	Client     *http.Client // the image proxy's client; nil: one with a 10 s timeout
	Logger     *slog.Logger
	Now        func() time.Time
}

// Service keeps the wall posts, their replies and likes, and the members'
// feeds. It is safe for concurrent use.
type Service struct {
	base    string
	store   *store.Store
	acts    *outbox.Activities
	notices *notice.Notices
	net     Network
	dir     Directory
	members Members
	nodes   Nodes
	forum   Forum
	client  *http.Client
	html    *bluemonday.Policy
	log     *slog.Logger
	now     func() time.Time
	web     *handlers // the pages, once Routes ran
}

// New builds the feature's service.
func New(cfg Config, d Deps) (*Service, error) {
	if d.Store == nil || d.Activities == nil || d.Notices == nil || d.Network == nil || d.Directory == nil {
		return nil, errors.New("feed: New needs a Store, Activities, Notices, a Network and a Directory")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Client == nil {
		// No redirect: the proxy fetches only from the node the registry lists.
		d.Client = &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return &Service{base: strings.TrimRight(cfg.BaseURL, "/"), store: d.Store, acts: d.Activities, notices: d.Notices, net: d.Network,
		dir: d.Directory, members: d.Members, nodes: d.Nodes, forum: d.Forum, client: d.Client, html: web.NewHTMLPolicy(), log: d.Logger, now: d.Now}, nil
}

// update runs fn in a transaction and wakes the outbox after the commit.
func (s *Service) update(fn func(txn *badger.Txn) error) error {
	if err := s.store.Update(fn); err != nil {
		return err
	}
	s.acts.Notify()
	return nil
}

func (s *Service) internal(op string, err error) error { return web.Internal(s.log, op, err) }

// actor is a local member's actor URL.
func (s *Service) actor(username string) string { return twinfed.ActorURL(s.base, username) }

// textHTML turns what a member typed into the HTML a post holds:
// escaped, paragraphs on blank lines, line breaks kept.
func textHTML(text string) string {
	var b strings.Builder
	for _, para := range strings.Split(strings.ReplaceAll(strings.TrimSpace(text), "\r\n", "\n"), "\n\n") {
		if para = strings.TrimSpace(para); para == "" {
			continue
		}
		b.WriteString("<p>")
		b.WriteString(strings.ReplaceAll(html.EscapeString(para), "\n", "<br>"))
		b.WriteString("</p>")
	}
	return b.String()
}

// Publish posts text and images (each the bytes of an uploaded file) on
// the member's wall: stored here with its images, added to the feeds of
// the member's readers on this node, and sent as Create{Note} to the
// nodes of the others. Bad input (no text and no image, too long, too
// many images, a file that is not an image or is too large) changes
// nothing.
func (s *Service) Publish(ctx context.Context, p *twinfed.Principal, text string, images [][]byte) (*Post, error) {
	if err := social.Require(p); err != nil {
		return nil, err
	}
	if err := twinfed.ValidatePost(text, len(images)); err != nil {
		return nil, err
	}
	type media struct {
		hash, ct string
		data     []byte
	}
	var ms []media
	for i, data := range images {
		ct, err := CheckImage(data)
		if err != nil {
			return nil, twinfed.FieldError("images", fieldImage(i, err))
		}
		ms = append(ms, media{hash: hashHex(data), ct: ct, data: data})
	}
	now := s.now().UTC()
	post := &Post{ID: s.base + "/posts/" + store.NewID(), Author: s.actor(p.Username), Content: textHTML(text), Published: now}
	for _, m := range ms {
		post.Images = append(post.Images, twinfed.PostImage{URL: s.base + MediaPath + m.hash, MediaType: m.ct})
	}
	err := s.update(func(txn *badger.Txn) error {
		for _, m := range ms {
			if err := txn.Set([]byte(store.PrefixMedia+m.hash), append([]byte(m.ct+"\x00"), m.data...)); err != nil {
				return err
			}
		}
		audience, err := s.net.Audience(txn, p.Username)
		if err != nil {
			return err
		}
		readers := []string{p.Username}
		for _, peer := range audience {
			if s.acts.IsLocal(peer) {
				if u, ok := twinfed.UsernameFromActor(s.base, peer); ok {
					readers = append(readers, u)
				}
				continue
			}
			post.To = append(post.To, peer)
		}
		post.To = onePerNode(post.To)
		if err := s.putPost(txn, post, readers); err != nil {
			return err
		}
		if len(post.To) == 0 {
			return nil
		}
		a := s.acts.New(twinfed.ActivityCreate, p.Username)
		a.To, a.Object, a.Note = post.To, post.ID, post.note()
		return s.acts.Send(txn, a)
	})
	if err != nil {
		return nil, s.internal("publish", err)
	}
	return post, nil
}

// fieldImage is the message of the i-th image's error.
func fieldImage(i int, err error) string {
	if e, ok := err.(*twinfed.Error); ok {
		return e.Message
	}
	return "This file is not an image."
}

// onePerNode keeps the first actor of each node: a node's shared inbox
// takes one copy for all its members.
func onePerNode(actors []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range actors {
		if h := twinfed.URLHost(a); !seen[h] {
			seen[h] = true
			out = append(out, a)
		}
	}
	return out
}

// own returns the post id of the member's own wall, for a change by them.
func (s *Service) own(txn *badger.Txn, p *twinfed.Principal, id string) (*Post, error) {
	post, err := getPost(txn, id)
	if err != nil {
		return nil, twinfed.Errorf(twinfed.ENOTFOUND, "There is no such post.")
	}
	if post.Author != s.actor(p.Username) {
		return nil, twinfed.Errorf(twinfed.EFORBIDDEN, "Only its author may change or delete a post.")
	}
	return post, nil
}

// Edit changes the text of one of the member's posts; the nodes it was
// sent to get Update{Note}.
func (s *Service) Edit(ctx context.Context, p *twinfed.Principal, id, text string) (*Post, error) {
	if err := social.Require(p); err != nil {
		return nil, err
	}
	var out *Post
	err := s.update(func(txn *badger.Txn) error {
		post, err := s.own(txn, p, id)
		if err != nil {
			return err
		}
		if err := twinfed.ValidatePost(text, len(post.Images)); err != nil {
			return err
		}
		post.Content, post.Updated = textHTML(text), s.now().UTC()
		if err := store.SetJSON(txn, store.PrefixWallPost+post.ID, post); err != nil {
			return err
		}
		out = post
		if len(post.To) == 0 {
			return nil
		}
		a := s.acts.New(twinfed.ActivityUpdate, p.Username)
		a.To, a.Object, a.Note = post.To, post.ID, post.note()
		return s.acts.Send(txn, a)
	})
	return out, s.internal("edit post", err)
}

// Remove deletes one of the member's posts, its images, replies and likes;
// the nodes it was sent to get Delete.
func (s *Service) Remove(ctx context.Context, p *twinfed.Principal, id string) error {
	if err := social.Require(p); err != nil {
		return err
	}
	return s.internal("delete post", s.update(func(txn *badger.Txn) error {
		post, err := s.own(txn, p, id)
		if err != nil {
			return err
		}
		if err := s.deletePost(txn, post); err != nil {
			return err
		}
		for _, im := range post.Images {
			if h, ok := strings.CutPrefix(im.URL, s.base+MediaPath); ok {
				if err := txn.Delete([]byte(store.PrefixMedia + h)); err != nil {
					return err
				}
			}
		}
		if len(post.To) == 0 {
			return nil
		}
		a := s.acts.New(twinfed.ActivityDelete, p.Username)
		a.To, a.Object = post.To, post.ID
		return s.acts.Send(txn, a)
	}))
}

// canSee applies twinfed.CanSeePost for p and a post's author.
func (s *Service) canSee(txn *badger.Txn, p *twinfed.Principal, author string) bool {
	if p == nil {
		return false
	}
	if p.IsAgency() {
		return s.acts.IsLocal(author) && twinfed.CanSeePost(s.actor(p.Username), author, false, false, true)
	}
	if social.Require(p) != nil {
		return false
	}
	contact, follower := s.net.Stands(txn, p.Username, author)
	return twinfed.CanSeePost(s.actor(p.Username), author, contact, follower, false)
}

// Reply answers a post the member can see. A reply to a post of this
// node's member is stored here, told to its author (post_reply) and sent
// to the nodes the post reached; a reply to another node's post goes to
// that node, which does the same.
func (s *Service) Reply(ctx context.Context, p *twinfed.Principal, id, text string) (*Reply, error) {
	if err := social.Require(p); err != nil {
		return nil, err
	}
	if err := twinfed.ValidatePost(text, 0); err != nil {
		return nil, err
	}
	var out *Reply
	err := s.update(func(txn *badger.Txn) error {
		post, err := getPost(txn, id)
		if err != nil || !s.canSee(txn, p, post.Author) {
			return twinfed.Errorf(twinfed.ENOTFOUND, "There is no such post.")
		}
		now := s.now().UTC()
		out = &Reply{ID: s.base + "/posts/" + store.NewID(), Post: post.ID, Author: s.actor(p.Username), Content: textHTML(text), Published: now}
		note := &twinfed.Note{ID: out.ID, From: out.Author, To: post.Author, Content: out.Content, InReplyTo: post.ID, Published: now}
		if s.acts.IsLocal(post.Author) {
			return s.replied(txn, post, out, note)
		}
		if err := s.addReply(txn, post, out); err != nil {
			return err
		}
		a := s.acts.New(twinfed.ActivityCreate, p.Username)
		a.To, a.Object, a.Note = []string{post.Author}, out.ID, note
		return s.acts.Send(txn, a)
	})
	if err != nil {
		return nil, s.internal("reply", err)
	}
	return out, nil
}

// replied takes a reply to a post of this node's member, from a member of
// this node or another: stored, told to the author, passed on to the
// nodes the post reached (Create from this node's replier, Announce by the
// author for a reply from another node), except the replier's own.
func (s *Service) replied(txn *badger.Txn, post *Post, r *Reply, note *twinfed.Note) error {
	if err := s.addReply(txn, post, r); err != nil {
		return err
	}
	if r.Author != post.Author {
		if u, ok := twinfed.UsernameFromActor(s.base, post.Author); ok {
			if err := s.notices.Notify(txn, u, KindPostReply, r.Author); err != nil {
				return err
			}
		}
	}
	var to []string
	for _, peer := range post.To {
		if twinfed.URLHost(peer) != twinfed.URLHost(r.Author) {
			to = append(to, peer)
		}
	}
	if len(to) == 0 {
		return nil
	}
	var a *twinfed.Activity
	if s.acts.IsLocal(r.Author) {
		a = s.acts.NewBy(twinfed.ActivityCreate, r.Author)
	} else {
		a = s.acts.NewBy(twinfed.ActivityAnnounce, post.Author)
	}
	a.To, a.Object, a.Note = to, r.ID, note
	return s.acts.Send(txn, a)
}

// Like records that the member likes a post they can see (once); the
// author is told (post_like), on this node or through a Like to theirs.
func (s *Service) Like(ctx context.Context, p *twinfed.Principal, id string) error {
	if err := social.Require(p); err != nil {
		return err
	}
	return s.internal("like", s.update(func(txn *badger.Txn) error {
		post, err := getPost(txn, id)
		if err != nil || !s.canSee(txn, p, post.Author) {
			return twinfed.Errorf(twinfed.ENOTFOUND, "There is no such post.")
		}
		me := s.actor(p.Username)
		if store.Has(txn, likeKey(post.ID, me)) {
			return nil
		}
		if err := s.liked(txn, post, me); err != nil {
			return err
		}
		if s.acts.IsLocal(post.Author) {
			return nil
		}
		a := s.acts.New(twinfed.ActivityLike, p.Username)
		a.To, a.Object = []string{post.Author}, post.ID
		// The Like's id, for the Undo of an unlike.
		if err := txn.Set([]byte(likeKey(post.ID, me)), []byte(a.ID)); err != nil {
			return err
		}
		return s.acts.Send(txn, a)
	}))
}

// Unlike withdraws the member's like of a post they can see (nothing when
// they do not like it); the author's node gets Undo{Like}, the post as
// its target.
func (s *Service) Unlike(ctx context.Context, p *twinfed.Principal, id string) error {
	if err := social.Require(p); err != nil {
		return err
	}
	return s.internal("unlike", s.update(func(txn *badger.Txn) error {
		post, err := getPost(txn, id)
		if err != nil || !s.canSee(txn, p, post.Author) {
			return twinfed.Errorf(twinfed.ENOTFOUND, "There is no such post.")
		}
		me := s.actor(p.Username)
		like, ok, err := store.GetString(txn, likeKey(post.ID, me))
		if err != nil || !ok {
			return err // not liked: nothing to do
		}
		if err := s.unliked(txn, post, me); err != nil {
			return err
		}
		if s.acts.IsLocal(post.Author) {
			return nil
		}
		a := s.acts.New(twinfed.ActivityUndo, p.Username)
		a.To, a.Object, a.Target = []string{post.Author}, like, post.ID
		if a.Object == "" {
			// A like kept before its Like's id was: the object names the
			// liker, under this node as the same-origin rule wants.
			a.Object = me
		}
		return s.acts.Send(txn, a)
	}))
}

// unliked removes who's like of post (on the author's node, the new
// count goes on to the nodes the post reached: passLikes).
func (s *Service) unliked(txn *badger.Txn, post *Post, who string) error {
	if err := txn.Delete([]byte(likeKey(post.ID, who))); err != nil {
		return err
	}
	post.Likes = max(post.Likes-1, 0)
	if err := s.savePost(txn, post); err != nil {
		return err
	}
	return s.passLikes(txn, post)
}

// DeleteReply deletes one of the member's replies to a post. On the post's
// author's node the nodes the post reached are told (Delete, the post as
// its target); a reply to another node's post is deleted there the same
// way, and the other nodes the post reached drop it at their backfill.
func (s *Service) DeleteReply(ctx context.Context, p *twinfed.Principal, postID, id string) error {
	if err := social.Require(p); err != nil {
		return err
	}
	return s.internal("delete reply", s.update(func(txn *badger.Txn) error {
		post, err := getPost(txn, postID)
		if err != nil || !s.canSee(txn, p, post.Author) {
			return twinfed.Errorf(twinfed.ENOTFOUND, "There is no such post.")
		}
		r := findReply(txn, post.ID, id)
		if r == nil {
			return twinfed.Errorf(twinfed.ENOTFOUND, "There is no such reply.")
		}
		if r.Author != s.actor(p.Username) {
			return twinfed.Errorf(twinfed.EFORBIDDEN, "Only its author may delete a reply.")
		}
		if err := s.removeReply(txn, post, r); err != nil {
			return err
		}
		if s.acts.IsLocal(post.Author) {
			return s.passReplyDelete(txn, post, r, r.Author)
		}
		a := s.acts.New(twinfed.ActivityDelete, p.Username)
		a.To, a.Object, a.Target = []string{post.Author}, r.ID, post.ID
		return s.acts.Send(txn, a)
	}))
}

// passReplyDelete tells the nodes a post of this node's member reached,
// but the one of by (who deleted it), that reply r of this node's member
// is deleted: Delete from its author. Another node's reply is not passed
// on (a Delete of an object under another node would be refused by the
// same-origin rule, twinfed.CheckSameOrigin): the other replicas drop it
// at their next backfill (reconcile).
func (s *Service) passReplyDelete(txn *badger.Txn, post *Post, r *Reply, by string) error {
	if !s.acts.IsLocal(r.Author) {
		return nil
	}
	var to []string
	for _, peer := range post.To {
		if twinfed.URLHost(peer) != twinfed.URLHost(by) {
			to = append(to, peer)
		}
	}
	if len(to) == 0 {
		return nil
	}
	a := s.acts.NewBy(twinfed.ActivityDelete, r.Author)
	a.To, a.Object, a.Target = to, r.ID, post.ID
	return s.acts.Send(txn, a)
}

// liked records who's like of post and tells a local author (on the
// author's node, the new count goes on to the nodes the post reached:
// passLikes).
func (s *Service) liked(txn *badger.Txn, post *Post, who string) error {
	if err := txn.Set([]byte(likeKey(post.ID, who)), nil); err != nil {
		return err
	}
	post.Likes++
	if err := s.savePost(txn, post); err != nil {
		return err
	}
	if err := s.passLikes(txn, post); err != nil {
		return err
	}
	if who == post.Author {
		return nil
	}
	if u, ok := twinfed.UsernameFromActor(s.base, post.Author); ok {
		return s.notices.Notify(txn, u, KindPostLike, who)
	}
	return nil
}

// Has reports whether a wall post with this id is kept here (the inbound
// router's question).
func (s *Service) Has(txn *badger.Txn, id string) bool {
	return id != "" && store.Has(txn, store.PrefixWallPost+id)
}

// profile returns the public profile of an actor as the directory holds it.
func (s *Service) profile(actor string) *twinfed.Profile {
	var p *twinfed.Profile
	_ = s.store.View(func(txn *badger.Txn) error { p = s.dir.Get(txn, actor); return nil })
	return p
}

// LastLogin returns when a member of this node last logged in, when they
// show it on their profile (twinfed.PublicLastLogin); false otherwise.
func (s *Service) LastLogin(ctx context.Context, actor string) (time.Time, bool) {
	u, ok := twinfed.UsernameFromActor(s.base, actor)
	if !ok || s.members == nil {
		return time.Time{}, false
	}
	m, err := s.members.Member(ctx, u)
	if err != nil || m.Status != twinfed.StatusValidated || !m.IsPublic(twinfed.PublicLastLogin) || m.LastLogin.IsZero() {
		return time.Time{}, false
	}
	return m.LastLogin, true
}

// fromAudience checks that a reply or a like from another node's member
// comes from someone who reads the post: its author's follower or contact.
func (s *Service) fromAudience(txn *badger.Txn, post *Post, actor string) error {
	u, ok := twinfed.UsernameFromActor(s.base, post.Author)
	if !ok || actor == post.Author || s.net.InAudience(txn, u, actor) {
		return nil
	}
	return twinfed.Errorf(twinfed.EFORBIDDEN, "%s does not read %s's posts", actor, post.Author)
}
