package social

import (
	"encoding/json"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
)

// unread is a member's running counts under store.PrefixSocialCounts: the
// menu's unread messages and contact requests waiting. Every message
// rewrites its conversation's record, and a Badger iterator walks every
// version of a key written since the last memtable flush: a count summed
// over the conversations on each page grew with the messages exchanged
// (docs/soak.md, finding 2). The record is read with one Get, and kept by
// the functions that write conversations and contacts, in their
// transaction.
type unread struct {
	Messages int `json:"messages"`
	Requests int `json:"requests"`
}

func getUnread(txn *badger.Txn, username string) (unread, error) {
	var u unread
	if err := store.GetJSON(txn, store.PrefixSocialCounts+username, &u); err != nil && twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		return u, err
	}
	return u, nil
}

// addUnread adds the given changes to the member's counts within txn
// (never below zero).
func addUnread(txn *badger.Txn, username string, messages, requests int) error {
	if messages == 0 && requests == 0 {
		return nil
	}
	u, err := getUnread(txn, username)
	if err != nil {
		return err
	}
	u.Messages, u.Requests = max(0, u.Messages+messages), max(0, u.Requests+requests)
	return store.SetJSON(txn, store.PrefixSocialCounts+username, u)
}

// pending is 1 for a contact request waiting for the member's answer, 0
// otherwise (nil: no contact).
func pending(c *Contact) int {
	if c != nil && c.State == ContactPending {
		return 1
	}
	return 0
}

// storedContact is the member's contact record with peer, nil when none.
func storedContact(txn *badger.Txn, username, peer string) (*Contact, error) {
	c, err := getContact(txn, username, peer)
	if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
		return nil, nil
	}
	return c, err
}

// Migration is the store's step from format 3 to 4: it writes each
// member's counts from their conversations and contacts, once.
func Migration() store.Migration {
	return store.Migration{From: 3, Name: "the menu's unread counts kept per member", Run: countAll}
}

// countAll rewrites every member's counts from their records; running it
// again gives the same counts.
func countAll(db *badger.DB) error {
	counts := map[string]*unread{}
	of := func(key, prefix string) *unread {
		user, _, _ := strings.Cut(strings.TrimPrefix(key, prefix), "/")
		if counts[user] == nil {
			counts[user] = &unread{}
		}
		return counts[user]
	}
	err := db.View(func(txn *badger.Txn) error {
		for _, prefix := range []string{store.PrefixConversation, store.PrefixContact} {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix), PrefetchValues: true})
			for it.Rewind(); it.Valid(); it.Next() {
				key := string(it.Item().Key())
				err := it.Item().Value(func(v []byte) error {
					if prefix == store.PrefixConversation {
						var c Conversation
						if err := json.Unmarshal(v, &c); err != nil {
							return err
						}
						of(key, prefix).Messages += c.Unread
						return nil
					}
					var c Contact
					if err := json.Unmarshal(v, &c); err != nil {
						return err
					}
					of(key, prefix).Requests += pending(&c)
					return nil
				})
				if err != nil {
					it.Close()
					return err
				}
			}
			it.Close()
		}
		return nil
	})
	if err != nil {
		return err
	}
	wb := db.NewWriteBatch()
	defer wb.Cancel()
	for user, u := range counts {
		raw, err := json.Marshal(u)
		if err != nil {
			return err
		}
		if err := wb.Set([]byte(store.PrefixSocialCounts+user), raw); err != nil {
			return err
		}
	}
	return wb.Flush()
}
