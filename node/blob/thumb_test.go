package blob_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"strings"
	"testing"

	"github.com/twinfed/twinfed/node/blob"
)

// thumb sniffs content, makes its thumbnail and decodes it.
func thumb(t *testing.T, content []byte, name string) image.Image {
	t.Helper()
	typ, err := blob.Sniff(content, name)
	if err != nil {
		t.Fatal(err)
	}
	out, err := blob.Thumbnail(context.Background(), bytes.NewReader(content), typ)
	if err != nil {
		t.Fatalf("Thumbnail(%s): %v", name, err)
	}
	img, err := jpeg.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("the thumbnail of %s is no JPEG: %v", name, err)
	}
	return img
}

// near reports whether c is within 40 of want on each channel (JPEG is
// lossy).
func near(c color.Color, want color.RGBA) bool {
	r, g, b, _ := c.RGBA()
	d := func(a uint32, w uint8) bool { x := int(a>>8) - int(w); return x > -40 && x < 40 }
	return d(r, want.R) && d(g, want.G) && d(b, want.B)
}

var (
	red  = color.RGBA{200, 20, 20, 255}
	blue = color.RGBA{20, 20, 200, 255}
)

// TestThumbnail_Images: each image format is scaled to fit 320 pixels,
// keeping its ratio and its colours; a small one keeps its size.
func TestThumbnail_Images(t *testing.T) {
	big := testImage(1000, 500)
	for _, tc := range []struct {
		name    string
		content []byte
		w, h    int
	}{
		{"big.png", pngOf(t, big), 320, 160},
		{"big.jpg", jpegOf(t, big), 320, 160},
		{"big.gif", gifOf(t, big), 320, 160},
		{"tall.png", pngOf(t, testImage(300, 900)), 106, 320},
		{"small.jpg", jpegOf(t, testImage(100, 50)), 100, 50},
		{"photo.jpg", jpegOf(t, testImage(2600, 1300)), 320, 160}, // averaged by blocks first
		{"tall photo.jpg", withEXIFOrientation(jpegOf(t, testImage(1300, 2600)), 1), 160, 320},
	} {
		img := thumb(t, tc.content, tc.name)
		if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
			t.Errorf("%s: thumbnail %v, want %d × %d", tc.name, b, tc.w, tc.h)
			continue
		}
		if l, r := img.At(tc.w/4, tc.h/2), img.At(tc.w*3/4, tc.h/2); !near(l, red) || !near(r, blue) {
			t.Errorf("%s: colours %v, %v; want red then blue", tc.name, l, r)
		}
	}
	green := color.RGBA{10, 200, 30, 255}
	img := thumb(t, webpOf(400, 200, green), "leaf.webp")
	if b := img.Bounds(); b.Dx() != 320 || b.Dy() != 160 || !near(img.At(100, 80), green) {
		t.Errorf("webp: thumbnail %v, colour %v", b, img.At(100, 80))
	}
}

// TestThumbnail_TransparencyOnWhite: transparent pixels are white in the
// JPEG.
func TestThumbnail_TransparencyOnWhite(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 40, 40))
	img := thumb(t, pngOf(t, src), "clear.png")
	if !near(img.At(20, 20), color.RGBA{255, 255, 255, 255}) {
		t.Fatalf("a transparent pixel is %v, want white", img.At(20, 20))
	}
}

// TestThumbnail_EXIFOrientation: a photo taken sideways (orientation 6:
// turn 90° clockwise) comes out upright.
func TestThumbnail_EXIFOrientation(t *testing.T) {
	// Stored 400 × 200, red on the left: upright, it is 200 × 400 with
	// red on top.
	photo := withEXIFOrientation(jpegOf(t, testImage(400, 200)), 6)
	img := thumb(t, photo, "sideways.jpg")
	b := img.Bounds()
	if b.Dx() != 160 || b.Dy() != 320 {
		t.Fatalf("thumbnail %v, want 160 × 320", b)
	}
	if top, bottom := img.At(80, 60), img.At(80, 260); !near(top, red) || !near(bottom, blue) {
		t.Fatalf("colours %v (top), %v (bottom); want red on top", top, bottom)
	}
}

// TestThumbnail_DecompressionBomb: a small PNG whose header claims
// 400 megapixels is refused from its header.
func TestThumbnail_DecompressionBomb(t *testing.T) {
	bomb := pngBomb(t, 20000, 20000)
	if len(bomb) > 1000 {
		t.Fatalf("the bomb is %d bytes", len(bomb))
	}
	typ, err := blob.Sniff(bomb, "bomb.png")
	if err != nil {
		t.Fatal(err)
	}
	_, err = blob.Thumbnail(context.Background(), bytes.NewReader(bomb), typ)
	if err == nil || !strings.Contains(err.Error(), "20000 × 20000") {
		t.Fatalf("Thumbnail of a bomb: %v, want a refusal naming its size", err)
	}
	// A GIF whose logical screen is 65535 × 65535.
	gifBomb := gifOf(t, testImage(2, 2))
	copy(gifBomb[6:10], []byte{0xff, 0xff, 0xff, 0xff})
	typ, _ = blob.Sniff(gifBomb, "bomb.gif")
	if _, err := blob.Thumbnail(context.Background(), bytes.NewReader(gifBomb), typ); err == nil || !strings.Contains(err.Error(), "65535 × 65535") {
		t.Fatalf("Thumbnail of a GIF bomb: %v, want a refusal naming its size", err)
	}
}

// TestThumbnail_PDF: a PDF's first page is rendered by pdftoppm.
func TestThumbnail_PDF(t *testing.T) {
	if !blob.PDFPreview() {
		t.Skip("pdftoppm (poppler-utils) is not installed; .ci/run installs it")
	}
	img := thumb(t, pdfOf(), "report.pdf")
	b := img.Bounds()
	if b.Dx() != 320 || b.Dy() != 160 {
		t.Fatalf("thumbnail %v, want 320 × 160 (the page is 200 × 100 points)", b)
	}
	if !near(img.At(160, 80), color.RGBA{255, 0, 0, 255}) || !near(img.At(5, 5), color.RGBA{255, 255, 255, 255}) {
		t.Fatalf("colours %v (middle), %v (corner); want the red rectangle on white", img.At(160, 80), img.At(5, 5))
	}
	typ, _ := blob.Sniff(pdfOf(), "report.pdf")
	broken := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("garbage "), 100)...)
	if _, err := blob.Thumbnail(context.Background(), bytes.NewReader(broken), typ); err == nil {
		t.Fatal("a broken PDF has a thumbnail")
	}
}

// TestThumbnail_None: types without a preview answer ErrNoThumbnail.
func TestThumbnail_None(t *testing.T) {
	for _, c := range []struct {
		content []byte
		name    string
	}{{mp4Of("isom"), "trip.mp4"}, {mp3Of(), "song.mp3"}, {ooxmlOf(t, "word/"), "essay.docx"}, {[]byte("hello\n"), "a.txt"}} {
		typ, err := blob.Sniff(c.content, c.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := blob.Thumbnail(context.Background(), bytes.NewReader(c.content), typ); !errors.Is(err, blob.ErrNoThumbnail) {
			t.Errorf("Thumbnail(%s): %v, want ErrNoThumbnail", c.name, err)
		}
	}
}
