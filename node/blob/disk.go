package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/twinfed/twinfed"
)

// Disk is a Store in a directory: the blob of hash abcd… is the file
// <dir>/ab/cd/abcd…. Put writes to a temporary file in <dir>/tmp (the same
// file system), syncs it, renames it into place and syncs the directory,
// so an acknowledged blob survives a crash and a crash mid-write leaves
// nothing under a hash: only a temporary file, which OpenDisk removes.
type Disk struct {
	dir   string
	usage atomic.Int64
	// locks serialise, per first byte of the hash, the check for an
	// existing blob with the rename and the usage count (Put, Delete).
	locks [256]sync.Mutex
}

var _ Store = (*Disk)(nil)

// tmpDir is the folder of Put's temporary files, under the store's dir.
const tmpDir = "tmp"

// OpenDisk opens (creating it if needed) the store in dir, removes the
// temporary files a crash left and counts the bytes stored.
func OpenDisk(dir string) (*Disk, error) {
	if dir == "" {
		return nil, errors.New("blob: no directory")
	}
	if err := os.MkdirAll(filepath.Join(dir, tmpDir), 0o700); err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	d := &Disk{dir: dir}
	if err := removeTemps(filepath.Join(dir, tmpDir)); err != nil {
		return nil, err
	}
	n, err := d.count()
	if err != nil {
		return nil, err
	}
	d.usage.Store(n)
	return d, nil
}

// Dir returns the store's directory.
func (d *Disk) Dir() string { return d.dir }

// removeTemps removes what Puts cut short by a crash left in tmp.
func removeTemps(tmp string) error {
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(tmp, e.Name())); err != nil {
			return fmt.Errorf("blob: remove a temporary file: %w", err)
		}
	}
	return nil
}

// count adds up the sizes of the stored blobs.
func (d *Disk) count() (int64, error) {
	var n int64
	err := filepath.WalkDir(d.dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			if path == filepath.Join(d.dir, tmpDir) {
				return fs.SkipDir
			}
			return nil
		}
		if !ValidHash(e.Name()) || path != d.path(e.Name()) {
			return nil // not a blob: left alone, not counted
		}
		fi, err := e.Info()
		if err != nil {
			return err
		}
		n += fi.Size()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("blob: count the stored blobs: %w", err)
	}
	return n, nil
}

// path is where the blob of a (valid) hash lives.
func (d *Disk) path(hash string) string {
	return filepath.Join(d.dir, hash[0:2], hash[2:4], hash)
}

// lock returns the lock of a (valid) hash's stripe.
func (d *Disk) lock(hash string) *sync.Mutex {
	b, _ := hex.DecodeString(hash[:2])
	return &d.locks[b[0]]
}

// Put implements Store.
func (d *Disk) Put(ctx context.Context, r io.Reader, max int64) (Ref, error) {
	if err := ctx.Err(); err != nil {
		return Ref{}, err
	}
	tmp, err := os.CreateTemp(filepath.Join(d.dir, tmpDir), "put-*")
	if err != nil {
		return Ref{}, fmt.Errorf("blob: %w", err)
	}
	name := tmp.Name()
	defer os.Remove(name) // after the rename or on failure: nothing left behind
	// The file is synced while the last chunks are hashed; one past max
	// is not synced at all.
	n, sum, err := copyHashed(tmp, io.LimitReader(ctxReader{ctx, r}, max+1), true, func(n int64) error {
		if n > max {
			return tooLarge(max)
		}
		return tmp.Sync()
	})
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if twinfed.ErrorCode(err) == twinfed.ETOOLARGE || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return Ref{}, err
		}
		return Ref{}, fmt.Errorf("blob: write: %w", err)
	}
	ref := Ref{Hash: hex.EncodeToString(sum), Size: n}
	mu := d.lock(ref.Hash)
	mu.Lock()
	defer mu.Unlock()
	final := d.path(ref.Hash)
	if _, err := os.Stat(final); err == nil {
		return ref, nil // stored already: one copy
	}
	if err := d.mkdirs(ref.Hash); err != nil {
		return Ref{}, err
	}
	if err := os.Rename(name, final); err != nil {
		return Ref{}, fmt.Errorf("blob: %w", err)
	}
	if err := syncDir(filepath.Dir(final)); err != nil {
		return Ref{}, fmt.Errorf("blob: sync %s: %w", filepath.Dir(final), err)
	}
	d.usage.Add(n)
	return ref, nil
}

// chunkSize is the size of Put's reads and writes, and chunks the number
// of chunks in flight between the reader and the hash.
const (
	chunkSize = 1 << 20
	chunks    = 4
)

// copyHashed copies r to f and returns the SHA-256 of what it copied. The
// hash runs beside the copy, a few chunks behind it, and each chunk
// written is handed to the disk at once (writeback, when durable: a file
// that is not to be synced is left to the page cache), so that the hash,
// the copy and the disk's writing overlap; when the copy ends without
// error, done (given the number of bytes copied: Put checks the size and
// syncs) runs while the hash finishes. On a machine whose
// SHA-256 runs at about the speed of its disk this keeps an upload close
// to the disk's raw rate: the hash is no longer followed by the whole
// sync (docs/materials.md).
func copyHashed(f *os.File, r io.Reader, durable bool, done func(n int64) error) (int64, []byte, error) {
	h := sha256.New()
	full := make(chan []byte, chunks)
	free := make(chan []byte, chunks)
	for range chunks {
		free <- make([]byte, chunkSize)
	}
	hashed := make(chan struct{})
	go func() {
		defer close(hashed)
		for c := range full {
			h.Write(c)
			free <- c[:cap(c)]
		}
	}()
	var total int64
	var err error
	for {
		buf := <-free
		m, rerr := io.ReadFull(r, buf)
		if m > 0 {
			if _, werr := f.Write(buf[:m]); werr != nil {
				err = werr
			} else if durable {
				writeback(f, total, int64(m))
			}
			full <- buf[:m]
			total += int64(m)
		}
		if err == nil && rerr != nil && rerr != io.EOF && rerr != io.ErrUnexpectedEOF {
			err = rerr
		}
		if err != nil || rerr != nil {
			break
		}
	}
	close(full)
	if err == nil {
		err = done(total)
	}
	<-hashed
	return total, h.Sum(nil), err
}

// mkdirs creates <dir>/ab and <dir>/ab/cd for a hash, each new one made
// durable in its parent before a blob is renamed into it.
func (d *Disk) mkdirs(hash string) error {
	parent := d.dir
	for _, part := range []string{hash[0:2], hash[2:4]} {
		dir := filepath.Join(parent, part)
		err := os.Mkdir(dir, 0o700)
		switch {
		case err == nil:
			if err := syncDir(parent); err != nil {
				return fmt.Errorf("blob: sync %s: %w", parent, err)
			}
		case !errors.Is(err, fs.ErrExist):
			return fmt.Errorf("blob: %w", err)
		}
		parent = dir
	}
	return nil
}

// Open implements Store.
func (d *Disk) Open(ctx context.Context, hash string) (io.ReadSeekCloser, Info, error) {
	if err := checkHash(hash); err != nil {
		return nil, Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, Info{}, err
	}
	f, err := os.Open(d.path(hash))
	if err != nil {
		return nil, Info{}, notFound(err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, Info{}, fmt.Errorf("blob: %w", err)
	}
	return f, Info{Hash: hash, Size: fi.Size(), Created: fi.ModTime()}, nil
}

// Stat implements Store.
func (d *Disk) Stat(ctx context.Context, hash string) (Info, error) {
	if err := checkHash(hash); err != nil {
		return Info{}, err
	}
	fi, err := os.Stat(d.path(hash))
	if err != nil {
		return Info{}, notFound(err)
	}
	return Info{Hash: hash, Size: fi.Size(), Created: fi.ModTime()}, nil
}

// Delete implements Store.
func (d *Disk) Delete(ctx context.Context, hash string) error {
	if err := checkHash(hash); err != nil {
		return err
	}
	mu := d.lock(hash)
	mu.Lock()
	defer mu.Unlock()
	p := d.path(hash)
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	if err := os.Remove(p); err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	d.usage.Add(-fi.Size())
	if err := syncDir(filepath.Dir(p)); err != nil {
		return fmt.Errorf("blob: sync %s: %w", filepath.Dir(p), err)
	}
	return nil
}

// Usage implements Store.
func (d *Disk) Usage() int64 { return d.usage.Load() }

// notFound turns a missing file into ENOTFOUND.
func notFound(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return twinfed.Errorf(twinfed.ENOTFOUND, "There is no such file.")
	}
	return fmt.Errorf("blob: %w", err)
}

// syncDir makes the entries of dir (a rename, a new file) durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
