package social

import (
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
)

// The records, under the keys this feature owns (doc.go): every record of
// a member about a peer is keyed by the member's username and the peer's
// actor URL, and cp/<peer>/<username> says who holds records about a peer,
// so that a peer's deletion finds them (ForgetPeer).

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

// Message is one direct message, as one of its two members holds it.
type Message struct {
	ID        string    `json:"id"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	Content   string    `json:"content"` // sanitised HTML
	Published time.Time `json:"published"`
	Outgoing  bool      `json:"outgoing"` // sent by the member holding it
}

// Conversation sums up the messages between a member and one peer.
type Conversation struct {
	Peer    string           `json:"peer"`
	Last    time.Time        `json:"last"`
	Snippet string           `json:"snippet"` // the last message's text, shortened
	Unread  int              `json:"unread"`
	Profile *twinfed.Profile `json:"profile,omitempty"`
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

func messageKey(username, peer string, t time.Time, id string) string {
	return store.PrefixMessage + username + "/" + peer + "/" + t.UTC().Format("20060102T150405.000000000") + "/" + twinfed.URLHost(id) + "-" + lastSegment(id)
}

func lastSegment(u string) string { return u[strings.LastIndexByte(u, '/')+1:] }

func getContact(txn *badger.Txn, username, peer string) (*Contact, error) {
	var c Contact
	if err := store.GetJSON(txn, peerKey(store.PrefixContact, username, peer), &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// putContact writes the member's contact record with c.Peer and keeps
// their count of requests waiting.
func putContact(txn *badger.Txn, username string, c *Contact) error {
	old, err := storedContact(txn, username, c.Peer)
	if err != nil {
		return err
	}
	if err := addUnread(txn, username, 0, pending(c)-pending(old)); err != nil {
		return err
	}
	if err := txn.Set([]byte(peerKey(store.PrefixPeer, c.Peer, username)), nil); err != nil {
		return err
	}
	return store.SetJSON(txn, peerKey(store.PrefixContact, username, c.Peer), c)
}

// deleteContact deletes the member's contact record with c.Peer and its
// request, and keeps their count of requests waiting.
func deleteContact(txn *badger.Txn, username string, c *Contact) error {
	old, err := storedContact(txn, username, c.Peer)
	if err != nil {
		return err
	}
	if err := addUnread(txn, username, 0, -pending(old)); err != nil {
		return err
	}
	for _, k := range []string{peerKey(store.PrefixContact, username, c.Peer), reqKey(c.Outgoing, c.Request)} {
		if err := txn.Delete([]byte(k)); err != nil {
			return err
		}
	}
	return nil
}

// ForgetPeer removes, within txn, every record local members hold about a
// peer whose account was deleted: contacts, requests, follows. Messages
// stay with their recipients. The node calls it when a remote actor's
// Delete arrives, and when one of its own members is deleted.
func (s *Service) ForgetPeer(txn *badger.Txn, peer string) error {
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

// EraseSocial deletes, within txn, a member's own social records when the
// account is deleted: contacts, follows, notifications, messages. The
// peers' nodes learn of the deletion from Delete{Person}.
func (s *Service) EraseSocial(txn *badger.Txn, username string) error {
	for _, pre := range []string{store.PrefixContact, store.PrefixFollowing, store.PrefixFollower, store.PrefixMessage, store.PrefixConversation} {
		if err := store.DeletePrefix(txn, pre+username+"/"); err != nil {
			return err
		}
	}
	if err := txn.Delete([]byte(store.PrefixSocialCounts + username)); err != nil {
		return err
	}
	return s.notices.Forget(txn, username)
}
