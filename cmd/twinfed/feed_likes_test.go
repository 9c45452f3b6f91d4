package main

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/federation"
	"github.com/twinfed/twinfed/federation/signing"
	"github.com/twinfed/twinfed/node/feed"
	"github.com/twinfed/twinfed/node/store"
)

// TestFederation_WallPostLikesLive: likes reach the other replicas of a
// post as they happen. Maria posts on IT, read by Jean on FR and Ana on
// ES. Ana's like on ES reaches IT (Like) and IT passes the new count on to
// FR's replica (Update carrying the count, seen in FR's inbox: the
// backfill's signed GETs do not go there); Ana's unlike likewise; likes
// from FR and ES together give every node the same count. A count sent signed by ES for IT's post is refused by FR's
// inbox (same origin), one from another IT member than the author by the
// feed; an older count, and a replay, change nothing.
func TestFederation_WallPostLikesLive(t *testing.T) {
	ctx := context.Background()
	cluster := consensustest.MustOpenCluster(t, 3)
	it, fr, es := startThreeNodes(t, cluster)
	maria := it.seedTeacher(t, "maria", "Maria", "Rossi", []string{"music"}, []int{10})
	paolo := it.seedTeacher(t, "paolo", "Paolo", "Verdi", []string{"art"}, []int{9})
	fr.seedTeacher(t, "jean", "Jean", "Dupont", []string{"music"}, []int{10})
	es.seedTeacher(t, "ana", "Ana", "García", []string{"music"}, []int{10})
	if err := fr.Node().Social().FollowMember(ctx, teacher("jean"), maria); err != nil {
		t.Fatal(err)
	}
	if err := es.Node().Social().FollowMember(ctx, teacher("ana"), maria); err != nil {
		t.Fatal(err)
	}
	consensustest.Eventually(t, 60*time.Second, func() bool {
		return it.Node().Feed().Counts(ctx, maria).Followers == 2
	}, "IT never recorded Jean and Ana as Maria's followers")
	post, err := it.Node().Feed().Publish(ctx, teacher("maria"), "Il coro della scuola", nil)
	if err != nil {
		t.Fatal(err)
	}
	// likesOn is the like count of the post as a node's reader sees it.
	type reader struct {
		n    *fedNode
		user string
	}
	readers := []reader{{it, "maria"}, {fr, "jean"}, {es, "ana"}}
	likesOn := func(r reader) int {
		p, _, err := r.n.Node().Feed().Get(ctx, teacher(r.user), post.ID)
		if err != nil {
			return -1
		}
		return p.Likes
	}
	everywhere := func(want int, what string) {
		t.Helper()
		consensustest.Eventually(t, 60*time.Second, func() bool {
			for _, r := range readers {
				if likesOn(r) != want {
					return false
				}
			}
			return true
		}, what)
	}
	everywhere(0, "the post never reached FR and ES")

	// counts is how many like counts of the post FR's inbox took from IT
	// (Updates carrying twinfed:postLikes): the live path, which the
	// backfill (signed GETs) does not take.
	counts := func() int {
		n := 0
		_ = fr.Node().Store().View(func(txn *badger.Txn) error {
			itr := txn.NewIterator(badger.IteratorOptions{Prefix: []byte("fed/in/a/" + it.base + "/"), PrefetchValues: true})
			defer itr.Close()
			for itr.Rewind(); itr.Valid(); itr.Next() {
				_ = itr.Item().Value(func(v []byte) error {
					if bytes.Contains(v, []byte("postLikes")) && bytes.Contains(v, []byte(post.ID)) {
						n++
					}
					return nil
				})
			}
			return nil
		})
		return n
	}
	live := func(before int, what string) {
		t.Helper()
		consensustest.Eventually(t, 60*time.Second, func() bool { return counts() > before }, what)
	}

	// Ana likes on ES: FR's replica shows it, IT having passed the count
	// on.
	before := counts()
	if err := es.Node().Feed().Like(ctx, teacher("ana"), post.ID); err != nil {
		t.Fatal(err)
	}
	everywhere(1, "Ana's like never reached FR's replica")
	live(before, "IT never passed Ana's like on to FR")

	// Her unlike too.
	before = counts()
	if err := es.Node().Feed().Unlike(ctx, teacher("ana"), post.ID); err != nil {
		t.Fatal(err)
	}
	everywhere(0, "Ana's unlike never reached FR's replica")
	live(before, "IT never passed Ana's unlike on to FR")

	// Likes from FR, ES and IT at once: every node ends with the three.
	for _, r := range readers {
		if err := r.n.Node().Feed().Like(ctx, teacher(r.user), post.ID); err != nil {
			t.Fatal(err)
		}
	}
	everywhere(3, "the three likes never showed on every node")

	// held is FR's replica's count and its time.
	held := func() (int, time.Time) {
		var p feed.Post
		_ = fr.Node().Store().View(func(txn *badger.Txn) error { return store.GetJSON(txn, store.PrefixWallPost+post.ID, &p) })
		return p.Likes, p.LikesAt
	}
	count, at := held()
	if count != 3 || at.IsZero() {
		t.Fatalf("FR's replica: %d likes at %v", count, at)
	}
	update := func(id string, by *fedNode, actor string, likes int, at time.Time) *twinfed.Activity {
		return &twinfed.Activity{ID: twinfed.ActivityURL(by.base, id), Type: twinfed.ActivityUpdate, Actor: actor, To: []string{twinfed.ActorURL(fr.base, "jean")},
			Object: post.ID, Likes: &twinfed.PostLikes{Post: post.ID, Likes: likes, At: at}, Published: time.Now().UTC()}
	}

	// ES signs a count of IT's post: FR's inbox refuses it.
	forged := update("forged-likes", es, twinfed.ActorURL(es.base, "ana"), 40, at.Add(time.Second))
	body, err := federation.EncodeActivity(forged)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, twinfed.SharedInboxURL(fr.base), bytes.NewReader(body))
	req.Header.Set("Content-Type", federation.ContentTypeActivity)
	if err := (&signing.Signer{Key: es.keys.Primary}).Sign(req, twinfed.KeyID(twinfed.AgencyURL(es.base)), body); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("FR's inbox answered %d to ES's count of IT's post, want 403", resp.StatusCode)
	}
	// Another member of IT (the same origin) is not the post's author.
	byPaolo := update("paolo-likes", it, paolo, 40, at.Add(time.Second))
	if err := fr.svc().HandleActivity(ctx, byPaolo); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Fatalf("a count from Paolo: %v, want EFORBIDDEN", err)
	}
	// An older count from the author's node (delivered late) changes
	// nothing.
	stale := update("stale-likes", it, maria, 1, at.Add(-time.Millisecond))
	if err := fr.svc().HandleActivity(ctx, stale); err != nil {
		t.Fatal(err)
	}
	if c, a := held(); c != 3 || !a.Equal(at) {
		t.Fatalf("after the refused and older counts FR holds %d likes at %v, want 3 at %v", c, a, at)
	}
	// A newer count is taken; a later real change replaces it, and the
	// same count again (a replay) changes nothing.
	newer := update("newer-likes", it, maria, 7, at.Add(time.Microsecond))
	if err := fr.svc().HandleActivity(ctx, newer); err != nil {
		t.Fatal(err)
	}
	if c, _ := held(); c != 8 { // 7 of other nodes' members, and Jean's

		t.Fatalf("FR did not take a newer count: %d", c)
	}
	if err := it.Node().Feed().Unlike(ctx, teacher("maria"), post.ID); err != nil {
		t.Fatal(err)
	}
	everywhere(2, "Maria's unlike never repaired FR's count")
	for _, id := range []string{"newer-likes", "replayed-likes"} {
		again := update(id, it, maria, 7, at.Add(time.Microsecond))
		if err := fr.svc().HandleActivity(ctx, again); err != nil {
			t.Fatal(err)
		}
		if c := likesOn(reader{fr, "jean"}); c != 2 {
			t.Fatalf("replayed as %s, the old count changed FR's to %d", id, c)
		}
	}
}
