package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
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

// TestFederation_EventEditAndCancel: a French organiser moves her event;
// IT's copy follows (Update{Event}) and the Italian participant is told on
// IT; an Update{Event} about FR's event signed by ES is refused by IT
// (same-origin) and changes nothing; the cancellation (Delete{Event})
// reaches IT, which marks its copy cancelled and tells the participant.
func TestFederation_EventEditAndCancel(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 3)
	it, fr, es := startThreeNodes(t, cluster)
	fr.seedTeacher(t, "marie", "Marie", "Curie", []string{"science"}, []int{10})
	it.seedTeacher(t, "luca", "Luca", "Rossi", []string{"science"}, []int{10})
	es.seedTeacher(t, "ana", "Ana", "García", []string{"science"}, []int{10})
	ctx := context.Background()
	loc, _ := time.LoadLocation(twinfed.ProgrammeZone)
	day := time.Now().In(loc).AddDate(0, 0, 2).Format("2006-01-02")
	in := event.Input{Title: "Robotique en classe", Language: "fr", Kind: twinfed.EventOnline, Audience: twinfed.AudienceCountries,
		Countries: []string{"IT", "FR"}, Date: day, Slot: "16:00", Minutes: 60}
	photos, err := fr.Node().Events().UploadPhotos(ctx, member("marie"), []event.Upload{{Name: "robot.png", Body: bytes.NewReader(pngPicture(t))}})
	if err != nil {
		t.Fatal(err)
	}
	in.Photos = []string{photos[0].Hash}
	e, err := fr.Node().Events().Create(ctx, member("marie"), in)
	if err != nil {
		t.Fatal(err)
	}
	it.book(t, "luca", e.ID)

	// Luca sees the photo from IT, which fetched it from FR (signed); ES,
	// not of the audience, is refused it by FR.
	luca := it.login(t, "luca")
	path := it.Node().Events().Path(e.ID)
	for _, h := range []string{photos[0].Hash, photos[0].Thumb} {
		req, _ := http.NewRequest("GET", it.base+path+"/photos/"+h, nil)
		luca.jar.add(req)
		resp, err := luca.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "image/") || sha256Hex(got) != h {
			t.Fatalf("photo %s on IT: %d %s %s\n%s", h, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Request.URL, got)
		}
	}
	if body, _, err := es.out.GetStream(ctx, fr.base+event.PhotoPath+photos[0].Hash); err == nil {
		body.Close()
		t.Fatal("FR gave ES, not of the audience, the event's photo")
	}

	// The event's forum: Luca writes on IT, Marie reads it on FR and
	// answers, Luca reads the answer on IT.
	if to := luca.post(path+"/forum", path+"/forum", url.Values{"text": {"Ciao! Porto i miei robot."}}); !strings.HasSuffix(to, "done=event_posted") {
		t.Fatalf("Luca's message: → %s", to)
	}
	consensustest.Eventually(t, 30*time.Second, func() bool {
		posts, err := fr.eventForum().List(ctx, member("marie"), e.ID)
		return err == nil && len(posts) == 1 && posts[0].Text == "Ciao! Porto i miei robot." && posts[0].Author == twinfed.ActorURL(it.base, "luca")
	}, "Luca's message never reached FR")
	if _, err := fr.eventForum().Write(ctx, member("marie"), e.ID, "Parfait, à bientôt !"); err != nil {
		t.Fatal(err)
	}
	consensustest.Eventually(t, 30*time.Second, func() bool {
		return strings.Contains(luca.page(path+"/forum"), "Parfait, à bientôt !")
	}, "Marie's answer never reached IT")

	// The organiser moves it to 17:00: IT's copy follows, Luca is told.
	in.Title, in.Slot = "Robotique en classe (17 h)", "17:00"
	if _, err := fr.Node().Events().Edit(ctx, member("marie"), e.ID, in); err != nil {
		t.Fatal(err)
	}
	consensustest.Eventually(t, 30*time.Second, func() bool {
		v, err := it.Node().Events().Get(ctx, member("luca"), e.ID)
		return err == nil && v.Event.Version == 2 && v.Event.Start.In(loc).Hour() == 17
	}, "IT's copy never moved to 17:00")
	if page := luca.page("/notifications"); !strings.Contains(page, "ha cambiato l&#39;orario dell&#39;evento") || !strings.Contains(page, "Robotique en classe (17 h)") {
		t.Fatalf("Luca was not told on IT:\n%s", page)
	}

	// ES, which is not the event's home, signs an Update{Event} of it: IT
	// refuses it (same-origin) and its copy stays as it is.
	forged := *e
	forged.Title, forged.Version = "Forged", 99
	a := &twinfed.Activity{ID: twinfed.ActivityURL(es.base, "forged-event-update"), Type: twinfed.ActivityUpdate, Actor: twinfed.ActorURL(es.base, "ana"),
		To: []string{twinfed.AgencyURL(it.base)}, Object: e.ID, Event: &forged, Published: time.Now().UTC()}
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
	}, "IT never refused ES's Update of FR's event")
	if v, _ := it.Node().Events().Get(ctx, member("luca"), e.ID); v.Event.Title != "Robotique en classe (17 h)" || v.Event.Version != 2 {
		t.Fatalf("the forged Update changed IT's copy: %+v", v.Event)
	}

	// The organiser cancels: IT's copy is cancelled, Luca is told.
	if err := fr.Node().Events().Cancel(ctx, member("marie"), e.ID); err != nil {
		t.Fatal(err)
	}
	consensustest.Eventually(t, 30*time.Second, func() bool {
		v, err := it.Node().Events().Get(ctx, member("luca"), e.ID)
		return err == nil && v.Event.Cancelled && !v.RoomOpen
	}, "IT's copy was never cancelled")
	if page := luca.page("/notifications"); !strings.Contains(page, "ha annullato l&#39;evento") {
		t.Fatalf("Luca was not told of the cancellation on IT:\n%s", page)
	}
	if _, err := it.Node().Events().Participate(ctx, member("luca"), e.ID); err == nil {
		t.Fatal("IT books a cancelled event")
	}
}

// pngPicture is a small real picture.
func pngPicture(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 32, 24))
	for x := range 32 {
		img.Set(x, x%24, color.RGBA{200, uint8(x * 7), 40, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func sha256Hex(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

// eventForum is the node's events' forums.
func (n *fedNode) eventForum() *eventforum.Service { return n.Node().EventForum() }
