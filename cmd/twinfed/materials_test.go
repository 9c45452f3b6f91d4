package main

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/node/twinspace/materials"
)

// approvedITFR founds a project of maria (IT) with jean (FR), approved
// by both agencies, and waits for its TwinSpace on both nodes.
func approvedITFR(t *testing.T, it, fr *fedNode, title string) *twinfed.Project {
	t.Helper()
	return approvedProject(t, title, seat{it, "maria"}, seat{fr, "jean"})
}

// TestFederation_Materials: a file uploaded on IT stays there; the FR
// partner reads it (and its thumbnail) through the FR node, which fetches
// it from IT with a signed GET and keeps a copy; IT gives it to no node
// that is not a partner (ES) and to no unsigned request; deleted on IT,
// it goes from both nodes.
func TestFederation_Materials(t *testing.T) {
	ctx := context.Background()
	cluster := consensustest.MustOpenCluster(t, 1)
	it, fr, es := startThreeNodes(t, cluster)
	it.seedTeacher(t, "maria", "Maria", "Rossi", []string{"science"}, []int{10})
	fr.seedTeacher(t, "jean", "Jean", "Dupont", []string{"science"}, []int{10})
	befriend(t, it, "maria", fr, "jean")
	p := approvedITFR(t, it, fr, "Rivers of Europe")

	img := image.NewRGBA(image.Rect(0, 0, 800, 400))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var photo bytes.Buffer
	if err := png.Encode(&photo, img); err != nil {
		t.Fatal(err)
	}
	o, err := it.Node().TwinSpaces().Materials.Upload(ctx, teacher("maria"), p.ID, "", "river.png", bytes.NewReader(photo.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	hash := o.Fields["hash"]
	// The record reaches FR; the file does not, until someone reads it.
	consensustest.Eventually(t, 60*time.Second, func() bool {
		v, err := fr.ts().OpenView(ctx, teacher("jean"), p.ID, false)
		if err != nil {
			return false
		}
		_, err = fr.Node().TwinSpaces().Materials.Material(v, o.ID)
		return err == nil
	}, "the material's record never reached FR")
	if _, err := fr.Node().TwinSpaces().Materials.Blobs().Stat(ctx, hash); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		t.Fatalf("FR holds the file before anyone read it: %v", err)
	}

	jean := fr.login(t, "jean")
	q := "?id=" + url.QueryEscape(p.ID) + "&m=" + url.QueryEscape(o.ID)
	code, _, body := jean.get("/twinspace/materials/file" + q)
	if code != 200 || !bytes.Equal(body, photo.Bytes()) {
		t.Fatalf("jean reads the file on FR: %d, %d bytes of %d", code, len(body), photo.Len())
	}
	if _, err := fr.Node().TwinSpaces().Materials.Blobs().Stat(ctx, hash); err != nil {
		t.Fatalf("FR keeps no copy: %v", err)
	}
	code, _, body = jean.get("/twinspace/materials/thumb" + q)
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(body)); code != 200 || err != nil || cfg.Width != 320 {
		t.Fatalf("the thumbnail on FR: %d %v %+v", code, err, cfg)
	}
	page := jean.page("/twinspace/materials?id=" + url.QueryEscape(p.ID))
	if !bytes.Contains([]byte(page), []byte("river.png")) {
		t.Fatalf("FR's materials page does not list the file:\n%s", page)
	}

	// IT serves the file to its partner node only, and only signed.
	fileURL := it.base + materials.FilePath + hash
	if _, _, err := es.out.GetStream(ctx, fileURL); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		t.Fatalf("ES, not a partner, got the file: %v", err)
	}
	resp, err := http.Get(fileURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("an unsigned GET of the file: %d, want 401", resp.StatusCode)
	}
	if rc, _, err := fr.out.GetStream(ctx, fileURL); err != nil {
		t.Fatalf("FR, a partner, is refused the file: %v", err)
	} else {
		rc.Close()
	}

	// Deleted on IT: the tombstone reaches FR, which drops its copy; IT
	// drops the original; the file is no longer served.
	if err := it.Node().TwinSpaces().Materials.Delete(ctx, teacher("maria"), p.ID, o.ID); err != nil {
		t.Fatal(err)
	}
	for _, n := range []*fedNode{it, fr} {
		consensustest.Eventually(t, 60*time.Second, func() bool {
			_, err := n.Node().TwinSpaces().Materials.Blobs().Stat(ctx, hash)
			return twinfed.ErrorCode(err) == twinfed.ENOTFOUND
		}, n.Config.Country+" still holds the deleted file")
	}
	if code, _, _ := jean.get("/twinspace/materials/file" + q); code != http.StatusNotFound {
		t.Fatalf("the deleted file on FR: %d, want 404", code)
	}
	if _, _, err := fr.out.GetStream(ctx, fileURL); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		t.Fatalf("IT still serves the deleted file: %v", err)
	}
}
