package social

import (
	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed/node/store"
)

// What the wall posts (node/feed) ask of contacts and follows: who reads a
// member's posts, and how a reader stands to an author. Keys only where a
// record's value is not needed.

// Audience returns the actor URLs of the peers who read username's wall
// posts within txn: their followers and their accepted contacts, each once,
// on this node or another.
func (s *Service) Audience(txn *badger.Txn, username string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(peer string) {
		if !seen[peer] {
			seen[peer] = true
			out = append(out, peer)
		}
	}
	for _, k := range store.KeysUnder(txn, store.PrefixFollower+username+"/", 0) {
		add(k)
	}
	err := store.EachJSON(txn, store.PrefixContact+username+"/", func(c *Contact) error {
		if c.State == ContactAccepted {
			add(c.Peer)
		}
		return nil
	})
	return out, err
}

// Readers returns the usernames of this node's members who read author's
// wall posts within txn: who follow author or are their accepted
// contacts. It reads the peer index (cp/), so its cost is the number of
// local members who hold a record about author.
func (s *Service) Readers(txn *badger.Txn, author string) []string {
	var out []string
	for _, u := range store.KeysUnder(txn, store.PrefixPeer+author+"/", 0) {
		if contact, follower := s.Stands(txn, u, author); contact || follower {
			out = append(out, u)
		}
	}
	return out
}

// Stands reports how username stands to author within txn: an accepted
// contact, a follower (of an accepted follow).
func (s *Service) Stands(txn *badger.Txn, username, author string) (contact, follower bool) {
	if c, err := getContact(txn, username, author); err == nil && c.State == ContactAccepted {
		contact = true
	}
	follower = store.Has(txn, peerKey(store.PrefixFollowing, username, author))
	return contact, follower
}

// Reads returns the actor URLs whose wall posts username reads within
// txn: whom they follow and their accepted contacts.
func (s *Service) Reads(txn *badger.Txn, username string) ([]string, error) {
	peers := store.KeysUnder(txn, store.PrefixFollowing+username+"/", 0)
	err := store.EachJSON(txn, store.PrefixContact+username+"/", func(c *Contact) error {
		if c.State == ContactAccepted {
			peers = append(peers, c.Peer)
		}
		return nil
	})
	return peers, err
}

// NetworkCounts are the numbers a profile shows.
type NetworkCounts struct {
	Followers int `json:"followers"`
	Following int `json:"following"`
	Contacts  int `json:"contacts"`
}

// CountsOf returns the counts of username, a member of this node, within
// txn (keys only for the follows).
func (s *Service) CountsOf(txn *badger.Txn, username string) NetworkCounts {
	n := NetworkCounts{Followers: store.CountPrefix(txn, store.PrefixFollower+username+"/"), Following: store.CountPrefix(txn, store.PrefixFollowing+username+"/")}
	_ = store.EachJSON(txn, store.PrefixContact+username+"/", func(c *Contact) error {
		if c.State == ContactAccepted {
			n.Contacts++
		}
		return nil
	})
	return n
}

// InAudience reports within txn whether peer reads username's wall posts:
// a follower or an accepted contact of theirs.
func (s *Service) InAudience(txn *badger.Txn, username, peer string) bool {
	if store.Has(txn, peerKey(store.PrefixFollower, username, peer)) {
		return true
	}
	c, err := getContact(txn, username, peer)
	return err == nil && c.State == ContactAccepted
}
