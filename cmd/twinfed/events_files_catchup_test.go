package main

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/node/event/eventfiles"
)

// TestFederation_EventFilesCatchUp: an Italian organiser's event with a
// French and a Spanish participant. While ES is stopped a file is
// uploaded on FR and an earlier one deleted on IT: ES, back, lists the new
// one and not the deleted one. In another event, two files shared (and a
// third deleted) before a Spanish member is confirmed: IT refuses ES's
// signed catch-up while it holds no participant (403), and once she is
// confirmed ES lists the two files (the catch-up the confirmation
// triggers: they were never announced to ES), not the deleted one, and
// she downloads the bytes, which ES fetches signed from FR. A second
// catch-up stores nothing.
func TestFederation_EventFilesCatchUp(t *testing.T) {
	it, fr, es, create, book := startEventNodes(t)
	ctx := context.Background()
	// names lists e's archive on n as a member there reads it.
	names := func(n *fedNode, who string, e *twinfed.Event) string {
		l, err := n.eventFiles().List(ctx, member(who), e.ID)
		if err != nil {
			return err.Error()
		}
		var out []string
		for _, f := range l.Files {
			out = append(out, f.Name)
		}
		return strings.Join(out, " | ")
	}
	lists := func(n *fedNode, who string, e *twinfed.Event, want string) {
		t.Helper()
		got := ""
		for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			if got = names(n, who, e); got == want {
				return
			}
		}
		t.Fatalf("%s never listed %q; it lists %q", n.Config.Country, want, got)
	}
	upload := func(n *fedNode, who string, e *twinfed.Event, name string) *twinfed.EventFile {
		t.Helper()
		f, err := n.eventFiles().Upload(ctx, member(who), e.ID, name, strings.NewReader("Notes: "+name+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}

	e := create("Robotica in classe", "16:00")
	book(fr, "marie", e)
	book(es, "ana", e)
	a := upload(fr, "marie", e, "agenda.txt")
	lists(es, "ana", e, "agenda.txt")

	// ES is stopped; Marie shares a file, Marco deletes hers; ES, back,
	// lists the new one only.
	es.nodeMain.Close()
	upload(fr, "marie", e, "robots.txt")
	lists(it, "marco", e, "agenda.txt | robots.txt")
	if err := it.eventFiles().Delete(ctx, member("marco"), e.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	lists(fr, "marie", e, "robots.txt")
	es.restart(t)
	lists(es, "ana", e, "robots.txt")
	// IT's deliveries to ES, held back while it was away, go through
	// before the next event (its retries may wait longer than the
	// catch-up did).
	consensustest.Eventually(t, 3*time.Minute, func() bool {
		for _, d := range it.out.Status() {
			if d.Destination == twinfed.URLHost(es.base) && d.Depth > 0 {
				return false
			}
		}
		return true
	}, "IT's deliveries to ES never went through after its restart")

	// Another event: two files shared and a third deleted before Ana
	// books.
	e2 := create("Coding club", "18:00")
	book(fr, "marie", e2)
	upload(fr, "marie", e2, "uno.txt")
	due := upload(fr, "marie", e2, "due.txt")
	gone := upload(fr, "marie", e2, "segreto.txt")
	lists(it, "marco", e2, "uno.txt | due.txt | segreto.txt")
	if err := fr.eventFiles().Delete(ctx, member("marie"), e2.ID, gone.ID); err != nil {
		t.Fatal(err)
	}
	lists(it, "marco", e2, "uno.txt | due.txt")
	catchUp := it.base + eventfiles.CatchUpPath + "?event=" + url.QueryEscape(e2.ID)
	if body, err := es.out.Get(ctx, catchUp); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Fatalf("IT served e2's files to ES, which holds no participant: %v %s", err, body)
	}
	if _, err := it.eventFiles().Served(ctx, "nobody.example", e2.ID, time.Time{}, "", 10); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Fatalf("IT serves the files to a node without participants: %v", err)
	}

	// Ana is confirmed: ES catches up.
	book(es, "ana", e2)
	lists(es, "ana", e2, "uno.txt | due.txt")
	r, _, _, err := es.eventFiles().Open(ctx, member("ana"), e2.ID, due.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, []byte("Notes: due.txt\n")) {
		t.Fatalf("Ana's download on ES: %v %q", err, got)
	}
	// A catch-up again stores nothing.
	if n, err := es.eventFiles().CatchUp(ctx, es.out.Get, e2.ID); err != nil || n != 0 {
		t.Fatalf("a second catch-up: %d stored, %v", n, err)
	}
	// IT's change log, paged and from a time: one change a page, the
	// three in the order IT took them; none since now.
	var seen []string
	for after, pages := "", 0; pages == 0 || after != ""; pages++ {
		pg, err := it.eventFiles().Served(ctx, twinfed.URLHost(fr.base), e2.ID, time.Time{}, after, 1)
		if err != nil || len(pg.Changes) > 1 || pages > 5 {
			t.Fatalf("page %d after %q: %v %+v", pages, after, err, pg)
		}
		for _, c := range pg.Changes {
			seen = append(seen, c.Name+map[bool]string{true: "(deleted)"}[c.Deleted])
		}
		after = pg.Next
	}
	if got := strings.Join(seen, " "); got != "uno.txt due.txt (deleted)" {
		t.Fatalf("IT's change log of e2: %s", got)
	}
	if pg, err := it.eventFiles().Served(ctx, twinfed.URLHost(fr.base), e2.ID, time.Now().Add(time.Second), "", 10); err != nil || len(pg.Changes) != 0 {
		t.Fatalf("changes since now: %v %+v", err, pg)
	}
	// IT's page carries the deletion as a tombstone, without the name.
	body, err := es.out.Get(ctx, catchUp)
	if err != nil || !strings.Contains(string(body), "due.txt") || !strings.Contains(string(body), gone.ID) || strings.Contains(string(body), "segreto") {
		t.Fatalf("ES's signed catch-up: %v %s", err, body)
	}
}
