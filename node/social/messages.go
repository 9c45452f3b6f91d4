package social

import (
	"context"
	"encoding/json"
	"html"
	"net/url"
	"slices"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/notice"
	"github.com/twinfed/twinfed/node/search"
	"github.com/twinfed/twinfed/node/store"
)

// Direct messages: Create{Note} addressed to one member. Each side keeps
// its copy: the sender's node when it sends, the recipient's node when the
// activity arrives.

// MaxMessageRunes is the longest message a member may write, in
// characters (a TwinSpace post has the same bound).
const MaxMessageRunes = 5000

// TextToHTML turns what a member typed into safe HTML: escaped, with line
// breaks kept.
func TextToHTML(text string) string {
	return strings.ReplaceAll(html.EscapeString(text), "\n", "<br>")
}

// snippet shortens a message's text for the conversation list.
func snippet(content string) string {
	t := html.UnescapeString(search.StripTags(content))
	if r := []rune(t); len(r) > 80 {
		return string(r[:79]) + "…"
	}
	return t
}

// storeMessage keeps one side's copy and updates the conversation.
func (s *Service) storeMessage(txn *badger.Txn, username, peer string, m *Message) error {
	// Keyed by arrival on this node: the order the member saw them in
	// (publication times from other nodes carry whole seconds only).
	if err := store.SetJSON(txn, messageKey(username, peer, s.now(), m.ID), m); err != nil {
		return err
	}
	var c Conversation
	if err := store.GetJSON(txn, peerKey(store.PrefixConversation, username, peer), &c); err != nil && twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		return err
	}
	c.Peer = peer
	c.Last, c.Snippet = m.Published, snippet(m.Content)
	if !m.Outgoing {
		c.Unread++
		if err := addUnread(txn, username, 1, 0); err != nil {
			return err
		}
		if err := s.notices.NotifyLink(txn, username, notice.Message, peer, "", "/messages/with?peer="+url.QueryEscape(peer)); err != nil {
			return err
		}
	}
	if err := txn.Set([]byte(peerKey(store.PrefixPeer, peer, username)), nil); err != nil {
		return err
	}
	return store.SetJSON(txn, peerKey(store.PrefixConversation, username, peer), c)
}

// SendMessage sends a direct message to a member of any node.
func (s *Service) SendMessage(ctx context.Context, p *twinfed.Principal, to, text string) (*Message, error) {
	if err := Require(p); err != nil {
		return nil, err
	}
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	switch n := len([]rune(text)); {
	case n == 0:
		return nil, &twinfed.Error{Code: twinfed.EINVALID, Message: "Write a message first.", Fields: map[string]string{"content": "Write a message first."}}
	case n > MaxMessageRunes:
		return nil, &twinfed.Error{Code: twinfed.EINVALID, Message: "Your message is too long (at most 5,000 characters).", Fields: map[string]string{"content": "Your message is too long (at most 5,000 characters)."}}
	}
	var out *Message
	err := s.update(func(txn *badger.Txn) error {
		if err := s.checkPeer(ctx, txn, p.Username, to); err != nil {
			return err
		}
		a := s.acts.New(twinfed.ActivityCreate, p.Username)
		note := &twinfed.Note{ID: a.ID + "/note", From: a.Actor, To: to, Content: TextToHTML(text), Published: a.Published}
		a.To, a.Object, a.Note = []string{to}, note.ID, note
		out = &Message{ID: note.ID, From: note.From, To: to, Content: note.Content, Published: note.Published, Outgoing: true}
		if err := s.storeMessage(txn, p.Username, to, out); err != nil {
			return err
		}
		if s.isLocal(to) {
			u, err := s.LocalTarget(txn, to)
			if err != nil {
				return err
			}
			return s.receiveMessage(txn, u, note, note.Published)
		}
		return s.acts.Send(txn, a)
	})
	return out, s.internal("send message", err)
}

// Conversations returns the member's conversations, the newest first.
func (s *Service) Conversations(ctx context.Context, p *twinfed.Principal) ([]*Conversation, error) {
	if err := Require(p); err != nil {
		return nil, err
	}
	out := []*Conversation{}
	err := s.store.View(func(txn *badger.Txn) error {
		return store.EachJSON(txn, store.PrefixConversation+p.Username+"/", func(c *Conversation) error {
			c.Profile = s.dir.Get(txn, c.Peer)
			out = append(out, c)
			return nil
		})
	})
	slices.SortFunc(out, func(a, b *Conversation) int { return b.Last.Compare(a.Last) })
	return out, s.internal("conversations", err)
}

// ConversationWith returns the messages between the member and peer, oldest
// first (the newest limit), and marks them read.
func (s *Service) ConversationWith(ctx context.Context, p *twinfed.Principal, peer string, limit int) (*Conversation, []*Message, error) {
	if err := Require(p); err != nil {
		return nil, nil, err
	}
	if limit <= 0 || limit > 500 {
		limit = 200
	}
	var msgs []*Message
	conv := &Conversation{Peer: peer}
	err := s.store.Update(func(txn *badger.Txn) error {
		msgs = msgs[:0]
		if err := store.GetJSON(txn, peerKey(store.PrefixConversation, p.Username, peer), conv); err != nil && twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
			return err
		}
		opts := badger.DefaultIteratorOptions
		opts.Reverse = true
		prefix := store.PrefixMessage + p.Username + "/" + peer + "/"
		opts.Prefix = []byte(prefix)
		it := txn.NewIterator(opts)
		for it.Seek([]byte(prefix + "\xff")); it.Valid() && len(msgs) < limit; it.Next() {
			var m Message
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &m) }); err != nil {
				it.Close()
				return err
			}
			msgs = append(msgs, &m)
		}
		it.Close()
		slices.Reverse(msgs)
		conv.Profile = s.dir.Get(txn, peer)
		if conv.Unread > 0 {
			c := *conv
			c.Unread, c.Profile = 0, nil
			if err := addUnread(txn, p.Username, -conv.Unread, 0); err != nil {
				return err
			}
			return store.SetJSON(txn, peerKey(store.PrefixConversation, p.Username, peer), c)
		}
		return nil
	})
	if err != nil {
		return nil, nil, s.internal("conversation", err)
	}
	return conv, msgs, nil
}
