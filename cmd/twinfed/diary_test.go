package main

// The project diary followed from a fediverse server that is not Twinfed
// and that the registry does not list (the federation's one open edge):
// fediServer (fediverse_test.go), signing like Mastodon (draft-cavage
// RSA-SHA256), against a real node with a real registry.

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/config"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/node/project"
)

// TestFediverse_DiaryOpenEdge: an unlisted server finds a diary by
// WebFinger, reads its actor, outbox and Articles without being listed,
// follows it and gets a verified Accept; a teacher's post, its edit and
// its removal arrive as Create, Update and Delete of an Article; private
// objects, any other activity, any other inbox, a forged signature and a
// stale Date are refused, each saying why; Undo forgets the follower; once
// the agency blocks the server, its requests are refused with 403, its
// follower is dropped and nothing more is delivered to it.
func TestFediverse_DiaryOpenEdge(t *testing.T) {
	ctx := context.Background()
	cluster := consensustest.MustOpenCluster(t, 1)
	// The outside servers of this test listen on 127.0.0.1: this node may
	// fetch their keys there; the next one may not (the default).
	it := startFedNodeWith(t, cluster, "IT", func(c *config.Node) { c.Federation.OpenEdgePrivate = true })
	p := diaryProject(t, it)
	if _, err := it.Node().Accounts().CreateStaff(ctx, nil, "officer", "officer@agency.example", "Agency", "Officer", "correct horse 1", twinfed.RoleAgencyOfficer); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{modeCavage, modeRFC9421} {
		t.Run(mode, func(t *testing.T) { diaryOpenEdge(t, it, p, mode) })
	}

	// A follower whose account is deleted (410) is forgotten at the next
	// post, and nothing more is queued to it.
	gone := startFediServer(t, modeCavage)
	diary := twinfed.DiaryURL(p.ID)
	if code, msg := gone.postJSON(diary+"/inbox", map[string]any{"id": gone.base + "/activities/follow", "type": "Follow", "actor": gone.actor(), "object": diary}); code != http.StatusAccepted {
		t.Fatalf("Follow: %d %s", code, msg)
	}
	waitVerified(t, gone, "Accept", 1)
	gone.gone.Store(true)
	if _, err := it.Node().TwinSpaces().Diary.Save(context.Background(), teacher("maria"), p.ID, "", "Day three", "<p>Sun.</p>"); err != nil {
		t.Fatal(err)
	}
	consensustest.Eventually(t, 60*time.Second, func() bool {
		fs, _ := it.out.DiaryFollowers(diary)
		return len(fs) == 0
	}, "the gone follower is still recorded")
	if got := gone.receivedOf("Create"); len(got) != 0 {
		t.Fatalf("a gone account received: %v", got)
	}

	// By default a node does not fetch a key from a private address: an
	// outside server must not make it reach its own network.
	fr := startFedNode(t, cluster, "FR")
	frp := diaryProject(t, fr)
	fedi := startFediServer(t, modeCavage)
	follow := map[string]any{"id": fedi.base + "/activities/follow-fr", "type": "Follow", "actor": fedi.actor(), "object": twinfed.DiaryURL(frp.ID)}
	if code, msg := fedi.postJSON(twinfed.DiaryURL(frp.ID)+"/inbox", follow); code != http.StatusUnauthorized || !strings.Contains(msg, "private network address") {
		t.Fatalf("a key on a private address: %d %q", code, msg)
	}
}

// diaryProject is an approved project of two teachers of n, with its
// TwinSpace open.
func diaryProject(t *testing.T, n *fedNode) *twinfed.Project {
	t.Helper()
	ctx := context.Background()
	n.seedTeacher(t, "maria", "Maria", "Rossi", []string{"science"}, []int{10})
	luca := n.seedTeacher(t, "luca", "Luca", "Bianchi", []string{"science"}, []int{10})
	befriend(t, n, "maria", n, "luca")
	school := strings.ToLower(n.Config.Country) + "-school-maria"
	p, err := n.proj().CreateProject(ctx, teacher("maria"), project.ProjectDraft{SchoolID: school, Partner: luca, Title: "Rivers of Europe", Description: "Our rivers."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.proj().AnswerInvitation(ctx, teacher("luca"), p.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{twinfed.ActorURL(n.base, "maria"), luca} {
		if p, err = n.proj().DecideParticipation(ctx, officer, p.ID, who, true, ""); err != nil {
			t.Fatal(err)
		}
	}
	if p.State != twinfed.ProjectApproved {
		t.Fatalf("project: %s", p.State)
	}
	return p
}

// diaryOpenEdge is TestFediverse_DiaryOpenEdge with an outside server
// signing in one mode.
func diaryOpenEdge(t *testing.T, it *fedNode, p *twinfed.Project, mode string) {
	ctx := context.Background()
	diary := twinfed.DiaryURL(p.ID)
	host := twinfed.URLHost(it.base)
	fedi := startFediServer(t, mode) // not in the registry
	if _, err := it.client.CountryByHost(ctx, twinfed.URLHost(fedi.base)); err == nil {
		t.Fatal("the outside server is in the registry")
	}

	// WebFinger and the actor: a Service named after the project, with
	// the node's RSA key as its own.
	rid := p.ID[strings.LastIndexByte(p.ID, '/')+1:]
	wf, err := fedi.fetchJSON(it.base + "/.well-known/webfinger?resource=" + url.QueryEscape("acct:diary-"+rid+"@"+host))
	if err != nil {
		t.Fatal(err)
	}
	if l := selfLink(wf); l != diary {
		t.Fatalf("WebFinger self link %q, want %s", l, diary)
	}
	doc, err := fedi.fetchJSON(diary)
	if err != nil || doc["type"] != "Service" || doc["name"] != "Rivers of Europe — diary" || doc["inbox"] != diary+"/inbox" || doc["outbox"] != diary+"/outbox" {
		t.Fatalf("diary actor: %v %v", doc, err)
	}
	pub, owner, err := fedi.actorKey(diary + "#main-key")
	if rk, ok := pub.(*rsa.PublicKey); err != nil || !ok || owner != diary || !rk.Equal(it.keys.RSA.Private.Public()) {
		t.Fatalf("the diary's key: %T owned by %q: %v", pub, owner, err)
	}

	// Follow → Accept (signed as the diary; the server verifies it).
	follow := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": fedi.base + "/activities/follow-diary", "type": "Follow", "actor": fedi.actor(), "object": diary}
	if code, msg := fedi.postJSON(diary+"/inbox", follow); code != http.StatusAccepted {
		t.Fatalf("Follow: %d %s", code, msg)
	}
	consensustest.Eventually(t, 60*time.Second, func() bool { return len(fedi.receivedOf("Accept")) == 1 }, "no verified Accept of the Follow")
	acc := fedi.receivedOf("Accept")[0]
	if obj, _ := acc["object"].(map[string]any); acc["actor"] != diary || obj["id"] != follow["id"] {
		t.Fatalf("Accept: %v", acc)
	}
	if fs, _ := it.out.DiaryFollowers(diary); len(fs) != 1 || fs[0].Actor != fedi.actor() {
		t.Fatalf("followers: %+v", fs)
	}

	// A teacher posts; the follower gets Create{Article}, then Update and
	// Delete.
	post, err := it.Node().TwinSpaces().Diary.Save(ctx, teacher("maria"), p.ID, "", "Day one at the river", "<p>We measured the <b>water</b>.</p>")
	if err != nil {
		t.Fatal(err)
	}
	article := twinfed.DiaryPostURL(p.ID, post.ID)
	create := waitVerified(t, fedi, "Create", 1)
	if obj, _ := create["object"].(map[string]any); create["actor"] != diary || obj["type"] != "Article" || obj["id"] != article || obj["name"] != "Day one at the river" ||
		obj["attributedTo"] != diary || !strings.Contains(fmt.Sprint(obj["content"]), "<b>water</b>") || fmt.Sprint(obj["to"]) != "[https://www.w3.org/ns/activitystreams#Public]" {
		t.Fatalf("Create: %v", create)
	}

	// Public objects without being listed: the outbox, the Article.
	posts, err := it.Node().TwinSpaces().Diary.PublicPosts(p.ID)
	if err != nil {
		t.Fatal(err)
	}
	coll, err := fedi.fetchJSON(diary + "/outbox")
	if err != nil || coll["totalItems"] != float64(len(posts)) {
		t.Fatalf("outbox: %v %v", coll, err)
	}
	page, err := fedi.fetchJSON(diary + "/outbox?page=true")
	items := asList(page["orderedItems"])
	if err != nil || len(items) != len(posts) {
		t.Fatalf("outbox page: %v %v", page, err)
	}
	if first, _ := items[0].(map[string]any); first["type"] != "Create" || fmt.Sprint(first["object"].(map[string]any)["id"]) != article {
		t.Fatalf("the outbox's newest item: %v", first)
	}
	art, err := fedi.fetchJSON(article)
	if err != nil || art["type"] != "Article" || art["name"] != "Day one at the river" {
		t.Fatalf("article: %v %v", art, err)
	}
	// Nothing private: an activity the node sent, the project's members'
	// inboxes.
	if resp, _ := rawGet(t, twinfed.ActivityURL(it.base, "x")); resp != http.StatusUnauthorized {
		t.Fatalf("an activity, unsigned: %d", resp)
	}

	if _, err := it.Node().TwinSpaces().Diary.Save(ctx, teacher("luca"), p.ID, post.ID, "Day one at the river (corrected)", "<p>We measured the water twice.</p>"); err != nil {
		t.Fatal(err)
	}
	update := waitVerified(t, fedi, "Update", 1)
	if obj, _ := update["object"].(map[string]any); obj["id"] != article || obj["name"] != "Day one at the river (corrected)" {
		t.Fatalf("Update: %v", update)
	}
	if err := it.Node().TwinSpaces().Diary.Delete(ctx, teacher("maria"), p.ID, post.ID); err != nil {
		t.Fatal(err)
	}
	del := waitVerified(t, fedi, "Delete", 1)
	if obj, _ := del["object"].(map[string]any); obj["id"] != article || obj["type"] != "Tombstone" {
		t.Fatalf("Delete: %v", del)
	}

	// Refusals, each with its reason.
	refused := []struct {
		name, inbox string
		activity    map[string]any
		code        int
		says        string
	}{
		{"another activity", diary + "/inbox", map[string]any{"id": fedi.base + "/notes/1", "type": "Create", "actor": fedi.actor(), "object": map[string]any{"type": "Note", "content": "hi"}}, http.StatusForbidden, "accepts only Follow and Undo"},
		{"another inbox", twinfed.ActorURL(it.base, "maria") + "/inbox", map[string]any{"id": fedi.base + "/activities/follow-maria", "type": "Follow", "actor": fedi.actor(), "object": twinfed.ActorURL(it.base, "maria")}, http.StatusUnauthorized, "not a node of this federation"},
		{"the shared inbox", it.base + "/inbox", follow, http.StatusUnauthorized, "not a node of this federation"},
		{"someone else's actor", diary + "/inbox", map[string]any{"id": fedi.base + "/activities/f2", "type": "Follow", "actor": fedi.base + "/users/eve", "object": diary}, http.StatusForbidden, "not to the activity's actor"},
	}
	for _, c := range refused {
		code, msg := fedi.postJSON(c.inbox, c.activity)
		if code != c.code || !strings.Contains(msg, c.says) {
			t.Errorf("%s: %d %q, want %d %q", c.name, code, msg, c.code, c.says)
		}
	}
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(follow)
	if code, msg := fedi.post(diary+"/inbox", body, otherKey, fedi.actor()+"#main-key"); code != http.StatusUnauthorized || !strings.Contains(msg, "does not verify") {
		t.Errorf("forged signature: %d %q", code, msg)
	}
	fedi.now = func() time.Time { return time.Now().Add(-10 * time.Minute) }
	if code, msg := fedi.post(diary+"/inbox", body, fedi.key, fedi.actor()+"#main-key"); code != http.StatusUnauthorized || !strings.Contains(msg, "Date") && !strings.Contains(msg, "created") {
		t.Errorf("stale Date: %d %q", code, msg)
	}
	fedi.now = time.Now

	// Undo forgets the follower.
	undo := map[string]any{"id": fedi.base + "/activities/undo-diary", "type": "Undo", "actor": fedi.actor(), "object": follow}
	if code, msg := fedi.postJSON(diary+"/inbox", undo); code != http.StatusAccepted {
		t.Fatalf("Undo: %d %s", code, msg)
	}
	if fs, _ := it.out.DiaryFollowers(diary); len(fs) != 0 {
		t.Fatalf("followers after Undo: %+v", fs)
	}

	// Followed again, then blocked by the agency: the follower is
	// dropped, its requests refused, nothing more delivered.
	follow["id"] = fedi.base + "/activities/follow-diary-2"
	if code, msg := fedi.postJSON(diary+"/inbox", follow); code != http.StatusAccepted {
		t.Fatalf("Follow again: %d %s", code, msg)
	}
	waitVerified(t, fedi, "Accept", 2)
	staff := it.login(t, "officer")
	if page := staff.page("/agency/fediverse"); !strings.Contains(page, "Rivers of Europe") || !strings.Contains(page, fedi.actor()) {
		t.Fatalf("the agency's page does not list the follower:\n%s", page)
	}
	if loc := staff.post("/agency/fediverse", "/agency/fediverse/block", url.Values{"domain": {"127.0.0.1"}, "reason": {"spam to pupils"}}); !strings.Contains(loc, "done=blocked") {
		t.Fatalf("block: %s", loc)
	}
	if fs, _ := it.out.DiaryFollowers(diary); len(fs) != 0 {
		t.Fatalf("followers after the block: %+v", fs)
	}
	if page := staff.page("/agency/fediverse"); !strings.Contains(page, "spam to pupils") || strings.Contains(page, fedi.actor()) {
		t.Fatalf("the agency's page after the block:\n%s", page)
	}
	follow["id"] = fedi.base + "/activities/follow-diary-3"
	if code, msg := fedi.postJSON(diary+"/inbox", follow); code != http.StatusForbidden || !strings.Contains(msg, "blocked by this node's agency") {
		t.Fatalf("Follow from a blocked server: %d %s", code, msg)
	}
	if _, err := it.Node().TwinSpaces().Diary.Save(ctx, teacher("maria"), p.ID, "", "Day two", "<p>Rain.</p>"); err != nil {
		t.Fatal(err)
	}
	if loc := staff.post("/agency/fediverse", "/agency/fediverse/unblock", url.Values{"domain": {"127.0.0.1"}}); !strings.Contains(loc, "done=unblocked") {
		t.Fatalf("unblock: %s", loc)
	}
	if code, msg := fedi.postJSON(diary+"/inbox", follow); code != http.StatusAccepted {
		t.Fatalf("Follow once unblocked: %d %s", code, msg)
	}
	waitVerified(t, fedi, "Accept", 3)
	if got := fedi.receivedOf("Create"); len(got) != 1 {
		t.Fatalf("a post while blocked was delivered: %v", got)
	}

	// The server rotates its key: the cached one fails, the node fetches
	// the new one once, and the Follow verifies.
	fedi.key = otherKey
	follow["id"] = fedi.base + "/activities/follow-diary-4"
	if code, msg := fedi.postJSON(diary+"/inbox", follow); code != http.StatusAccepted {
		t.Fatalf("Follow with a rotated key: %d %s", code, msg)
	}
	undo["object"] = follow
	if code, msg := fedi.postJSON(diary+"/inbox", undo); code != http.StatusAccepted {
		t.Fatalf("Undo: %d %s", code, msg)
	}
	if fs, _ := it.out.DiaryFollowers(diary); len(fs) != 0 {
		t.Fatalf("followers after the last Undo: %+v", fs)
	}
}

// selfLink is a WebFinger answer's self link.
func selfLink(jrd map[string]any) string {
	for _, l := range asList(jrd["links"]) {
		if lm, _ := l.(map[string]any); lm["rel"] == "self" {
			s, _ := lm["href"].(string)
			return s
		}
	}
	return ""
}

// postJSON posts an activity signed as bob, in the server's mode.
func (f *fediServer) postJSON(inbox string, activity map[string]any) (int, string) {
	body, _ := json.Marshal(activity)
	return f.post(inbox, body, f.key, f.actor()+"#main-key")
}

// waitVerified waits until the server has verified n activities of typ and
// returns the last.
func waitVerified(t *testing.T, f *fediServer, typ string, n int) map[string]any {
	t.Helper()
	consensustest.Eventually(t, 60*time.Second, func() bool { return len(f.receivedOf(typ)) >= n }, "no verified "+typ)
	got := f.receivedOf(typ)
	return got[len(got)-1]
}

// rawGet GETs a URL unsigned, as activity JSON.
func rawGet(t *testing.T, u string) (int, error) {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Accept", "application/activity+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
