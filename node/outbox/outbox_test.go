package outbox_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/outbox"
)

// recording is an Outbox that keeps what it is given.
type recording struct {
	got      []*twinfed.Activity
	notified int
}

func (r *recording) Enqueue(_ *badger.Txn, a *twinfed.Activity) error {
	r.got = append(r.got, a)
	return nil
}
func (r *recording) Notify() { r.notified++ }

var _ outbox.Outbox = (*recording)(nil)

// TestActivities_Send checks who gets what: recipients on this node
// nothing, recipients elsewhere the activity once through the outbox, and
// without an outbox EUNAVAILABLE for them only.
func TestActivities_Send(t *testing.T) {
	at := time.Date(2024, 3, 1, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	now := func() time.Time { return at }
	local, remote := "http://it.example/users/bruno", "http://fr.example/users/jean"

	alone := outbox.NewActivities("http://it.example/", nil, now)
	a := alone.New(twinfed.ActivityFollow, "anna")
	if a.Actor != "http://it.example/users/anna" || !strings.HasPrefix(a.ID, "http://it.example/") || !a.Published.Equal(at) || a.Published.Location() != time.UTC {
		t.Fatalf("New: %+v", a)
	}
	if ag := alone.New(twinfed.ActivityAccept, ""); ag.Actor != twinfed.AgencyURL("http://it.example") {
		t.Fatalf("New by the agency: actor %q", ag.Actor)
	}
	if !alone.IsLocal(local) || alone.IsLocal(remote) {
		t.Fatal("IsLocal")
	}
	a.To = []string{local}
	if err := alone.Send(nil, a); err != nil {
		t.Fatalf("Send to this node without an outbox: %v", err)
	}
	a.To = []string{local, remote}
	if err := alone.Send(nil, a); twinfed.ErrorCode(err) != twinfed.EUNAVAILABLE {
		t.Fatalf("Send to another node without an outbox: %v, want EUNAVAILABLE", err)
	}
	alone.Notify()

	rec := &recording{}
	fed := outbox.NewActivities("http://it.example", rec, now)
	b := fed.New(twinfed.ActivityFollow, "anna")
	b.To = []string{remote, local, "http://es.example/users/ana"}
	if err := fed.Send(nil, b); err != nil {
		t.Fatal(err)
	}
	b2 := fed.New(twinfed.ActivityFollow, "anna")
	b2.To = []string{local}
	if err := fed.Send(nil, b2); err != nil {
		t.Fatal(err)
	}
	fed.Notify()
	if len(rec.got) != 1 || rec.got[0] != b || rec.notified != 1 {
		t.Fatalf("the outbox got %d activities and %d notices; want the one with remote recipients, once", len(rec.got), rec.notified)
	}
	if b.ID == b2.ID {
		t.Fatal("two activities with one id")
	}
}
