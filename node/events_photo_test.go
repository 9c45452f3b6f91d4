package node_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/nodetest"
)

// testPNG is a small real picture.
func testPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := range 40 {
		for y := range 30 {
			img.Set(x, y, color.RGBA{uint8(6 * x), uint8(8 * y), 120, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// postMultipart posts form and files (field "photos": name → content) to
// path with the CSRF token of b's last page; it returns the status, the
// body and the redirect target.
func postMultipart(t *testing.T, b *nodetest.Browser, path string, form url.Values, files map[string][]byte) (int, string, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", b.CSRF())
	for k, vs := range form {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for name, data := range files {
		fw, _ := mw.CreateFormFile("photos", name)
		fw.Write(data)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", b.Base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept-Language", "en")
	code, page, h := b.Do(req)
	return code, page, h.Get("Location")
}

var photoHiddenRE = regexp.MustCompile(`type="hidden" name="photo" value="([0-9a-f]{64})"`)

// TestEvents_Photos: photos uploaded in the wizard (by their content, at
// most 5 MiB, with a thumbnail) are shown on the event's page and in the
// lists, from this node, to the event's audience only; a file that is not
// an image, an oversized one and a hash the organiser did not upload are
// refused with nothing created; the edit form removes and adds photos.
func TestEvents_Photos(t *testing.T) {
	clock := &eventClock{}
	n := eventNode(t, clock, 2, 100)
	ctx := context.Background()
	orgP, _ := seedTeacher(t, n, "anna", "Anna")
	seedTeacher(t, n, "bruno", "Bruno")
	anna := login(t, n, "anna", "correct horse 1")
	bruno := login(t, n, "bruno", "correct horse 1")
	date, _ := cetDay(clock.Now(), 4)
	form := url.Values{"title": {"Photo club"}, "language": {"en"}, "kind": {"online"}, "expected": {"10"}, "audience": {"countries"},
		"countries": {"IT"}, "date": {date}, "minutes": {"60"}, "go": {"next"}}
	pic := testPNG(t)
	none := func(what string) {
		t.Helper()
		if evs, _ := n.Events().MemberEvents(ctx, "anna"); len(evs) != 0 {
			t.Fatalf("%s created an event", what)
		}
	}

	// Refused: not an image (whatever its name), too large.
	big := append(append([]byte{}, pic...), bytes.Repeat([]byte{0}, twinfed.EventPhotoMaxBytes)...)
	for _, bad := range []struct {
		name string
		data []byte
		code int
		want string
	}{
		{"holiday.png", []byte("#!/bin/sh\necho not a picture\n"), http.StatusBadRequest, "A photo must be an image: JPEG, PNG, GIF or WebP."},
		{"holiday.jpg", []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"), http.StatusBadRequest, "A photo must be an image: JPEG, PNG, GIF or WebP."},
		{"huge.png", big, http.StatusRequestEntityTooLarge, "A photo may be at most 5 MiB."},
	} {
		anna.Get("/events/new")
		code, page, _ := postMultipart(t, anna, "/events/new", form, map[string][]byte{bad.name: bad.data})
		if code != bad.code || !strings.Contains(page, bad.want) {
			t.Fatalf("%s: want %d with %q, got %d\n%s", bad.name, bad.code, bad.want, code, page)
		}
		none(bad.name)
	}
	// A hash the organiser did not upload (another member's file) is refused.
	forged := url.Values{}
	for k, vs := range form {
		forged[k] = vs
	}
	forged.Set("go", "create")
	forged.Set("slot", "10:00")
	forged.Set("photo", strings.Repeat("ab", 32))
	anna.Get("/events/new")
	if code, page, _ := anna.Post("/events/new", forged); code != http.StatusBadRequest || !strings.Contains(page, "Upload the event&#39;s photos again.") {
		t.Fatalf("forged photo hash: %d\n%s", code, page)
	}
	none("a forged hash")

	// Step 1 with a real photo: step 2 carries it; the event has it.
	anna.Get("/events/new")
	code, page, _ := postMultipart(t, anna, "/events/new", form, map[string][]byte{"club.png": pic})
	m := photoHiddenRE.FindStringSubmatch(page)
	if code != 200 || m == nil {
		t.Fatalf("step 2 with a photo: %d\n%s", code, page)
	}
	create := url.Values{"slot": {"10:00"}, "go": {"create"}}
	for _, h := range regexp.MustCompile(`type="hidden" name="([^"]+)" value="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		if h[1] != "csrf" {
			create.Add(h[1], h[2])
		}
	}
	code, _, to := anna.Post("/events/new", create)
	pm := eventPathRE.FindStringSubmatch(to)
	if code != http.StatusSeeOther || pm == nil {
		t.Fatalf("create with a photo: %d → %s\n%s", code, to, anna.Last)
	}
	path := pm[1]
	evs, _ := n.Events().MemberEvents(ctx, "anna")
	if len(evs) != 1 || len(evs[0].Photos) != 1 || evs[0].Photos[0].Hash != m[1] || evs[0].Photos[0].Type != "image/png" || evs[0].Photos[0].Thumb == "" {
		t.Fatalf("the event's photos: %+v", evs[0].Photos)
	}
	ph := evs[0].Photos[0]

	// Shown from this node, to the audience (Bruno, of IT).
	_, page = bruno.Get(path)
	mustContain(t, "event page", page, `src="`+path+`/photos/`+ph.Thumb+`"`, `href="`+path+`/photos/`+ph.Hash+`"`)
	_, page = bruno.Get("/events?view=all")
	mustContain(t, "list", page, `src="`+path+`/photos/`+ph.Thumb+`"`)
	code, body, hd := bruno.Do(mustReq(t, n.URL()+path+"/photos/"+ph.Hash))
	if code != 200 || hd.Get("Content-Type") != "image/png" || body != string(pic) {
		t.Fatalf("the photo: %d %s (%d bytes)", code, hd.Get("Content-Type"), len(body))
	}
	if code, body, hd := bruno.Do(mustReq(t, n.URL()+path+"/photos/"+ph.Thumb)); code != 200 || hd.Get("Content-Type") != "image/jpeg" || !strings.HasPrefix(body, "\xff\xd8") {
		t.Fatalf("the thumbnail: %d %s", code, hd.Get("Content-Type"))
	}
	// A hash the event does not name is not served through it.
	if code, _ := bruno.Get(path + "/photos/" + strings.Repeat("ab", 32)); code != http.StatusNotFound {
		t.Fatalf("another blob through the event: %d", code)
	}

	// Another node's event naming this node's blob (Anna's photo) does not
	// show it: that node never gave it, and cannot be asked here.
	other := "https://fr.example"
	remote := &twinfed.Event{ID: other + "/events/r1", Title: "Not ours", Language: "fr", Kind: twinfed.EventOnline, Audience: twinfed.AudienceAll,
		Start: clock.Now().Add(72 * time.Hour), Minutes: 60, Capacity: 100, Organiser: other + "/users/eve", OrgName: "Eve", OrgCountry: "FR",
		Published: clock.Now().UTC(), Version: 1, Photos: []twinfed.EventPhoto{ph}}
	if err := n.Service().HandleActivity(ctx, &twinfed.Activity{ID: other + "/activities/r1", Type: twinfed.ActivityCreate, Actor: remote.Organiser,
		Object: remote.ID, Event: remote, Published: clock.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	rpath := n.Events().Path(remote.ID)
	if code, _ := bruno.Get(rpath); code != 200 {
		t.Fatalf("the remote event's page: %d", code)
	}
	if code, _ := bruno.Get(rpath + "/photos/" + ph.Hash); code == 200 {
		t.Fatal("another node's event shows a blob of this node by naming its hash")
	}

	// The edit form drops the photo and adds another (a second picture).
	img := image.NewGray(image.Rect(0, 0, 20, 20))
	var b2 bytes.Buffer
	png.Encode(&b2, img)
	anna.Get(path + "/edit")
	mustContain(t, "edit form's photo", anna.Last, `name="photo"`, `value="`+ph.Hash+`" checked`)
	ef := url.Values{"photos_sent": {"1"}, "title": {"Photo club"}, "language": {"en"}, "kind": {"online"}, "expected": {"10"}, "audience": {"countries"},
		"countries": {"IT"}, "date": {date}, "slot": {"10:00"}, "minutes": {"60"}}
	if code, _, to := postMultipart(t, anna, path+"/edit", ef, map[string][]byte{"grey.png": b2.Bytes()}); code != http.StatusSeeOther {
		t.Fatalf("edit photos: %d → %s\n%s", code, to, anna.Last)
	}
	v, _ := n.Events().Get(ctx, orgP, evs[0].ID)
	if len(v.Event.Photos) != 1 || v.Event.Photos[0].Hash == ph.Hash {
		t.Fatalf("after the edit: %+v", v.Event.Photos)
	}
	if code, _ := bruno.Get(path + "/photos/" + ph.Hash); code != http.StatusNotFound {
		t.Fatalf("a removed photo is still served through the event: %d", code)
	}

	// The blob store keeps only what something names (blob.Collector).
	blobs := n.TwinSpaces().Materials.Blobs()
	stored := func(h string) bool {
		_, err := blobs.Stat(ctx, h)
		return err == nil
	}
	gone := func(what string, hashes ...string) {
		t.Helper()
		for _, h := range hashes {
			eventually(t, 5*time.Second, func() bool { return !stored(h) }, what+": blob "+h+" is still stored")
		}
	}
	kept := func(what string, hashes ...string) {
		t.Helper()
		blobs.Collect(hashes...) // what any collection of them would do now
		for _, h := range hashes {
			if !stored(h) {
				t.Fatalf("%s: blob %s was deleted", what, h)
			}
		}
	}
	// The photo the edit dropped stays while the other node's event above
	// names it too.
	kept("a dropped photo another event names", ph.Hash, ph.Thumb)
	// A second edit drops the grey photo, which only this event named:
	// it goes with its thumbnail once no upload holds it either; the new
	// photo stays, also past the day its upload was pending.
	grey := v.Event.Photos[0]
	var b5 bytes.Buffer
	png.Encode(&b5, image.NewGray(image.Rect(0, 0, 25, 25)))
	anna.Get(path + "/edit")
	if code, _, to := postMultipart(t, anna, path+"/edit", ef, map[string][]byte{"grey2.png": b5.Bytes()}); code != http.StatusSeeOther {
		t.Fatalf("edit photos again: %d → %s\n%s", code, to, anna.Last)
	}
	v, _ = n.Events().Get(ctx, orgP, evs[0].ID)
	if len(v.Event.Photos) != 1 || v.Event.Photos[0].Hash == grey.Hash {
		t.Fatalf("after the second edit: %+v", v.Event.Photos)
	}
	now := v.Event.Photos[0]
	// Uploaded in the edit form, the grey photo is also pending for a day
	// (the member may still choose it again).
	kept("a dropped photo within the day of its upload", grey.Hash, grey.Thumb)
	clock.Add(25 * time.Hour)
	if _, err := n.Events().SweepPendingPhotos(); err != nil {
		t.Fatal(err)
	}
	gone("a photo an edit dropped", grey.Hash, grey.Thumb)
	kept("the event's photo a day after its upload", now.Hash, now.Thumb)

	// A photo uploaded for an event never saved stays a day, then goes.
	var b3 bytes.Buffer
	png.Encode(&b3, image.NewGray(image.Rect(0, 0, 30, 30)))
	anna.Get("/events/new")
	date, _ = cetDay(clock.Now(), 4)
	form.Set("date", date)
	code, page, _ = postMultipart(t, anna, "/events/new", form, map[string][]byte{"abandoned.png": b3.Bytes()})
	m = photoHiddenRE.FindStringSubmatch(page)
	if code != 200 || m == nil {
		t.Fatalf("step 2 with a photo: %d\n%s", code, page)
	}
	abandoned := m[1]
	if n, err := n.Events().SweepPendingPhotos(); err != nil || n != 0 {
		t.Fatalf("sweep within the day: %d %v", n, err)
	}
	kept("an upload within its day", abandoned)
	clock.Add(25 * time.Hour)
	if n, err := n.Events().SweepPendingPhotos(); err != nil || n != 2 {
		t.Fatalf("sweep after the day: forgot %d (want the photo and its thumbnail), %v", n, err)
	}
	gone("an upload no event took", abandoned)
	kept("the event's photo", now.Hash, now.Thumb)

	// A refused upload keeps none of its files: a picture beside a file
	// that is not one.
	var b4 bytes.Buffer
	png.Encode(&b4, image.NewGray(image.Rect(0, 0, 40, 40)))
	sum := sha256.Sum256(b4.Bytes())
	anna.Get("/events/new")
	if code, _, _ := postMultipart(t, anna, "/events/new", form, map[string][]byte{"a.png": b4.Bytes(), "b.png": []byte("not a picture")}); code != http.StatusBadRequest {
		t.Fatalf("a picture beside a file that is not one: %d", code)
	}
	gone("a refused upload's picture", hex.EncodeToString(sum[:]))
}
