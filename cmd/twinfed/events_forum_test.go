package main

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/node/event"
	"github.com/twinfed/twinfed/node/event/eventforum"
)

// TestFederation_EventForumChanges: an Italian organiser's event with a
// French and a Spanish participant. A message's edit and the organiser's
// deletion on IT reach FR and ES; the French author's own edit, sent to
// IT, reaches ES; an Update of that message signed by ES (not the
// author's node) is refused and changes nothing; a message written while
// ES is stopped reaches it once it is back (the catch-up it runs when it
// starts); and a Spanish member confirmed in another event after three
// messages were written finds them (the catch-up the confirmation
// triggers: those messages were never announced to ES).
func TestFederation_EventForumChanges(t *testing.T) {
	it, fr, es, create, book := startEventNodes(t)
	ctx := context.Background()
	// texts is the forum of e on n as a member there reads it, with the
	// edited ones marked.
	texts := func(n *fedNode, who string, e *twinfed.Event) string {
		posts, err := n.eventForum().List(ctx, member(who), e.ID)
		if err != nil {
			return err.Error()
		}
		var out []string
		for _, p := range posts {
			s := p.Text
			if p.Edited() {
				s += " (edited)"
			}
			out = append(out, s)
		}
		return strings.Join(out, " | ")
	}
	sees := func(n *fedNode, who string, e *twinfed.Event, want string) {
		t.Helper()
		got := ""
		for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			if got = texts(n, who, e); got == want {
				return
			}
		}
		t.Fatalf("%s never showed %q; it shows %q", n.Config.Country, want, got)
	}

	e := create("Robotica in classe", "16:00")
	book(fr, "marie", e)
	book(es, "ana", e)
	m1, err := fr.eventForum().Write(ctx, member("marie"), e.ID, "Bonjour, j'apporte des robots.")
	if err != nil {
		t.Fatal(err)
	}
	sees(it, "marco", e, "Bonjour, j'apporte des robots.")
	m2, err := it.eventForum().Write(ctx, member("marco"), e.ID, "Benvenuti!")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []struct {
		n   *fedNode
		who string
	}{{it, "marco"}, {fr, "marie"}, {es, "ana"}} {
		sees(n.n, n.who, e, "Bonjour, j'apporte des robots. | Benvenuti!")
	}

	// The organiser edits his message on IT; Marie edits hers on FR.
	if _, err := it.eventForum().Edit(ctx, member("marco"), e.ID, m2.ID, "Benvenuti a tutti!"); err != nil {
		t.Fatal(err)
	}
	if _, err := fr.eventForum().Edit(ctx, member("marie"), e.ID, m1.ID, "Bonjour, j'apporte trois robots."); err != nil {
		t.Fatal(err)
	}
	want := "Bonjour, j'apporte trois robots. (edited) | Benvenuti a tutti! (edited)"
	sees(it, "marco", e, want)
	sees(fr, "marie", e, want)
	sees(es, "ana", e, want)
	marie := fr.login(t, "marie")
	if page := marie.page(fr.Node().Events().Path(e.ID) + "/forum"); !strings.Contains(page, "(modifié)") {
		t.Fatalf("FR's page does not mark the edit:\n%s", page)
	}

	// ES signs an Update of Marie's message: IT refuses it (the message
	// is not under ES), its copy stays as it is.
	forged := &twinfed.Activity{ID: twinfed.ActivityURL(es.base, "forged-forum-update"), Type: twinfed.ActivityUpdate, Actor: twinfed.ActorURL(es.base, "ana"),
		To: []string{twinfed.ActorURL(it.base, "marco")}, Object: m1.ID, Published: time.Now().UTC(),
		Note: &twinfed.Note{ID: m1.ID, From: m1.Author, To: e.ID, InReplyTo: e.ID, Content: "Forged", Published: m1.Published, Updated: time.Now().Add(time.Hour).UTC()}}
	if err := es.fed.Update(func(txn *badger.Txn) error { return es.fed.Enqueue(txn, forged) }); err != nil {
		t.Fatal(err)
	}
	es.fed.Notify()
	consensustest.Eventually(t, 30*time.Second, func() bool {
		parked, _ := es.out.Parked("")
		for _, p := range parked {
			if p.ActivityID == forged.ID && strings.Contains(p.Reason, "not under the signing node") {
				return true
			}
		}
		return false
	}, "IT never refused ES's Update of FR's message")
	if got := texts(it, "marco", e); got != want {
		t.Fatalf("the forged Update changed IT's forum: %s", got)
	}

	// The organiser deletes Marie's message on IT: gone everywhere.
	if err := it.eventForum().Delete(ctx, member("marco"), e.ID, m1.ID); err != nil {
		t.Fatal(err)
	}
	want = "Benvenuti a tutti! (edited)"
	sees(it, "marco", e, want)
	sees(fr, "marie", e, want)
	sees(es, "ana", e, want)

	// ES is stopped; Marco writes; ES, back, has the message.
	es.nodeMain.Close()
	if _, err := it.eventForum().Write(ctx, member("marco"), e.ID, "Mentre ES dorme."); err != nil {
		t.Fatal(err)
	}
	sees(fr, "marie", e, want+" | Mentre ES dorme.")
	es.restart(t)
	sees(es, "ana", e, want+" | Mentre ES dorme.")

	// Another event: three messages before Ana books; confirmed, she
	// finds them on ES.
	e2 := create("Coding club", "18:00")
	book(fr, "marie", e2)
	for _, text := range []string{"uno", "due", "tre"} {
		if _, err := it.eventForum().Write(ctx, member("marco"), e2.ID, text); err != nil {
			t.Fatal(err)
		}
	}
	sees(fr, "marie", e2, "uno | due | tre")
	book(es, "ana", e2)
	sees(es, "ana", e2, "uno | due | tre")
	// A catch-up again changes nothing.
	if n, err := es.eventForum().CatchUp(ctx, es.out.Get, e2.ID); err != nil || n != 0 {
		t.Fatalf("a second catch-up: %d stored, %v", n, err)
	}
	// IT serves the catch-up only to the nodes of confirmed participants.
	if _, err := it.eventForum().Served(ctx, "nobody.example", e2.ID, time.Time{}, "", 10); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Fatalf("IT serves the forum to a node without participants: %v", err)
	}
	if body, err := es.out.Get(ctx, it.base+eventforum.CatchUpPath+"?event="+url.QueryEscape(e2.ID)); err != nil || !strings.Contains(string(body), "tre") {
		t.Fatalf("ES's signed catch-up: %v %s", err, body)
	}
}

// startEventNodes starts IT, FR and ES with an Italian organiser (marco),
// a French (marie) and a Spanish (ana) teacher, and returns the nodes,
// what creates marco's online event three days ahead at slot, and what
// books one for a member of n and waits until IT confirmed it.
func startEventNodes(t *testing.T) (it, fr, es *fedNode, create func(title, slot string) *twinfed.Event, book func(n *fedNode, who string, e *twinfed.Event)) {
	t.Helper()
	cluster := consensustest.MustOpenCluster(t, 3)
	it, fr, es = startThreeNodes(t, cluster)
	it.seedTeacher(t, "marco", "Marco", "Bianchi", []string{"science"}, []int{10})
	fr.seedTeacher(t, "marie", "Marie", "Curie", []string{"science"}, []int{10})
	es.seedTeacher(t, "ana", "Ana", "García", []string{"science"}, []int{10})
	ctx := context.Background()
	loc, _ := time.LoadLocation(twinfed.ProgrammeZone)
	day := time.Now().In(loc).AddDate(0, 0, 3).Format("2006-01-02")
	create = func(title, slot string) *twinfed.Event {
		e, err := it.Node().Events().Create(ctx, member("marco"), event.Input{Title: title, Language: "it", Kind: twinfed.EventOnline,
			Audience: twinfed.AudienceAll, Date: day, Slot: slot, Minutes: 60})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	book = func(n *fedNode, who string, e *twinfed.Event) {
		t.Helper()
		n.book(t, who, e.ID)
	}
	return it, fr, es, create, book
}
