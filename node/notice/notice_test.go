package notice_test

import (
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/notice"
	"github.com/twinfed/twinfed/node/store"
)

// TestNotices_ListMarksRead checks a member's notifications: newest first,
// unread until listed, counted up to MaxUnread, kept apart from another
// member's, and gone with Forget.
func TestNotices_ListMarksRead(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	n := notice.New(st, func() time.Time { at = at.Add(time.Second); return at })
	update := func(fn func(txn *badger.Txn) error) {
		t.Helper()
		if err := st.Update(fn); err != nil {
			t.Fatal(err)
		}
	}
	unread := func(username string) (c int) {
		_ = st.View(func(txn *badger.Txn) error { c = n.Unread(txn, username); return nil })
		return c
	}
	jean := "http://fr.example/users/jean"
	update(func(txn *badger.Txn) error {
		if err := n.Notify(txn, "anna", notice.Followed, jean); err != nil {
			return err
		}
		if err := n.NotifyProject(txn, "anna", notice.ProjectInvited, jean, &twinfed.Project{ID: "http://fr.example/projects/p1", Title: "Water"}); err != nil {
			return err
		}
		return n.Notify(txn, "bruno", notice.ContactRequest, jean)
	})
	if a, b := unread("anna"), unread("bruno"); a != 2 || b != 1 {
		t.Fatalf("unread: anna %d, bruno %d; want 2 and 1", a, b)
	}
	var got []*notice.Notification
	update(func(txn *badger.Txn) (err error) { got, err = n.List(txn, "anna", 1); return err })
	if len(got) != 1 || got[0].Kind != notice.ProjectInvited || got[0].Title != "Water" || got[0].Read {
		t.Fatalf("the newest of anna's: %+v", got)
	}
	if c := unread("anna"); c != 1 {
		t.Fatalf("after listing one, %d unread, want 1", c)
	}
	update(func(txn *badger.Txn) (err error) { got, err = n.List(txn, "anna", 10); return err })
	if len(got) != 2 || !got[0].Read || got[1].Read || got[1].Kind != notice.Followed {
		t.Fatalf("anna's, the second time: %+v %+v", got[0], got[1])
	}
	update(func(txn *badger.Txn) error {
		for range notice.MaxUnread + 5 {
			if err := n.Notify(txn, "anna", notice.Followed, jean); err != nil {
				return err
			}
		}
		return nil
	})
	if c := unread("anna"); c != notice.MaxUnread {
		t.Fatalf("%d unread, want the count to stop at %d", c, notice.MaxUnread)
	}
	update(func(txn *badger.Txn) error { return n.Forget(txn, "anna") })
	_ = st.View(func(txn *badger.Txn) error {
		if k := store.KeysUnder(txn, store.PrefixNotice+"anna/", 0); len(k) != 0 || n.Unread(txn, "anna") != 0 || n.Unread(txn, "bruno") != 1 {
			t.Errorf("after Forget: %d notifications of anna, %d unread; bruno %d unread", len(k), n.Unread(txn, "anna"), n.Unread(txn, "bruno"))
		}
		return nil
	})
	// The index is built from the notifications when its marker is
	// missing, and once only.
	update(func(txn *badger.Txn) error {
		if err := store.DeletePrefix(txn, store.PrefixUnread); err != nil {
			return err
		}
		return txn.Delete([]byte(store.KeyUnreadIndexed))
	})
	if err := n.BuildIndex(); err != nil {
		t.Fatal(err)
	}
	if c := unread("bruno"); c != 1 {
		t.Fatalf("after BuildIndex bruno has %d unread, want 1", c)
	}
}
