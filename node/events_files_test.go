package node_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/event"
	"github.com/twinfed/twinfed/node/event/eventfiles"
	"github.com/twinfed/twinfed/node/nodetest"
	"github.com/twinfed/twinfed/node/store"
	"github.com/twinfed/twinfed/node/web"
)

// postFile posts one file (field "file") to path with the CSRF token of
// b's last page; it returns the status, the body and the redirect target.
func postFile(t *testing.T, b *nodetest.Browser, path, name string, data []byte) (int, string, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", b.CSRF())
	if name != "" || data != nil {
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write(data)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", b.Base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept-Language", "en")
	code, page, h := b.Do(req)
	return code, page, h.Get("Location")
}

// textOf is a plain-text file of n bytes.
// codingClub creates, for org, an online event open to all two days
// after now, and books each of booked a confirmed place in it.
func codingClub(t *testing.T, n *node.Node, now time.Time, org *twinfed.Principal, booked ...*twinfed.Principal) *twinfed.Event {
	t.Helper()
	ctx := context.Background()
	date, _ := cetDay(now, 2)
	e, err := n.Events().Create(ctx, org, event.Input{Title: "Coding club", Language: "it", Kind: twinfed.EventOnline, Audience: twinfed.AudienceAll, Date: date, Slot: "10:00", Minutes: 60})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range booked {
		if st, _ := n.Events().Participate(ctx, p, e.ID); st != twinfed.BookingConfirmed {
			t.Fatalf("%s: %s", p.Username, st)
		}
	}
	return e
}

func textOf(n int) []byte { return bytes.Repeat([]byte("twinning\n"), n/9+1)[:n] }

// TestEvents_Files: the organiser and the confirmed participants upload,
// list, download and delete the event's files; a member without a
// confirmed place neither lists nor downloads; an empty file, no file, a
// file past the limit and one past the event's quota are refused with a
// clear message and nothing stored; only the author or the organiser
// deletes; once cancelled, the archive is read-only.
func TestEvents_Files(t *testing.T) {
	clock := &eventClock{}
	n := nodetest.MustOpenNode(t, nodetest.Options{Now: clock.Now, Tune: func(o *node.Options) {
		o.Service.Events = event.Config{Rooms: 1, Capacity: 2}
		o.Service.EventFiles = eventfiles.Config{MaxFileBytes: 2 << 20, QuotaBytes: 3 << 20}
	}})
	ctx := context.Background()
	org, _ := seedTeacher(t, n, "anna", "Anna")
	brunoP, _ := seedTeacher(t, n, "bruno", "Bruno")
	erikP, _ := seedTeacher(t, n, "erik", "Erik")
	carlaP, _ := seedTeacher(t, n, "carla", "Carla")
	seedTeacher(t, n, "dario", "Dario")
	anna := login(t, n, "anna", "correct horse 1")
	bruno := login(t, n, "bruno", "correct horse 1")
	erik := login(t, n, "erik", "correct horse 1")
	carla := login(t, n, "carla", "correct horse 1")
	dario := login(t, n, "dario", "correct horse 1")
	e := codingClub(t, n, clock.Now(), org, brunoP, erikP)
	if st, _ := n.Events().Participate(ctx, carlaP, e.ID); st != twinfed.BookingWaiting {
		t.Fatalf("carla: %s", st)
	}
	path := n.Events().Path(e.ID)
	files := path + "/files"
	blobs := n.TwinSpaces().Materials.Blobs()
	listed := func() int {
		l, err := n.EventFiles().List(ctx, org, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		return len(l.Files)
	}

	// Bruno, confirmed, finds the archive from the event's page and
	// uploads a picture, in Italian.
	_, page := bruno.Get(path)
	mustContain(t, "files link", page, `href="`+files+`"`)
	code, page, _ := bruno.GetLang(files, "it")
	if code != 200 {
		t.Fatalf("files: %d", code)
	}
	mustContain(t, "archive in Italian", page, "File dell&#39;evento", "Ancora nessun file.")
	pic := testPNG(t)
	if code, _, to := postFile(t, bruno, files, "robots.png", pic); code != http.StatusSeeOther || !strings.HasSuffix(to, "done=uploaded") {
		t.Fatalf("upload: %d → %s", code, to)
	}
	l, err := n.EventFiles().List(ctx, org, e.ID)
	if err != nil || len(l.Files) != 1 {
		t.Fatalf("list: %v %+v", err, l)
	}
	f := l.Files[0]
	if f.Name != "robots.png" || f.Type != "image/png" || f.Size != int64(len(pic)) || f.Thumb == "" || f.Uploader != twinfed.ActorURL(n.URL(), "bruno") {
		t.Fatalf("record: %+v", f)
	}
	get := files + "/get?f=" + url.QueryEscape(f.ID)
	// The uploader is named as the directory knows him, not by address.
	if _, page := bruno.Get(files); !strings.Contains(page, ">Bruno ") || strings.Contains(page, ">bruno@") {
		t.Fatalf("the uploader's name on the archive:\n%s", page)
	}

	// Not booked, or only waiting: no link, no list, no download, no upload.
	for _, b := range []*nodetest.Browser{dario, carla} {
		if _, page := b.Get(path); strings.Contains(page, files) {
			t.Fatal("the archive's link is offered to a member without a confirmed place")
		}
		if code, page := b.Get(files); code != http.StatusForbidden || !strings.Contains(page, "Only the organiser and the confirmed participants use the event&#39;s files.") {
			t.Fatalf("archive for a member without a place: %d", code)
		}
		if code, page := b.Get(get); code != http.StatusForbidden || strings.Contains(page, string(pic[:8])) {
			t.Fatalf("download for a member without a place: %d", code)
		}
		b.Get(path)
		if code, _, _ := postFile(t, b, files, "x.txt", textOf(100)); code != http.StatusForbidden {
			t.Fatalf("upload without a place: %d", code)
		}
	}

	// The organiser sees it and downloads the same bytes, as an attachment.
	_, page = anna.Get(files)
	mustContain(t, "organiser's list", page, "robots.png", "PNG", get+"&amp;thumb=1")
	req, _ := http.NewRequest("GET", anna.Base+get, nil)
	code, body, h := anna.Do(req)
	if code != 200 || body != string(pic) || h.Get("Content-Type") != "image/png" || h.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.HasPrefix(h.Get("Content-Disposition"), "attachment") || !strings.Contains(h.Get("Content-Disposition"), "robots.png") {
		t.Fatalf("download: %d %v (%d bytes)", code, h, len(body))
	}
	if code, _ := anna.Get(get + "&thumb=1"); code != 200 {
		t.Fatalf("thumbnail: %d", code)
	}

	// Refused, with nothing stored: no file, an empty one, one past the
	// largest file, one past the event's quota.
	before := blobs.Usage()
	for _, bad := range []struct {
		name string
		data []byte
		want string
		code int
	}{
		{"", nil, "Choose a file to upload.", http.StatusBadRequest},
		{"empty.txt", []byte{}, "“empty.txt” is empty.", http.StatusBadRequest},
		{"big.txt", textOf(2<<20 + 1), "A file may be at most 2 MB.", http.StatusRequestEntityTooLarge},
	} {
		bruno.Get(files)
		code, page, _ := postFile(t, bruno, files, bad.name, bad.data)
		if code != bad.code || !strings.Contains(page, bad.want) {
			t.Fatalf("%s: %d, want %d and %q\n%s", bad.name, code, bad.code, bad.want, page)
		}
	}
	erik.Get(files)
	if code, _, _ := postFile(t, erik, files, "notes.txt", textOf(1900<<10)); code != http.StatusSeeOther {
		t.Fatalf("notes: %d", code)
	}
	used := blobs.Usage()
	erik.Get(files)
	code, page, _ = postFile(t, erik, files, "more.txt", textOf(1500<<10))
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(page, "This event&#39;s files may hold 3 MB in all and 2 MB are used: delete files first.") {
		t.Fatalf("past the quota: %d\n%s", code, page)
	}
	eventually(t, 5*time.Second, func() bool { return blobs.Usage() == used }, "the refused file's blob is collected")
	if listed() != 2 || used != before+1900<<10 {
		t.Fatalf("after the refusals: %d files, %d bytes used (before %d)", listed(), used, before)
	}

	// Delete: not by another participant; by the organiser or the author.
	var notes string
	l, _ = n.EventFiles().List(ctx, org, e.ID)
	for _, x := range l.Files {
		if x.Name == "notes.txt" {
			notes = x.ID
		}
	}
	bruno.Get(files)
	if code, _, _ := bruno.Post(files+"/delete", url.Values{"f": {notes}}); code != http.StatusForbidden {
		t.Fatalf("delete by a non-author: %d", code)
	}
	if listed() != 2 {
		t.Fatal("a non-author's deletion removed the file")
	}
	anna.Get(files)
	if code, _, to := anna.Post(files+"/delete", url.Values{"f": {notes}}); code != http.StatusSeeOther || !strings.HasSuffix(to, "done=removed") {
		t.Fatalf("delete by the organiser: %d → %s", code, to)
	}
	eventually(t, 5*time.Second, func() bool { return blobs.Usage() == before }, "the deleted file's blob is collected")

	// Cancelled: readable, no upload, no deletion.
	if err := n.Events().Cancel(ctx, org, e.ID); err != nil {
		t.Fatal(err)
	}
	_, page = bruno.Get(files)
	if !strings.Contains(page, "robots.png") || strings.Contains(page, `name="file"`) || strings.Contains(page, files+"/delete") {
		t.Fatalf("cancelled event's archive:\n%s", page)
	}
	if _, err := n.EventFiles().Upload(ctx, brunoP, e.ID, "late.txt", bytes.NewReader(textOf(10))); twinfed.ErrorCode(err) != twinfed.EINVALID {
		t.Fatalf("upload after the cancellation: %v", err)
	}
	if err := n.EventFiles().Delete(ctx, brunoP, e.ID, f.ID); twinfed.ErrorCode(err) != twinfed.EINVALID {
		t.Fatalf("delete after the cancellation: %v", err)
	}
	if code, _ := bruno.Get(get); code != 200 {
		t.Fatalf("download after the cancellation: %d", code)
	}
}

// TestEventFilesAPI: the archive's JSON API lists, uploads, downloads and
// deletes with the pages' rules; a member without a place is refused.
func TestEventFilesAPI(t *testing.T) {
	clock := &eventClock{}
	n := eventNode(t, clock, 1, 100)
	org, _ := seedTeacher(t, n, "anna", "Anna")
	brunoP, _ := seedTeacher(t, n, "bruno", "Bruno")
	seedTeacher(t, n, "dario", "Dario")
	bruno, brunoCSRF := apiSession(t, n.URL(), "bruno", "correct horse 1")
	dario, darioCSRF := apiSession(t, n.URL(), "dario", "correct horse 1")
	e := codingClub(t, n, clock.Now(), org, brunoP)
	base := "/api/v1" + n.Events().Path(e.ID) + "/files"
	upload := func(b *nodetest.Browser, csrf, name string, data []byte) (int, string) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write(data)
		mw.Close()
		req, _ := http.NewRequest("POST", n.URL()+base, &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("X-CSRF-Token", csrf)
		code, resp, _ := b.Do(req)
		return code, resp
	}
	if code, _ := upload(dario, darioCSRF, "x.txt", textOf(10)); code != http.StatusForbidden {
		t.Fatalf("upload without a place: %d", code)
	}
	if code, resp := upload(bruno, brunoCSRF, "empty.txt", nil); code != http.StatusBadRequest || !strings.Contains(resp, "is empty") {
		t.Fatalf("empty upload: %d %s", code, resp)
	}
	code, resp := upload(bruno, brunoCSRF, "notes.txt", textOf(100))
	var f twinfed.EventFile
	if err := json.Unmarshal([]byte(resp), &f); code != http.StatusCreated || err != nil || f.Name != "notes.txt" || f.Type != "text/plain" || f.Size != 100 {
		t.Fatalf("upload: %d %s", code, resp)
	}
	var list struct {
		Files     []twinfed.EventFile `json:"files"`
		Used      int64               `json:"used"`
		CanUpload bool                `json:"can_upload"`
	}
	if code := bruno.API("GET", base, nil, "", &list); code != 200 || len(list.Files) != 1 || list.Used != 100 || !list.CanUpload {
		t.Fatalf("list: %d %+v", code, list)
	}
	var apiErr web.APIError
	if code := dario.API("GET", base, nil, "", &apiErr); code != http.StatusForbidden {
		t.Fatalf("list without a place: %d", code)
	}
	req, _ := http.NewRequest("GET", n.URL()+base+"/download?f="+url.QueryEscape(f.ID), nil)
	code, body, h := bruno.Do(req)
	if code != 200 || body != string(textOf(100)) || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("download: %d %v", code, h)
	}
	if code := dario.API("POST", base+"/delete", map[string]string{"file": f.ID}, darioCSRF, &apiErr); code != http.StatusForbidden {
		t.Fatalf("delete by a member without a place: %d", code)
	}
	var done map[string]bool
	if code := bruno.API("POST", base+"/delete", map[string]string{"file": f.ID}, brunoCSRF, &done); code != 200 || !done["deleted"] {
		t.Fatalf("delete: %d %v", code, done)
	}
	if code := bruno.API("GET", base, nil, "", &list); code != 200 || len(list.Files) != 0 {
		t.Fatalf("after the deletion: %d %+v", code, list)
	}
}

// TestEventFiles_CatchUpServed: the home node serves an archive's
// catch-up only to the nodes of the event's confirmed participants (a
// node whose members only wait, or have none, is refused), and an event
// of another node, or none, is not found; a refusal changes nothing.
func TestEventFiles_CatchUpServed(t *testing.T) {
	n := nodetest.MustOpenNode(t, nodetest.Options{Tune: func(o *node.Options) {
		o.Service.Events = event.Config{Rooms: 1, Capacity: 1}
	}})
	ctx := context.Background()
	org, _ := seedTeacher(t, n, "anna", "Anna")
	bruno, _ := seedTeacher(t, n, "bruno", "Bruno")
	e := codingClub(t, n, time.Now(), org, bruno)
	if _, err := n.EventFiles().Upload(ctx, bruno, e.ID, "notes.txt", bytes.NewReader(textOf(100))); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, host, event string
		code              string
	}{
		{"a node without participants", "fr.example", e.ID, twinfed.EFORBIDDEN},
		{"this node itself", twinfed.URLHost(n.URL()), e.ID, twinfed.EFORBIDDEN},
		{"no host", "", e.ID, twinfed.EFORBIDDEN},
		{"an event of another node", "fr.example", "https://fr.example/events/x", twinfed.ENOTFOUND},
		{"no event", "fr.example", "", twinfed.ENOTFOUND},
	} {
		t.Run(c.name, func(t *testing.T) {
			pg, err := n.EventFiles().Served(ctx, c.host, c.event, time.Time{}, "", 10)
			if twinfed.ErrorCode(err) != c.code {
				t.Fatalf("served %+v, %v; want %s", pg, err, c.code)
			}
		})
	}
	if l, err := n.EventFiles().List(ctx, org, e.ID); err != nil || len(l.Files) != 1 {
		t.Fatalf("after the refusals: %v %+v", err, l)
	}
}

// A file recorded on the event's home node before its archive had a change
// log (a store written before the catch-up existed) is put in the log when
// the node starts, at the present time, so that the participants' nodes
// take it on their next catch-up.
func TestEventFiles_EarlierFilesLogged(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tune := func(o *node.Options) { o.Service.Events = event.Config{Rooms: 1, Capacity: 2} }
	n := nodetest.MustOpenNode(t, nodetest.Options{Dir: dir, Listener: ln, Tune: tune})
	ctx := context.Background()
	org, _ := seedTeacher(t, n, "anna", "Anna")
	bruno, _ := seedTeacher(t, n, "bruno", "Bruno")
	e := codingClub(t, n, time.Now(), org, bruno)
	f, err := n.EventFiles().Upload(ctx, bruno, e.ID, "notes.txt", bytes.NewReader(textOf(100)))
	if err != nil {
		t.Fatal(err)
	}
	// The store as an older node wrote it: the record without the log.
	logged := func(n *node.Node) (key string, c eventfiles.Change) {
		t.Helper()
		err := n.Store().View(func(txn *badger.Txn) error {
			v, ok, err := store.GetString(txn, store.PrefixEventFile+"l/"+f.ID)
			if err != nil || !ok {
				return err
			}
			key = v
			return store.GetJSON(txn, v, &c)
		})
		if err != nil {
			t.Fatal(err)
		}
		return key, c
	}
	if k, _ := logged(n); k == "" {
		t.Fatal("the upload was not logged")
	}
	if err := n.Store().DB().DropPrefix([]byte(store.PrefixEventFile+"k/"), []byte(store.PrefixEventFile+"l/")); err != nil {
		t.Fatal(err)
	}
	if k, _ := logged(n); k != "" {
		t.Fatalf("the log is still there: %s", k)
	}
	addr := n.URL()
	before := time.Now()
	n.Close()
	reopen := func() *node.Node {
		t.Helper()
		var l net.Listener
		nodetest.Eventually(t, 10*time.Second, func() bool {
			l, err = net.Listen("tcp", strings.TrimPrefix(addr, "http://"))
			return err == nil
		}, "the node's address never came free")
		return nodetest.MustOpenNode(t, nodetest.Options{Dir: dir, Listener: l, Tune: tune})
	}
	n = reopen()
	key, c := logged(n)
	if key == "" || c.ID != f.ID || c.Name != "notes.txt" || c.Deleted || c.At.Before(before) {
		t.Fatalf("after the restart, the log holds %q: %+v", key, c)
	}
	// A second start logs nothing again.
	n.Close()
	n = reopen()
	if again, _ := logged(n); again != key {
		t.Fatalf("the second start logged the file again: %q, was %q", again, key)
	}
}
