package node

import (
	"context"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/notice"
	"github.com/twinfed/twinfed/node/store"
)

// TestCounts_UnreadIndex checks the menu's notification count, which reads
// the unread index (nu/) instead of every notification: the count follows
// new and read notifications, stops at 99, survives a restart, and a store
// written before the index existed gets it built at the first start.
func TestCounts_UnreadIndex(t *testing.T) {
	dir := t.TempDir()
	open := func() (*store.Store, *Service) { return openService(t, dir) }
	ctx := context.Background()
	anna := &twinfed.Principal{Username: "anna", Role: twinfed.RoleMember, Status: twinfed.StatusValidated}
	notifyN := func(s *Service, n int) {
		t.Helper()
		err := s.kit.Store.Update(func(txn *badger.Txn) error {
			for range n {
				if err := s.kit.Notices.Notify(txn, "anna", notice.Followed, "http://fr.example/users/jean"); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	want := func(s *Service, n int) {
		t.Helper()
		if got := s.social.Counts(ctx, anna).Notifications; got != n {
			t.Fatalf("unread notifications: %d, want %d", got, n)
		}
	}

	db, s := open()
	want(s, 0)
	notifyN(s, 3)
	want(s, 3)
	// Reading the two newest leaves one unread.
	if got, err := s.social.Notifications(ctx, anna, 2); err != nil || len(got) != 2 {
		t.Fatalf("notifications: %d, %v", len(got), err)
	}
	want(s, 1)
	// Beyond 99 the count says 99.
	notifyN(s, 120)
	want(s, 99)
	if _, err := s.social.Notifications(ctx, anna, 50); err != nil {
		t.Fatal(err)
	}
	want(s, 71)
	db.Close()

	// After a restart the count is the same.
	db, s = open()
	want(s, 71)

	// A store from before the index: no nu/ keys and no marker. The first
	// start builds the index from the notifications themselves.
	err := db.Update(func(txn *badger.Txn) error {
		if err := store.DeletePrefix(txn, store.PrefixUnread); err != nil {
			return err
		}
		return txn.Delete([]byte(store.KeyUnreadIndexed))
	})
	if err != nil {
		t.Fatal(err)
	}
	want(s, 0)
	db.Close()
	db, s = open()
	defer db.Close()
	want(s, 71)

	// An erased account leaves no index behind.
	if err := db.Update(func(txn *badger.Txn) error { return s.social.EraseSocial(txn, "anna") }); err != nil {
		t.Fatal(err)
	}
	want(s, 0)
}
