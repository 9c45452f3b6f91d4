package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/federation"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/twinspace"
	"github.com/twinfed/twinfed/node/twinspace/discuss"
	"github.com/twinfed/twinfed/node/twinspace/pages"
)

// Issue 17's TwinSpace across nodes: the project's home node and its
// partner nodes hold the same TwinSpace whatever happens to the network;
// real nodes, real HTTP and signatures, a real registry.

// seat is a teacher on a node.
type seat struct {
	n    *fedNode
	user string
}

func (s seat) actor() string { return twinfed.ActorURL(s.n.base, s.user) }

// approvedProject makes an approved project founded by home's teacher with
// the first partner as co-founder and the others invited after, every
// participation approved by its agency, and waits until its TwinSpace is
// open for every partner on their own node. Partners must be contacts of
// the founder.
func approvedProject(t testing.TB, title string, home seat, partners ...seat) *twinfed.Project {
	t.Helper()
	ctx := context.Background()
	d := describe(title)
	d.SchoolID, d.Partner = strings.ToLower(home.n.Config.Country)+"-school-"+home.user, partners[0].actor()
	p, err := home.n.proj().CreateProject(ctx, teacher(home.user), d)
	if err != nil {
		t.Fatal(err)
	}
	answer := func(s seat) {
		consensustest.Eventually(t, 60*time.Second, func() bool {
			v, err := s.n.proj().ViewProject(ctx, teacher(s.user), p.ID)
			return err == nil && v.CanAnswer
		}, s.user+": the invitation")
		if _, err := s.n.proj().AnswerInvitation(ctx, teacher(s.user), p.ID, true, ""); err != nil {
			t.Fatal(err)
		}
	}
	decide := func(s seat) {
		consensustest.Eventually(t, 60*time.Second, func() bool {
			v, err := s.n.proj().ViewProject(ctx, officer, p.ID)
			return err == nil && canDecide(v, s.actor())
		}, s.user+": the agency's decision is due")
		if _, err := s.n.proj().DecideParticipation(ctx, officer, p.ID, s.actor(), true, ""); err != nil {
			t.Fatal(err)
		}
	}
	answer(partners[0])
	decide(home)
	decide(partners[0])
	for _, s := range partners[1:] {
		consensustest.Eventually(t, 60*time.Second, func() bool {
			v, err := home.n.proj().ViewProject(ctx, teacher(home.user), p.ID)
			return err == nil && v.State == twinfed.ProjectApproved
		}, "the project approved")
		if _, err := home.n.proj().InvitePartner(ctx, teacher(home.user), p.ID, s.actor()); err != nil {
			t.Fatal(err)
		}
		answer(s)
		decide(s)
	}
	for _, s := range append([]seat{home}, partners...) {
		consensustest.Eventually(t, 60*time.Second, func() bool {
			v, err := s.n.ts().OpenView(ctx, teacher(s.user), p.ID, false)
			return err == nil && v.Member() && len(v.Project.TwinSpaceMembers()) == 1+len(partners)
		}, s.user+": the TwinSpace open with every partner on "+s.n.Config.Country)
	}
	return p
}

// spaceDump is a node's copy of a TwinSpace: every object's id, version,
// deletion and text, sorted.
func spaceDump(t testing.TB, n *fedNode, project string) []string {
	t.Helper()
	var out []string
	err := n.ts().Store().View(func(txn *badger.Txn) error {
		return store.EachJSON(txn, store.PrefixSpaceObject+project+" ", func(o *twinfed.SpaceObject) error {
			if o.Kind == twinfed.SpaceKindMember && o.Fields["visited"] != "" {
				return nil // visits are recorded where members look: not part of the comparison
			}
			out = append(out, fmt.Sprintf("%s v%d del=%v %s %q", o.ID, o.Version, o.Deleted, o.Kind, o.Content))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// converged waits until every node holds the same copy of the TwinSpace,
// with want objects, and returns it.
func converged(t testing.TB, project string, want int, nodes ...*fedNode) []string {
	t.Helper()
	var first []string
	consensustest.Eventually(t, 90*time.Second, func() bool {
		first = spaceDump(t, nodes[0], project)
		if len(first) != want {
			return false
		}
		for _, n := range nodes[1:] {
			if !slices.Equal(spaceDump(t, n, project), first) {
				return false
			}
		}
		return true
	}, fmt.Sprintf("the nodes never held the same TwinSpace of %d objects", want))
	return first
}

func TestFederation_TwinSpaceConverges(t *testing.T) {
	ctx := context.Background()
	cluster := consensustest.MustOpenCluster(t, 3)
	it, fr, es := startThreeNodes(t, cluster)
	it.seedTeacher(t, "maria", "Maria", "Rossi", []string{"science"}, []int{10})
	fr.seedTeacher(t, "jean", "Jean", "Dupont", []string{"science"}, []int{10})
	es.seedTeacher(t, "ana", "Ana", "García", []string{"science"}, []int{11})
	befriend(t, it, "maria", fr, "jean")
	befriend(t, it, "maria", es, "ana")
	maria, jean, ana := seat{it, "maria"}, seat{fr, "jean"}, seat{es, "ana"}
	p := approvedProject(t, "Rivers we share", maria, jean, ana)

	post := func(s seat, text string, bulletin bool) *twinfed.SpaceObject {
		t.Helper()
		o, err := s.n.ts().PostUpdate(ctx, teacher(s.user), p.ID, text, bulletin)
		if err != nil {
			t.Fatalf("%s posts %q: %v", s.user, text, err)
		}
		// The writer sees it at once, on their own node.
		if _, b, err := tsBoard(ctx, s.n, teacher(s.user), p.ID); err != nil || !hasUpdate(b, o.ID, bulletin) {
			t.Fatalf("%s does not see their own post at once: %v", s.user, err)
		}
		return o
	}
	// A discussion and a thread on the home node, for everyone's replies.
	disc, err := it.Node().TwinSpaces().Forum.OpenDiscussion(ctx, teacher("maria"), p.ID, discuss.Input{Title: "Rivers", Text: "Our rivers."})
	if err != nil {
		t.Fatal(err)
	}
	thread, err := it.Node().TwinSpaces().Forum.OpenThread(ctx, teacher("maria"), p.ID, disc.ID, discuss.Input{Title: "Levels", Text: "Water levels."})
	if err != nil {
		t.Fatal(err)
	}
	total := 2
	// work writes with each tool on s's node: a new page (and its first
	// revision), a forum reply and a chat message; it returns how many
	// objects that made.
	work := func(s seat, tag string) int {
		t.Helper()
		who := teacher(s.user)
		if _, err := s.n.Node().TwinSpaces().Pages.Save(ctx, who, p.ID, pages.Edit{Title: "Page " + tag, Content: "<p>Page " + tag + "</p>"}); err != nil {
			t.Fatalf("%s: page %s: %v", s.user, tag, err)
		}
		if _, err := s.n.Node().TwinSpaces().Forum.Reply(ctx, who, p.ID, thread.ID, discuss.Input{Text: "Reply " + tag}); err != nil {
			t.Fatalf("%s: reply %s: %v", s.user, tag, err)
		}
		if _, err := s.n.Node().TwinSpaces().Chat.Send(ctx, who, p.ID, "Chat "+tag); err != nil {
			t.Fatalf("%s: chat %s: %v", s.user, tag, err)
		}
		return 4
	}
	for i := range 3 {
		post(maria, fmt.Sprintf("IT %d", i), false)
		post(jean, fmt.Sprintf("FR %d", i), i == 2)
		post(ana, fmt.Sprintf("ES %d", i), false)
		total += 3
	}
	total += work(maria, "IT") + work(jean, "FR") + work(ana, "ES")
	converged(t, p.ID, total, it, fr, es)

	// A partner node stopped while the others write; then back.
	fr.nodeMain.Close()
	for i := range 4 {
		post(maria, fmt.Sprintf("IT while FR is away %d", i), false)
		post(ana, fmt.Sprintf("ES while FR is away %d", i), false)
		total += 2
		total += work(maria, fmt.Sprintf("IT while FR is away %d", i)) + work(ana, fmt.Sprintf("ES while FR is away %d", i))
	}
	fr.restart(t)
	for i := range 2 {
		post(jean, fmt.Sprintf("FR back %d", i), false)
		total++
		total += work(jean, fmt.Sprintf("FR back %d", i))
	}
	converged(t, p.ID, total, it, fr, es)

	// The home node stopped: the partners keep writing on their own nodes
	// (each sees their own writes at once), and everything meets when it
	// is back. Meanwhile two teachers delete the same update at once.
	shared := post(maria, "to be removed", false)
	total++
	converged(t, p.ID, total, it, fr, es)
	it.nodeMain.Close()
	for i := range 3 {
		post(jean, fmt.Sprintf("FR while IT is away %d", i), false)
		post(ana, fmt.Sprintf("ES while IT is away %d", i), true)
		total += 2
		total += work(jean, fmt.Sprintf("FR while IT is away %d", i)) + work(ana, fmt.Sprintf("ES while IT is away %d", i))
	}
	if err := fr.ts().DeletePost(ctx, teacher("jean"), p.ID, shared.ID); err != nil {
		t.Fatal(err)
	}
	it.restart(t)
	if err := it.ts().DeletePost(ctx, teacher("maria"), p.ID, shared.ID); err != nil {
		t.Fatal(err)
	}
	dump := converged(t, p.ID, total, it, fr, es)
	if n := strings.Count(strings.Join(dump, "\n"), "del=true"); n != 1 {
		t.Errorf("the deleted update: %d tombstones, want 1:\n%s", n, strings.Join(dump, "\n"))
	}
	// Nothing twice: every text once (of each kind: a page and its first
	// revision hold the same text).
	seen := map[string]int{}
	for _, l := range dump {
		f := strings.SplitN(l, " ", 4) // id, version, deleted, kind and text
		seen[f[3]]++
	}
	for text, n := range seen {
		if n > 1 {
			t.Errorf("%s is there %d times", text, n)
		}
	}

	// A node not in the project writes in its TwinSpace anyway: the home
	// node drops it, and nothing changes anywhere.
	p2 := approvedProject(t, "Only two", maria, jean)
	before := spaceDump(t, it, p2.ID)
	now := time.Now().UTC()
	forged := &twinfed.Activity{ID: twinfed.ActivityURL(es.base, "forged-write"), Type: twinfed.ActivityCreate, Actor: ana.actor(), To: []string{p2.ID}, Published: now,
		Space: &twinfed.SpaceObject{ID: es.base + "/twinspace/o/forged", Project: p2.ID, Kind: twinfed.SpaceKindUpdate, Author: ana.actor(), Editor: ana.actor(),
			Content: "<p>let me in</p>", Version: 1, Created: now, Updated: now}}
	forged.Object = forged.Space.ID
	if err := es.fed.Update(func(txn *badger.Txn) error { return es.fed.Enqueue(txn, forged) }); err != nil {
		t.Fatal(err)
	}
	es.fed.Notify()
	var in *federation.Incoming
	consensustest.Eventually(t, 30*time.Second, func() bool {
		var err error
		in, err = it.fed.Received(forged.ID)
		return err == nil && in.Done
	}, "the forged write never reached the home node")
	if !strings.Contains(in.Dropped, "not a member") {
		t.Fatalf("the forged write was not dropped: %+v", in)
	}
	if after := spaceDump(t, it, p2.ID); !slices.Equal(before, after) {
		t.Fatalf("the forged write changed the TwinSpace:\n%v\n%v", before, after)
	}
	if _, _, err := tsBoard(ctx, es, teacher("ana"), p2.ID); twinfed.ErrorCode(err) != twinfed.ENOTFOUND && twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Fatalf("ana opened a TwinSpace she is not part of: %v", err)
	}
}

func hasUpdate(b *twinspace.Board, id string, bulletin bool) bool {
	list := b.Updates
	if bulletin {
		list = b.Bulletin
	}
	for _, o := range list {
		if o.ID == id {
			return true
		}
	}
	return false
}
