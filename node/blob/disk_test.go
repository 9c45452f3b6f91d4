package blob_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/blob"
)

func mustOpenDisk(tb testing.TB, dir string) *blob.Disk {
	tb.Helper()
	d, err := blob.OpenDisk(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// files lists the regular files under dir (relative paths).
func files(tb testing.TB, dir string) []string {
	tb.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func read(tb testing.TB, s blob.Store, hash string) []byte {
	tb.Helper()
	r, _, err := s.Open(context.Background(), hash)
	if err != nil {
		tb.Fatalf("Open(%s): %v", hash, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestDisk_PutOpenDelete: a blob is stored under its hash in <dir>/ab/cd,
// read back whole (and by seeking), described by Stat, counted in Usage,
// and gone after Delete.
func TestDisk_PutOpenDelete(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d := mustOpenDisk(t, dir)
	content := []byte("Lesson plan: the water cycle, in three languages.")
	ref, err := d.Put(ctx, bytes.NewReader(content), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if ref.Hash != blob.HashOf(content) || ref.Size != int64(len(content)) {
		t.Fatalf("Put = %+v, want hash %s size %d", ref, blob.HashOf(content), len(content))
	}
	want := filepath.Join(ref.Hash[:2], ref.Hash[2:4], ref.Hash)
	if got := files(t, dir); len(got) != 1 || got[0] != want {
		t.Fatalf("files = %v, want [%s]", got, want)
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
	r.Close()
	if string(rest) != string(content[7:]) {
		t.Fatalf("after Seek(7): %q", rest)
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
	if d.Usage() != 0 || len(files(t, dir)) != 0 {
		t.Fatalf("after Delete: usage %d, files %v", d.Usage(), files(t, dir))
	}
}

// TestDisk_Dedup: the same content put twice, even at once, is stored
// and counted once.
func TestDisk_Dedup(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d := mustOpenDisk(t, dir)
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
	if n := len(files(t, dir)); n != 1 {
		t.Fatalf("%d files stored, want 1", n)
	}
	if d.Usage() != int64(len(content)) {
		t.Fatalf("Usage = %d, want %d", d.Usage(), len(content))
	}
	other, err := d.Put(ctx, strings.NewReader("other"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	// Reopened, the store counts what is on disk.
	d2 := mustOpenDisk(t, dir)
	if d2.Usage() != int64(len(content))+other.Size {
		t.Fatalf("Usage after reopening = %d, want %d", d2.Usage(), int64(len(content))+other.Size)
	}
}

// TestDisk_SizeLimit: a content of max bytes is stored; one byte more is
// refused with ETOOLARGE and leaves nothing behind, nor does a Put whose
// context ends or whose reader fails mid-way.
func TestDisk_SizeLimit(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d := mustOpenDisk(t, dir)
	const max = 3 << 20
	big := make([]byte, max+1)
	rand.Read(big)
	_, err := d.Put(ctx, bytes.NewReader(big), max)
	if twinfed.ErrorCode(err) != twinfed.ETOOLARGE || !strings.Contains(err.Error(), "at most 3 MB") {
		t.Fatalf("Put of max+1 bytes: %v, want ETOOLARGE saying 3 MB", err)
	}
	if got := files(t, dir); len(got) != 0 || d.Usage() != 0 {
		t.Fatalf("after a refused Put: files %v, usage %d", got, d.Usage())
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
	if got := files(t, dir); len(got) != 0 || d.Usage() != 0 {
		t.Fatalf("after failed Puts: files %v, usage %d", got, d.Usage())
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
}

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// TestDisk_HashesChecked: a string that is not a hash (a path, upper
// case, too short) is EINVALID for Open, Stat and Delete, and reaches no
// file.
func TestDisk_HashesChecked(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d := mustOpenDisk(t, dir)
	secret := filepath.Join(dir, "..", "secret")
	os.WriteFile(secret, []byte("x"), 0o600)
	ref, _ := d.Put(ctx, strings.NewReader("kept"), 100)
	for _, h := range []string{"", "../secret", "../../../../etc/passwd", strings.ToUpper(ref.Hash), ref.Hash[:63], ref.Hash + "0", "zz" + ref.Hash[2:], ref.Hash[:60] + "/../"} {
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
	if _, err := os.Stat(secret); err != nil {
		t.Fatalf("a file outside the store is gone: %v", err)
	}
	if got := read(t, d, ref.Hash); string(got) != "kept" {
		t.Fatalf("the blob reads %q", got)
	}
}

// TestDisk_LeftoversOfACrash: a temporary file a crash left (simulated)
// is never visible and is removed when the store opens; files that are
// not blobs are neither counted nor served.
func TestDisk_LeftoversOfACrash(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d := mustOpenDisk(t, dir)
	kept, _ := d.Put(ctx, strings.NewReader("acknowledged"), 100)
	half := []byte("half of a video that was being uploaded")
	tmp := filepath.Join(dir, "tmp", "put-123456")
	if err := os.WriteFile(tmp, half, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Open(ctx, blob.HashOf(half)); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		t.Fatalf("a temporary file is visible: %v", err)
	}
	d2 := mustOpenDisk(t, dir)
	if _, err := os.Stat(tmp); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the temporary file is still there: %v", err)
	}
	if d2.Usage() != kept.Size {
		t.Fatalf("Usage = %d, want %d", d2.Usage(), kept.Size)
	}
	if got := read(t, d2, kept.Hash); string(got) != "acknowledged" {
		t.Fatalf("the acknowledged blob reads %q", got)
	}
}

// crashEnv names the store directory of the child process of
// TestDisk_CrashMidWrite.
const crashEnv = "TWINFED_BLOB_CRASH_DIR"

// TestDisk_CrashMidWrite: a process killed (SIGKILL) while it writes a
// blob leaves no blob under any hash; the store opened again removes its
// temporary file and still has every blob acknowledged before.
func TestDisk_CrashMidWrite(t *testing.T) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(t, dir)
		return
	}
	ctx := context.Background()
	dir := t.TempDir()
	d := mustOpenDisk(t, dir)
	kept, err := d.Put(ctx, strings.NewReader("acknowledged before the crash"), 100)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDisk_CrashMidWrite$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	// Kill it once its temporary file has data.
	deadline := time.Now().Add(30 * time.Second)
	for {
		entries, _ := os.ReadDir(filepath.Join(dir, "tmp"))
		if len(entries) == 1 {
			if fi, err := entries[0].Info(); err == nil && fi.Size() > 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the child wrote nothing in 30s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if got := files(t, dir); len(got) != 2 {
		t.Fatalf("after the crash: %v, want the kept blob and a temporary file", got)
	}
	d2 := mustOpenDisk(t, dir)
	if got := files(t, dir); len(got) != 1 || d2.Usage() != kept.Size {
		t.Fatalf("reopened: files %v, usage %d; want only the kept blob", got, d2.Usage())
	}
	if got := read(t, d2, kept.Hash); string(got) != "acknowledged before the crash" {
		t.Fatalf("the kept blob reads %q", got)
	}
}

// crashChild puts a blob from a reader that never ends: its parent kills
// it mid-write.
func crashChild(t *testing.T, dir string) {
	d := mustOpenDisk(t, dir)
	d.Put(context.Background(), endless{}, 1<<40)
	t.Fatal("Put of an endless reader returned")
}

// endless yields a kilobyte of data now and then, for ever.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	time.Sleep(time.Millisecond)
	n := min(len(p), 1024)
	for i := range p[:n] {
		p[i] = 'v'
	}
	return n, nil
}
