package forum

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/notice"
	"github.com/twinfed/twinfed/node/outbox"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/web"
)

// ReplyKind is the notification a member gets when someone replies to
// their post (the notification centre, package notice, shows it).
const ReplyKind notice.Kind = "forum_reply"

// Config is what the forum needs to know about its node.
type Config struct {
	BaseURL string // the node's public base URL: its members' posts live under it
	Country string // the node's country: its agency moderates its members' posts
}

// Members is what the forum asks of the accounts.
type Members interface {
	// Public returns the public profile of a member of this node, nil
	// when none is shown. It returns no error.
	Public(txn *badger.Txn, username string) *twinfed.Profile
}

// Nodes is what the forum asks of the directory: the other nodes, which
// keep a replica of every post.
type Nodes interface {
	// OtherNodes returns the agency actor URL of every other active node.
	OtherNodes(ctx context.Context) []string
}

// Contacts is what the forum asks of the social feature: "Contact this
// teacher".
type Contacts interface {
	// RequestContact asks peer to become p's contact with a message; the
	// social feature's errors (EINVALID, ECONFLICT, ENOTFOUND…).
	RequestContact(ctx context.Context, p *twinfed.Principal, peer, message string) (*social.Contact, error)
}

// Registry is what the forum asks of the registry: the country of the
// node that sends a post.
type Registry interface {
	// CountryByHost returns the country whose node has host: ENOTFOUND
	// when no node of the federation has it.
	CountryByHost(ctx context.Context, host string) (*twinfed.Country, error)
}

// Deps are the forum's collaborators.
type Deps struct {
	Store      *store.Store
	Activities *outbox.Activities
	Notices    *notice.Notices
	Members    Members
	Nodes      Nodes
	Contacts   Contacts
	Registry   Registry         // nil: a node alone (posts from other nodes are refused)
	Logger     *slog.Logger     // nil: discard
	Now        func() time.Time // nil: time.Now
}

// Service is the partner-finding forum of a node. It is safe for
// concurrent use once Open has returned.
type Service struct {
	cfg      Config
	store    *store.Store
	acts     *outbox.Activities
	notices  *notice.Notices
	members  Members
	nodes    Nodes
	contacts Contacts
	registry Registry
	log      *slog.Logger
	now      func() time.Time
	ix       *index
}

// New builds the forum; Open builds its index.
func New(cfg Config, d Deps) (*Service, error) {
	if d.Store == nil || d.Activities == nil || d.Notices == nil || d.Members == nil || d.Nodes == nil || d.Contacts == nil {
		return nil, errors.New("forum: New needs a Store, Activities, Notices, Members, Nodes and Contacts")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &Service{cfg: cfg, store: d.Store, acts: d.Activities, notices: d.Notices, members: d.Members, nodes: d.Nodes, contacts: d.Contacts,
		registry: d.Registry, log: d.Logger, now: d.Now, ix: newIndex()}, nil
}

// Open builds the search index from the store.
func (s *Service) Open() error {
	var es []*entry
	counts := map[string]int{}
	err := s.store.View(func(txn *badger.Txn) error {
		for _, k := range store.KeysUnder(txn, store.PrefixForumReply, 0) {
			if i := strings.IndexByte(k, ' '); i > 0 {
				counts[k[:i]]++
			}
		}
		return store.EachJSON(txn, store.PrefixForum, func(p *twinfed.ForumPost) error {
			if !p.IsReply() {
				es = append(es, newEntry(p, 0))
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("forum: build the index: %w", err)
	}
	for _, e := range es {
		e.replies = counts[e.id]
	}
	s.ix.putAll(es)
	s.log.Info("forum: index built", "posts", len(es))
	return nil
}

// PostURL is where this node's post (or reply) id lives.
func (s *Service) PostURL(id string) string { return s.cfg.BaseURL + "/forum/posts/" + id }

func (s *Service) isLocal(id string) bool { return s.acts.IsLocal(id) }

// IsLocal reports whether a post or reply id is hosted by this node.
func (s *Service) IsLocal(id string) bool { return s.isLocal(id) }

func (s *Service) internal(op string, err error) error { return web.Internal(s.log, op, err) }

// update runs fn in a transaction and tells the outbox after the commit.
func (s *Service) update(fn func(txn *badger.Txn) error) error {
	if err := s.store.Update(fn); err != nil {
		return err
	}
	s.acts.Notify()
	return nil
}

// actor is p's actor URL on this node.
func (s *Service) actor(p *twinfed.Principal) string {
	return twinfed.ActorURL(s.cfg.BaseURL, p.Username)
}

// agencyOf is the country whose members' hidden posts p sees: the node's
// when p is its agency staff, "" otherwise.
func (s *Service) agencyOf(p *twinfed.Principal) string {
	if p.IsAgency() {
		return s.cfg.Country
	}
	return ""
}

// Get returns the post or reply id the node holds, nil when none.
func (s *Service) Get(txn *badger.Txn, id string) *twinfed.ForumPost {
	var p twinfed.ForumPost
	if id == "" || store.GetJSON(txn, store.PrefixForum+id, &p) != nil {
		return nil
	}
	return &p
}

// Has reports whether the node holds the post or reply id.
func (s *Service) Has(txn *badger.Txn, id string) bool { return s.Get(txn, id) != nil }

func replyKey(p *twinfed.ForumPost) string {
	return store.PrefixForumReply + p.InReplyTo + " " + p.Published.UTC().Format(time.RFC3339Nano) + " " + p.ID
}

// put stores a post or reply within txn and keeps the index (after the
// commit) and the reply list.
func (s *Service) put(txn *badger.Txn, old, p *twinfed.ForumPost) error {
	if err := store.SetJSON(txn, store.PrefixForum+p.ID, p); err != nil {
		return err
	}
	if err := txn.Set([]byte(store.PrefixForumAuthor+p.Author+" "+p.ID), nil); err != nil {
		return err
	}
	if p.IsReply() {
		if old == nil {
			if err := txn.Set([]byte(replyKey(p)), nil); err != nil {
				return err
			}
			s.store.AfterCommit(txn, func() { s.ix.addReply(p.InReplyTo, 1) })
		}
		return nil
	}
	s.store.AfterCommit(txn, func() { s.ix.put(newEntry(p, s.ix.replies(p.ID))) })
	return nil
}

// remove deletes a post (and its replies) or a reply within txn.
func (s *Service) remove(txn *badger.Txn, p *twinfed.ForumPost) error {
	if err := txn.Delete([]byte(store.PrefixForum + p.ID)); err != nil {
		return err
	}
	if err := txn.Delete([]byte(store.PrefixForumAuthor + p.Author + " " + p.ID)); err != nil {
		return err
	}
	if p.IsReply() {
		s.store.AfterCommit(txn, func() { s.ix.addReply(p.InReplyTo, -1) })
		return txn.Delete([]byte(replyKey(p)))
	}
	for _, k := range store.KeysUnder(txn, store.PrefixForumReply+p.ID+" ", 0) {
		if i := strings.LastIndexByte(k, ' '); i > 0 {
			if r := s.Get(txn, k[i+1:]); r != nil {
				if err := txn.Delete([]byte(store.PrefixForum + r.ID)); err != nil {
					return err
				}
				if err := txn.Delete([]byte(store.PrefixForumAuthor + r.Author + " " + r.ID)); err != nil {
					return err
				}
			}
		}
	}
	if err := store.DeletePrefix(txn, store.PrefixForumReply+p.ID+" "); err != nil {
		return err
	}
	s.store.AfterCommit(txn, func() { s.ix.remove(p.ID) })
	return nil
}

// publish sends a post's Create, Update or Delete to every other node.
func (s *Service) publish(ctx context.Context, txn *badger.Txn, t twinfed.ActivityType, username string, p *twinfed.ForumPost) error {
	to := s.nodes.OtherNodes(ctx)
	if len(to) == 0 {
		return nil
	}
	a := s.acts.New(t, username)
	a.To, a.Object = to, p.ID
	if t != twinfed.ActivityDelete {
		a.Forum = p
	}
	return s.acts.Send(txn, a)
}

// Post publishes a new post by p, a validated member, in the forum of
// every node. EINVALID (naming the fields) for a post CheckForumPost
// refuses; nothing is stored then.
func (s *Service) Post(ctx context.Context, p *twinfed.Principal, in *twinfed.ForumPost) (*twinfed.ForumPost, error) {
	if err := twinfed.CanPostInForum(p); err != nil {
		return nil, err
	}
	post := &twinfed.ForumPost{Thread: in.Thread, Title: in.Title, Subjects: in.Subjects, AgeBands: in.AgeBands, Languages: in.Languages,
		Seeking: in.Seeking, Months: in.Months, Idea: in.Idea}
	if err := twinfed.CheckForumPost(post); err != nil {
		return nil, err
	}
	err := s.update(func(txn *badger.Txn) error {
		if err := s.sign(txn, p, post); err != nil {
			return err
		}
		if err := s.put(txn, nil, post); err != nil {
			return err
		}
		return s.publish(ctx, txn, twinfed.ActivityCreate, p.Username, post)
	})
	if err != nil {
		return nil, s.internal("forum post", err)
	}
	return post, nil
}

// sign gives a new post or reply by p its id, author and dates.
func (s *Service) sign(txn *badger.Txn, p *twinfed.Principal, post *twinfed.ForumPost) error {
	me := s.members.Public(txn, p.Username)
	if me == nil {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "The partner forum opens once the agency has validated your registration.")
	}
	now := s.now().UTC()
	post.ID, post.Author, post.Name, post.Country, post.SchoolName = s.PostURL(store.NewID()), me.ID, me.Name, me.Country, me.SchoolName
	post.Version, post.Published, post.Updated = 1, now, now
	return nil
}

// visible returns the post id as viewer may see it: ENOTFOUND when the
// node holds none or viewer may not see it (a hidden post).
func (s *Service) visible(txn *badger.Txn, viewer *twinfed.Principal, id string) (*twinfed.ForumPost, error) {
	post := s.Get(txn, id)
	if post == nil || !twinfed.ForumPostVisible(viewer, s.actor(viewer), post, s.cfg.Country) {
		return nil, twinfed.Errorf(twinfed.ENOTFOUND, "This post is not in the forum (it may have been deleted).")
	}
	return post, nil
}

// Reply answers post id as p. EINVALID for an empty or oversized text and
// for a reply to a hidden post or to a reply; nothing is stored then. The
// post's author is notified when they are a member of this node (their
// own node notifies them otherwise, when the reply arrives).
func (s *Service) Reply(ctx context.Context, p *twinfed.Principal, id, text string) (*twinfed.ForumPost, error) {
	if err := twinfed.CanPostInForum(p); err != nil {
		return nil, err
	}
	text, err := twinfed.CheckForumReply(text)
	if err != nil {
		return nil, err
	}
	var reply *twinfed.ForumPost
	err = s.update(func(txn *badger.Txn) error {
		post, err := s.visible(txn, p, id)
		if err != nil {
			return err
		}
		if err := twinfed.CanReplyForumPost(post); err != nil {
			return err
		}
		reply = &twinfed.ForumPost{InReplyTo: post.ID, Idea: text}
		if err := s.sign(txn, p, reply); err != nil {
			return err
		}
		if err := s.put(txn, nil, reply); err != nil {
			return err
		}
		if err := s.notifyReply(txn, post, reply); err != nil {
			return err
		}
		return s.publish(ctx, txn, twinfed.ActivityCreate, p.Username, reply)
	})
	if err != nil {
		return nil, s.internal("forum reply", err)
	}
	return reply, nil
}

// notifyReply tells the post's author, a member of this node, of a reply
// by someone else.
func (s *Service) notifyReply(txn *badger.Txn, post, reply *twinfed.ForumPost) error {
	if !s.isLocal(post.Author) || post.Author == reply.Author {
		return nil
	}
	u, ok := twinfed.UsernameFromActor(s.cfg.BaseURL, post.Author)
	if !ok {
		return nil
	}
	return s.notices.Notify(txn, u, ReplyKind, reply.Author)
}

// Delete removes p's own post (with its replies) or reply from every node.
// EFORBIDDEN for someone else's.
func (s *Service) Delete(ctx context.Context, p *twinfed.Principal, id string) error {
	if err := twinfed.CanPostInForum(p); err != nil {
		return err
	}
	err := s.update(func(txn *badger.Txn) error {
		post := s.Get(txn, id)
		if post == nil {
			return twinfed.Errorf(twinfed.ENOTFOUND, "This post is not in the forum (it may have been deleted).")
		}
		if post.Author != s.actor(p) {
			return twinfed.Errorf(twinfed.EFORBIDDEN, "Only its author may delete a post.")
		}
		if err := s.remove(txn, post); err != nil {
			return err
		}
		return s.publish(ctx, txn, twinfed.ActivityDelete, p.Username, post)
	})
	return s.internal("forum delete", err)
}

// ForgetAuthor removes, within txn, every post (with its replies) and
// reply of a member whose account is deleted: this node's member (the
// account's deletion hook) or another node's (the directory's, when their
// node's Delete{Person} arrives). Nothing is sent: the other nodes forget
// them on the same Delete{Person}.
func (s *Service) ForgetAuthor(txn *badger.Txn, actor string) error {
	for _, k := range store.KeysUnder(txn, store.PrefixForumAuthor+actor+" ", 0) {
		if p := s.Get(txn, k); p != nil {
			if err := s.remove(txn, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// Edit changes p's own post (not a reply): checked as a new post is, its
// version raised, sent to every node as an Update. EINVALID naming the
// fields; EFORBIDDEN for someone else's post.
func (s *Service) Edit(ctx context.Context, p *twinfed.Principal, id string, in *twinfed.ForumPost) (*twinfed.ForumPost, error) {
	if err := twinfed.CanPostInForum(p); err != nil {
		return nil, err
	}
	var out *twinfed.ForumPost
	err := s.update(func(txn *badger.Txn) error {
		old := s.Get(txn, id)
		if old == nil || old.IsReply() {
			return twinfed.Errorf(twinfed.ENOTFOUND, "This post is not in the forum (it may have been deleted).")
		}
		if old.Author != s.actor(p) {
			return twinfed.Errorf(twinfed.EFORBIDDEN, "Only its author may change a post.")
		}
		post := *old
		post.Thread, post.Title, post.Subjects, post.AgeBands, post.Languages, post.Seeking, post.Months, post.Idea =
			in.Thread, in.Title, in.Subjects, in.AgeBands, in.Languages, in.Seeking, in.Months, in.Idea
		if err := twinfed.CheckForumPost(&post); err != nil {
			return err
		}
		post.Version, post.Updated = old.Version+1, s.now().UTC()
		if err := s.put(txn, old, &post); err != nil {
			return err
		}
		out = &post
		return s.publish(ctx, txn, twinfed.ActivityUpdate, p.Username, &post)
	})
	if err != nil {
		return nil, s.internal("forum edit", err)
	}
	return out, nil
}

// SetHidden hides a post of one of the node's members (or shows it
// again): only the node's agency may (CanHideForumPost). The change
// reaches every replica.
func (s *Service) SetHidden(ctx context.Context, p *twinfed.Principal, id string, hidden bool) (*twinfed.ForumPost, error) {
	var out *twinfed.ForumPost
	err := s.update(func(txn *badger.Txn) error {
		post := s.Get(txn, id)
		if post == nil || post.IsReply() {
			return twinfed.Errorf(twinfed.ENOTFOUND, "This post is not in the forum (it may have been deleted).")
		}
		if err := twinfed.CanHideForumPost(p, post, s.cfg.Country); err != nil {
			return err
		}
		if !s.isLocal(post.ID) {
			return twinfed.Errorf(twinfed.EFORBIDDEN, "Only the author's own agency may hide or show a post.")
		}
		if post.Hidden == hidden {
			out = post
			return nil
		}
		old := *post
		post.Hidden, post.Version, post.Updated = hidden, post.Version+1, s.now().UTC()
		if err := s.put(txn, &old, post); err != nil {
			return err
		}
		out = post
		a := s.acts.New(twinfed.ActivityUpdate, "")
		a.To, a.Object, a.Forum = s.nodes.OtherNodes(ctx), post.ID, post
		if len(a.To) == 0 {
			return nil
		}
		return s.acts.Send(txn, a)
	})
	if err != nil {
		return nil, s.internal("forum hide", err)
	}
	return out, nil
}

// Contact asks the author of post id to become p's contact, with p's
// message after the post's title, quoted: the social feature's contact
// request. EINVALID when the two together pass the request's 500
// characters.
func (s *Service) Contact(ctx context.Context, p *twinfed.Principal, id, message string) (*social.Contact, error) {
	if err := twinfed.CanPostInForum(p); err != nil {
		return nil, err
	}
	var post *twinfed.ForumPost
	err := s.store.View(func(txn *badger.Txn) error {
		var err error
		post, err = s.visible(txn, p, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if post.IsReply() {
		return nil, twinfed.Errorf(twinfed.EINVALID, "Reply to the post itself, not to a reply.")
	}
	quoted := Quote(post.Title, message)
	if utf8.RuneCountInString(quoted) > 500 {
		return nil, twinfed.FieldError("message", "Your message is too long (at most 500 characters).")
	}
	return s.contacts.RequestContact(ctx, p, post.Author, quoted)
}

// Quote is a contact request's message about a post: its title in
// quotation marks, then the member's words.
func Quote(title, message string) string {
	q := "« " + title + " »"
	if m := strings.TrimSpace(message); m != "" {
		q += "\n" + m
	}
	return q
}

// Thread is a post with its replies, as a reader sees it.
type Thread struct {
	Post    *twinfed.ForumPost   `json:"post"`
	Replies []*twinfed.ForumPost `json:"replies"`
	Local   bool                 `json:"local"` // hosted by this node: its agency moderates it
	Mine    bool                 `json:"mine"`
}

// Read returns post id with its replies, oldest first, for a reader
// CanReadForum lets in. ENOTFOUND for a post the viewer may not see.
func (s *Service) Read(ctx context.Context, p *twinfed.Principal, id string) (*Thread, error) {
	if err := twinfed.CanReadForum(p); err != nil {
		return nil, err
	}
	out := &Thread{Replies: []*twinfed.ForumPost{}}
	err := s.store.View(func(txn *badger.Txn) error {
		post, err := s.visible(txn, p, id)
		if err != nil {
			return err
		}
		if post.IsReply() {
			if post, err = s.visible(txn, p, post.InReplyTo); err != nil {
				return err
			}
		}
		out.Post, out.Local, out.Mine = post, s.isLocal(post.ID), post.Author == s.actor(p)
		for _, k := range store.KeysUnder(txn, store.PrefixForumReply+post.ID+" ", 0) {
			if i := strings.LastIndexByte(k, ' '); i > 0 {
				if r := s.Get(txn, k[i+1:]); r != nil {
					out.Replies = append(out.Replies, r)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Query is a search of the forum: every field optional.
type Query struct {
	Thread   string // one of twinfed.ForumThreads
	Band     string // an age band's id
	Subject  string // a subject id
	Language string // a language code
	Country  string // a country sought
	Text     string // words of the title
	Offset   int
	Limit    int // 1 to 50; 20 when 0
}

// Page is a page of search results, newest first.
type Page struct {
	Posts  []*Summary `json:"posts"`
	Total  int        `json:"total"`
	Offset int        `json:"offset"`
	Next   int        `json:"next,omitempty"` // offset of the next page; 0 at the end
}

// Summary is a post in a list, with its count of replies.
type Summary struct {
	*twinfed.ForumPost
	Replies int `json:"replies"`
}

// Search finds posts by thread and filters, newest first. EINVALID
// (naming the field) for a filter that is not in its list.
func (s *Service) Search(ctx context.Context, p *twinfed.Principal, q Query) (*Page, error) {
	if err := twinfed.CanReadForum(p); err != nil {
		return nil, err
	}
	f, err := s.filterOf(p, &q)
	if err != nil {
		return nil, err
	}
	ids, total := s.ix.search(f, q.Offset, q.Limit)
	page := &Page{Posts: make([]*Summary, 0, len(ids)), Total: total, Offset: q.Offset}
	_ = s.store.View(func(txn *badger.Txn) error {
		for _, id := range ids {
			if post := s.Get(txn, id); post != nil {
				page.Posts = append(page.Posts, &Summary{ForumPost: post, Replies: s.ix.replies(id)})
			}
		}
		return nil
	})
	if q.Offset+len(ids) < total {
		page.Next = q.Offset + len(ids)
	}
	return page, nil
}

// filterOf checks q and turns it into the index's filter.
func (s *Service) filterOf(p *twinfed.Principal, q *Query) (filter, error) {
	bad := map[string]string{}
	f := filter{actor: s.actor(p), agencyOf: s.agencyOf(p), text: strings.ToLower(strings.TrimSpace(q.Text))}
	if p.IsAgency() {
		f.actor = ""
	}
	if q.Thread != "" {
		i := indexOf(twinfed.ForumThreads, q.Thread)
		if i < 0 {
			bad["thread"] = "Choose a thread from the list."
		}
		f.thread = uint8(i + 1)
	}
	if q.Band != "" {
		if f.bands = uint8(bitsOf([]string{q.Band}, bandIDs)); f.bands == 0 {
			bad["band"] = "Choose an age band from the list."
		}
	}
	if q.Subject != "" {
		if id, ok := twinfed.SubjectID(q.Subject); ok {
			q.Subject = id
		}
		if f.subjects = bitsOf([]string{q.Subject}, twinfed.Subjects); f.subjects == 0 {
			bad["subject"] = "Choose a subject from the list."
		}
	}
	if q.Language != "" {
		if f.langs = bitsOf([]string{q.Language}, twinfed.Languages); f.langs == 0 {
			bad["language"] = "Choose a language from the list."
		}
	}
	if q.Country != "" {
		q.Country = strings.ToUpper(q.Country)
		if f.seeking = bitsOf([]string{q.Country}, countryCodes); f.seeking == 0 {
			bad["country"] = "Choose a country from the list."
		}
	}
	if utf8.RuneCountInString(q.Text) > 200 {
		bad["q"] = "Search for at most 200 characters."
	}
	if q.Offset < 0 {
		q.Offset = 0
	}
	if q.Limit <= 0 {
		q.Limit = 20
	}
	q.Limit = min(q.Limit, 50)
	if len(bad) > 0 {
		return f, &twinfed.Error{Code: twinfed.EINVALID, Message: "Some fields need your attention.", Fields: bad}
	}
	return f, nil
}

func indexOf(list []string, v string) int {
	for i, x := range list {
		if x == v {
			return i
		}
	}
	return -1
}
