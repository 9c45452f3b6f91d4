package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/node/event"
	"github.com/twinfed/twinfed/node/event/eventfiles"
)

// TestFederation_EventFiles: an Italian participant uploads a file to a
// French event's archive on IT; FR (the home node) keeps the record and
// announces it; the French organiser on FR and a Spanish participant on
// ES download the same bytes, which their nodes fetch signed from IT; a
// Create of a file in the name of IT's member signed by ES is refused
// (same origin); Luca's deletion on IT reaches FR and ES.
func TestFederation_EventFiles(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 3)
	it, fr, es := startThreeNodes(t, cluster)
	fr.seedTeacher(t, "marie", "Marie", "Curie", []string{"science"}, []int{10})
	it.seedTeacher(t, "luca", "Luca", "Rossi", []string{"science"}, []int{10})
	es.seedTeacher(t, "ana", "Ana", "García", []string{"science"}, []int{10})
	ctx := context.Background()
	loc, _ := time.LoadLocation(twinfed.ProgrammeZone)
	day := time.Now().In(loc).AddDate(0, 0, 2).Format("2006-01-02")
	e, err := fr.Node().Events().Create(ctx, member("marie"), event.Input{Title: "Robotique en classe", Language: "fr", Kind: twinfed.EventOnline,
		Audience: twinfed.AudienceCountries, Countries: []string{"IT", "FR", "ES"}, Date: day, Slot: "16:00", Minutes: 60})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct {
		n    *fedNode
		user string
	}{{it, "luca"}, {es, "ana"}} {
		p.n.book(t, p.user, e.ID)
	}

	// Luca uploads on IT.
	pic := pngPicture(t)
	f, err := it.eventFiles().Upload(ctx, member("luca"), e.ID, "robots.png", bytes.NewReader(pic))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(f.ID, it.base+"/") || f.Thumb == "" {
		t.Fatalf("record: %+v", f)
	}
	read := func(n *fedNode, user string, thumb bool) ([]byte, error) {
		r, _, _, err := n.eventFiles().Open(ctx, member(user), e.ID, f.ID, thumb)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		return io.ReadAll(r)
	}

	// FR, the home node, has the record; Marie downloads the same bytes.
	consensustest.Eventually(t, 30*time.Second, func() bool {
		l, err := fr.eventFiles().List(ctx, member("marie"), e.ID)
		return err == nil && len(l.Files) == 1 && l.Files[0].ID == f.ID
	}, "Luca's file never reached FR")
	if got, err := read(fr, "marie", false); err != nil || !bytes.Equal(got, pic) {
		t.Fatalf("Marie's download on FR: %v (%d bytes)", err, len(got))
	}
	if got, err := read(fr, "marie", true); err != nil || sha256Hex(got) != f.Thumb {
		t.Fatalf("the thumbnail on FR: %v", err)
	}

	// ES, a confirmed participant's node, got it through FR's Announce;
	// Ana downloads the same bytes.
	consensustest.Eventually(t, 30*time.Second, func() bool {
		l, err := es.eventFiles().List(ctx, member("ana"), e.ID)
		return err == nil && len(l.Files) == 1 && l.Files[0].ID == f.ID
	}, "FR never announced Luca's file to ES")
	if got, err := read(es, "ana", false); err != nil || !bytes.Equal(got, pic) {
		t.Fatalf("Ana's download on ES: %v (%d bytes)", err, len(got))
	}

	// ES signs a Create of a file in Luca's name: FR refuses it (same
	// origin) and keeps nothing.
	forged := *f
	forged.ID, forged.Name = it.base+"/event-files/forged", "forged.png"
	a := &twinfed.Activity{ID: twinfed.ActivityURL(es.base, "forged-event-file"), Type: twinfed.ActivityCreate, Actor: twinfed.ActorURL(es.base, "ana"),
		To: []string{e.Organiser}, Object: forged.ID, Published: time.Now().UTC(),
		Note: &twinfed.Note{ID: forged.ID, From: forged.Uploader, To: e.ID, InReplyTo: e.ID, Content: forged.Name, Published: forged.Published, File: &forged}}
	if err := es.fed.Update(func(txn *badger.Txn) error { return es.fed.Enqueue(txn, a) }); err != nil {
		t.Fatal(err)
	}
	es.fed.Notify()
	consensustest.Eventually(t, 30*time.Second, func() bool {
		parked, _ := es.out.Parked("")
		for _, p := range parked {
			if p.ActivityID == a.ID && strings.Contains(p.Reason, "not under the signing node") {
				return true
			}
		}
		return false
	}, "FR never refused ES's forged file")
	if l, _ := fr.eventFiles().List(ctx, member("marie"), e.ID); len(l.Files) != 1 {
		t.Fatalf("the forged Create added a file on FR: %+v", l.Files)
	}

	// IT gives its files only to a node of the event's audience: ES is,
	// an unknown blob is not served.
	if body, _, err := es.out.GetStream(ctx, it.base+eventfiles.BlobPath+sha256Hex([]byte("not a file of any event"))); err == nil {
		body.Close()
		t.Fatal("IT served a blob no event file names")
	}

	// Luca deletes it on IT: FR and ES forget it.
	if err := it.eventFiles().Delete(ctx, member("luca"), e.ID, f.ID); err != nil {
		t.Fatal(err)
	}
	for _, n := range []struct {
		n    *fedNode
		user string
	}{{fr, "marie"}, {es, "ana"}} {
		consensustest.Eventually(t, 30*time.Second, func() bool {
			l, err := n.n.eventFiles().List(ctx, member(n.user), e.ID)
			return err == nil && len(l.Files) == 0
		}, "Luca's deletion never reached "+n.user+"'s node")
	}
}

// eventFiles is the node's events' file archives.
func (n *fedNode) eventFiles() *eventfiles.Service { return n.Node().EventFiles() }
