package federation

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/config"
	"github.com/twinfed/twinfed/federation/signing"
)

// noNodes is a registry that lists no node.
type noNodes struct{}

func (noNodes) KeysForHost(context.Context, string) (string, []twinfed.NodeKey, error) {
	return "", nil, twinfed.Errorf(twinfed.ENOTFOUND, "no node")
}

// TestOpenEdge_Blocks: the configuration's blocks drop their followers
// when the outbox starts; the agency's blocks are checked, cover
// subdomains, drop followers, and are lifted (but not the configuration's).
func TestOpenEdge_Blocks(t *testing.T) {
	db, err := badger.Open(badger.DefaultOptions(t.TempDir()).WithLogger(nil).WithMemTableSize(8 << 20))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	key, err := signing.GenerateKey("k", twinfed.KeyRSA)
	if err != nil {
		t.Fatal(err)
	}
	set := config.DefaultFederation()
	set.BlockedDomains = []string{"bad.example"}
	o, err := NewOutbox(OutboxConfig{BaseURL: "https://it.example", Key: key, DB: db, Keys: noNodes{}, Settings: set})
	if err != nil {
		t.Fatal(err)
	}
	diary := twinfed.DiaryURL("https://it.example/projects/p1")
	follow := func(actor string) {
		rec, _ := json.Marshal(twinfed.DiaryFollower{Diary: diary, Actor: actor, Follow: actor + "#follow", Since: time.Now()})
		if err := db.Update(func(txn *badger.Txn) error { return txn.Set(followerKey(diary, actor), rec) }); err != nil {
			t.Fatal(err)
		}
	}
	actors := func() (out []string) {
		fs, err := o.DiaryFollowers("")
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			out = append(out, f.Actor)
		}
		return out
	}
	for _, a := range []string{"https://bad.example/users/a", "https://sub.bad.example/users/b", "https://good.example/users/c", "https://spam.example/users/d", "https://notspam.example/users/e"} {
		follow(a)
	}
	o.Start(context.Background())
	defer o.Close()
	if got := actors(); len(got) != 3 {
		t.Fatalf("followers after the start: %v", got)
	}

	for _, c := range []struct{ domain, reason, field string }{
		{"https://spam.example/", "spam", "domain"},
		{"Spam Example", "spam", "domain"},
		{"spam.example", " ", "reason"},
	} {
		if err := o.Block(c.domain, c.reason, "officer"); twinfed.ErrorFields(err)[c.field] == "" {
			t.Errorf("Block(%q, %q): %v", c.domain, c.reason, err)
		}
	}
	if got := actors(); len(got) != 3 {
		t.Fatalf("a refused block changed the followers: %v", got)
	}
	if err := o.Block("Spam.Example", "spam to pupils", "officer"); err != nil {
		t.Fatal(err)
	}
	if got := actors(); len(got) != 2 || got[0] != "https://good.example/users/c" && got[1] != "https://good.example/users/c" {
		t.Fatalf("followers after the block: %v", got)
	}
	for host, want := range map[string]bool{"spam.example": true, "a.spam.example:8443": true, "notspam.example": false, "sub.bad.example": true, "good.example": false} {
		if got := o.Blocked(host); got != want {
			t.Errorf("Blocked(%s) = %v", host, got)
		}
	}
	bs, err := o.Blocks()
	if err != nil || len(bs) != 2 || !bs[0].Config || bs[1].Domain != "spam.example" || bs[1].Reason != "spam to pupils" || bs[1].By != "officer" || bs[1].At.IsZero() {
		t.Fatalf("blocks: %+v %v", bs, err)
	}
	if err := o.Unblock("bad.example"); twinfed.ErrorCode(err) != twinfed.EINVALID {
		t.Fatalf("unblock a configured domain: %v", err)
	}
	if err := o.Unblock("nope.example"); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		t.Fatalf("unblock a domain not blocked: %v", err)
	}
	if err := o.Unblock("spam.example"); err != nil || o.Blocked("spam.example") {
		t.Fatalf("unblock: %v", err)
	}

	for actor, want := range map[string]bool{diary: true, "https://it.example/projects/p1": false, "https://it.example/projects/p1/diary/posts/x": false, "https://fr.example/projects/p1/diary": false, "https://it.example/users/diary": false} {
		if got := o.isDiaryActor(actor); got != want {
			t.Errorf("isDiaryActor(%s) = %v", actor, got)
		}
	}
}
