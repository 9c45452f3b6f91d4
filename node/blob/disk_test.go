package blob_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

// TestDisk_HashesStayInside: a string that is not a hash (a path, upper
// case, too short) reaches no file, inside the store or out of it
// (TestStore_HashesChecked: they are EINVALID).
func TestDisk_HashesStayInside(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d := mustOpenDisk(t, dir)
	secret := filepath.Join(dir, "..", "secret")
	os.WriteFile(secret, []byte("x"), 0o600)
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
