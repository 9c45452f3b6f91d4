package social_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/notice"
	"github.com/twinfed/twinfed/node/outbox"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/store"
)

// recount sums a member's unread messages and waiting requests from their
// conversation and contact records: what the menu showed before the
// counts were kept in a record of their own.
func recount(t *testing.T, st *store.Store, username string) (messages, requests int) {
	t.Helper()
	err := st.View(func(txn *badger.Txn) error {
		if err := store.EachJSON(txn, store.PrefixConversation+username+"/", func(c *social.Conversation) error {
			messages += c.Unread
			return nil
		}); err != nil {
			return err
		}
		return store.EachJSON(txn, store.PrefixContact+username+"/", func(c *social.Contact) error {
			if c.State == social.ContactPending {
				requests++
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return messages, requests
}

// TestCounts_KeptByEveryWrite runs random contact requests, answers,
// removals, messages and readings among five members, and after each step
// compares every member's menu counts with a sum over their records; then
// the store's migration to format 4 (the counts written from the records)
// gives the same counts again, and an erased member's counts go with them.
func TestCounts_KeptByEveryWrite(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	names := []string{"anna", "bruno", "carla", "dario", "elsa"}
	m := members{}
	for _, n := range names {
		m[n] = true
	}
	s, err := social.New(social.Config{BaseURL: base}, social.Deps{Store: st, Activities: outbox.NewActivities(base, nil, nil),
		Notices: notice.New(st, nil), Members: m, Directory: noDirectory{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	check := func(step string) {
		t.Helper()
		for _, n := range names {
			msgs, reqs := recount(t, st, n)
			if c := s.Counts(ctx, member(n)); c.Messages != msgs || c.Requests != reqs {
				t.Fatalf("after %s: %s's counts %d messages, %d requests; the records say %d, %d", step, n, c.Messages, c.Requests, msgs, reqs)
			}
		}
	}
	rng := rand.New(rand.NewPCG(7, 7))
	sawRequests, sawMessages := false, false
	for i := range 400 {
		a, b := names[rng.IntN(len(names))], names[rng.IntN(len(names))]
		if a == b {
			continue
		}
		peer := twinfed.ActorURL(base, b)
		var step string
		switch rng.IntN(5) {
		case 0:
			step = fmt.Sprintf("%d: %s asks %s", i, a, b)
			_, _ = s.RequestContact(ctx, member(a), peer, "hello")
		case 1:
			step = fmt.Sprintf("%d: %s answers %s", i, a, b)
			_, _ = s.AnswerContact(ctx, member(a), peer, rng.IntN(2) == 0)
		case 2:
			step = fmt.Sprintf("%d: %s removes %s", i, a, b)
			_ = s.RemoveContact(ctx, member(a), peer)
		case 3:
			step = fmt.Sprintf("%d: %s writes to %s", i, a, b)
			_, _ = s.SendMessage(ctx, member(a), peer, "ciao")
		case 4:
			step = fmt.Sprintf("%d: %s reads %s", i, a, b)
			_, _, _ = s.ConversationWith(ctx, member(a), peer, 0)
		}
		check(step)
		for _, n := range names {
			c := s.Counts(ctx, member(n))
			sawRequests, sawMessages = sawRequests || c.Requests > 0, sawMessages || c.Messages > 0
		}
	}
	if !sawRequests || !sawMessages {
		t.Fatalf("the steps never left a request (%v) or a message (%v) unread: the test checks nothing", sawRequests, sawMessages)
	}

	// A store of format 3 has no counts: the migration writes them.
	if err := st.Update(func(txn *badger.Txn) error { return store.DeletePrefix(txn, store.PrefixSocialCounts) }); err != nil {
		t.Fatal(err)
	}
	if err := social.Migration().Run(st.DB()); err != nil {
		t.Fatal(err)
	}
	check("the migration")

	if err := st.Update(func(txn *badger.Txn) error { return s.EraseSocial(txn, "anna") }); err != nil {
		t.Fatal(err)
	}
	if c := s.Counts(ctx, member("anna")); c.Messages != 0 || c.Requests != 0 {
		t.Fatalf("an erased member's counts: %+v", c)
	}
}

// BenchmarkCounts_HotConversation measures the menu's counts of a member
// to whom another member has just written n messages in one conversation
// (each rewriting its record, all still in Badger's memtable): the kept
// record (counts, which also counts the unread notifications: up to 99
// keys of their index) beside the sum over the records that the menu
// computed before (recount), in the same run.
func BenchmarkCounts_HotConversation(b *testing.B) {
	for _, n := range []int{100, 10000} {
		st, err := store.Open(b.TempDir(), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		s, err := social.New(social.Config{BaseURL: base}, social.Deps{Store: st, Activities: outbox.NewActivities(base, nil, nil),
			Notices: notice.New(st, nil), Members: members{"anna": true, "bruno": true}, Directory: noDirectory{}})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		for range n {
			if _, err := s.SendMessage(ctx, member("bruno"), twinfed.ActorURL(base, "anna"), "ciao"); err != nil {
				b.Fatal(err)
			}
		}
		t := &testing.T{}
		b.Run(fmt.Sprintf("messages=%d/counts", n), func(b *testing.B) {
			for b.Loop() {
				if s.Counts(ctx, member("anna")).Messages != n {
					b.Fatal("wrong count")
				}
			}
		})
		b.Run(fmt.Sprintf("messages=%d/recount", n), func(b *testing.B) {
			for b.Loop() {
				if m, _ := recount(t, st, "anna"); m != n {
					b.Fatal("wrong count")
				}
			}
		})
		st.Close()
	}
}
