package notice_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/mail"
	"github.com/twinfed/twinfed/node/notice"
	"github.com/twinfed/twinfed/node/store"
)

// postman writes one line per notification and records what it wrote.
type postman struct{ letters [][]*notice.Notification }

func (p *postman) NoticeMail(_ *badger.Txn, username string, notes []*notice.Notification, unsub string) (mail.Message, bool, error) {
	if username == "nobody" {
		return mail.Message{}, false, nil
	}
	p.letters = append(p.letters, notes)
	var b strings.Builder
	for _, v := range notes {
		b.WriteString(string(v.Kind) + " " + v.Path() + "\n")
	}
	return mail.Message{To: username + "@example.org", Subject: "n", Body: b.String(), Unsubscribe: unsub}, true, nil
}

// queuedMails counts the mails waiting in st's queue.
func queuedMails(t *testing.T, q *mail.Queue) int {
	t.Helper()
	s, err := q.Stats()
	if err != nil {
		t.Fatal(err)
	}
	return s.Queued
}

// TestNotices_MailAsPreferred: at once is queued with the notification,
// daily waits for SendDigests (on the notices' clock, 24 hours after the
// member's first), never sends nothing; bad preferences are refused and
// change nothing; unsubscribe links are checked; Forget erases the
// preferences and the digest's marks.
func TestNotices_MailAsPreferred(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	n := notice.New(st, func() time.Time { now = now.Add(time.Second); return now }) // each notification later than the one before
	q := mail.NewQueue(st, &mail.Spool{Dir: t.TempDir()}, mail.QueueOptions{From: "no-reply@it.example"})
	pm := &postman{}
	if err := n.SetMailing(notice.Mailing{Queue: q, Postman: pm, BaseURL: "https://it.example/"}); err != nil {
		t.Fatal(err)
	}
	update := func(fn func(txn *badger.Txn) error) error { return st.Update(fn) }
	jean := "http://fr.example/users/jean"

	// Defaults: a contact request at once, a follower in the digest.
	if err := update(func(txn *badger.Txn) error {
		if err := n.Notify(txn, "anna", notice.ContactRequest, jean); err != nil {
			return err
		}
		if err := n.Notify(txn, "nobody", notice.ContactRequest, jean); err != nil { // no address: no mail
			return err
		}
		return n.Notify(txn, "anna", notice.Followed, jean)
	}); err != nil {
		t.Fatal(err)
	}
	if got := queuedMails(t, q); got != 1 {
		t.Fatalf("%d mails queued; want 1 (the contact request, at once)", got)
	}
	if sent, err := n.SendDigests(context.Background()); err != nil || sent != 0 {
		t.Fatalf("digest before the day is over: %d, %v", sent, err)
	}

	// A bad mode or kind is refused; nothing changes.
	for _, bad := range []notice.Prefs{{notice.Message: "hourly"}, {"no_such_kind": notice.Never}} {
		err := update(func(txn *badger.Txn) error { return n.SetPrefs(txn, "anna", bad) })
		if twinfed.ErrorCode(err) != twinfed.EINVALID {
			t.Fatalf("preferences %v: %v; want EINVALID", bad, err)
		}
	}
	if err := update(func(txn *badger.Txn) error {
		p, err := n.Prefs(txn, "anna")
		if err == nil && len(p) != 0 {
			t.Errorf("refused preferences were kept: %v", p)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}

	// Never: no mail, no digest mark. Daily: in the digest.
	if err := update(func(txn *badger.Txn) error {
		if err := n.SetPrefs(txn, "anna", notice.Prefs{notice.Message: notice.Never, notice.PostLike: notice.Daily}); err != nil {
			return err
		}
		if err := n.NotifyLink(txn, "anna", notice.Message, jean, "", "/messages/with?peer="+url.QueryEscape(jean)); err != nil {
			return err
		}
		return n.NotifyLink(txn, "anna", notice.PostLike, jean, "Our trip", "/posts/p1")
	}); err != nil {
		t.Fatal(err)
	}
	if got := queuedMails(t, q); got != 1 {
		t.Fatalf("%d mails queued; want still 1", got)
	}
	now = now.Add(24*time.Hour + time.Minute)
	if sent, err := n.SendDigests(context.Background()); err != nil || sent != 1 {
		t.Fatalf("digest after a day: %d, %v", sent, err)
	}
	last := pm.letters[len(pm.letters)-1]
	if len(last) != 2 || last[0].Path() != "/posts/p1" || last[1].Kind != notice.Followed {
		t.Fatalf("digest holds %+v; want the like then the follower", last)
	}
	if sent, _ := n.SendDigests(context.Background()); sent != 0 {
		t.Fatal("the same digest sent twice")
	}

	// Unsubscribe links: only the right signature for the right member and kind.
	link, err := url.Parse(n.UnsubscribeURL("anna", notice.ContactRequest))
	if err != nil || link.Host != "it.example" || link.Path != "/unsubscribe" {
		t.Fatalf("unsubscribe link %v (%v)", link, err)
	}
	tok := link.Query().Get("t")
	for _, c := range []struct {
		user string
		kind notice.Kind
		tok  string
	}{{"bruno", notice.ContactRequest, tok}, {"anna", notice.Followed, tok}, {"anna", notice.ContactRequest, tok + "x"}, {"anna", notice.ContactRequest, ""}} {
		if err := n.Unsubscribe(c.user, c.kind, c.tok); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
			t.Errorf("unsubscribe %s %s with a wrong token: %v", c.user, c.kind, err)
		}
	}
	if err := n.Unsubscribe("anna", notice.ContactRequest, tok); err != nil {
		t.Fatal(err)
	}
	before := queuedMails(t, q) // the contact request's and the digest
	if err := update(func(txn *badger.Txn) error {
		if err := n.Notify(txn, "anna", notice.ContactRequest, jean); err != nil {
			return err
		}
		p, _ := n.Prefs(txn, "anna")
		if p.Mode(notice.ContactRequest) != notice.Never || p.Mode(notice.PostLike) != notice.Daily {
			t.Errorf("after unsubscribing: %v", p)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := queuedMails(t, q); got != before || before != 2 {
		t.Fatalf("%d mails queued after unsubscribing, %d before", got, before)
	}

	// Forget erases the preferences and the digest's marks.
	if err := update(func(txn *badger.Txn) error {
		if err := n.NotifyLink(txn, "anna", notice.PostLike, jean, "", "/posts/p2"); err != nil {
			return err
		}
		return n.Forget(txn, "anna")
	}); err != nil {
		t.Fatal(err)
	}
	_ = st.View(func(txn *badger.Txn) error {
		for _, pre := range []string{store.PrefixNoticePrefs + "anna", store.PrefixDigest + "anna/", store.PrefixDigestSent + "anna"} {
			if len(store.KeysUnder(txn, pre, 0)) != 0 {
				t.Errorf("Forget left %s", pre)
			}
		}
		return nil
	})
}
