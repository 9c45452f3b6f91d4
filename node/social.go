package node

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/notice"
	"github.com/twinfed/twinfed/node/store"
)

// Contacts, follows and notifications. A contact request is a Follow marked
// as a contact request, answered by Accept or Reject; Undo (by the one who
// asked) or Reject (by the other) removes the contact later. A one-way
// follow is a plain Follow that the followed member's node accepts at once.
// Every record is kept on both sides: each node holds its own members'
// contacts, keyed by the peer's actor URL. Keys: store.PrefixContact,
// store.PrefixPeer, store.PrefixFollowing, store.PrefixFollower,
// store.PrefixRequest; notifications are package notice's.

// ContactState is where a contact stands.
type ContactState string

// Contact states, seen from the member who holds the record.
const (
	ContactRequested ContactState = "requested" // I asked; waiting for the peer
	ContactPending   ContactState = "pending"   // the peer asked; waiting for me
	ContactAccepted  ContactState = "accepted"
)

// Contact is one of a member's contacts or contact requests.
type Contact struct {
	Peer    string       `json:"peer"` // actor URL
	State   ContactState `json:"state"`
	Request string       `json:"request"` // the Follow activity's id
	// Outgoing: the Follow was the member's own (they asked).
	Outgoing bool      `json:"outgoing"`
	Message  string    `json:"message,omitempty"`
	Since    time.Time `json:"since"`
	// Profile is the peer's public profile as the directory holds it (nil
	// when unknown); filled on reads, not stored.
	Profile *twinfed.Profile `json:"profile,omitempty"`
}

// Follow is a one-way follow, kept by the follower (Following) and by the
// followed (Followers).
type Follow struct {
	Peer     string           `json:"peer"`
	Request  string           `json:"request"`
	Accepted bool             `json:"accepted"`
	Since    time.Time        `json:"since"`
	Profile  *twinfed.Profile `json:"profile,omitempty"`
}

// requestRef finds the records a Follow activity created, when its answer
// or its Undo arrives.
type requestRef struct {
	Username string `json:"username"`
	Peer     string `json:"peer"`
	Contact  bool   `json:"contact"`
}

func peerKey(prefix, username, peer string) string { return prefix + username + "/" + peer }

// reqKey is where a Follow's requestRef lives: the sender's and the
// receiver's apart, since both may be members of this node.
func reqKey(outgoing bool, id string) string {
	if outgoing {
		return store.PrefixRequest + "o/" + id
	}
	return store.PrefixRequest + "i/" + id
}

// requireSocial checks that p is a validated member: only they have
// contacts, follows and messages.
func requireSocial(p *twinfed.Principal) error {
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
	if peer == twinfed.ActorURL(s.cfg.BaseURL, me) {
		return twinfed.Errorf(twinfed.EINVALID, "You cannot do this with yourself.")
	}
	if s.isLocal(peer) {
		u, ok := twinfed.UsernameFromActor(s.cfg.BaseURL, peer)
		if !ok {
			return twinfed.Errorf(twinfed.ENOTFOUND, "There is no such member.")
		}
		m, err := getMember(txn, u)
		if err != nil || s.publicOf(m) == nil {
			return twinfed.Errorf(twinfed.ENOTFOUND, "There is no such member.")
		}
		return nil
	}
	if s.registry == nil {
		return twinfed.Errorf(twinfed.EUNAVAILABLE, "This node is not connected to the other nodes right now; try again later.")
	}
	if _, err := s.registry.CountryByHost(ctx, twinfed.URLHost(peer)); err != nil {
		if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			return twinfed.Errorf(twinfed.ENOTFOUND, "There is no such member: %s is not a node of the federation.", twinfed.URLHost(peer))
		}
		return s.registryErr("peer", err)
	}
	return nil
}

func getContact(txn *badger.Txn, username, peer string) (*Contact, error) {
	var c Contact
	if err := store.GetJSON(txn, peerKey(store.PrefixContact, username, peer), &c); err != nil {
		return nil, err
	}
	return &c, nil
}

func putContact(txn *badger.Txn, username string, c *Contact) error {
	if err := txn.Set([]byte(peerKey(store.PrefixPeer, c.Peer, username)), nil); err != nil {
		return err
	}
	return store.SetJSON(txn, peerKey(store.PrefixContact, username, c.Peer), c)
}

func deleteContact(txn *badger.Txn, username string, c *Contact) error {
	for _, k := range []string{peerKey(store.PrefixContact, username, c.Peer), reqKey(c.Outgoing, c.Request)} {
		if err := txn.Delete([]byte(k)); err != nil {
			return err
		}
	}
	return nil
}

// RequestContact asks peer (an actor URL) to become the member's contact,
// with an optional message. When the peer had already asked, this accepts
// their request instead.
func (s *Service) RequestContact(ctx context.Context, p *twinfed.Principal, peer, message string) (*Contact, error) {
	if err := requireSocial(p); err != nil {
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
			u, err := s.localTarget(txn, peer)
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
	if err := requireSocial(p); err != nil {
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
	if err := requireSocial(p); err != nil {
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
	if err := requireSocial(p); err != nil {
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
			u, err := s.localTarget(txn, peer)
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
	if err := requireSocial(p); err != nil {
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

// The other side of a request: what the peer's Follow, answer or Undo does
// to the member it reaches. The inbox calls these for activities from other
// nodes (incoming.go); the actions above call them directly when the peer
// is a member of this node, in the same transaction.

// followed records that follower follows username (request: the Follow's
// id) and tells the member. A one-way follow needs no answer from the
// member: the caller accepts it.
func (s *Service) followed(txn *badger.Txn, username, follower, request string, since time.Time) error {
	if err := store.SetJSON(txn, peerKey(store.PrefixFollower, username, follower), Follow{Peer: follower, Request: request, Accepted: true, Since: since}); err != nil {
		return err
	}
	if err := txn.Set([]byte(peerKey(store.PrefixPeer, follower, username)), nil); err != nil {
		return err
	}
	if err := store.SetJSON(txn, reqKey(false, request), requestRef{Username: username, Peer: follower}); err != nil {
		return err
	}
	return s.notices.Notify(txn, username, notice.Followed, follower)
}

// contactRequested records peer's contact request (request: the Follow's
// id, message: what they wrote, sanitised here) for username to answer. When the
// member had asked peer too, their own request stands for consent: peer's
// is accepted.
func (s *Service) contactRequested(txn *badger.Txn, username, peer, request, message string, since time.Time) error {
	if c, err := getContact(txn, username, peer); err == nil {
		switch c.State {
		case ContactAccepted, ContactPending:
			return nil // already contacts, or the same request again
		case ContactRequested:
			if err := txn.Delete([]byte(reqKey(true, c.Request))); err != nil {
				return err
			}
			c.State, c.Request, c.Outgoing, c.Since = ContactPending, request, false, since
			if err := store.SetJSON(txn, reqKey(false, request), requestRef{Username: username, Peer: peer, Contact: true}); err != nil {
				return err
			}
			_, err := s.answer(txn, username, c, true)
			return err
		}
	}
	c := &Contact{Peer: peer, State: ContactPending, Request: request, Message: s.html.Sanitize(strings.TrimSpace(message)), Since: since}
	if r := []rune(c.Message); len(r) > 500 {
		c.Message = string(r[:500])
	}
	if err := putContact(txn, username, c); err != nil {
		return err
	}
	if err := store.SetJSON(txn, reqKey(false, request), requestRef{Username: username, Peer: peer, Contact: true}); err != nil {
		return err
	}
	return s.notices.Notify(txn, username, notice.ContactRequest, peer)
}

// answered takes an Accept or Reject by answerer of a Follow: of a member's
// own request (the peer answered), or of the peer's request the member had
// accepted (the peer removes the contact).
func (s *Service) answered(txn *badger.Txn, request, answerer string, accept bool, at time.Time) error {
	var ref requestRef
	if err := store.GetJSON(txn, reqKey(true, request), &ref); err != nil {
		return nil // unknown or already withdrawn request: nothing to do
	}
	if ref.Peer != answerer {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "%s answered a request addressed to %s", answerer, ref.Peer)
	}
	if !ref.Contact {
		var f Follow
		if err := store.GetJSON(txn, peerKey(store.PrefixFollowing, ref.Username, ref.Peer), &f); err != nil {
			return nil
		}
		if accept {
			f.Accepted = true
			return store.SetJSON(txn, peerKey(store.PrefixFollowing, ref.Username, ref.Peer), f)
		}
		if err := txn.Delete([]byte(reqKey(true, request))); err != nil {
			return err
		}
		return txn.Delete([]byte(peerKey(store.PrefixFollowing, ref.Username, ref.Peer)))
	}
	c, err := getContact(txn, ref.Username, ref.Peer)
	if err != nil || c.Request != request {
		return nil
	}
	if accept {
		if c.State != ContactRequested {
			return nil
		}
		c.State, c.Since = ContactAccepted, at
		if err := putContact(txn, ref.Username, c); err != nil {
			return err
		}
		return s.notices.Notify(txn, ref.Username, notice.ContactAccepted, answerer)
	}
	if err := deleteContact(txn, ref.Username, c); err != nil {
		return err
	}
	if c.State == ContactRequested {
		return s.notices.Notify(txn, ref.Username, notice.ContactDeclined, answerer)
	}
	return nil
}

// withdrawn takes the withdrawal by peer of the Follow request they had sent.
func (s *Service) withdrawn(txn *badger.Txn, request, peer string) error {
	var ref requestRef
	if err := store.GetJSON(txn, reqKey(false, request), &ref); err != nil {
		return nil
	}
	if ref.Peer != peer {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "%s cannot undo %s", peer, request)
	}
	if err := txn.Delete([]byte(reqKey(false, request))); err != nil {
		return err
	}
	if !ref.Contact {
		return txn.Delete([]byte(peerKey(store.PrefixFollower, ref.Username, ref.Peer)))
	}
	if c, err := getContact(txn, ref.Username, ref.Peer); err == nil && c.Request == request {
		return deleteContact(txn, ref.Username, c)
	}
	return nil
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
	if err := requireSocial(p); err != nil {
		return nil, err
	}
	n := &Network{Contacts: []*Contact{}, Incoming: []*Contact{}, Outgoing: []*Contact{}, Following: []*Follow{}, Followers: []*Follow{}}
	err := s.store.View(func(txn *badger.Txn) error {
		if err := store.EachJSON(txn, store.PrefixContact+p.Username+"/", func(c *Contact) error {
			c.Profile = s.dirGet(txn, c.Peer)
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
				f.Profile = s.dirGet(txn, f.Peer)
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
	if requireSocial(p) != nil {
		return nil
	}
	r := &Relation{Self: peer == twinfed.ActorURL(s.cfg.BaseURL, p.Username)}
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
	if err := requireSocial(p); err != nil {
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
			n.Profile = s.dirGet(txn, n.Actor)
		}
		return nil
	})
	return out, s.internal("notifications", err)
}

// Counts are the numbers a member sees in the menu.
type Counts struct {
	Notifications int `json:"notifications"` // unread
	Messages      int `json:"messages"`      // unread
	Requests      int `json:"requests"`      // contact requests waiting for an answer
}

// Counts returns the member's unread counts (zero for anyone without
// social features).
func (s *Service) Counts(ctx context.Context, p *twinfed.Principal) Counts {
	var c Counts
	if requireSocial(p) != nil {
		return c
	}
	_ = s.store.View(func(txn *badger.Txn) error {
		// Keys only, and only the unread ones: the menu shows "99" beyond.
		c.Notifications = s.notices.Unread(txn, p.Username)
		// Conversations and contacts are one record per peer: their number
		// is bounded by the member's contacts, not by their history.
		_ = store.EachJSON(txn, store.PrefixConversation+p.Username+"/", func(cv *Conversation) error {
			c.Messages += cv.Unread
			return nil
		})
		_ = store.EachJSON(txn, store.PrefixContact+p.Username+"/", func(ct *Contact) error {
			if ct.State == ContactPending {
				c.Requests++
			}
			return nil
		})
		return nil
	})
	return c
}

// forgetPeer removes every record local members hold about a peer whose
// account was deleted: contacts, requests, follows. Messages stay with their
// recipients.
func (s *Service) forgetPeer(txn *badger.Txn, peer string) error {
	var users []string
	prefix := store.PrefixPeer + peer + "/"
	opts := badger.DefaultIteratorOptions
	opts.PrefetchValues = false
	opts.Prefix = []byte(prefix)
	it := txn.NewIterator(opts)
	for it.Rewind(); it.Valid(); it.Next() {
		users = append(users, strings.TrimPrefix(string(it.Item().Key()), prefix))
	}
	it.Close()
	for _, u := range users {
		if c, err := getContact(txn, u, peer); err == nil {
			if err := deleteContact(txn, u, c); err != nil {
				return err
			}
		}
		for _, pre := range []string{store.PrefixFollowing, store.PrefixFollower} {
			var f Follow
			if err := store.GetJSON(txn, peerKey(pre, u, peer), &f); err == nil {
				if err := txn.Delete([]byte(reqKey(pre == store.PrefixFollowing, f.Request))); err != nil {
					return err
				}
				if err := txn.Delete([]byte(peerKey(pre, u, peer))); err != nil {
					return err
				}
			}
		}
		if err := txn.Delete([]byte(peerKey(store.PrefixPeer, peer, u))); err != nil {
			return err
		}
	}
	return nil
}

// eraseSocial deletes a member's own social records when the account is
// deleted: contacts, follows, notifications, messages. The peers' nodes
// learn of the deletion from Delete{Person}.
func (s *Service) eraseSocial(txn *badger.Txn, username string) error {
	for _, pre := range []string{store.PrefixContact, store.PrefixFollowing, store.PrefixFollower, store.PrefixMessage, store.PrefixConversation} {
		if err := store.DeletePrefix(txn, pre+username+"/"); err != nil {
			return err
		}
	}
	return s.notices.Forget(txn, username)
}

// errStop ends an iteration early.
var errStop = errors.New("stop")
