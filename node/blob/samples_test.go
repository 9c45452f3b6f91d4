package blob_test

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"
)

// Small real files of each format, made here: encoded with the standard
// library where it can, written by hand to their specifications where it
// cannot.

// testImage is a w × h picture: a red left half, a blue right half.
func testImage(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{200, 20, 20, 255}
			if x >= w/2 {
				c = color.RGBA{20, 20, 200, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

func pngOf(tb testing.TB, img image.Image) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func jpegOf(tb testing.TB, img image.Image) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func gifOf(tb testing.TB, img image.Image) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := gif.Encode(&b, img, nil); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// bitWriter writes a VP8L bit stream: least significant bit first.
type bitWriter struct {
	out  []byte
	acc  uint64
	bits uint
}

func (w *bitWriter) write(v uint64, n uint) {
	w.acc |= v << w.bits
	w.bits += n
	for w.bits >= 8 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.bits -= 8
	}
}

func (w *bitWriter) bytes() []byte {
	if w.bits > 0 {
		w.out = append(w.out, byte(w.acc))
	}
	return w.out
}

// webpOf is a lossless WebP (VP8L) of w × h pixels of one colour: no
// transform, no colour cache, and five prefix codes of one symbol each
// (green, red, blue, alpha, distance), so that no pixel takes a bit.
func webpOf(w, h int, c color.RGBA) []byte {
	var bw bitWriter
	bw.write(0x2f, 8)         // signature
	bw.write(uint64(w-1), 14) // width - 1
	bw.write(uint64(h-1), 14) // height - 1
	bw.write(0, 1)            // alpha is used
	bw.write(0, 3)            // version
	bw.write(0, 1)            // no transform
	bw.write(0, 1)            // no colour cache
	bw.write(0, 1)            // no meta prefix codes
	for _, sym := range []uint8{c.G, c.R, c.B, c.A, 0} {
		bw.write(1, 1) // a simple code
		bw.write(0, 1) // of one symbol
		bw.write(1, 1) // of 8 bits
		bw.write(uint64(sym), 8)
	}
	data := bw.bytes()
	chunk := append([]byte("VP8L"), le32(len(data))...)
	chunk = append(chunk, data...)
	if len(data)%2 == 1 {
		chunk = append(chunk, 0)
	}
	out := append([]byte("RIFF"), le32(4+len(chunk))...)
	out = append(out, "WEBP"...)
	return append(out, chunk...)
}

func le32(n int) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(n)) }
func be32(n int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(n)) }

// pngBomb is a PNG whose header claims w × h pixels, with one row of data:
// small on disk, huge once decoded.
func pngBomb(tb testing.TB, w, h int) []byte {
	tb.Helper()
	real := pngOf(tb, testImage(2, 2))
	// IHDR is the first chunk: length (4), "IHDR", width, height, …, CRC.
	ihdr := real[8 : 8+8+13+4]
	binary.BigEndian.PutUint32(ihdr[8:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[12:], uint32(h))
	binary.BigEndian.PutUint32(ihdr[21:], crc32.ChecksumIEEE(ihdr[4:21]))
	return real
}

// withEXIFOrientation inserts, after a JPEG's SOI, an APP1 EXIF segment
// whose IFD0 holds the orientation o (big-endian TIFF).
func withEXIFOrientation(jpg []byte, o int) []byte {
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08")      // header, IFD0 at 8
	tiff = append(tiff, 0, 1)                         // one entry
	tiff = append(tiff, 0x01, 0x12, 0, 3, 0, 0, 0, 1) // orientation, SHORT, count 1
	tiff = append(tiff, byte(o>>8), byte(o), 0, 0)    // the value
	tiff = append(tiff, 0, 0, 0, 0)                   // no next IFD
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := append([]byte{0xFF, 0xE1, byte((len(seg) + 2) >> 8), byte(len(seg) + 2)}, seg...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, app1...)
	return append(out, jpg[2:]...)
}

// pdfOf is a one-page PDF, 200 × 100 points, with a red rectangle, its
// cross-reference table at the right offsets.
func pdfOf() []byte {
	stream := "1 0 0 rg 20 20 160 60 re f"
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(stream), stream),
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	var offs []int
	for i, o := range objs {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// zipOf is a zip of the named entries, in order; a first entry named
// "mimetype" is stored uncompressed, as OpenDocument requires.
func zipOf(tb testing.TB, entries ...string) []byte {
	tb.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := 0; i < len(entries); i += 2 {
		h := &zip.FileHeader{Name: entries[i], Method: zip.Deflate}
		if entries[i] == "mimetype" {
			h.Method = zip.Store
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Write([]byte(entries[i+1])); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

const contentTypes = `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"></Types>`

// ooxmlOf is an OOXML package with its main part in dir ("word/", "xl/",
// "ppt/").
func ooxmlOf(tb testing.TB, dir string) []byte {
	return zipOf(tb, "[Content_Types].xml", contentTypes, "_rels/.rels", "<Relationships/>", dir+"document.xml", "<document/>")
}

// odfOf is an OpenDocument package of a media type.
func odfOf(tb testing.TB, mediaType string) []byte {
	return zipOf(tb, "mimetype", mediaType, "content.xml", "<office:document-content/>")
}

// oleOf is the start of an OLE compound file (legacy Office): its
// signature and a header of 512 bytes.
func oleOf() []byte {
	b := make([]byte, 1536)
	copy(b, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})
	binary.LittleEndian.PutUint16(b[0x1A:], 3)      // major version
	binary.LittleEndian.PutUint16(b[0x1C:], 0xFFFE) // byte order
	binary.LittleEndian.PutUint16(b[0x1E:], 9)      // sector shift
	return b
}

// mp4Of starts an ISO media file with brand (an ftyp box, then mdat).
func mp4Of(brand string) []byte {
	b := append(be32(24), "ftyp"...)
	b = append(b, brand...)
	b = append(b, 0, 0, 2, 0)
	b = append(b, "isommp41"...)
	b = append(b, be32(16)...)
	return append(b, "mdat\x00\x00\x00\x00\x00\x00\x00\x00"...)
}

// webmOf starts a WebM file: an EBML header whose DocType is webm.
func webmOf() []byte {
	return []byte("\x1A\x45\xDF\xA3\x9F\x42\x86\x81\x01\x42\xF7\x81\x01\x42\xF2\x81\x04\x42\xF3\x81\x08\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02")
}

// oggOf starts an Ogg stream whose first packet is codec's header
// ("\x01vorbis", "\x80theora").
func oggOf(codec string) []byte {
	b := []byte("OggS\x00\x02")
	b = append(b, make([]byte, 20)...) // granule, serial, sequence, CRC
	b = append(b, 1, 30)               // one segment of 30 bytes
	b = append(b, codec...)
	return append(b, make([]byte, 30-len(codec))...)
}

// mp3Of starts an MP3 with an ID3v2.3 tag, then a frame header.
func mp3Of() []byte {
	b := []byte("ID3\x03\x00\x00\x00\x00\x00\x0a")
	b = append(b, make([]byte, 10)...)
	return append(b, 0xFF, 0xFB, 0x90, 0x64, 0, 0, 0, 0)
}

// wavOf is a WAV file of a few silent samples.
func wavOf() []byte {
	data := make([]byte, 16)
	b := append([]byte("RIFF"), le32(36+len(data))...)
	b = append(b, "WAVEfmt "...)
	b = append(b, le32(16)...)
	b = append(b, 1, 0, 1, 0) // PCM, mono
	b = append(b, le32(8000)...)
	b = append(b, le32(16000)...)
	b = append(b, 2, 0, 16, 0)
	b = append(b, "data"...)
	b = append(b, le32(len(data))...)
	return append(b, data...)
}

// exeOf starts a Windows program (MZ, then a PE header).
func exeOf() []byte {
	b := make([]byte, 256)
	copy(b, "MZ")
	binary.LittleEndian.PutUint32(b[0x3C:], 0x80)
	copy(b[0x80:], "PE\x00\x00")
	return b
}

// elfOf starts a Linux program.
func elfOf() []byte {
	b := make([]byte, 64)
	copy(b, "\x7fELF\x02\x01\x01")
	binary.LittleEndian.PutUint16(b[16:], 2) // an executable
	return b
}
