package social

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/microcosm-cc/bluemonday"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/notice"
	"github.com/twinfed/twinfed/node/outbox"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/web"
)

// Config is what the feature needs to know about its node.
type Config struct {
	BaseURL string // the node's public base URL: its members' actor URLs live under it
}

// Members is what social asks of the accounts.
type Members interface {
	// Public returns the public profile of username, a member of this
	// node, as the federation sees it; nil when none is shown (no such
	// member, not validated, agency staff, deleted). It returns no error.
	Public(txn *badger.Txn, username string) *twinfed.Profile
}

// Directory is what social asks of the directory.
type Directory interface {
	// Get returns the public profile the directory holds for an actor
	// URL (a member of this node or of another), nil when it holds none.
	// It returns no error.
	Get(txn *badger.Txn, actor string) *twinfed.Profile
}

// Nodes is what social asks of the registry (twinfed.Registry).
type Nodes interface {
	// CountryByHost returns the country whose node has the given host:
	// ENOTFOUND when no node of the federation has it, EUNAVAILABLE or
	// EINTERNAL when the registry cannot be asked.
	CountryByHost(ctx context.Context, host string) (*twinfed.Country, error)
}

// Deps are the feature's collaborators.
type Deps struct {
	Store      *store.Store
	Activities *outbox.Activities // this node's activities (the node's shared helper)
	Notices    *notice.Notices    // members' notifications (the node's shared kit)
	Nodes      Nodes              // nil: members of other nodes cannot be reached
	Members    Members
	Directory  Directory
	Logger     *slog.Logger     // nil: discard
	Now        func() time.Time // nil: time.Now
}

// Service keeps members' contacts, follows and direct messages. It is safe
// for concurrent use.
type Service struct {
	base    string
	store   *store.Store
	acts    *outbox.Activities
	notices *notice.Notices
	nodes   Nodes
	members Members
	dir     Directory
	html    *bluemonday.Policy
	log     *slog.Logger
	now     func() time.Time
}

// New builds the feature's service.
func New(cfg Config, d Deps) (*Service, error) {
	if d.Store == nil || d.Activities == nil || d.Notices == nil || d.Members == nil || d.Directory == nil {
		return nil, errors.New("social: New needs a Store, Activities, Notices, Members and a Directory")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{base: strings.TrimRight(cfg.BaseURL, "/"), store: d.Store, acts: d.Activities, notices: d.Notices, nodes: d.Nodes,
		members: d.Members, dir: d.Directory, html: web.NewHTMLPolicy(), log: d.Logger, now: d.Now}, nil
}

// update runs fn in a store transaction and, after a successful commit,
// tells the outbox that it may have work.
func (s *Service) update(fn func(txn *badger.Txn) error) error {
	if err := s.store.Update(fn); err != nil {
		return err
	}
	s.acts.Notify()
	return nil
}

// isLocal reports whether an actor URL lives on this node.
func (s *Service) isLocal(actor string) bool { return s.acts.IsLocal(actor) }

// internal wraps an unexpected error: logged with details, shown as a
// generic message.
func (s *Service) internal(op string, err error) error { return web.Internal(s.log, op, err) }

// registryErr turns a registry failure into what a member is shown
// (web.RegistryErr).
func (s *Service) registryErr(op string, err error) error { return web.RegistryErr(s.log, op, err) }

// Require checks that p is a validated member: only they have contacts,
// follows and messages. EUNAUTHORIZED without a principal, EFORBIDDEN for
// anyone else.
func Require(p *twinfed.Principal) error {
	if p == nil {
		return twinfed.Errorf(twinfed.EUNAUTHORIZED, "Log in first.")
	}
	if p.Role != twinfed.RoleMember || p.Status != twinfed.StatusValidated {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "Contacts and messages open once the agency has validated your registration.")
	}
	return nil
}

// checkPeer checks that peer is the actor URL of a member another member
// may reach: a validated local member, or a member of a node the registry
// lists.
func (s *Service) checkPeer(ctx context.Context, txn *badger.Txn, me, peer string) error {
	peer = strings.TrimSpace(peer)
	if peer == "" || !strings.HasPrefix(peer, "http") {
		return &twinfed.Error{Code: twinfed.EINVALID, Message: "Choose a member from the directory.", Fields: map[string]string{"peer": "Choose a member from the directory."}}
	}
	if peer == twinfed.ActorURL(s.base, me) {
		return twinfed.Errorf(twinfed.EINVALID, "You cannot do this with yourself.")
	}
	if s.isLocal(peer) {
		u, ok := twinfed.UsernameFromActor(s.base, peer)
		if !ok || s.members.Public(txn, u) == nil {
			return twinfed.Errorf(twinfed.ENOTFOUND, "There is no such member.")
		}
		return nil
	}
	if s.nodes == nil {
		return twinfed.Errorf(twinfed.EUNAVAILABLE, "This node is not connected to the other nodes right now; try again later.")
	}
	if _, err := s.nodes.CountryByHost(ctx, twinfed.URLHost(peer)); err != nil {
		if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			return twinfed.Errorf(twinfed.ENOTFOUND, "There is no such member: %s is not a node of the federation.", twinfed.URLHost(peer))
		}
		return s.registryErr("peer", err)
	}
	return nil
}

// RequestContact asks peer (an actor URL) to become the member's contact,
// with an optional message. When the peer had already asked, this accepts
// their request instead.
func (s *Service) RequestContact(ctx context.Context, p *twinfed.Principal, peer, message string) (*Contact, error) {
	if err := Require(p); err != nil {
		return nil, err
	}
	message = strings.TrimSpace(message)
	if len([]rune(message)) > 500 {
		return nil, &twinfed.Error{Code: twinfed.EINVALID, Message: "Your message is too long (at most 500 characters).", Fields: map[string]string{"message": "Your message is too long (at most 500 characters)."}}
	}
	var out *Contact
	err := s.update(func(txn *badger.Txn) error {
		if err := s.checkPeer(ctx, txn, p.Username, peer); err != nil {
			return err
		}
		if c, err := getContact(txn, p.Username, peer); err == nil {
			switch c.State {
			case ContactAccepted:
				return twinfed.Errorf(twinfed.ECONFLICT, "You are already contacts.")
			case ContactRequested:
				return twinfed.Errorf(twinfed.ECONFLICT, "You have already asked; wait for the answer.")
			case ContactPending:
				var aerr error
				out, aerr = s.answer(txn, p.Username, c, true)
				return aerr
			}
		}
		a := s.acts.New(twinfed.ActivityFollow, p.Username)
		a.To, a.Object, a.Contact, a.Summary = []string{peer}, peer, true, message
		out = &Contact{Peer: peer, State: ContactRequested, Request: a.ID, Outgoing: true, Message: message, Since: a.Published}
		if err := putContact(txn, p.Username, out); err != nil {
			return err
		}
		if err := store.SetJSON(txn, reqKey(true, a.ID), requestRef{Username: p.Username, Peer: peer, Contact: true}); err != nil {
			return err
		}
		if s.isLocal(peer) {
			u, err := s.LocalTarget(txn, peer)
			if err != nil {
				return err
			}
			return s.contactRequested(txn, u, a.Actor, a.ID, message, a.Published)
		}
		return s.acts.Send(txn, a)
	})
	return out, s.internal("contact request", err)
}

// AnswerContact accepts or declines peer's pending contact request.
func (s *Service) AnswerContact(ctx context.Context, p *twinfed.Principal, peer string, accept bool) (*Contact, error) {
	if err := Require(p); err != nil {
		return nil, err
	}
	var out *Contact
	err := s.update(func(txn *badger.Txn) error {
		c, err := getContact(txn, p.Username, peer)
		if err != nil || c.State != ContactPending {
			return twinfed.Errorf(twinfed.ENOTFOUND, "There is no contact request from this member to answer.")
		}
		out, err = s.answer(txn, p.Username, c, accept)
		return err
	})
	return out, s.internal("answer contact", err)
}

// answer sends Accept or Reject for a pending request and updates the record.
func (s *Service) answer(txn *badger.Txn, username string, c *Contact, accept bool) (*Contact, error) {
	t := twinfed.ActivityReject
	if accept {
		t = twinfed.ActivityAccept
	}
	a := s.acts.New(t, username)
	a.To, a.Object = []string{c.Peer}, c.Request
	if accept {
		c.State, c.Since = ContactAccepted, a.Published
		if err := putContact(txn, username, c); err != nil {
			return nil, err
		}
	} else if err := deleteContact(txn, username, c); err != nil {
		return nil, err
	}
	if s.isLocal(c.Peer) {
		return c, s.answered(txn, c.Request, a.Actor, accept, a.Published)
	}
	return c, s.acts.Send(txn, a)
}

// RemoveContact removes a contact, or withdraws the member's own pending
// request. The peer's node is told (Undo of one's own request, Reject of
// the peer's).
func (s *Service) RemoveContact(ctx context.Context, p *twinfed.Principal, peer string) error {
	if err := Require(p); err != nil {
		return err
	}
	return s.internal("remove contact", s.update(func(txn *badger.Txn) error {
		c, err := getContact(txn, p.Username, peer)
		if err != nil {
			return twinfed.Errorf(twinfed.ENOTFOUND, "This member is not among your contacts.")
		}
		if c.State == ContactPending {
			_, err := s.answer(txn, p.Username, c, false)
			return err
		}
		t := twinfed.ActivityReject // the peer asked: reject their Follow
		if c.Outgoing {
			t = twinfed.ActivityUndo // I asked: undo my Follow
		}
		a := s.acts.New(t, p.Username)
		a.To, a.Object = []string{c.Peer}, c.Request
		if err := deleteContact(txn, p.Username, c); err != nil {
			return err
		}
		switch {
		case !s.isLocal(c.Peer):
			return s.acts.Send(txn, a)
		case c.Outgoing:
			return s.withdrawn(txn, c.Request, a.Actor)
		default:
			return s.answered(txn, c.Request, a.Actor, false, a.Published)
		}
	}))
}

// FollowMember starts a one-way follow of peer.
func (s *Service) FollowMember(ctx context.Context, p *twinfed.Principal, peer string) error {
	if err := Require(p); err != nil {
		return err
	}
	return s.internal("follow", s.update(func(txn *badger.Txn) error {
		if err := s.checkPeer(ctx, txn, p.Username, peer); err != nil {
			return err
		}
		if store.Has(txn, peerKey(store.PrefixFollowing, p.Username, peer)) {
			return twinfed.Errorf(twinfed.ECONFLICT, "You already follow this member.")
		}
		a := s.acts.New(twinfed.ActivityFollow, p.Username)
		a.To, a.Object = []string{peer}, peer
		// A member of this node accepts at once, as another node would.
		if err := store.SetJSON(txn, peerKey(store.PrefixFollowing, p.Username, peer), Follow{Peer: peer, Request: a.ID, Accepted: s.isLocal(peer), Since: a.Published}); err != nil {
			return err
		}
		if err := txn.Set([]byte(peerKey(store.PrefixPeer, peer, p.Username)), nil); err != nil {
			return err
		}
		if err := store.SetJSON(txn, reqKey(true, a.ID), requestRef{Username: p.Username, Peer: peer}); err != nil {
			return err
		}
		if s.isLocal(peer) {
			u, err := s.LocalTarget(txn, peer)
			if err != nil {
				return err
			}
			return s.followed(txn, u, a.Actor, a.ID, a.Published)
		}
		return s.acts.Send(txn, a)
	}))
}

// UnfollowMember ends a follow.
func (s *Service) UnfollowMember(ctx context.Context, p *twinfed.Principal, peer string) error {
	if err := Require(p); err != nil {
		return err
	}
	return s.internal("unfollow", s.update(func(txn *badger.Txn) error {
		var f Follow
		if err := store.GetJSON(txn, peerKey(store.PrefixFollowing, p.Username, peer), &f); err != nil {
			return twinfed.Errorf(twinfed.ENOTFOUND, "You do not follow this member.")
		}
		a := s.acts.New(twinfed.ActivityUndo, p.Username)
		a.To, a.Object = []string{peer}, f.Request
		for _, k := range []string{peerKey(store.PrefixFollowing, p.Username, peer), reqKey(true, f.Request)} {
			if err := txn.Delete([]byte(k)); err != nil {
				return err
			}
		}
		if s.isLocal(peer) {
			return s.withdrawn(txn, f.Request, a.Actor)
		}
		return s.acts.Send(txn, a)
	}))
}

// Network is a member's contacts, requests and follows.
type Network struct {
	Contacts  []*Contact `json:"contacts"`
	Incoming  []*Contact `json:"incoming"` // requests waiting for the member's answer
	Outgoing  []*Contact `json:"outgoing"` // the member's requests waiting for an answer
	Following []*Follow  `json:"following"`
	Followers []*Follow  `json:"followers"`
}

// Network returns the member's contacts, pending requests and follows, with
// the peers' profiles from the directory.
func (s *Service) Network(ctx context.Context, p *twinfed.Principal) (*Network, error) {
	if err := Require(p); err != nil {
		return nil, err
	}
	n := &Network{Contacts: []*Contact{}, Incoming: []*Contact{}, Outgoing: []*Contact{}, Following: []*Follow{}, Followers: []*Follow{}}
	err := s.store.View(func(txn *badger.Txn) error {
		if err := store.EachJSON(txn, store.PrefixContact+p.Username+"/", func(c *Contact) error {
			c.Profile = s.dir.Get(txn, c.Peer)
			switch c.State {
			case ContactAccepted:
				n.Contacts = append(n.Contacts, c)
			case ContactPending:
				n.Incoming = append(n.Incoming, c)
			default:
				n.Outgoing = append(n.Outgoing, c)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, l := range []struct {
			prefix string
			out    *[]*Follow
		}{{store.PrefixFollowing, &n.Following}, {store.PrefixFollower, &n.Followers}} {
			if err := store.EachJSON(txn, l.prefix+p.Username+"/", func(f *Follow) error {
				f.Profile = s.dir.Get(txn, f.Peer)
				*l.out = append(*l.out, f)
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	return n, s.internal("network", err)
}

// IsContact reports whether peer is an accepted contact of username: what
// projects need of contacts.
func (s *Service) IsContact(ctx context.Context, username, peer string) (bool, error) {
	var ok bool
	err := s.store.View(func(txn *badger.Txn) error {
		c, err := getContact(txn, username, peer)
		ok = err == nil && c.State == ContactAccepted
		return nil
	})
	return ok, err
}

// Contact returns username's contact record about peer within txn (any
// state: check State), ENOTFOUND when there is none: for projects, which
// check contacts in their own transactions.
func (s *Service) Contact(txn *badger.Txn, username, peer string) (*Contact, error) {
	return getContact(txn, username, peer)
}

// AcceptedContact reports, within txn, whether peer (an actor URL) is an
// accepted contact of username (what a project's partners must be).
func (s *Service) AcceptedContact(txn *badger.Txn, username, peer string) bool {
	c, err := getContact(txn, username, peer)
	return err == nil && c.State == ContactAccepted
}

// AcceptedContacts returns username's accepted contacts within txn, in
// key order, without their profiles (the project form's partners).
func (s *Service) AcceptedContacts(txn *badger.Txn, username string) ([]*Contact, error) {
	var out []*Contact
	err := store.EachJSON(txn, store.PrefixContact+username+"/", func(c *Contact) error {
		if c.State == ContactAccepted {
			out = append(out, c)
		}
		return nil
	})
	return out, err
}

// ContactPeers returns the actor URLs of every peer username has a contact
// record about (accepted, asked or asking), within txn: for the
// directory's suggestions, which leave them out.
func (s *Service) ContactPeers(txn *badger.Txn, username string) ([]string, error) {
	var out []string
	err := store.EachJSON(txn, store.PrefixContact+username+"/", func(c *Contact) error {
		out = append(out, c.Peer)
		return nil
	})
	return out, err
}

// Relation is how the viewer stands to a member whose profile they look at.
type Relation struct {
	Self      bool         `json:"self"`
	Contact   ContactState `json:"contact,omitempty"`
	Following bool         `json:"following"`
	Follower  bool         `json:"follower"`
}

// RelationTo returns how p stands to peer; nil when p has no social
// features (not logged in, not validated, agency staff).
func (s *Service) RelationTo(ctx context.Context, p *twinfed.Principal, peer string) *Relation {
	if Require(p) != nil {
		return nil
	}
	r := &Relation{Self: peer == twinfed.ActorURL(s.base, p.Username)}
	_ = s.store.View(func(txn *badger.Txn) error {
		if c, err := getContact(txn, p.Username, peer); err == nil {
			r.Contact = c.State
		}
		r.Following = store.Has(txn, peerKey(store.PrefixFollowing, p.Username, peer))
		r.Follower = store.Has(txn, peerKey(store.PrefixFollower, p.Username, peer))
		return nil
	})
	return r
}

// Notifications returns the member's newest notifications (at most limit)
// and marks them read.
func (s *Service) Notifications(ctx context.Context, p *twinfed.Principal, limit int) ([]*notice.Notification, error) {
	if err := Require(p); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	var out []*notice.Notification
	err := s.store.Update(func(txn *badger.Txn) error {
		var err error
		if out, err = s.notices.List(txn, p.Username, limit); err != nil {
			return err
		}
		for _, n := range out {
			n.Profile = s.dir.Get(txn, n.Actor)
		}
		return nil
	})
	return out, s.internal("notifications", err)
}

// Counts are the numbers a member sees in the menu: the web kit's badges
// (the service is the kit's web.Counter).
type Counts = web.Counts

// Counts returns the member's unread counts (zero for anyone without
// social features).
func (s *Service) Counts(ctx context.Context, p *twinfed.Principal) Counts {
	var c Counts
	if Require(p) != nil {
		return c
	}
	_ = s.store.View(func(txn *badger.Txn) error {
		// Keys only, and only the unread ones: the menu shows "99" beyond.
		c.Notifications = s.notices.Unread(txn, p.Username)
		// One record, kept by every write of a conversation or a contact.
		u, err := getUnread(txn, p.Username)
		c.Messages, c.Requests = u.Messages, u.Requests
		return err
	})
	return c
}

// ForDirectory is the social feature as the directory's pages ask of it
// (directory.Social): the directory, below social in the import order,
// cannot name its Relation.
func (s *Service) ForDirectory() DirectoryView { return DirectoryView{s} }

// DirectoryView answers the directory's pages (ForDirectory).
type DirectoryView struct{ s *Service }

// RelationTo is how p stands to the member peer: a *Relation, nil (not a
// nil *Relation) when p has no relations.
func (v DirectoryView) RelationTo(ctx context.Context, p *twinfed.Principal, peer string) any {
	if r := v.s.RelationTo(ctx, p, peer); r != nil {
		return r
	}
	return nil
}

// ContactPeers lists the actor URLs of p's contacts; EUNAUTHORIZED or
// EFORBIDDEN when p has no social features.
func (v DirectoryView) ContactPeers(ctx context.Context, p *twinfed.Principal) ([]string, error) {
	if err := Require(p); err != nil {
		return nil, err
	}
	var peers []string
	err := v.s.store.View(func(txn *badger.Txn) (err error) {
		peers, err = v.s.ContactPeers(txn, p.Username)
		return err
	})
	return peers, err
}

// FollowersPage returns up to limit followers (actor URLs, in key order)
// of the local member whose actor URL is actor, after the follower after,
// the follower to continue after ("" on the last page) and how many there
// are: the member's ActivityPub followers collection. Other actors (a
// project, the agency) have no followers of their own here.
func (s *Service) FollowersPage(ctx context.Context, actor, after string, limit int) ([]string, string, int, error) {
	username, ok := twinfed.UsernameFromActor(s.base, actor)
	if !ok {
		return nil, "", 0, nil
	}
	var all []string
	err := s.store.View(func(txn *badger.Txn) error {
		all = store.KeysUnder(txn, store.PrefixFollower+username+"/", 0)
		return nil
	})
	if err != nil {
		return nil, "", 0, s.internal("followers", err)
	}
	start := 0
	if after != "" {
		start = sort.SearchStrings(all, after)
		if start < len(all) && all[start] == after {
			start++
		}
	}
	end := min(start+max(limit, 1), len(all))
	page := all[start:end]
	next := ""
	if end < len(all) && len(page) > 0 {
		next = page[len(page)-1]
	}
	return page, next, len(all), nil
}
