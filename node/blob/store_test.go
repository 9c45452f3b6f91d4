package blob_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image/jpeg"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/blob"
	"github.com/twinfed/twinfed/node/blob/s3test"
)

// The Store contract: every backend (Disk, S3) runs the same cases, so
// that the materials behave the same whichever an agency configures.

// fixture is one open store of a backend under test.
type fixture struct {
	s blob.Store
	// reopen opens the same store again, as a node's restart does.
	reopen func(tb testing.TB) blob.Store
	// stored lists what the backend keeps, blobs and anything else (a
	// temporary file, an object), by name, to check that nothing is left.
	stored func(tb testing.TB) []string
}

// backends are the implementations held to the contract.
var backends = []struct {
	name string
	open func(tb testing.TB) fixture
}{
	{"disk", openDiskFixture},
	{"s3", openS3Fixture},
}

func openDiskFixture(tb testing.TB) fixture {
	dir := tb.TempDir()
	return fixture{
		s:      mustOpenDisk(tb, dir),
		reopen: func(tb testing.TB) blob.Store { return mustOpenDisk(tb, dir) },
		stored: func(tb testing.TB) []string { return files(tb, dir) },
	}
}

func openS3Fixture(tb testing.TB) fixture {
	srv := s3test.Start(tb)
	cfg := srv.Bucket(tb, "materials", "twinfed/blobs")
	tmp := tb.TempDir()
	open := func(tb testing.TB) blob.Store {
		tb.Helper()
		s, err := blob.OpenS3(context.Background(), cfg, tmp)
		if err != nil {
			tb.Fatal(err)
		}
		return s
	}
	return fixture{
		s:      open(tb),
		reopen: open,
		stored: func(tb testing.TB) []string {
			var out []string
			for k := range srv.Objects(tb, "materials") {
				out = append(out, k)
			}
			for _, f := range files(tb, tmp) {
				out = append(out, "tmp/"+f)
			}
			slices.Sort(out)
			return out
		},
	}
}

// forEachBackend runs a case against every backend.
func forEachBackend(t *testing.T, run func(t *testing.T, f fixture)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { run(t, b.open(t)) })
	}
}

// TestStore_PutOpenDelete: a blob is stored once under its hash, read
// back whole (and by seeking), described by Stat, counted in Usage, and
// gone after Delete.
func TestStore_PutOpenDelete(t *testing.T) {
	forEachBackend(t, func(t *testing.T, f fixture) {
		ctx := context.Background()
		d := f.s
		content := []byte("Lesson plan: the water cycle, in three languages.")
		ref, err := d.Put(ctx, bytes.NewReader(content), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if ref.Hash != blob.HashOf(content) || ref.Size != int64(len(content)) {
			t.Fatalf("Put = %+v, want hash %s size %d", ref, blob.HashOf(content), len(content))
		}
		if got := f.stored(t); len(got) != 1 || !strings.HasSuffix(got[0], ref.Hash) {
			t.Fatalf("stored = %v, want one blob named by its hash", got)
		}
		if got := read(t, d, ref.Hash); !bytes.Equal(got, content) {
			t.Fatalf("Open read %q", got)
		}
		r, info, err := d.Open(ctx, ref.Hash)
		if err != nil || info.Size != ref.Size || info.Hash != ref.Hash || info.Created.IsZero() {
			t.Fatalf("Open: %+v, %v", info, err)
		}
		if _, err := r.Seek(7, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		rest, _ := io.ReadAll(r)
		if string(rest) != string(content[7:]) {
			t.Fatalf("after Seek(7): %q", rest)
		}
		if _, err := r.Seek(-5, io.SeekEnd); err != nil {
			t.Fatal(err)
		}
		tail, _ := io.ReadAll(r)
		r.Close()
		if string(tail) != string(content[len(content)-5:]) {
			t.Fatalf("after Seek(-5, end): %q", tail)
		}
		if st, err := d.Stat(ctx, ref.Hash); err != nil || st.Size != ref.Size {
			t.Fatalf("Stat: %+v, %v", st, err)
		}
		if d.Usage() != ref.Size {
			t.Fatalf("Usage = %d, want %d", d.Usage(), ref.Size)
		}
		if err := d.Delete(ctx, ref.Hash); err != nil {
			t.Fatal(err)
		}
		if _, _, err := d.Open(ctx, ref.Hash); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
			t.Fatalf("Open after Delete: %v, want ENOTFOUND", err)
		}
		if _, err := d.Stat(ctx, ref.Hash); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
			t.Fatalf("Stat after Delete: %v, want ENOTFOUND", err)
		}
		if err := d.Delete(ctx, ref.Hash); err != nil {
			t.Fatalf("Delete of a blob not stored: %v", err)
		}
		if d.Usage() != 0 || len(f.stored(t)) != 0 {
			t.Fatalf("after Delete: usage %d, stored %v", d.Usage(), f.stored(t))
		}
	})
}

// TestStore_Dedup: the same content put twice, even at once, is stored
// and counted once; the store opened again (the node restarted) counts
// what it holds, after Puts and Deletes.
func TestStore_Dedup(t *testing.T) {
	forEachBackend(t, func(t *testing.T, f fixture) {
		ctx := context.Background()
		d := f.s
		content := bytes.Repeat([]byte("same slides "), 1000)
		var wg sync.WaitGroup
		refs := make([]blob.Ref, 8)
		errs := make([]error, 8)
		for i := range refs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				refs[i], errs[i] = d.Put(ctx, bytes.NewReader(content), 1<<20)
			}()
		}
		wg.Wait()
		for i := range refs {
			if errs[i] != nil || refs[i] != refs[0] {
				t.Fatalf("Put %d = %+v, %v; want %+v", i, refs[i], errs[i], refs[0])
			}
		}
		if n := len(f.stored(t)); n != 1 {
			t.Fatalf("%d blobs stored, want 1: %v", n, f.stored(t))
		}
		if d.Usage() != int64(len(content)) {
			t.Fatalf("Usage = %d, want %d", d.Usage(), len(content))
		}
		other, err := d.Put(ctx, strings.NewReader("other"), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		third, err := d.Put(ctx, strings.NewReader("a third file"), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Delete(ctx, third.Hash); err != nil {
			t.Fatal(err)
		}
		want := int64(len(content)) + other.Size
		if d.Usage() != want {
			t.Fatalf("Usage = %d, want %d", d.Usage(), want)
		}
		d2 := f.reopen(t)
		if d2.Usage() != want {
			t.Fatalf("Usage after reopening = %d, want %d", d2.Usage(), want)
		}
		if ref, err := d2.Put(ctx, bytes.NewReader(content), 1<<20); err != nil || ref != refs[0] || d2.Usage() != want {
			t.Fatalf("Put of a stored blob after reopening: %+v, %v, usage %d", ref, err, d2.Usage())
		}
	})
}

// TestStore_SizeLimit: a content of max bytes is stored; one byte more is
// refused with ETOOLARGE and leaves nothing behind, nor does a Put whose
// context ends or whose reader fails mid-way.
func TestStore_SizeLimit(t *testing.T) {
	forEachBackend(t, func(t *testing.T, f fixture) {
		ctx := context.Background()
		d := f.s
		const max = 3 << 20
		big := make([]byte, max+1)
		rand.Read(big)
		_, err := d.Put(ctx, bytes.NewReader(big), max)
		if twinfed.ErrorCode(err) != twinfed.ETOOLARGE || !strings.Contains(err.Error(), "at most 3 MB") {
			t.Fatalf("Put of max+1 bytes: %v, want ETOOLARGE saying 3 MB", err)
		}
		if got := f.stored(t); len(got) != 0 || d.Usage() != 0 {
			t.Fatalf("after a refused Put: stored %v, usage %d", got, d.Usage())
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := d.Put(cctx, bytes.NewReader(big[:10]), max); !errors.Is(err, context.Canceled) {
			t.Fatalf("Put with an ended context: %v", err)
		}
		broken := io.MultiReader(bytes.NewReader(big[:1000]), iotestErr{})
		if _, err := d.Put(ctx, broken, max); err == nil {
			t.Fatal("Put from a failing reader succeeded")
		}
		if got := f.stored(t); len(got) != 0 || d.Usage() != 0 {
			t.Fatalf("after failed Puts: stored %v, usage %d", got, d.Usage())
		}
		ref, err := d.Put(ctx, bytes.NewReader(big[:max]), max)
		if err != nil || ref.Size != max || ref.Hash != blob.HashOf(big[:max]) {
			t.Fatalf("Put of max bytes: %+v, %v", ref, err)
		}
		// Past one chunk and not a multiple of it.
		odd := big[:max-12345]
		ref, err = d.Put(ctx, bytes.NewReader(odd), max)
		if err != nil || ref.Size != int64(len(odd)) || ref.Hash != blob.HashOf(odd) || !bytes.Equal(read(t, d, ref.Hash), odd) {
			t.Fatalf("Put of %d bytes: %+v, %v", len(odd), ref, err)
		}
	})
}

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// TestStore_HashesChecked: a string that is not a hash (a path, upper
// case, too short) is EINVALID for Open, Stat and Delete.
func TestStore_HashesChecked(t *testing.T) {
	forEachBackend(t, func(t *testing.T, f fixture) {
		ctx := context.Background()
		d := f.s
		ref, _ := d.Put(ctx, strings.NewReader("kept"), 100)
		for _, h := range badHashes(ref.Hash) {
			if _, _, err := d.Open(ctx, h); twinfed.ErrorCode(err) != twinfed.EINVALID {
				t.Errorf("Open(%q): %v, want EINVALID", h, err)
			}
			if _, err := d.Stat(ctx, h); twinfed.ErrorCode(err) != twinfed.EINVALID {
				t.Errorf("Stat(%q): %v, want EINVALID", h, err)
			}
			if err := d.Delete(ctx, h); twinfed.ErrorCode(err) != twinfed.EINVALID {
				t.Errorf("Delete(%q): %v, want EINVALID", h, err)
			}
		}
		if got := read(t, d, ref.Hash); string(got) != "kept" {
			t.Fatalf("the blob reads %q", got)
		}
	})
}

// badHashes are strings near a hash that are not one.
func badHashes(hash string) []string {
	return []string{"", "../secret", "../../../../etc/passwd", strings.ToUpper(hash), hash[:63], hash + "0", "zz" + hash[2:], hash[:60] + "/../"}
}

// TestStore_Large: 100 MB go in and come out whole (the largest file of
// the default configuration), read as a stream.
func TestStore_Large(t *testing.T) {
	forEachBackend(t, func(t *testing.T, f fixture) {
		ctx := context.Background()
		const size = 100 << 20
		content := make([]byte, size)
		rand.Read(content)
		ref, err := f.s.Put(ctx, bytes.NewReader(content), size)
		if err != nil || ref.Size != size || ref.Hash != blob.HashOf(content) {
			t.Fatalf("Put of 100 MB: %+v, %v", ref, err)
		}
		content = nil
		r, info, err := f.s.Open(ctx, ref.Hash)
		if err != nil || info.Size != size {
			t.Fatalf("Open: %+v, %v", info, err)
		}
		defer r.Close()
		h := sha256.New()
		if n, err := io.Copy(h, r); err != nil || n != size || hex.EncodeToString(h.Sum(nil)) != ref.Hash {
			t.Fatalf("read back %d bytes, %v; hash matches: %v", n, err, hex.EncodeToString(h.Sum(nil)) == ref.Hash)
		}
		if f.s.Usage() != size {
			t.Fatalf("Usage = %d, want %d", f.s.Usage(), size)
		}
	})
}

// TestStore_Thumbnail: a picture stored and opened again makes its
// thumbnail from the store's reader, as the Materials tab does.
func TestStore_Thumbnail(t *testing.T) {
	forEachBackend(t, func(t *testing.T, f fixture) {
		ctx := context.Background()
		photo := jpegOf(t, testImage(1000, 500))
		typ, err := blob.Sniff(photo, "photo.jpg")
		if err != nil {
			t.Fatal(err)
		}
		ref, err := f.s.Put(ctx, bytes.NewReader(photo), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		r, _, err := f.s.Open(ctx, ref.Hash)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		out, err := blob.Thumbnail(ctx, r, typ)
		if err != nil {
			t.Fatal(err)
		}
		img, err := jpeg.Decode(bytes.NewReader(out))
		if err != nil || img.Bounds().Dx() != 320 || img.Bounds().Dy() != 160 {
			t.Fatalf("thumbnail: %v, %v", img.Bounds(), err)
		}
		if !blob.PDFPreview() {
			return
		}
		ref, err = f.s.Put(ctx, bytes.NewReader(pdfOf()), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		r2, _, err := f.s.Open(ctx, ref.Hash)
		if err != nil {
			t.Fatal(err)
		}
		defer r2.Close()
		pdf, _ := blob.Sniff(pdfOf(), "report.pdf")
		if out, err := blob.Thumbnail(ctx, r2, pdf); err != nil || len(out) == 0 {
			t.Fatalf("the PDF's thumbnail: %d bytes, %v", len(out), err)
		}
	})
}
