package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/config"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/node/feed"
)

// TestFederation_WallPostBackfill: the FR node is away longer than the IT
// node's retry window (shortened to seconds here), so IT parks the
// delivery of Maria's wall post; back, FR's catch-up (the signed GET of
// IT's feed.BackfillPath) brings it to her follower Jean's feed. Paolo's
// post, read by nobody on FR, is served to FR neither before nor after; a
// change of an earlier post, parked too, reaches FR the same way, and a
// replica of a post IT no longer lists (deleted meanwhile) is forgotten;
// the backfill page refuses an unsigned request. Replies and likes: a
// reply, a like, an unlike and a reply's deletion made on IT while FR is
// away reach FR's replica (the interactions' backfill), with the same
// counts on both nodes; the ES node, where nobody reads Maria, is served
// none of them on its signed requests.
func TestFederation_WallPostBackfill(t *testing.T) {
	ctx := context.Background()
	cluster := consensustest.MustOpenCluster(t, 3)
	it := startFedNodeWith(t, cluster, "IT", func(c *config.Node) { c.Federation.RetryWindow = 2 * time.Second })
	fr := startFedNode(t, cluster, "FR")
	es := startFedNode(t, cluster, "ES")
	it.knows(t, fr, es)
	fr.knows(t, it)
	es.knows(t, it)
	maria := it.seedTeacher(t, "maria", "Maria", "Rossi", []string{"mathematics"}, []int{9, 10})
	it.seedTeacher(t, "paolo", "Paolo", "Verdi", []string{"art"}, []int{9})
	if err := it.Node().Social().FollowMember(ctx, teacher("paolo"), maria); err != nil {
		t.Fatal(err)
	}
	jean := fr.seedTeacher(t, "jean", "Jean", "Dupont", []string{"music"}, []int{10, 11})
	if err := fr.Node().Social().FollowMember(ctx, teacher("jean"), maria); err != nil {
		t.Fatal(err)
	}
	consensustest.Eventually(t, 60*time.Second, func() bool {
		return it.Node().Feed().Counts(ctx, maria).Followers == 2 // Paolo, Jean
	}, "IT never recorded Jean as Maria's follower")

	before, err := it.Node().Feed().Publish(ctx, teacher("maria"), "Prima della partenza", nil)
	if err != nil {
		t.Fatal(err)
	}
	consensustest.Eventually(t, 60*time.Second, func() bool {
		_, _, err := fr.Node().Feed().Get(ctx, teacher("jean"), before.ID)
		return err == nil
	}, "Maria's first post never reached FR")

	// A post FR holds that IT no longer has (as if Maria deleted it while
	// FR was away and the Delete was parked): the backfill forgets it.
	gone := it.base + "/posts/gone"
	err = fr.svc().HandleActivity(ctx, &twinfed.Activity{ID: twinfed.ActivityURL(it.base, "gone-1"), Type: twinfed.ActivityCreate, Actor: maria, Object: gone,
		To: []string{jean}, Note: &twinfed.Note{ID: gone, From: maria, To: twinfed.FollowersURL(maria), Content: "<p>Sarà cancellato</p>", Published: time.Now().Add(-2 * time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := fr.Node().Feed().Get(ctx, teacher("jean"), gone); err != nil {
		t.Fatalf("FR does not hold the post to be forgotten: %v", err)
	}

	// Before FR goes: Paolo's reply (deleted while FR is away) and
	// Jean's; Maria likes her post (she unlikes it while FR is away).
	doomed, err := it.Node().Feed().Reply(ctx, teacher("paolo"), before.ID, "Risposta da cancellare")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fr.Node().Feed().Reply(ctx, teacher("jean"), before.ID, "Bravo!"); err != nil {
		t.Fatal(err)
	}
	if err := it.Node().Feed().Like(ctx, teacher("maria"), before.ID); err != nil {
		t.Fatal(err)
	}
	consensustest.Eventually(t, 60*time.Second, func() bool {
		p, _, err := it.Node().Feed().Get(ctx, teacher("maria"), before.ID)
		_, replies, _ := fr.Node().Feed().Get(ctx, teacher("jean"), before.ID)
		return err == nil && p.Replies == 2 && len(replies) == 2
	}, "the replies never reached both nodes")

	fr.nodeMain.Close() // away beyond IT's retry window
	reply, err := it.Node().Feed().Reply(ctx, teacher("paolo"), before.ID, "Mentre eri via: una risposta")
	if err != nil {
		t.Fatal(err)
	}
	if err := it.Node().Feed().Like(ctx, teacher("paolo"), before.ID); err != nil {
		t.Fatal(err)
	}
	if err := it.Node().Feed().Unlike(ctx, teacher("maria"), before.ID); err != nil {
		t.Fatal(err)
	}
	if err := it.Node().Feed().DeleteReply(ctx, teacher("paolo"), before.ID, doomed.ID); err != nil {
		t.Fatal(err)
	}
	if err := it.Node().Feed().DeleteReply(ctx, teacher("maria"), before.ID, reply.ID); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Fatalf("Maria deleted Paolo's reply: %v", err)
	}
	if _, err := it.Node().Feed().Edit(ctx, teacher("maria"), before.ID, "Prima della partenza (corretto)"); err != nil {
		t.Fatal(err)
	}
	post, err := it.Node().Feed().Publish(ctx, teacher("maria"), "Mentre eri via: la nostra gita", nil)
	if err != nil {
		t.Fatal(err)
	}
	other, err := it.Node().Feed().Publish(ctx, teacher("paolo"), "Per i miei follower di qui", nil)
	if err != nil {
		t.Fatal(err)
	}
	consensustest.Eventually(t, 60*time.Second, func() bool {
		parked, err := it.out.Parked("")
		return err == nil && len(parked) > 0
	}, "IT never parked the delivery to the FR node")

	// What IT serves to FR: Maria's post (Jean reads her), not Paolo's;
	// to a host where nobody reads them, nothing.
	frHost := twinfed.URLHost(fr.base)
	page, err := it.Node().Feed().LocalPosts(ctx, frHost, time.Time{}, "", 100)
	if err != nil || len(page.Posts) != 2 || page.Posts[0].ID != post.ID || page.Posts[1].ID != before.ID || len(page.Posts[0].To) != 0 {
		t.Fatalf("IT serves FR %+v %v, want only Maria's %s and %s", page, err, post.ID, before.ID)
	}
	if page, _ := it.Node().Feed().LocalPosts(ctx, "nobody.example", time.Time{}, "", 100); len(page.Posts) != 0 {
		t.Fatalf("IT serves a node without readers %d posts", len(page.Posts))
	}
	resp, err := http.Get(it.base + feed.BackfillPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned GET of the backfill: %d, want 401", resp.StatusCode)
	}

	// ES signs its requests, but nobody there reads Maria: nothing.
	for _, path := range []string{feed.BackfillPath, feed.InteractionsPath} {
		body, err := es.out.Get(ctx, it.base+path+"?limit=100")
		if err != nil || strings.Contains(string(body), "Mentre eri via") || strings.Contains(string(body), maria) || strings.Contains(string(body), "Bravo") {
			t.Fatalf("IT serves ES at %s: %s %v", path, body, err)
		}
	}
	if page, _ := it.Node().Feed().LocalInteractions(ctx, "nobody.example", time.Time{}, "", 100); len(page.Items) != 0 {
		t.Fatalf("IT serves a node without readers the replies of %d posts", len(page.Items))
	}

	fr.restart(t)
	consensustest.Eventually(t, 60*time.Second, func() bool {
		pg, err := fr.Node().Feed().Feed(ctx, teacher("jean"), "", 20)
		if err != nil {
			return false
		}
		for _, item := range pg.Items {
			if item.Post != nil && item.Post.ID == post.ID && strings.Contains(item.Post.Content, "Mentre eri via") && item.Post.Author == maria {
				return true
			}
		}
		return false
	}, "the backfill never brought Maria's post to Jean's feed on FR")
	consensustest.Eventually(t, 60*time.Second, func() bool { // after the pages, in a transaction of its own
		_, _, err := fr.Node().Feed().Get(ctx, teacher("jean"), gone)
		return twinfed.ErrorCode(err) == twinfed.ENOTFOUND
	}, "FR still holds a post IT no longer lists")
	if p, _, err := fr.Node().Feed().Get(ctx, teacher("jean"), before.ID); err != nil || !strings.Contains(p.Content, "(corretto)") {
		t.Fatalf("the change made while FR was away: %+v %v", p, err)
	}
	if _, _, err := fr.Node().Feed().Get(ctx, teacher("jean"), other.ID); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		t.Fatalf("FR holds Paolo's post: %v", err)
	}

	// The replies and likes made while FR was away: the same on both.
	consensustest.Eventually(t, 60*time.Second, func() bool {
		p, replies, err := fr.Node().Feed().Get(ctx, teacher("jean"), before.ID)
		if err != nil || len(replies) != 2 || p.Replies != 2 || p.Likes != 1 {
			return false
		}
		ids := map[string]bool{}
		for _, r := range replies {
			ids[r.ID] = true
		}
		return ids[reply.ID] && !ids[doomed.ID]
	}, "the reply, like, unlike and deletion never reached FR")
	mp, mine, err := it.Node().Feed().Get(ctx, teacher("maria"), before.ID)
	fp, theirs, _ := fr.Node().Feed().Get(ctx, teacher("jean"), before.ID)
	if err != nil || mp.Replies != fp.Replies || mp.Likes != fp.Likes || len(mine) != len(theirs) || mp.Likes != 1 {
		t.Fatalf("IT counts %d replies, %d likes; FR %d, %d", mp.Replies, mp.Likes, fp.Replies, fp.Likes)
	}
	// Again: nothing twice (the cursor, and the same state applied again).
	if _, err := fr.Node().Backfill(ctx, fr.out.Get); err != nil {
		t.Fatal(err)
	}
	if p, replies, _ := fr.Node().Feed().Get(ctx, teacher("jean"), before.ID); p.Replies != 2 || len(replies) != 2 || p.Likes != 1 {
		t.Fatalf("a second backfill: %d replies (%d kept), %d likes", p.Replies, len(replies), p.Likes)
	}
}
