package notice

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/mail"
	"github.com/twinfed/twinfed/node/store"
)

// Mode is how a member wants a kind of notification by e-mail.
type Mode string

// The modes a member chooses from, per kind, on their account page.
const (
	AtOnce Mode = "now"   // an e-mail for each notification, queued with it
	Daily  Mode = "daily" // one digest a day of the unread ones
	Never  Mode = "never" // no e-mail; the notification centre only
)

// Modes are the modes in the order the account page shows them.
var Modes = []Mode{AtOnce, Daily, Never}

// Kinds are every kind of notification, in the order the account page
// lists them; each has its message "notice.<kind>" and "notice.pref.<kind>".
var Kinds = []Kind{ContactRequest, ContactAccepted, ContactDeclined, Followed, Message,
	ProjectInvited, ProjectAccepted, ProjectDeclined, ProjectApproved, ProjectRejected, ProjectClosed, ProjectDeleted,
	ParticipationOK, ParticipationRefuse, PartnerJoined, ForumReply, PostReply, PostLike, Mention,
	EventChanged, EventCancelled, TrainingDecided, TrainingCompleted, TrainingCancelled}

// DefaultMode is a kind's mode until the member chooses: at once for what
// waits for their answer or decides their projects, the daily digest for
// the rest.
func DefaultMode(k Kind) Mode {
	switch k {
	case Followed, PostLike, PartnerJoined, ContactDeclined:
		return Daily
	}
	return AtOnce
}

// Prefs are a member's e-mail preferences: a mode per kind (a kind not
// named has its DefaultMode).
type Prefs map[Kind]Mode

// Mode returns the member's mode for kind k.
func (p Prefs) Mode(k Kind) Mode {
	if m, ok := p[k]; ok {
		return m
	}
	return DefaultMode(k)
}

// Postman writes the e-mails of notifications in the member's language;
// the node's assembly gives it (the accounts know the members and the
// catalogue). NoticeMail writes to username about notes (one: a mail at
// once; more: the daily digest) with the unsubscribe link unsub; ok is
// false when the member gets no mail (no such member, not active).
type Postman interface {
	NoticeMail(txn *badger.Txn, username string, notes []*Notification, unsub string) (m mail.Message, ok bool, err error)
}

// Mailing is what Notices needs to mail notifications.
type Mailing struct {
	Queue   *mail.Queue // the node's mail queue
	Postman Postman
	BaseURL string // the node's public URL: the unsubscribe links
}

// SetMailing has every new notification mailed as its member prefers. It
// reads (or makes, once) the key that signs the unsubscribe links.
func (n *Notices) SetMailing(m Mailing) error {
	var secret []byte
	err := n.st.Update(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(store.KeyNoticeSecret))
		if err == nil {
			secret, err = item.ValueCopy(nil)
			return err
		}
		if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		secret = make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return err
		}
		return txn.Set([]byte(store.KeyNoticeSecret), secret)
	})
	if err != nil {
		return err
	}
	m.BaseURL = strings.TrimRight(m.BaseURL, "/")
	n.mailing, n.secret = &m, secret
	return nil
}

// mailFor mails v, a notification just stored within txn under suffix, as
// its member prefers: queued now, kept for the digest, or not at all.
func (n *Notices) mailFor(txn *badger.Txn, username, suffix string, v *Notification) error {
	if n.mailing == nil {
		return nil
	}
	prefs, err := n.Prefs(txn, username)
	if err != nil {
		return err
	}
	switch prefs.Mode(v.Kind) {
	case AtOnce:
		m, ok, err := n.mailing.Postman.NoticeMail(txn, username, []*Notification{v}, n.UnsubscribeURL(username, v.Kind))
		if err != nil || !ok {
			return err
		}
		return n.mailing.Queue.Enqueue(txn, m)
	case Daily:
		if !store.Has(txn, store.PrefixDigestSent+username) { // the member's first day starts now
			if err := txn.Set([]byte(store.PrefixDigestSent+username), []byte(v.At.Format(time.RFC3339Nano))); err != nil {
				return err
			}
		}
		return txn.Set([]byte(store.PrefixDigest+suffix), nil)
	}
	return nil
}

// Prefs returns the member's e-mail preferences.
func (n *Notices) Prefs(txn *badger.Txn, username string) (Prefs, error) {
	p := Prefs{}
	if err := store.GetJSON(txn, store.PrefixNoticePrefs+username, &p); err != nil && twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		return nil, err
	}
	return p, nil
}

// SetPrefs stores the member's e-mail preferences within txn. An unknown
// kind or mode is refused (EINVALID) and nothing changes.
func (n *Notices) SetPrefs(txn *badger.Txn, username string, p Prefs) error {
	for k, m := range p {
		if !knownKind(k) {
			return twinfed.Errorf(twinfed.EINVALID, "This kind of notification does not exist.")
		}
		if m != AtOnce && m != Daily && m != Never {
			return twinfed.FieldError(string(k), "Choose at once, a daily digest, or never.")
		}
	}
	return store.SetJSON(txn, store.PrefixNoticePrefs+username, p)
}

func knownKind(k Kind) bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// unsubMAC signs a member's unsubscribe from a kind ("": every kind).
func (n *Notices) unsubMAC(username string, k Kind) string {
	h := hmac.New(sha256.New, n.secret)
	h.Write([]byte("unsubscribe\x00" + username + "\x00" + string(k)))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// UnsubscribeURL is the one-click link that stops the mails of kind k
// ("": all notification mails) to username.
func (n *Notices) UnsubscribeURL(username string, k Kind) string {
	if n.mailing == nil {
		return ""
	}
	v := url.Values{"u": {username}, "t": {n.unsubMAC(username, k)}}
	if k != "" {
		v.Set("k", string(k))
	}
	return n.mailing.BaseURL + "/unsubscribe?" + v.Encode()
}

// CheckUnsubscribe reports whether token is the signature of username's
// unsubscribe from kind k.
func (n *Notices) CheckUnsubscribe(username string, k Kind, token string) error {
	if n.secret == nil || token == "" || !hmac.Equal([]byte(token), []byte(n.unsubMAC(username, k))) || (k != "" && !knownKind(k)) {
		return twinfed.Errorf(twinfed.ENOTFOUND, "This unsubscribe link is not valid. Check that you copied the whole link from the e-mail, or choose your e-mail preferences on your account page.")
	}
	return nil
}

// Unsubscribe sets kind k (every kind when k is "") to Never for username,
// when token is the link's signature; a wrong token changes nothing.
func (n *Notices) Unsubscribe(username string, k Kind, token string) error {
	if err := n.CheckUnsubscribe(username, k, token); err != nil {
		return err
	}
	return n.st.Update(func(txn *badger.Txn) error {
		p, err := n.Prefs(txn, username)
		if err != nil {
			return err
		}
		if k != "" {
			p[k] = Never
		} else {
			for _, x := range Kinds {
				p[x] = Never
			}
		}
		return n.SetPrefs(txn, username, p)
	})
}

// SendDigests queues the daily digest of every member whose day (24 hours
// since their last digest, on the notices' clock) is over: their
// notifications kept for it and still unread, in one mail. It returns how
// many it queued.
func (n *Notices) SendDigests(ctx context.Context) (int, error) {
	if n.mailing == nil {
		return 0, nil
	}
	now := n.now().UTC()
	var members []string
	err := n.st.View(func(txn *badger.Txn) error {
		last := ""
		for _, k := range store.KeysUnder(txn, store.PrefixDigest, 0) {
			u, _, _ := strings.Cut(k, "/")
			if u == last {
				continue
			}
			last = u
			at, ok, err := store.GetString(txn, store.PrefixDigestSent+u)
			if err != nil {
				return err
			}
			t, _ := time.Parse(time.RFC3339Nano, at)
			if !ok || now.Sub(t) >= 24*time.Hour {
				members = append(members, u)
			}
		}
		return nil
	})
	sent := 0
	for _, u := range members {
		if err != nil || ctx.Err() != nil {
			break
		}
		err = n.st.Update(func(txn *badger.Txn) error {
			var notes []*Notification
			for _, k := range store.KeysUnder(txn, store.PrefixDigest+u+"/", 0) {
				var v Notification
				if err := store.GetJSON(txn, store.PrefixNotice+u+"/"+k, &v); err == nil && !v.Read {
					notes = append(notes, &v)
				}
			}
			if err := store.DeletePrefix(txn, store.PrefixDigest+u+"/"); err != nil {
				return err
			}
			if err := txn.Set([]byte(store.PrefixDigestSent+u), []byte(now.Format(time.RFC3339Nano))); err != nil {
				return err
			}
			if len(notes) == 0 {
				return nil
			}
			m, ok, err := n.mailing.Postman.NoticeMail(txn, u, notes, n.UnsubscribeURL(u, ""))
			if err != nil || !ok {
				return err
			}
			sent++
			return n.mailing.Queue.Enqueue(txn, m)
		})
	}
	return sent, err
}

// RunDigests sends the daily digests that are due every poll until ctx
// ends, telling report of a failure (the next round tries again).
func (n *Notices) RunDigests(ctx context.Context, poll time.Duration, report func(error)) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if _, err := n.SendDigests(ctx); err != nil {
			report(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
