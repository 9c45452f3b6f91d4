package main

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/node/forum"
)

// TestFederation_PartnerForum walks issue 18's partner forum across three
// real nodes and a real registry: a French teacher posts an idea; an
// Italian teacher finds it by filters (partners sought in Italy), replies
// and sends a contact request from it, with the post quoted; the French
// teacher is notified of the reply; the Spanish node, stopped during all
// that and started again, shows the post and the reply. Forged posts (for
// a member the sending node does not host) and a reply to a hidden post
// are refused and change nothing.
func TestFederation_PartnerForum(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 3)
	fr, it, es := startFedNode(t, cluster, "FR"), startFedNode(t, cluster, "IT"), startFedNode(t, cluster, "ES")
	fr.knows(t, it, es)
	it.knows(t, fr, es)
	es.knows(t, fr, it)
	jean := fr.seedTeacher(t, "jean", "Jean", "Dupont", []string{"music"}, []int{10})
	maria := it.seedTeacher(t, "maria", "Maria", "Bianchi", []string{"music"}, []int{9})
	es.seedTeacher(t, "ana", "Ana", "García", []string{"art"}, []int{10})
	ctx := context.Background()

	es.nodeMain.Close() // away during the whole exchange

	// Jean posts an idea, through the JSON API.
	js := fr.login(t, "jean")
	code, out := js.call("POST", "/api/v1/forum/posts", map[string]any{"thread": "age_6_11", "title": "Chansons de nos villes",
		"subjects": []string{"music"}, "age_bands": []string{"age_6_11"}, "languages": []string{"fr", "en"}, "seeking": []string{"IT", "ES"},
		"months": 6, "idea": "Nos élèves chantent leur ville, les vôtres la leur."})
	if code != 200 {
		t.Fatalf("post: %d %v", code, out)
	}
	postID, _ := out["id"].(string)
	if !strings.HasPrefix(postID, fr.base+"/forum/posts/") {
		t.Fatalf("post id %q is not hosted by the FR node", postID)
	}

	// Maria finds it on IT by filters, replies, and contacts Jean from it.
	ms := it.login(t, "maria")
	consensustest.Eventually(t, 30*time.Second, func() bool {
		code, out := ms.call("GET", "/api/v1/forum/posts?country=IT&subject=music&band=age_6_11&language=fr", nil)
		posts := list(out, "posts")
		return code == 200 && len(posts) == 1 && posts[0].(map[string]any)["id"] == postID
	}, "the FR post never reached the IT node's forum")
	if code, out := ms.call("GET", "/api/v1/forum/posts?country=DE", nil); code != 200 || len(list(out, "posts")) != 0 {
		t.Fatalf("a filter on partners sought in Germany: %d %v", code, out)
	}
	if code, out := ms.call("GET", "/api/v1/forum/posts?subject=astrology", nil); code != 400 {
		t.Fatalf("an unknown subject: %d %v", code, out)
	}
	code, out = ms.call("POST", "/api/v1/forum/replies", map[string]any{"id": postID, "text": "Volentieri! La mia classe canta Roma."})
	if code != 200 {
		t.Fatalf("reply: %d %v", code, out)
	}
	replyID, _ := out["id"].(string)
	if code, out := ms.call("POST", "/api/v1/forum/replies", map[string]any{"id": postID, "text": "   "}); code != 400 {
		t.Fatalf("an empty reply: %d %v", code, out)
	}
	if code, out := ms.call("POST", "/api/v1/forum/contact", map[string]any{"id": postID, "message": "Scriviamoci!"}); code != 200 {
		t.Fatalf("contact from the post: %d %v", code, out)
	}
	consensustest.Eventually(t, 30*time.Second, func() bool {
		n, err := fr.Node().Social().Network(ctx, teacher("jean"))
		if err != nil || len(n.Incoming) != 1 {
			return false
		}
		c := n.Incoming[0]
		return c.Peer == maria && strings.Contains(c.Message, "Chansons de nos villes") && strings.Contains(c.Message, "Scriviamoci!")
	}, "the contact request quoting the post never reached Jean")
	consensustest.Eventually(t, 30*time.Second, func() bool {
		th, err := fr.Node().Forum().Read(ctx, teacher("jean"), postID)
		return err == nil && len(th.Replies) == 1 && th.Replies[0].ID == replyID
	}, "the reply never reached the post's node")
	consensustest.Eventually(t, 10*time.Second, func() bool {
		notes, _ := fr.Node().Social().Notifications(ctx, teacher("jean"), 10)
		for _, n := range notes {
			if n.Kind == forum.ReplyKind && n.Actor == maria {
				return true
			}
		}
		return false
	}, "Jean was never notified of the reply")
	// Maria reports the post: the FR agency sees it (a Flag to its node).
	if code, out := ms.call("POST", "/api/v1/forum/reports", map[string]any{"id": postID, "reason": "Solo una prova"}); code != 200 {
		t.Fatalf("report: %d %v", code, out)
	}
	officer := &twinfed.Principal{Username: "officer", Role: twinfed.RoleAgencyOfficer, Status: twinfed.StatusValidated}
	consensustest.Eventually(t, 30*time.Second, func() bool {
		list, err := fr.Node().Forum().Reports(ctx, officer)
		return err == nil && len(list) == 1 && list[0].Post.ID == postID && list[0].Reports[0].Reporter == maria && list[0].Reports[0].Reason == "Solo una prova"
	}, "the report never reached the FR agency")
	if list, _ := it.Node().Forum().Reports(ctx, officer); len(list) != 0 {
		t.Fatalf("the IT agency holds reports of a French post: %+v", list)
	}

	// Jean changes his post: every replica takes the new version.
	code, out = js.call("POST", "/api/v1/forum/edit", map[string]any{"id": postID, "thread": "age_6_11", "title": "Chansons de nos villes et villages",
		"subjects": []string{"music"}, "age_bands": []string{"age_6_11"}, "languages": []string{"fr", "en"}, "seeking": []string{"IT", "ES"},
		"months": 8, "idea": "Nos élèves chantent leur ville, les vôtres la leur."})
	if code != 200 || out["version"] != float64(2) {
		t.Fatalf("edit: %d %v", code, out)
	}
	if code, out := ms.call("POST", "/api/v1/forum/edit", map[string]any{"id": postID, "title": "Mine now"}); code != 403 {
		t.Fatalf("Maria changes Jean's post: %d %v", code, out)
	}
	consensustest.Eventually(t, 30*time.Second, func() bool {
		th, err := it.Node().Forum().Read(ctx, teacher("maria"), postID)
		return err == nil && th.Post.Title == "Chansons de nos villes et villages" && th.Post.Months == 8
	}, "the change never reached the IT node")
	// The web page shows the post, the reply and the contact form.
	page := ms.page("/forum/post?id=" + url.QueryEscape(postID))
	for _, want := range []string{"Chansons de nos villes", "La mia classe canta Roma", `action="/forum/contact"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the IT post page lacks %q", want)
		}
	}

	// Another node cannot speak for a member it does not host.
	now := time.Now().UTC()
	forged := []*twinfed.Activity{
		{ID: twinfed.ActivityURL(it.base, "forged-1"), Type: twinfed.ActivityCreate, Actor: twinfed.ActorURL(it.base, "maria"), Object: fr.base + "/forum/posts/forged",
			Forum: &twinfed.ForumPost{ID: fr.base + "/forum/posts/forged", Author: jean, Name: "Jean Dupont", Country: "FR", Thread: "erasmus", Title: "Forged",
				Subjects: []string{"art"}, AgeBands: []string{"age_6_11"}, Languages: []string{"fr"}, Months: 3, Idea: "Not Jean's.", Version: 1, Published: now, Updated: now}},
		{ID: twinfed.ActivityURL(it.base, "forged-2"), Type: twinfed.ActivityCreate, Actor: twinfed.ActorURL(it.base, "maria"), Object: it.base + "/forum/posts/forged2",
			Forum: &twinfed.ForumPost{ID: it.base + "/forum/posts/forged2", Author: twinfed.ActorURL(it.base, "maria"), Name: "Maria", Country: "FR", Thread: "erasmus", Title: "Forged",
				Subjects: []string{"art"}, AgeBands: []string{"age_6_11"}, Languages: []string{"fr"}, Months: 3, Idea: "Claims France.", Version: 1, Published: now, Updated: now}},
	}
	for _, a := range forged {
		if err := fr.svc().HandleActivity(ctx, a); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
			t.Errorf("forged %s: %v, want EFORBIDDEN", a.ID, err)
		}
		if th, err := fr.Node().Forum().Read(ctx, teacher("jean"), a.Object); err == nil {
			t.Errorf("forged post stored: %+v", th.Post)
		}
	}

	// The Spanish node comes back: the deliveries it missed and its
	// catch-up bring the post and the reply.
	time.Sleep(time.Second) // deliveries to ES fail and back off meanwhile
	es.restart(t)
	consensustest.Eventually(t, 60*time.Second, func() bool {
		th, err := es.Node().Forum().Read(ctx, teacher("ana"), postID)
		return err == nil && th.Post.Title == "Chansons de nos villes et villages" && len(th.Replies) == 1 && th.Replies[0].ID == replyID
	}, "the ES node never showed the post and its reply after its restart")

	// The FR agency hides the post: no reply is taken any more, here or
	// from another node, and the replicas hide it.
	if _, err := it.Node().Forum().SetHidden(ctx, officer, postID, true); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Fatalf("the IT agency hides a French post: %v", err)
	}
	if _, err := fr.Node().Forum().SetHidden(ctx, officer, postID, true); err != nil {
		t.Fatal(err)
	}
	consensustest.Eventually(t, 30*time.Second, func() bool {
		_, err := it.Node().Forum().Read(ctx, teacher("maria"), postID)
		return twinfed.ErrorCode(err) == twinfed.ENOTFOUND
	}, "the hidden post is still shown on IT")
	if code, out := ms.call("POST", "/api/v1/forum/replies", map[string]any{"id": postID, "text": "Ancora?"}); code != 404 {
		t.Fatalf("a reply to a hidden post: %d %v", code, out)
	}
	late := &twinfed.Activity{ID: twinfed.ActivityURL(it.base, "late-reply"), Type: twinfed.ActivityCreate, Actor: maria, Object: it.base + "/forum/posts/late",
		Forum: &twinfed.ForumPost{ID: it.base + "/forum/posts/late", Author: maria, Name: "Maria Bianchi", Country: "IT", InReplyTo: postID, Idea: "Ancora?", Version: 1, Published: now, Updated: now}}
	if err := fr.svc().HandleActivity(ctx, late); twinfed.ErrorCode(err) != twinfed.EINVALID {
		t.Fatalf("a reply to a hidden post from another node: %v, want EINVALID", err)
	}
	th, err := fr.Node().Forum().Read(ctx, teacher("jean"), postID)
	if err != nil || len(th.Replies) != 1 || !th.Post.Hidden {
		t.Fatalf("the hidden post on FR: %+v %v", th, err)
	}
}
