// Package notice keeps members' notifications: what happened that concerns
// them (a contact request or answer, a follower, a message, a project's
// invitation, approval or refusal, a reply in the forum or to a wall post,
// a like, a mention), the unread index behind the menu's count, and
// marking them read when listed.
//
// It also mails them (mail.go), as each member prefers per kind (Prefs:
// at once, a daily digest, never; store.PrefixNoticePrefs): a mail at once
// is queued in the node's mail queue (node/mail) in the transaction of the
// notification; one for the digest is marked under store.PrefixDigest and
// SendDigests queues one mail a day of the unread ones. Every mail has a
// signed one-click unsubscribe link (UnsubscribeURL, the key under
// store.KeyNoticeSecret). The mails' texts are written by a Postman that
// the node's assembly gives (the accounts, in the member's language).
//
// A notification is written in the transaction of the change it tells
// about, by the feature that made the change (social, project, the inbox
// applying another node's activity), through Notices.Notify or
// NotifyProject. Keys: store.PrefixNotice (the notifications, newest first
// per member), store.PrefixUnread (an empty key per unread one) and
// store.KeyUnreadIndexed.
package notice

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
)

// Kind names a notification. Its value is stored and names the message
// "notice.<kind>" of the web catalogues.
type Kind string

// Notification kinds of the social feature.
const (
	ContactRequest  Kind = "contact_request"
	ContactAccepted Kind = "contact_accepted"
	ContactDeclined Kind = "contact_declined"
	Followed        Kind = "followed"
)

// Notification kinds of the messages (social), the forum and the feed.
const (
	Message    Kind = "message"     // a direct message arrived
	ForumReply Kind = "forum_reply" // a reply to the member's forum post
	PostReply  Kind = "post_reply"  // a reply to the member's wall post
	PostLike   Kind = "post_like"   // someone liked the member's post
	Mention    Kind = "mention"     // the member was mentioned
)

// Notification kinds of the project feature.
const (
	ProjectInvited      Kind = "project_invited"
	ProjectAccepted     Kind = "project_awaiting_approval" // the co-founder accepted
	ProjectDeclined     Kind = "project_declined"          // the co-founder declined
	ProjectApproved     Kind = "project_approved"          // TwinSpace open
	ProjectRejected     Kind = "project_rejected"          // an agency rejected a founder
	ProjectClosed       Kind = "project_closed"
	ProjectDeleted      Kind = "project_deleted"
	ParticipationOK     Kind = "participation_approved"
	ParticipationRefuse Kind = "participation_rejected"
	PartnerJoined       Kind = "project_partner_joined"
)

// Notification kinds of professional development (node/training): the
// member's agency decided on their application, or marked it completed;
// the publishing agency cancelled the training.
const (
	TrainingDecided   Kind = "training_decided"
	TrainingCompleted Kind = "training_completed"
	TrainingCancelled Kind = "training_cancelled"
)

// Notification kinds of the events (node/event): the organiser moved or
// cancelled an event the member takes part in.
const (
	EventChanged   Kind = "event_changed"
	EventCancelled Kind = "event_cancelled"
)

// Notification tells a member that something happened.
type Notification struct {
	ID      string           `json:"id"`
	Kind    Kind             `json:"kind"`
	Actor   string           `json:"actor"`
	At      time.Time        `json:"at"`
	Read    bool             `json:"read"`
	Profile *twinfed.Profile `json:"profile,omitempty"` // the actor's public profile, filled by the reader (not stored by Notify)
	Project string           `json:"project,omitempty"` // the project a project notice is about
	Title   string           `json:"title,omitempty"`   // its title when the notice was made
	// Link is the path on this node the notification leads to (a forum
	// post, a wall post); "": the page of its kind (see Notification.Path).
	Link string `json:"link,omitempty"`
}

// Path is the page of this node a notification leads to: its Link, the
// project, the conversation, the contacts, else the notification centre.
func (v *Notification) Path() string {
	switch {
	case v.Link != "":
		return v.Link
	case v.Project != "" && v.Kind != ProjectDeleted:
		return "/projects/view?id=" + url.QueryEscape(v.Project)
	case v.Kind == Message:
		return "/messages"
	case v.Kind == ContactRequest || v.Kind == ContactAccepted:
		return "/contacts"
	}
	return "/notifications"
}

// MaxUnread is the most Unread counts: the menu shows it for more.
const MaxUnread = 99

// Notices reads and writes members' notifications in the node's store. It
// is safe for concurrent use.
type Notices struct {
	st      *store.Store
	now     func() time.Time
	mailing *Mailing // nil: no mail (SetMailing)
	secret  []byte   // signs the unsubscribe links
}

// New returns the notifications of st, dated with now (nil: time.Now).
func New(st *store.Store, now func() time.Time) *Notices {
	if now == nil {
		now = time.Now
	}
	return &Notices{st: st, now: now}
}

// invTime orders keys newest first.
func invTime(t time.Time) string { return fmt.Sprintf("%016x", uint64(math.MaxInt64-t.UnixNano())) }

// Notify tells a member, within txn, that actor did something of kind.
func (n *Notices) Notify(txn *badger.Txn, username string, kind Kind, actor string) error {
	return n.put(txn, username, Notification{Kind: kind, Actor: actor})
}

// NotifyLink tells a member, within txn, that actor did something of kind
// about what the page at link (a path on this node) shows, titled title:
// a forum reply, a reply to or a like of a post, a mention.
func (n *Notices) NotifyLink(txn *badger.Txn, username string, kind Kind, actor, title, link string) error {
	return n.put(txn, username, Notification{Kind: kind, Actor: actor, Title: title, Link: link})
}

// NotifyProject tells a member, within txn, that something happened in a
// project.
func (n *Notices) NotifyProject(txn *badger.Txn, username string, kind Kind, actor string, p *twinfed.Project) error {
	return n.put(txn, username, Notification{Kind: kind, Actor: actor, Project: p.ID, Title: p.Title})
}

// put stores a new, unread notification and its entry in the unread index
// (nu/), which keeps the menu's count independent of how many
// notifications a member has read over the years.
func (n *Notices) put(txn *badger.Txn, username string, v Notification) error {
	v.ID, v.At = store.NewID(), n.now().UTC()
	suffix := username + "/" + invTime(v.At) + "/" + v.ID
	if err := txn.Set([]byte(store.PrefixUnread+suffix), nil); err != nil {
		return err
	}
	if err := store.SetJSON(txn, store.PrefixNotice+suffix, v); err != nil {
		return err
	}
	return n.mailFor(txn, username, suffix, &v)
}

// List returns the member's newest notifications (at most limit), as they
// were before, and marks them read within txn, a read-write transaction.
func (n *Notices) List(txn *badger.Txn, username string, limit int) ([]*Notification, error) {
	var out []*Notification
	opts := badger.DefaultIteratorOptions
	opts.Prefix = []byte(store.PrefixNotice + username + "/")
	it := txn.NewIterator(opts)
	var keys []string
	for it.Rewind(); it.Valid() && len(out) < limit; it.Next() {
		var v Notification
		if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &v) }); err != nil {
			it.Close()
			return nil, err
		}
		out = append(out, &v)
		keys = append(keys, string(it.Item().KeyCopy(nil)))
	}
	it.Close()
	for i, v := range out {
		if !v.Read {
			r := *v
			r.Read = true
			if err := store.SetJSON(txn, keys[i], r); err != nil {
				return nil, err
			}
			if err := txn.Delete([]byte(store.PrefixUnread + strings.TrimPrefix(keys[i], store.PrefixNotice))); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// Unread counts the member's unread notifications, up to MaxUnread. It
// reads keys only, and only the unread ones.
func (n *Notices) Unread(txn *badger.Txn, username string) int {
	return len(store.KeysUnder(txn, store.PrefixUnread+username+"/", MaxUnread))
}

// Forget deletes, within txn, every notification of a member whose
// account is deleted, and their unread index.
func (n *Notices) Forget(txn *badger.Txn, username string) error {
	if err := txn.Delete([]byte(store.PrefixNoticePrefs + username)); err != nil {
		return err
	}
	if err := txn.Delete([]byte(store.PrefixDigestSent + username)); err != nil {
		return err
	}
	for _, pre := range []string{store.PrefixNotice, store.PrefixUnread, store.PrefixDigest} {
		if err := store.DeletePrefix(txn, pre+username+"/"); err != nil {
			return err
		}
	}
	return nil
}

// BuildIndex builds the unread index once, for a store written before it
// existed: one pass over the notifications, at the node's first start with
// this code. Later calls find store.KeyUnreadIndexed and do nothing.
func (n *Notices) BuildIndex() error {
	done := false
	if err := n.st.View(func(txn *badger.Txn) error { done = store.Has(txn, store.KeyUnreadIndexed); return nil }); err != nil || done {
		return err
	}
	wb := n.st.DB().NewWriteBatch()
	defer wb.Cancel()
	err := n.st.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.Prefix = []byte(store.PrefixNotice)
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var v Notification
			if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &v) }); err != nil {
				return err
			}
			if !v.Read {
				k := store.PrefixUnread + strings.TrimPrefix(string(it.Item().Key()), store.PrefixNotice)
				if err := wb.Set([]byte(k), nil); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err == nil {
		err = wb.Set([]byte(store.KeyUnreadIndexed), nil)
	}
	if err == nil {
		err = wb.Flush()
	}
	if err != nil {
		return fmt.Errorf("index unread notifications: %w", err)
	}
	return nil
}
