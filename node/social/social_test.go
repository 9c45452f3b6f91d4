package social_test

import (
	"context"
	"slices"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/notice"
	"github.com/twinfed/twinfed/node/outbox"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/store"
)

const base = "http://it.example"

// members are the validated members of the test's node.
type members map[string]bool

func (m members) Public(txn *badger.Txn, username string) *twinfed.Profile {
	if !m[username] {
		return nil
	}
	return &twinfed.Profile{ID: twinfed.ActorURL(base, username), Username: username}
}

// noDirectory holds no profile.
type noDirectory struct{}

func (noDirectory) Get(txn *badger.Txn, actor string) *twinfed.Profile { return nil }

func member(username string) *twinfed.Principal {
	return &twinfed.Principal{Username: username, Role: twinfed.RoleMember, Status: twinfed.StatusValidated}
}

// TestService_ContactsAndHooks checks the feature on its own, with a node
// running alone: a contact between two local members as projects and the
// directory read it (Contact, IsContact, ContactPeers), then the hooks of
// an account's deletion (EraseSocial for the member, ForgetPeer for the
// others' records about them).
func TestService_ContactsAndHooks(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := social.New(social.Config{BaseURL: base}, social.Deps{Store: st, Activities: outbox.NewActivities(base, nil, nil),
		Notices: notice.New(st, nil), Members: members{"anna": true, "bruno": true}, Directory: noDirectory{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	anna, bruno := member("anna"), member("bruno")
	annaURL, brunoURL := twinfed.ActorURL(base, "anna"), twinfed.ActorURL(base, "bruno")
	view := func(fn func(txn *badger.Txn) error) {
		t.Helper()
		if err := st.View(fn); err != nil {
			t.Fatal(err)
		}
	}

	if err := social.Require(&twinfed.Principal{Username: "x", Role: twinfed.RoleMember, Status: twinfed.StatusPending}); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Fatalf("Require(pending member) = %v, want EFORBIDDEN", err)
	}
	// Another node's member cannot be reached by a node running alone.
	if _, err := s.RequestContact(ctx, anna, "http://fr.example/users/jean", ""); twinfed.ErrorCode(err) != twinfed.EUNAVAILABLE {
		t.Fatalf("request to another node without a registry: %v, want EUNAVAILABLE", err)
	}
	if _, err := s.RequestContact(ctx, anna, brunoURL, "Ciao"); err != nil {
		t.Fatal(err)
	}
	view(func(txn *badger.Txn) error {
		if c, err := s.Contact(txn, "bruno", annaURL); err != nil || c.State != social.ContactPending {
			t.Errorf("bruno's record of anna: %+v, %v; want pending", c, err)
		}
		if _, err := s.Contact(txn, "bruno", "http://fr.example/users/jean"); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
			t.Errorf("a record bruno does not hold: %v, want ENOTFOUND", err)
		}
		if peers, err := s.ContactPeers(txn, "anna"); err != nil || !slices.Equal(peers, []string{brunoURL}) {
			t.Errorf("anna's contact peers: %v, %v", peers, err)
		}
		return nil
	})
	if c := s.Counts(ctx, bruno); c.Requests != 1 || c.Notifications != 1 {
		t.Fatalf("bruno's counts: %+v", c)
	}
	if _, err := s.AnswerContact(ctx, bruno, annaURL, true); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.IsContact(ctx, "anna", brunoURL); !ok || err != nil {
		t.Fatalf("IsContact(anna, bruno) = %v, %v", ok, err)
	}
	if err := s.FollowMember(ctx, bruno, annaURL); err != nil {
		t.Fatal(err)
	}

	// anna's account goes: her own records, then what bruno holds about her.
	err = st.Update(func(txn *badger.Txn) error {
		if err := s.EraseSocial(txn, "anna"); err != nil {
			return err
		}
		return s.ForgetPeer(txn, annaURL)
	})
	if err != nil {
		t.Fatal(err)
	}
	view(func(txn *badger.Txn) error {
		for _, prefix := range []string{store.PrefixContact, store.PrefixFollowing, store.PrefixFollower, store.PrefixNotice + "anna/"} {
			if n := store.CountPrefix(txn, prefix); n != 0 {
				t.Errorf("%d records left under %s", n, prefix)
			}
		}
		return nil
	})
	if r := s.RelationTo(ctx, bruno, annaURL); r == nil || r.Contact != "" || r.Following {
		t.Fatalf("bruno's relation to a deleted anna: %+v", r)
	}
}
