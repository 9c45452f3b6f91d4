package node_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/blob"
	"github.com/twinfed/twinfed/node/nodetest"
	"github.com/twinfed/twinfed/node/twinspace"
	"github.com/twinfed/twinfed/node/twinspace/materials"
)

// The Materials tab on one node: uploads of several files through the
// page's plain form, what is refused (too large, content not as named,
// over the quota) with nothing changed, thumbnails, downloads, deletions,
// and who may upload (pupils yes, visitors no).

// upFile is a file of an upload.
type upFile struct {
	name    string
	content []byte
}

// pngFile is a w × h PNG, its pixels varied by seed (two seeds, two
// files).
func pngFile(t testing.TB, w, h int, seed byte) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i) ^ seed
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// jpegFile is a w × h JPEG of one colour.
func jpegFile(t testing.TB, w, h int, c color.RGBA) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, 255
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pdfFile is a one-page PDF (a red rectangle) with its cross-reference
// table at the right offsets.
func pdfFile() []byte {
	stream := "1 0 0 rg 20 20 160 60 re f"
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(stream), stream)}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	var offs []int
	for i, o := range objs {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	x := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, x)
	return b.Bytes()
}

// noise is n random bytes after a PNG signature: sniffed as a PNG, never
// the same twice.
func noise(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	copy(b, "\x89PNG\r\n\x1a\n")
	return b
}

// uploadForm posts files to the Materials tab's plain form (the CSRF token
// first, as the page's form sends it) and returns the status, the body
// and the redirect.
func uploadForm(t testing.TB, b *nodetest.Browser, project, folder string, files ...upFile) (int, string, string) {
	t.Helper()
	if code, _ := b.Get("/twinspace/materials?id=" + url.QueryEscape(project)); code != 200 {
		t.Fatalf("materials page: %d\n%s", code, b.Last)
	}
	csrf := b.CSRF()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", csrf)
	mw.WriteField("id", project)
	mw.WriteField("folder", folder)
	for _, f := range files {
		w, _ := mw.CreateFormFile("files", f.name)
		w.Write(f.content)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", b.Base+"/twinspace/materials/upload", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept-Language", "en")
	code, page, h := b.Do(req)
	return code, page, h.Get("Location")
}

// materialsNode opens a node with small limits (1 MB a file, 2 MB a
// TwinSpace) and an approved project of anna and bruno; its files are in
// blobs when given (object storage), on its disk otherwise.
func materialsNode(t *testing.T, blobs ...blob.Store) (*node.Node, *twinfed.Project, *twinfed.Principal) {
	t.Helper()
	n := nodetest.MustOpenNode(t, nodetest.Options{LocalOnly: true, Tune: func(o *node.Options) {
		o.Materials = materials.Config{MaxFileBytes: 1 << 20, TwinSpaceQuota: 2 << 20, NodeQuota: 64 << 20}
		if len(blobs) > 0 {
			o.Blobs = blobs[0]
		}
	}})
	anna, annaURL := seedTeacher(t, n, "anna", "Anna")
	_, brunoURL := seedTeacher(t, n, "bruno", "Bruno")
	seedStaff(t, n, "officer", twinfed.RoleAgencyOfficer)
	return n, nationalProject(t, n, anna, annaURL, brunoURL), anna
}

// listing is the top of the TwinSpace's materials as anna sees them.
func listing(t testing.TB, n *node.Node, anna *twinfed.Principal, project string) *materials.Listing {
	t.Helper()
	v, err := n.TwinSpaces().Core.OpenView(context.Background(), anna, project, false)
	if err != nil {
		t.Fatal(err)
	}
	l, err := n.TwinSpaces().Materials.List(context.Background(), v, "")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestMaterials_UploadSeveralThenRefusals(t *testing.T) { uploadSeveralThenRefusals(t) }

// uploadSeveralThenRefusals is TestMaterials_UploadSeveralThenRefusals on
// the disk, or on blobs (TestMaterialsS3_UploadSeveralThenRefusals).
func uploadSeveralThenRefusals(t *testing.T, blobs ...blob.Store) {
	n, proj, anna := materialsNode(t, blobs...)
	b := login(t, n, "anna", "correct horse 1")
	photo, report := pngFile(t, 640, 480, 1), pdfFile()

	code, _, loc := uploadForm(t, b, proj.ID, "", upFile{"class photo.png", photo}, upFile{"report.pdf", report}, upFile{"notes.txt", []byte("Monday: rivers.\n")})
	if code != http.StatusSeeOther || !strings.Contains(loc, "done=uploaded") {
		t.Fatalf("upload: %d %s\n%s", code, loc, b.Last)
	}
	l := listing(t, n, anna, proj.ID)
	if len(l.Files) != 3 {
		t.Fatalf("%d files listed, want 3", len(l.Files))
	}
	byName := map[string]*twinfed.SpaceObject{}
	for _, o := range l.Files {
		byName[o.Title] = o
	}
	if o := byName["class photo.png"]; o == nil || o.Fields["type"] != "image/png" || o.Fields["thumb"] == "" || o.Fields["origin"] != n.URL() || o.Fields["hash"] != blob.HashOf(photo) {
		t.Fatalf("the photo's record: %+v", o)
	}
	if o := byName["report.pdf"]; o == nil || blob.PDFPreview() && o.Fields["thumb"] == "" {
		t.Fatalf("the report's record (a preview when pdftoppm is installed): %+v", o)
	}
	used := n.TwinSpaces().Materials.Usage(proj.ID)
	if want := int64(len(photo) + len(report) + len("Monday: rivers.\n")); used.Space != want {
		t.Fatalf("the TwinSpace uses %d bytes, want %d", used.Space, want)
	}

	// The page lists them with their previews and the quotas, for a teacher.
	_, page := b.Get("/twinspace/materials?id=" + url.QueryEscape(proj.ID))
	mustContain(t, "materials page", page, "class photo.png", "report.pdf", "notes.txt", "/twinspace/materials/thumb?id=", "of 2 MB used", "PNG")
	// The file, and its thumbnail, as downloaded.
	photoID := byName["class photo.png"].ID
	code, got, h := b.Do(mustReq(t, b.Base+"/twinspace/materials/file?id="+url.QueryEscape(proj.ID)+"&m="+url.QueryEscape(photoID)))
	if code != 200 || got != string(photo) || h.Get("Content-Type") != "image/png" || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("download: %d %q %d bytes", code, h.Get("Content-Type"), len(got))
	}
	code, got, _ = b.Do(mustReq(t, b.Base+"/twinspace/materials/thumb?id="+url.QueryEscape(proj.ID)+"&m="+url.QueryEscape(photoID)))
	if cfg, err := jpeg.DecodeConfig(strings.NewReader(got)); code != 200 || err != nil || cfg.Width != 320 || cfg.Height != 240 {
		t.Fatalf("thumbnail: %d %v %+v", code, err, cfg)
	}
	// Someone who is not a member gets nothing.
	carla := newBrowser(t, n.URL())
	if code, _ := carla.Get("/twinspace/materials/file?id=" + url.QueryEscape(proj.ID) + "&m=" + url.QueryEscape(photoID)); code != http.StatusNotFound {
		t.Fatalf("the public downloads an unpublished file: %d", code)
	}

	// Published (as a page or the diary that shows it marks it), it is
	// served to the public too.
	if _, err := n.TwinSpaces().Core.Edit(context.Background(), anna, proj.ID, twinfed.SpaceKindMaterial, photoID, func(v *twinspace.View, o *twinfed.SpaceObject) error {
		o.Public = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if code, got := carla.Get("/twinspace/materials/file?id=" + url.QueryEscape(proj.ID) + "&m=" + url.QueryEscape(photoID)); code != 200 || got != string(photo) {
		t.Fatalf("the public downloads a published file: %d", code)
	}

	// Refused, each with a clear message, and nothing changed.
	before, blobsBefore := len(listing(t, n, anna, proj.ID).Files), n.TwinSpaces().Materials.Blobs().Usage()
	for _, tc := range []struct {
		name   string
		file   upFile
		status int
		want   string
	}{
		{"too large", upFile{"poster.png", noise(1<<20 + 1)}, http.StatusRequestEntityTooLarge, "a file may be at most 1 MB"},
		{"content not as named", upFile{"photo.jpg", pdfFile()}, http.StatusBadRequest, "is named as JPG but its content is PDF"},
		{"a program", upFile{"game.exe", []byte("MZ\x90\x00\x03\x00\x00\x00")}, http.StatusBadRequest, "its content is EXE"},
	} {
		code, page, _ := uploadForm(t, b, proj.ID, "", tc.file)
		if code != tc.status || !strings.Contains(page, tc.want) {
			t.Fatalf("%s: %d, want %d with %q\n%s", tc.name, code, tc.status, tc.want, page)
		}
		if after := len(listing(t, n, anna, proj.ID).Files); after != before || n.TwinSpaces().Materials.Blobs().Usage() != blobsBefore {
			t.Fatalf("%s: %d files and %d bytes stored after, %d and %d before", tc.name, after, n.TwinSpaces().Materials.Blobs().Usage(), before, blobsBefore)
		}
	}

	// A folder needs a name: said next to the field.
	b.Get("/twinspace/materials?id=" + url.QueryEscape(proj.ID))
	if code, page, _ := b.Post("/twinspace/materials/folder", url.Values{"id": {proj.ID}, "folder": {""}, "name": {"  "}}); code != http.StatusBadRequest || !strings.Contains(page, `id="name-error">Give the folder a name of at most 200 characters.`) {
		t.Fatalf("a folder without a name: %d\n%s", code, page)
	}
	if code, _, loc := b.Post("/twinspace/materials/folder", url.Values{"id": {proj.ID}, "folder": {""}, "name": {"Field trip"}}); code != http.StatusSeeOther || !strings.Contains(loc, "done=saved") {
		t.Fatalf("a folder: %d %s", code, loc)
	}
	if l := listing(t, n, anna, proj.ID); len(l.Folders) != 1 || l.Folders[0].Title != "Field trip" {
		t.Fatalf("folders: %+v", l.Folders)
	}
	_, page = b.Get("/twinspace/materials?id=" + url.QueryEscape(proj.ID))
	mustContain(t, "the folder on the page", page, "&amp;folder=", "Field trip", `<span class="visually-hidden"> Field trip</span>`)

	// The quota: 2 MB for the TwinSpace; the second file of 0.9 MB passes
	// it (with what is there) and is refused, the other stays.
	code, page, _ = uploadForm(t, b, proj.ID, "", upFile{"a.png", noise(900 << 10)}, upFile{"b.png", noise(900 << 10)}, upFile{"c.png", noise(900 << 10)})
	if code != 200 || !strings.Contains(page, "This TwinSpace&#39;s files may hold 2 MB in all and 1 MB are used") {
		t.Fatalf("over the quota: %d\n%s", code, page)
	}
	if got := len(listing(t, n, anna, proj.ID).Files); got != before+2 {
		t.Fatalf("%d files after the quota, want %d", got, before+2)
	}
}

// TestMaterials_RolesAndDeletion: a pupil uploads, a visitor may not; a
// pupil may not delete a teacher's file, the teacher may; a file two
// records name stays until the last goes; folders.
func TestMaterials_RolesAndDeletion(t *testing.T) { rolesAndDeletion(t) }

// rolesAndDeletion is TestMaterials_RolesAndDeletion on the disk, or on
// blobs (TestMaterialsS3_RolesAndDeletion).
func rolesAndDeletion(t *testing.T, blobs ...blob.Store) {
	n, proj, anna := materialsNode(t, blobs...)
	ctx := context.Background()
	ms := n.TwinSpaces().Materials
	addMember := func(name, role string, fields map[string]string) *twinfed.Principal {
		creds, err := n.Pupils().CreatePupils(ctx, anna, []string{name})
		if err != nil {
			t.Fatal(err)
		}
		user := creds[0].Username
		actor := twinfed.PupilURL(n.URL(), user)
		_, err = n.TwinSpaces().Core.Edit(ctx, anna, proj.ID, twinfed.SpaceKindMember, twinspace.MemberID(proj.ID, actor), func(v *twinspace.View, o *twinfed.SpaceObject) error {
			o.Title = name
			o.Fields = map[string]string{"actor": actor, "role": role}
			for k, v := range fields {
				o.Fields[k] = v
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		accountRole := twinfed.RolePupil
		if role == string(twinfed.SpaceVisitor) {
			accountRole = twinfed.RoleVisitor
		}
		return &twinfed.Principal{Username: user, Role: accountRole}
	}
	pupil := addMember("pupil1", string(twinfed.SpacePupil), nil)
	visitor := addMember("visitor1", string(twinfed.SpaceVisitor), map[string]string{"expires": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)})

	drawing := jpegFile(t, 100, 80, color.RGBA{0, 120, 200, 255})
	mine, err := ms.Upload(ctx, pupil, proj.ID, "", "my drawing.jpg", bytes.NewReader(drawing))
	if err != nil {
		t.Fatalf("a pupil uploads: %v", err)
	}
	if _, err := ms.Upload(ctx, visitor, proj.ID, "", "visit.jpg", bytes.NewReader(drawing)); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Fatalf("a visitor uploads: %v, want EFORBIDDEN", err)
	}
	if _, err := ms.CreateFolder(ctx, pupil, proj.ID, "", "Pupils"); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Fatalf("a pupil creates a folder: %v, want EFORBIDDEN", err)
	}
	folder, err := ms.CreateFolder(ctx, anna, proj.ID, "", "Drawings")
	if err != nil {
		t.Fatal(err)
	}
	// The same drawing again, by the teacher, in the folder: one blob.
	copyOf, err := ms.Upload(ctx, anna, proj.ID, folder.ID, "drawing.jpg", bytes.NewReader(drawing))
	if err != nil {
		t.Fatal(err)
	}
	if copyOf.Fields["hash"] != mine.Fields["hash"] {
		t.Fatal("the same content has two hashes")
	}
	if err := ms.Delete(ctx, pupil, proj.ID, copyOf.ID); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Fatalf("a pupil deletes a teacher's file: %v, want EFORBIDDEN", err)
	}
	if err := ms.Delete(ctx, anna, proj.ID, folder.ID); twinfed.ErrorCode(err) != twinfed.ECONFLICT {
		t.Fatalf("a folder that is not empty deleted: %v", err)
	}
	// The teacher (an administrator) deletes the pupil's: the blob stays,
	// the other record names it.
	if err := ms.Delete(ctx, anna, proj.ID, mine.ID); err != nil {
		t.Fatal(err)
	}
	hash := mine.Fields["hash"]
	thumbs := []string{mine.Fields["thumb"], copyOf.Fields["thumb"]}
	if _, err := ms.Blobs().Stat(ctx, hash); err != nil {
		t.Fatalf("a file another record names is gone: %v", err)
	}
	if err := ms.Delete(ctx, anna, proj.ID, copyOf.ID); err != nil {
		t.Fatal(err)
	}
	nodetest.Eventually(t, 10*time.Second, func() bool {
		for _, h := range append([]string{hash}, thumbs...) {
			if _, err := ms.Blobs().Stat(ctx, h); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
				return false
			}
		}
		return true
	}, "the file and its thumbnail, no longer named, are still stored")
	if u := ms.Usage(proj.ID); u.Space != 0 {
		t.Fatalf("the TwinSpace still counts %d bytes", u.Space)
	}
	if err := ms.Delete(ctx, anna, proj.ID, folder.ID); err != nil {
		t.Fatalf("an empty folder: %v", err)
	}
}

// TestMaterials_API: the list with the quotas for a teacher, a folder, an
// upload with the session's token in a header, a deletion.
func TestMaterials_API(t *testing.T) {
	n, proj, _ := materialsNode(t)
	b, csrf := apiSession(t, n.URL(), "anna", "correct horse 1")
	var folder twinfed.SpaceObject
	if code := b.API("POST", "/api/v1/twinspace/materials/folders", map[string]string{"id": proj.ID, "name": "Photos"}, csrf, &folder); code != 201 {
		t.Fatalf("folder: %d %s", code, b.Last)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("id", proj.ID)
	mw.WriteField("folder", folder.ID)
	w, _ := mw.CreateFormFile("files", "river.png")
	w.Write(pngFile(t, 50, 50, 7))
	w, _ = mw.CreateFormFile("files", "river.jpg")
	w.Write(pdfFile())
	mw.Close()
	req, _ := http.NewRequest("POST", n.URL()+"/api/v1/twinspace/materials", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-CSRF-Token", csrf)
	code, out, _ := b.Do(req)
	if code != 201 || !strings.Contains(out, `"title": "river.png"`) || !strings.Contains(out, "«river.jpg» indica JPG, ma il contenuto è PDF") /* anna's language */ {
		t.Fatalf("API upload: %d %s", code, out)
	}
	req, _ = http.NewRequest("POST", n.URL()+"/api/v1/twinspace/materials", strings.NewReader("--x--"))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	if code, _, _ := b.Do(req); code != http.StatusForbidden {
		t.Fatalf("an upload without the token: %d", code)
	}
	// The page's script, without the token, is told in the reader's
	// language.
	req, _ = http.NewRequest("POST", n.URL()+"/twinspace/materials/upload", strings.NewReader("--x--"))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	req.Header.Set("Accept", "application/json")
	if code, out, _ := b.Do(req); code != http.StatusForbidden || !strings.Contains(out, `"errors"`) || !strings.Contains(out, "Ricarica la pagina") {
		t.Fatalf("the script's upload without the token: %d %s", code, out)
	}
	var list struct {
		Listing materials.Listing `json:"listing"`
		Usage   *materials.Usage  `json:"usage"`
	}
	if code := b.API("GET", "/api/v1/twinspace/materials?id="+url.QueryEscape(proj.ID)+"&folder="+url.QueryEscape(folder.ID), nil, "", &list); code != 200 || len(list.Listing.Files) != 1 || list.Usage == nil || list.Usage.SpaceQuota != 2<<20 {
		t.Fatalf("list: %d %s", code, b.Last)
	}
	if code := b.API("POST", "/api/v1/twinspace/materials/delete", map[string]string{"id": proj.ID, "object": list.Listing.Files[0].ID}, csrf, nil); code != 200 {
		t.Fatalf("delete: %d %s", code, b.Last)
	}
}

// TestMaterials_NodeQuota: the node's quota counts every file it stores;
// past it an upload is refused, saying so, and nothing is stored.
func TestMaterials_NodeQuota(t *testing.T) {
	n := nodetest.MustOpenNode(t, nodetest.Options{LocalOnly: true, Tune: func(o *node.Options) {
		o.Materials = materials.Config{MaxFileBytes: 1 << 20, TwinSpaceQuota: 8 << 20, NodeQuota: 3 << 20 / 2}
	}})
	anna, annaURL := seedTeacher(t, n, "anna", "Anna")
	_, brunoURL := seedTeacher(t, n, "bruno", "Bruno")
	seedStaff(t, n, "officer", twinfed.RoleAgencyOfficer)
	proj := nationalProject(t, n, anna, annaURL, brunoURL)
	ctx := context.Background()
	if _, err := n.TwinSpaces().Materials.Upload(ctx, anna, proj.ID, "", "one.png", bytes.NewReader(noise(900<<10))); err != nil {
		t.Fatal(err)
	}
	used := n.TwinSpaces().Materials.Blobs().Usage()
	_, err := n.TwinSpaces().Materials.Upload(ctx, anna, proj.ID, "", "two.png", bytes.NewReader(noise(900<<10)))
	if twinfed.ErrorCode(err) != twinfed.ETOOLARGE || !strings.Contains(err.Error(), "no room left for files") {
		t.Fatalf("past the node's quota: %v", err)
	}
	if n.TwinSpaces().Materials.Blobs().Usage() != used || len(listing(t, n, anna, proj.ID).Files) != 1 {
		t.Fatal("a refused upload changed what is stored")
	}
}

// TestMaterials_QuotaHoldsForSimultaneousUploads: uploads at the same
// moment cannot pass the TwinSpace's quota together (each one's limit is
// computed before its file is read); those that would are refused with
// the quota's message and leave nothing stored.
func TestMaterials_QuotaHoldsForSimultaneousUploads(t *testing.T) {
	n, proj, anna := materialsNode(t) // 1 MB a file, 2 MB a TwinSpace
	ctx := context.Background()
	const uploads = 8
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, uploads)
	for i := range uploads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = n.TwinSpaces().Materials.Upload(ctx, anna, proj.ID, "", fmt.Sprintf("part-%d.png", i), bytes.NewReader(noise(900<<10)))
		}()
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case twinfed.ErrorCode(err) != twinfed.ETOOLARGE || !strings.Contains(err.Error(), "may hold 2 MB in all"):
			t.Fatalf("a refused upload: %v", err)
		}
	}
	if ok != 2 {
		t.Fatalf("%d uploads of 900 KB accepted at once in a TwinSpace of 2 MB, want 2", ok)
	}
	if used := n.TwinSpaces().Materials.Usage(proj.ID); used.Space != 2*900<<10 || len(listing(t, n, anna, proj.ID).Files) != 2 {
		t.Fatalf("the TwinSpace uses %d bytes in %d files", used.Space, len(listing(t, n, anna, proj.ID).Files))
	}
	// The refused files' blobs are collected (in the background).
	deadline := time.Now().Add(10 * time.Second)
	for n.TwinSpaces().Materials.Blobs().Usage() > 2*900<<10+64<<10 { // the two files and their thumbnails at most
		if time.Now().After(deadline) {
			t.Fatalf("the blob store still holds %d bytes", n.TwinSpaces().Materials.Blobs().Usage())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
