package main

import (
	"context"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/node/twinspace"
	"github.com/twinfed/twinfed/node/twinspace/discuss"
)

// TestFederation_TwinSpaceForum: the forum of a European project's
// TwinSpace across two real nodes (a real registry, real HTTP signatures).
// A discussion and a thread opened on the home node (IT) reach the partner
// node (FR); a pupil of FR, added there by their teacher, replies on FR:
// the reply shows there at once, reaches the home node through the
// project's Group and comes back announced, counted once; a reply on IT
// reaches FR; each reader's unread markers stay on their own node.
func TestFederation_TwinSpaceForum(t *testing.T) {
	ctx := context.Background()
	cluster := consensustest.MustOpenCluster(t, 3)
	it, fr := startFedNode(t, cluster, "IT"), startFedNode(t, cluster, "FR")
	it.knows(t, fr)
	fr.knows(t, it)
	it.seedTeacher(t, "maria", "Maria", "Rossi", []string{"science"}, []int{10})
	fr.seedTeacher(t, "jean", "Jean", "Dupont", []string{"science"}, []int{10})
	befriend(t, it, "maria", fr, "jean")

	p := approvedProject(t, "Rivers of Europe", seat{it, "maria"}, seat{fr, "jean"})
	view := func(n *fedNode, who *twinfed.Principal) *twinspace.View {
		t.Helper()
		v, err := n.ts().OpenView(ctx, who, p.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	// The home node's teacher opens a discussion and a thread.
	disc, err := it.Node().TwinSpaces().Forum.OpenDiscussion(ctx, teacher("maria"), p.ID, discuss.Input{Title: "Our rivers", Text: "Measurements and photos."})
	if err != nil {
		t.Fatal(err)
	}
	thread, err := it.Node().TwinSpaces().Forum.OpenThread(ctx, teacher("maria"), p.ID, disc.ID, discuss.Input{Title: "Week 1", Text: "What did you measure?"})
	if err != nil {
		t.Fatal(err)
	}
	// Jean makes an account for a pupil of his and adds her: the member
	// record reaches the home node.
	creds, err := fr.Node().Pupils().CreatePupils(ctx, teacher("jean"), []string{"Léa"})
	if err != nil {
		t.Fatal(err)
	}
	pupilActor := twinfed.PupilURL(fr.base, creds[0].Username)
	if _, err := fr.ts().AddMembers(ctx, teacher("jean"), p.ID, []string{creds[0].Username}); err != nil {
		t.Fatal(err)
	}
	consensustest.Eventually(t, 60*time.Second, func() bool {
		var ok bool
		_ = it.Node().Store().View(func(txn *badger.Txn) error {
			ok = it.ts().Has(txn, p.ID, twinspace.MemberID(p.ID, pupilActor))
			return nil
		})
		return ok
	}, "the pupil's member record never reached the home node")
	lea := &twinfed.Principal{Username: creds[0].Username, Role: twinfed.RolePupil}
	consensustest.Eventually(t, 60*time.Second, func() bool {
		tp, err := fr.Node().TwinSpaces().Forum.Thread(view(fr, lea), thread.ID, 1)
		return err == nil && tp.Thread.Title == "Week 1"
	}, "the thread never reached the partner node")

	// Léa replies on FR: she sees it at once; it reaches IT.
	reply, err := fr.Node().TwinSpaces().Forum.Reply(ctx, lea, p.ID, thread.ID, discuss.Input{Text: "The water was 12 °C."})
	if err != nil {
		t.Fatal(err)
	}
	if tp, err := fr.Node().TwinSpaces().Forum.Thread(view(fr, lea), thread.ID, 1); err != nil || len(tp.Replies) != 1 {
		t.Fatalf("the writer's own node: %v %+v", err, tp)
	}
	consensustest.Eventually(t, 60*time.Second, func() bool {
		ov, err := it.Node().TwinSpaces().Forum.Overview(view(it, teacher("maria")))
		return err == nil && len(ov) == 1 && ov[0].Replies == 1 && ov[0].Unread == 1
	}, "the pupil's reply never reached the home node")
	tp, err := it.Node().TwinSpaces().Forum.Thread(view(it, teacher("maria")), thread.ID, 1)
	if err != nil || len(tp.Replies) != 1 || tp.Replies[0].ID != reply.ID || tp.Replies[0].Name != "Léa" || !tp.Replies[0].New {
		t.Fatalf("the reply on the home node: %v %+v", err, tp)
	}

	// Maria answers, quoting Léa: it reaches FR, where jean has one unread
	// reply more (Maria's reading on IT does not touch his markers).
	if _, err := it.Node().TwinSpaces().Forum.Reply(ctx, teacher("maria"), p.ID, thread.ID, discuss.Input{Text: "Well done!", Quote: reply.ID}); err != nil {
		t.Fatal(err)
	}
	consensustest.Eventually(t, 60*time.Second, func() bool {
		tp, err := fr.Node().TwinSpaces().Forum.Thread(view(fr, lea), thread.ID, 1)
		return err == nil && len(tp.Replies) == 2 && tp.Replies[1].Quote != nil && tp.Replies[1].Quote.Name == "Léa"
	}, "the home node's reply never reached the partner node")
	ov, err := fr.Node().TwinSpaces().Forum.Overview(view(fr, teacher("jean")))
	if err != nil || len(ov) != 1 || ov[0].Replies != 2 || ov[0].Unread != 2 {
		t.Fatalf("jean's overview on FR: %v %+v", err, ov)
	}
	if ov, _ := it.Node().TwinSpaces().Forum.Overview(view(it, teacher("maria"))); ov[0].Unread != 0 || ov[0].Replies != 2 {
		t.Fatalf("maria's overview on IT: %+v", ov)
	}
}
