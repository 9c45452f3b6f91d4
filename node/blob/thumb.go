package blob

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os/exec"
	"time"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// ThumbSize is the longest side of a thumbnail, in pixels.
const ThumbSize = 320

// MaxPixels is the largest picture Thumbnail decodes (40 megapixels, a
// 7,300 × 5,500 photo): a small file claiming more (a decompression bomb)
// is refused from its header, before anything is allocated for it.
const MaxPixels = 40_000_000

// PDFTimeout bounds the rendering of a PDF's first page.
const PDFTimeout = 20 * time.Second

// maxThumbBytes bounds what pdftoppm may write back.
const maxThumbBytes = 4 << 20

// thumbQuality is the JPEG quality of thumbnails.
const thumbQuality = 82

// ErrNoThumbnail is Thumbnail's answer for a type it has no preview of:
// video, audio, office documents, text, and PDFs when pdftoppm (Debian's
// poppler-utils) is not installed.
var ErrNoThumbnail = errors.New("blob: no thumbnail for this type")

// PDFPreview reports whether PDFs get a first-page preview: whether
// pdftoppm is installed.
func PDFPreview() bool {
	_, err := exec.LookPath("pdftoppm")
	return err == nil
}

// Thumbnail returns a JPEG of at most ThumbSize pixels a side previewing
// the content r yields, of type t: the image itself (JPEG, PNG, GIF's
// first frame, WebP; turned upright as its EXIF orientation says,
// transparency on white), or a PDF's first page rendered by pdftoppm
// within PDFTimeout. ErrNoThumbnail for other types; an error for a
// picture of more than MaxPixels or one that does not decode.
func Thumbnail(ctx context.Context, r io.Reader, t Type) ([]byte, error) {
	switch t.Class {
	case ClassImage:
		return imageThumb(r, t)
	case ClassPDF:
		return pdfThumb(ctx, r)
	}
	return nil, ErrNoThumbnail
}

// imageThumb decodes the header, refuses a bomb, decodes, scales and
// encodes.
func imageThumb(r io.Reader, t Type) ([]byte, error) {
	var config func(io.Reader) (image.Config, error)
	var decode func(io.Reader) (image.Image, error)
	switch t.MIME {
	case "image/jpeg":
		config, decode = jpeg.DecodeConfig, jpeg.Decode
	case "image/png":
		config, decode = png.DecodeConfig, png.Decode
	case "image/gif":
		config, decode = gif.DecodeConfig, gif.Decode
	case "image/webp":
		config, decode = webp.DecodeConfig, webp.Decode
	default:
		return nil, ErrNoThumbnail
	}
	// The header is read through a copy so that the decoder reads it again.
	var head bytes.Buffer
	br := bufio.NewReaderSize(r, 64<<10)
	cfg, err := config(io.TeeReader(br, &head))
	if err != nil {
		return nil, fmt.Errorf("blob: thumbnail: %s header: %w", t.Label, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return nil, fmt.Errorf("blob: thumbnail: a %d × %d picture is over %d pixels", cfg.Width, cfg.Height, MaxPixels)
	}
	orient := 1
	if t.MIME == "image/jpeg" {
		// The EXIF segment comes before the picture: read it from the
		// header bytes and what is buffered.
		peek, _ := br.Peek(br.Buffered())
		orient = exifOrientation(append(head.Bytes()[:head.Len():head.Len()], peek...))
	}
	src, err := decode(io.MultiReader(&head, br))
	if err != nil {
		return nil, fmt.Errorf("blob: thumbnail: decode %s: %w", t.Label, err)
	}
	return encodeThumb(orient, src)
}

// encodeThumb scales src to fit ThumbSize (never up) on white, turns it
// upright and encodes it as JPEG.
func encodeThumb(orient int, src image.Image) ([]byte, error) {
	if y, ok := src.(*image.YCbCr); ok {
		// A big photo is first averaged down by blocks of k × k pixels
		// to twice the thumbnail or more: the filter below then works on
		// a small picture (a 12-megapixel photo takes a fifth of the time)
		// and the result is as smooth.
		if k := max(y.Rect.Dx(), y.Rect.Dy()) / (2 * ThumbSize); k >= 2 {
			src = boxShrink(y, k)
		}
	}
	b := src.Bounds()
	w, h := fit(b.Dx(), b.Dy(), ThumbSize)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, b, draw.Over, nil)
	var out bytes.Buffer
	if err := jpeg.Encode(&out, orientImage(dst, orient), &jpeg.Options{Quality: thumbQuality}); err != nil {
		return nil, fmt.Errorf("blob: thumbnail: encode: %w", err)
	}
	return out.Bytes(), nil
}

// boxShrink returns src averaged by blocks of k × k pixels (the last
// partial row and column of blocks dropped), in RGB: each output pixel is
// the mean of its block's luma and of the chroma samples under it.
func boxShrink(src *image.YCbCr, k int) *image.RGBA {
	r := src.Rect
	w, h := r.Dx()/k, r.Dy()/k
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	// The chroma planes' subsampling, horizontal and vertical.
	hs, vs := 1, 1
	switch src.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		hs = 2
	case image.YCbCrSubsampleRatio420:
		hs, vs = 2, 2
	case image.YCbCrSubsampleRatio440:
		vs = 2
	case image.YCbCrSubsampleRatio411:
		hs = 4
	case image.YCbCrSubsampleRatio410:
		hs, vs = 4, 2
	}
	// Chroma rows and columns start at the rectangle's origin divided
	// by the subsampling (image.YCbCr's COffset).
	cx0, cy0 := r.Min.X/hs, r.Min.Y/vs
	for oy := 0; oy < h; oy++ {
		y0 := r.Min.Y + oy*k
		for ox := 0; ox < w; ox++ {
			x0 := r.Min.X + ox*k
			var ys int
			for y := y0; y < y0+k; y++ {
				row := src.Y[(y-r.Min.Y)*src.YStride+(x0-r.Min.X):]
				for _, v := range row[:k] {
					ys += int(v)
				}
			}
			var cbs, crs, cn int
			for cy := y0 / vs; cy <= (y0+k-1)/vs; cy++ {
				off := (cy-cy0)*src.CStride - cx0
				for cx := x0 / hs; cx <= (x0+k-1)/hs; cx++ {
					cbs += int(src.Cb[off+cx])
					crs += int(src.Cr[off+cx])
					cn++
				}
			}
			n := k * k
			cr, cg, cb := color.YCbCrToRGB(uint8((ys+n/2)/n), uint8((cbs+cn/2)/cn), uint8((crs+cn/2)/cn))
			dst.SetRGBA(ox, oy, color.RGBA{cr, cg, cb, 255})
		}
	}
	return dst
}

// fit returns w × h scaled to fit in a box of side max, keeping the ratio,
// at least 1 pixel a side; a picture already inside keeps its size.
func fit(w, h, max int) (int, int) {
	if w <= max && h <= max {
		return w, h
	}
	if w >= h {
		return max, maxInt(1, h*max/w)
	}
	return maxInt(1, w*max/h), max
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// pdfThumb renders a PDF's first page with pdftoppm, reading the PDF on
// its standard input and the JPEG on its standard output.
func pdfThumb(ctx context.Context, r io.Reader) ([]byte, error) {
	bin, err := exec.LookPath("pdftoppm")
	if err != nil {
		return nil, ErrNoThumbnail
	}
	ctx, cancel := context.WithTimeout(ctx, PDFTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-q", "-f", "1", "-l", "1", "-singlefile",
		"-scale-to", fmt.Sprint(ThumbSize), "-jpeg", "-jpegopt", fmt.Sprintf("quality=%d", thumbQuality), "-")
	cmd.Stdin = r
	out := &limitedBuffer{max: maxThumbBytes}
	var stderr limitedBuffer
	stderr.max = 4 << 10
	cmd.Stdout, cmd.Stderr = out, &stderr
	cmd.WaitDelay = time.Second // a child keeping the pipes open does not hold Wait
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("blob: thumbnail: pdftoppm: no page within %s", PDFTimeout)
		}
		return nil, fmt.Errorf("blob: thumbnail: pdftoppm: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	if out.over {
		return nil, fmt.Errorf("blob: thumbnail: pdftoppm wrote more than %d bytes", maxThumbBytes)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(out.Bytes()))
	if err != nil || cfg.Width > ThumbSize || cfg.Height > ThumbSize {
		return nil, fmt.Errorf("blob: thumbnail: pdftoppm wrote no JPEG of at most %d pixels a side", ThumbSize)
	}
	return out.Bytes(), nil
}

// limitedBuffer keeps the first max bytes written to it and notes the
// rest, so that a runaway child cannot fill the memory.
type limitedBuffer struct {
	bytes.Buffer
	max  int
	over bool
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.Len(); len(p) > room {
		l.over = true
		p = p[:maxInt(room, 0)]
	}
	l.Buffer.Write(p)
	return len(p), nil
}

// exifOrientation returns the EXIF orientation (1 to 8) of a JPEG from
// its first bytes, 1 when there is none.
func exifOrientation(b []byte) int {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 1
	}
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			return 1
		}
		marker := b[i+1]
		if marker == 0xDA || marker == 0xD9 { // the picture starts: no EXIF before it
			return 1
		}
		n := int(b[i+2])<<8 | int(b[i+3])
		if n < 2 || i+2+n > len(b) {
			return 1
		}
		seg := b[i+4 : i+2+n]
		if marker == 0xE1 && len(seg) > 6 && string(seg[:6]) == "Exif\x00\x00" {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

// tiffOrientation reads tag 0x0112 of IFD0 of an EXIF TIFF structure.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var u16 func([]byte) uint16
	var u32 func([]byte) uint32
	switch string(t[:2]) {
	case "II":
		u16 = func(b []byte) uint16 { return uint16(b[0]) | uint16(b[1])<<8 }
		u32 = func(b []byte) uint32 { return uint32(u16(b)) | uint32(u16(b[2:]))<<16 }
	case "MM":
		u16 = func(b []byte) uint16 { return uint16(b[1]) | uint16(b[0])<<8 }
		u32 = func(b []byte) uint32 { return uint32(u16(b[2:])) | uint32(u16(b))<<16 }
	default:
		return 1
	}
	off := int64(u32(t[4:]))
	if off < 8 || off+2 > int64(len(t)) {
		return 1
	}
	count := int64(u16(t[off:]))
	for e := off + 2; e+12 <= int64(len(t)) && count > 0; e, count = e+12, count-1 {
		if u16(t[e:]) == 0x0112 {
			if v := int(u16(t[e+8:])); v >= 1 && v <= 8 {
				return v
			}
			return 1
		}
	}
	return 1
}

// orientImage turns img upright from EXIF orientation o (2 to 8 mirror
// and rotate; 1 is upright).
func orientImage(img *image.RGBA, o int) image.Image {
	if o <= 1 || o > 8 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	// Orientations 5 to 8 swap the sides.
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-x, y
			case 3:
				dx, dy = w-1-x, h-1-y
			case 4:
				dx, dy = x, h-1-y
			case 5:
				dx, dy = y, x
			case 6:
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8:
				dx, dy = y, w-1-x
			}
			dst.SetRGBA(dx, dy, img.RGBAAt(x, y))
		}
	}
	return dst
}
