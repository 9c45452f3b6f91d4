package blob

import (
	"image"
	"image/color"
	"math/rand/v2"
	"testing"
)

// TestBoxShrink_EverySubsampling: each output pixel is the mean of its
// block, in every chroma subsampling and for a picture whose rectangle
// does not start at 0 (a sub-image).
func TestBoxShrink_EverySubsampling(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, ratio := range []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	} {
		full := image.NewYCbCr(image.Rect(0, 0, 61, 47), ratio)
		for _, p := range [][]uint8{full.Y, full.Cb, full.Cr} {
			for i := range p {
				p[i] = uint8(rng.IntN(256))
			}
		}
		src := full.SubImage(image.Rect(5, 3, 61, 47)).(*image.YCbCr)
		const k = 4
		got := boxShrink(src, k)
		if b := got.Bounds(); b.Dx() != 56/k || b.Dy() != 44/k {
			t.Fatalf("%v: bounds %v", ratio, b)
		}
		for oy := 0; oy < got.Rect.Dy(); oy++ {
			for ox := 0; ox < got.Rect.Dx(); ox++ {
				// The reference: the mean of the block's luma, and of the
				// chroma samples under it, each counted once.
				var ys, cbs, crs int
				seen := map[int]bool{}
				for y := 0; y < k; y++ {
					for x := 0; x < k; x++ {
						px, py := 5+ox*k+x, 3+oy*k+y
						ys += int(src.Y[src.YOffset(px, py)])
						if ci := src.COffset(px, py); !seen[ci] {
							seen[ci] = true
							cbs, crs = cbs+int(src.Cb[ci]), crs+int(src.Cr[ci])
						}
					}
				}
				n, cn := k*k, len(seen)
				r, g, b := color.YCbCrToRGB(uint8((ys+n/2)/n), uint8((cbs+cn/2)/cn), uint8((crs+cn/2)/cn))
				c := got.RGBAAt(ox, oy)
				if c != (color.RGBA{r, g, b, 255}) {
					t.Fatalf("%v: pixel (%d, %d) = %v, want %v", ratio, ox, oy, c, color.RGBA{r, g, b, 255})
				}
			}
		}
	}
}
