package node_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/directory"
	"github.com/twinfed/twinfed/node/notice"
	"github.com/twinfed/twinfed/node/social"
)

// Contacts, follows and messages between members of one node take the
// local path (both sides written in the sender's transaction): the same
// rules as across nodes, without a federation. cmd/twinfed/social_test.go
// runs the cross-node path over real HTTP.

func seedTeacher(t testing.TB, n *node.Node, user, first string) (*twinfed.Principal, string) {
	t.Helper()
	_, err := n.Accounts().SeedMember(context.Background(), account.PreRegistration{FirstName: first, LastName: "Rossi", Email: user + "@scuola.it", EmailConfirm: user + "@scuola.it",
		Username: user, Password: "correct horse 1", PasswordConfirm: "correct horse 1"},
		&twinfed.Member{Schools: []twinfed.MemberSchool{{SchoolID: "it-" + user, Name: "Scuola " + first, Region: "Lazio", Level: twinfed.LevelPrimary, Role: "teacher"}},
			Subjects: []string{"music"}, PupilAges: []int{10}, Languages: []string{"it"}, Available: twinfed.Available{Project: true}, Public: twinfed.PublicFields})
	if err != nil {
		t.Fatal(err)
	}
	return &twinfed.Principal{Username: user, Role: twinfed.RoleMember, Status: twinfed.StatusValidated}, n.URL() + "/users/" + user
}

func TestContacts_LocalRules(t *testing.T) {
	n := MustOpenNode(t, nodeOpts{})
	svc, ctx := n.Social(), context.Background()
	anna, annaURL := seedTeacher(t, n, "anna", "Anna")
	bruno, brunoURL := seedTeacher(t, n, "bruno", "Bruno")
	carla, carlaURL := seedTeacher(t, n, "carla", "Carla")

	// Request, then decline: both sides forget it; anna is told.
	if _, err := svc.RequestContact(ctx, anna, brunoURL, "Ciao!"); err != nil {
		t.Fatal(err)
	}
	if c := svc.Counts(ctx, bruno); c.Requests != 1 || c.Notifications != 1 {
		t.Fatalf("bruno's counts: %+v", c)
	}
	if _, err := svc.AnswerContact(ctx, bruno, annaURL, false); err != nil {
		t.Fatal(err)
	}
	net, _ := svc.Network(ctx, anna)
	if len(net.Outgoing)+len(net.Contacts) != 0 {
		t.Fatalf("after decline anna has %+v", net)
	}
	notes, _ := svc.Notifications(ctx, anna, 10)
	if len(notes) != 1 || notes[0].Kind != notice.ContactDeclined {
		t.Fatalf("anna's notifications: %+v", notes)
	}

	// Crossing requests: the second one accepts the first.
	if _, err := svc.RequestContact(ctx, anna, carlaURL, ""); err != nil {
		t.Fatal(err)
	}
	c, err := svc.RequestContact(ctx, carla, annaURL, "")
	if err != nil || c.State != social.ContactAccepted {
		t.Fatalf("crossing request: %+v %v", c, err)
	}
	for _, p := range []struct {
		who  string
		peer string
	}{{"anna", carlaURL}, {"carla", annaURL}} {
		if ok, _ := svc.IsContact(ctx, p.who, p.peer); !ok {
			t.Fatalf("%s is not a contact of %s", p.peer, p.who)
		}
	}
	// Refusals change nothing.
	for _, tc := range []struct {
		err  error
		code string
	}{
		{func() error { _, err := svc.RequestContact(ctx, anna, carlaURL, ""); return err }(), twinfed.ECONFLICT},
		{func() error { _, err := svc.RequestContact(ctx, anna, annaURL, ""); return err }(), twinfed.EINVALID},
		{func() error { _, err := svc.RequestContact(ctx, anna, n.URL()+"/users/nobody", ""); return err }(), twinfed.ENOTFOUND},
		{func() error { _, err := svc.RequestContact(ctx, anna, brunoURL, strings.Repeat("x", 501)); return err }(), twinfed.EINVALID},
		{func() error { _, err := svc.AnswerContact(ctx, bruno, carlaURL, true); return err }(), twinfed.ENOTFOUND},
		{func() error {
			_, err := svc.RequestContact(ctx, &twinfed.Principal{Username: "x", Role: twinfed.RoleMember, Status: twinfed.StatusPending}, annaURL, "")
			return err
		}(), twinfed.EFORBIDDEN},
		{svc.RemoveContact(ctx, bruno, annaURL), twinfed.ENOTFOUND},
	} {
		if twinfed.ErrorCode(tc.err) != tc.code {
			t.Errorf("got %v, want %s", tc.err, tc.code)
		}
	}
	// Removal by the one who accepted removes it on both sides.
	if err := svc.RemoveContact(ctx, anna, carlaURL); err != nil {
		t.Fatal(err)
	}
	if ok, _ := svc.IsContact(ctx, "carla", annaURL); ok {
		t.Fatal("carla still lists anna")
	}

	// Follow is one-way and accepted at once.
	if err := svc.FollowMember(ctx, bruno, annaURL); err != nil {
		t.Fatal(err)
	}
	if r := svc.RelationTo(ctx, bruno, annaURL); !r.Following {
		t.Fatalf("relation: %+v", r)
	}
	net, _ = svc.Network(ctx, anna)
	if len(net.Followers) != 1 || net.Followers[0].Peer != brunoURL {
		t.Fatalf("anna's followers: %+v", net.Followers)
	}
	if err := svc.UnfollowMember(ctx, bruno, annaURL); err != nil {
		t.Fatal(err)
	}
	if net, _ = svc.Network(ctx, anna); len(net.Followers) != 0 {
		t.Fatalf("anna still has followers: %+v", net.Followers)
	}
}

func TestMessages_LocalAndWeb(t *testing.T) {
	n := MustOpenNode(t, nodeOpts{})
	svc, ctx := n.Social(), context.Background()
	anna, annaURL := seedTeacher(t, n, "anna", "Anna")
	_, brunoURL := seedTeacher(t, n, "bruno", "Bruno")
	if _, err := svc.SendMessage(ctx, anna, brunoURL, "Ciao <b>Bruno</b>\nsecond line"); err != nil {
		t.Fatal(err)
	}
	b := login(t, n, "bruno", "correct horse 1")
	if _, page := b.Get("/"); !strings.Contains(page, `href="/messages"`) || !strings.Contains(page, `class="badge">1`) {
		t.Fatalf("no unread badge on the home page:\n%s", page)
	}
	code, page := b.Get("/messages/with?peer=" + url.QueryEscape(annaURL))
	if code != 200 || !strings.Contains(page, "Ciao &lt;b&gt;Bruno&lt;/b&gt;<br>second line") {
		t.Fatalf("conversation: %d\n%s", code, page)
	}
	// Reply from the web form; an empty one is refused with the field named.
	code, _, _ = b.Form("/messages/with?peer="+url.QueryEscape(annaURL), "/messages", url.Values{"to": {annaURL}, "content": {"  "}})
	if code != http.StatusBadRequest || !strings.Contains(b.Last, `id="content-error"`) {
		t.Fatalf("empty reply: %d\n%s", code, b.Last)
	}
	code, _, loc := b.Form("/messages/with?peer="+url.QueryEscape(annaURL), "/messages", url.Values{"to": {annaURL}, "content": {"Grazie!"}})
	if code != http.StatusSeeOther || !strings.Contains(loc, "done=sent") {
		t.Fatalf("reply: %d %s", code, loc)
	}
	convs, _ := svc.Conversations(ctx, anna)
	if len(convs) != 1 || convs[0].Unread != 1 || convs[0].Snippet != "Grazie!" {
		t.Fatalf("anna's conversations: %+v", convs[0])
	}
	// A forged CSRF token changes nothing.
	code, _, _ = b.Post("/messages", url.Values{"to": {annaURL}, "content": {"forged"}, "csrf": {"nope"}})
	if code != http.StatusForbidden {
		t.Fatalf("forged CSRF: %d", code)
	}
	if _, msgs, _ := svc.ConversationWith(ctx, anna, brunoURL, 10); len(msgs) != 2 {
		t.Fatalf("anna has %d messages", len(msgs))
	}
}

func TestDirectory_SearchAndPersistence(t *testing.T) {
	dir := t.TempDir()
	n := MustOpenNode(t, nodeOpts{dir: dir})
	anna, _ := seedTeacher(t, n, "anna", "Anna")
	seedTeacher(t, n, "bruno", "Bruno")
	ctx := context.Background()
	eventually(t, 10*time.Second, func() bool {
		page, err := n.Directory().SearchDirectory(ctx, anna, directory.DirectoryQuery{Text: "Bruno", Subject: "music"})
		return err == nil && page.Total == 1
	}, "bruno is not found")
	b := login(t, n, "anna", "correct horse 1")
	if code, page := b.Get("/people?q=brun&age_min=9&age_max=11"); code != 200 || !strings.Contains(page, "Bruno Rossi") {
		t.Fatalf("people page: %d\n%s", code, page)
	}
	if code, _ := b.Get("/people?age_min=12&age_max=3"); code != http.StatusBadRequest {
		t.Fatalf("bad age range: %d", code)
	}
	// The index is built again from the store after a restart; the
	// on-disk index of earlier versions is removed.
	n.Close()
	legacy := filepath.Join(dir, "directory")
	if err := os.MkdirAll(legacy, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(legacy, "index_meta.json"), []byte(`{"storage":"boltdb"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	n2 := MustOpenNode(t, nodeOpts{dir: dir})
	eventually(t, 10*time.Second, func() bool {
		page, err := n2.Directory().SearchDirectory(ctx, anna, directory.DirectoryQuery{Subject: "music"})
		return err == nil && page.Total == 2
	}, "after a restart the directory lost profiles")
	if _, err := os.Stat(legacy); !os.IsNotExist(err) {
		t.Fatalf("the old on-disk index is still there: %v", err)
	}
}

// TestMessages_OneConversationAtOnce: the two members of a conversation
// writing to each other without a pause, 100 messages each, all get
// their messages sent (the soak test saw a 500, "Transaction Conflict":
// the conversation's records written by both sides, retried back to back;
// this test failed 5 runs of 5 so).
func TestMessages_OneConversationAtOnce(t *testing.T) {
	n := MustOpenNode(t, nodeOpts{})
	svc, ctx := n.Social(), context.Background()
	anna, annaURL := seedTeacher(t, n, "anna", "Anna")
	bruno, brunoURL := seedTeacher(t, n, "bruno", "Bruno")
	const writers, each = 2, 100
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		from, to := anna, brunoURL
		if w%2 == 1 {
			from, to = bruno, annaURL
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := svc.SendMessage(ctx, from, to, fmt.Sprintf("message %d of writer %d", i, w)); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if failed++; failed == 1 {
			t.Errorf("a message was not sent: %v", err)
		}
	}
	if failed > 0 {
		t.Fatalf("%d of %d messages not sent", failed, writers*each)
	}
}
