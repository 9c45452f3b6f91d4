package node_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/outbox"
)

// Activities from another node are handed to the service as the
// federation's inbox does once it has verified them: HandleActivity, here
// from members and projects of frBase (the signature checks are
// cmd/twinfed's and the federation's tests). The federation hands an
// activity over again when the node stopped between applying it and
// marking it done, so the service must take each id once.

// recordingOutbox is a test double for the federation's outbox that keeps
// what the service enqueued for other nodes.
type recordingOutbox struct {
	mu  sync.Mutex
	out []twinfed.Activity
}

var _ outbox.Outbox = (*recordingOutbox)(nil)

func (o *recordingOutbox) Enqueue(txn *badger.Txn, a *twinfed.Activity) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.out = append(o.out, *a)
	return nil
}

func (o *recordingOutbox) Notify() {}

// count returns how many activities of type typ about object were enqueued.
func (o *recordingOutbox) count(typ twinfed.ActivityType, object string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, a := range o.out {
		if a.Type == typ && a.Object == object {
			n++
		}
	}
	return n
}

func TestHandleActivity_ReplayChangesNothing(t *testing.T) {
	out := &recordingOutbox{}
	n := MustOpenNode(t, nodeOpts{outbox: out})
	svc, ctx := n.Service(), context.Background()
	anna, annaURL := seedTeacher(t, n, "anna", "Anna")
	bruno, brunoURL := seedTeacher(t, n, "bruno", "Bruno")
	jean := twinfed.ActorURL(frBase, "jean")
	now := time.Now().UTC().Truncate(time.Second)
	deliver := func(a *twinfed.Activity) {
		t.Helper()
		if err := svc.HandleActivity(ctx, a); err != nil {
			t.Fatalf("%s %s: %v", a.Type, a.ID, err)
		}
	}

	t.Run("one-way follow", func(t *testing.T) {
		f := &twinfed.Activity{ID: twinfed.ActivityURL(frBase, "follow-1"), Type: twinfed.ActivityFollow, Actor: jean, To: []string{annaURL}, Object: annaURL, Published: now}
		deliver(f)
		deliver(f)
		if c := n.Social().Counts(ctx, anna); c.Notifications != 1 {
			t.Errorf("anna has %d notifications, want 1", c.Notifications)
		}
		if net, _ := n.Social().Network(ctx, anna); len(net.Followers) != 1 {
			t.Errorf("anna's followers: %+v", net.Followers)
		}
		if got := out.count(twinfed.ActivityAccept, f.ID); got != 1 {
			t.Errorf("%d Accepts of the follow queued, want 1", got)
		}
	})

	t.Run("contact request declined, then replayed", func(t *testing.T) {
		r := &twinfed.Activity{ID: twinfed.ActivityURL(frBase, "contact-1"), Type: twinfed.ActivityFollow, Actor: jean, To: []string{brunoURL}, Object: brunoURL,
			Contact: true, Summary: "Bonjour", Published: now}
		deliver(r)
		if _, err := n.Social().AnswerContact(ctx, bruno, jean, false); err != nil {
			t.Fatal(err)
		}
		deliver(r)
		if net, _ := n.Social().Network(ctx, bruno); len(net.Incoming)+len(net.Contacts) != 0 {
			t.Errorf("the declined request is back: %+v", net)
		}
		if c := n.Social().Counts(ctx, bruno); c.Requests != 0 || c.Notifications != 1 {
			t.Errorf("bruno's counts: %+v, want no request and 1 notification", c)
		}
		if got := out.count(twinfed.ActivityReject, r.ID); got != 1 {
			t.Errorf("%d Rejects queued, want 1", got)
		}
	})

	t.Run("message", func(t *testing.T) {
		id := twinfed.ActivityURL(frBase, "message-1")
		m := &twinfed.Activity{ID: id, Type: twinfed.ActivityCreate, Actor: jean, To: []string{annaURL}, Object: id + "/note", Published: now,
			Note: &twinfed.Note{ID: id + "/note", From: jean, To: annaURL, Content: "<p>Salut Anna</p>", Published: now}}
		deliver(m)
		deliver(m)
		if c := n.Social().Counts(ctx, anna); c.Messages != 1 {
			t.Errorf("anna has %d unread messages, want 1", c.Messages)
		}
		if _, msgs, _ := n.Social().ConversationWith(ctx, anna, jean, 10); len(msgs) != 1 {
			t.Errorf("anna holds %d messages from jean, want 1", len(msgs))
		}
	})

	t.Run("project updated, deleted, update replayed", func(t *testing.T) {
		p := frProject("replayed", "Water we use", annaURL, twinfed.ProjectAwaitingApproval, twinfed.PartnerPending)
		up := &twinfed.Activity{ID: twinfed.ActivityURL(frBase, "update-replayed"), Type: twinfed.ActivityUpdate, Actor: p.ID, To: []string{annaURL},
			Object: p.ID, Project: p, Published: now}
		del := &twinfed.Activity{ID: twinfed.ActivityURL(frBase, "delete-replayed"), Type: twinfed.ActivityDelete, Actor: p.ID, To: []string{annaURL},
			Object: p.ID, Project: p, Published: now}
		deliver(up)
		if _, err := n.Projects().ViewProject(ctx, anna, p.ID); err != nil {
			t.Fatalf("the project did not arrive: %v", err)
		}
		deliver(del)
		deliver(up)
		if v, err := n.Projects().ViewProject(ctx, anna, p.ID); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
			t.Errorf("the deleted project is back after a replay: %+v %v", v, err)
		}
	})

	t.Run("dropped activities stay dropped", func(t *testing.T) {
		id := twinfed.ActivityURL(frBase, "message-to-nobody")
		nobody := twinfed.ActorURL(n.URL(), "nobody")
		m := &twinfed.Activity{ID: id, Type: twinfed.ActivityCreate, Actor: jean, To: []string{nobody}, Object: id + "/note", Published: now,
			Note: &twinfed.Note{ID: id + "/note", From: jean, To: nobody, Content: "Hello", Published: now}}
		for i := 0; i < 2; i++ {
			if err := svc.HandleActivity(ctx, m); twinfed.ErrorCode(err) != twinfed.EINVALID {
				t.Errorf("delivery %d of a message to no member: %v, want EINVALID", i+1, err)
			}
		}
		join := &twinfed.Activity{ID: twinfed.ActivityURL(frBase, "join-1"), Type: twinfed.ActivityJoin, Actor: jean, To: []string{annaURL}, Object: annaURL, Published: now}
		if err := svc.HandleActivity(ctx, join); twinfed.ErrorCode(err) != twinfed.EINVALID || !strings.Contains(err.Error(), "not handled by this node") {
			t.Errorf("a Join, which no feature takes: %v", err)
		}
	})
}
