package blob

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"

	"github.com/twinfed/twinfed"
)

// S3 is a Store in an S3-compatible object storage: the blob of hash
// abcd… is the object <prefix>abcd… of a Bucket.
//
// Put first copies the content into a temporary file of the node's disk
// (TempDir), hashing it on the way, and only then uploads it, with its
// size known, under its hash. So a file past the limit is refused before
// a byte leaves the node, a file stored already is not sent again, the
// object appears whole or not at all (S3 makes an object visible only
// when its upload completes), and no temporary object or server-side
// copy is ever left in the bucket. The cost is local room for the files
// being uploaded (max_file_mb for each upload at once) and one local
// write and read of each new file.
//
// Usage is counted once when the store opens, by listing the prefix (one
// request per thousand blobs), and then kept by Put and Delete: it is
// right as long as this node is the only writer of the prefix.
type S3 struct {
	bucket *Bucket
	tmp    string
	usage  atomic.Int64
	// mu guards busy: the hashes being stored or deleted, so that two Puts
	// of the same content upload it once and count it once.
	mu   sync.Mutex
	busy map[string]chan struct{}
}

var _ Store = (*S3)(nil)

// OpenS3 opens the store in the bucket of cfg, with Put's temporary files
// in tempDir (created if needed; what a crash left there is removed), and
// counts the bytes stored by listing the prefix.
func OpenS3(ctx context.Context, cfg S3Config, tempDir string) (*S3, error) {
	if tempDir == "" {
		return nil, errors.New("blob: no directory for the uploads' temporary files")
	}
	if err := os.MkdirAll(tempDir, 0o700); err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	b, err := OpenBucket(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s := &S3{bucket: b, tmp: tempDir, busy: map[string]chan struct{}{}}
	if err := removeTemps(tempDir); err != nil {
		return nil, err
	}
	var n int64
	err = b.List(ctx, "", func(oi ObjectInfo) error {
		if ValidHash(oi.Name) {
			n += oi.Size
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("blob: count the stored blobs: %w", err)
	}
	s.usage.Store(n)
	return s, nil
}

// Bucket returns where the blobs are.
func (s *S3) Bucket() *Bucket { return s.bucket }

// hold waits until no other Put or Delete works on hash and marks it
// busy; the function it returns releases it.
func (s *S3) hold(hash string) func() {
	for {
		s.mu.Lock()
		wait, ok := s.busy[hash]
		if !ok {
			done := make(chan struct{})
			s.busy[hash] = done
			s.mu.Unlock()
			return func() {
				s.mu.Lock()
				delete(s.busy, hash)
				s.mu.Unlock()
				close(done)
			}
		}
		s.mu.Unlock()
		<-wait
	}
}

// Put implements Store.
func (s *S3) Put(ctx context.Context, r io.Reader, max int64) (Ref, error) {
	if err := ctx.Err(); err != nil {
		return Ref{}, err
	}
	tmp, err := os.CreateTemp(s.tmp, "put-*")
	if err != nil {
		return Ref{}, fmt.Errorf("blob: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	// Not synced: the temporary file only has to outlive the upload.
	n, sum, err := copyHashed(tmp, io.LimitReader(ctxReader{ctx, r}, max+1), false, func(n int64) error {
		if n > max {
			return tooLarge(max)
		}
		return nil
	})
	if err != nil {
		if twinfed.ErrorCode(err) == twinfed.ETOOLARGE || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return Ref{}, err
		}
		return Ref{}, fmt.Errorf("blob: write: %w", err)
	}
	ref := Ref{Hash: hex.EncodeToString(sum), Size: n}
	release := s.hold(ref.Hash)
	defer release()
	switch _, err := s.bucket.Stat(ctx, ref.Hash); {
	case err == nil:
		return ref, nil // stored already: one copy
	case twinfed.ErrorCode(err) != twinfed.ENOTFOUND:
		return Ref{}, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return Ref{}, fmt.Errorf("blob: %w", err)
	}
	if err := s.bucket.Put(ctx, ref.Hash, tmp, n); err != nil {
		return Ref{}, err
	}
	s.usage.Add(n)
	return ref, nil
}

// Open implements Store. The reader fetches the object as it is read;
// a Seek past what was read starts a ranged request.
func (s *S3) Open(ctx context.Context, hash string) (io.ReadSeekCloser, Info, error) {
	if err := checkHash(hash); err != nil {
		return nil, Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, Info{}, err
	}
	r, oi, err := s.bucket.Open(ctx, hash)
	if err != nil {
		return nil, Info{}, err
	}
	return r, Info{Hash: hash, Size: oi.Size, Created: oi.Modified}, nil
}

// Stat implements Store.
func (s *S3) Stat(ctx context.Context, hash string) (Info, error) {
	if err := checkHash(hash); err != nil {
		return Info{}, err
	}
	oi, err := s.bucket.Stat(ctx, hash)
	if err != nil {
		return Info{}, err
	}
	return Info{Hash: hash, Size: oi.Size, Created: oi.Modified}, nil
}

// Delete implements Store.
func (s *S3) Delete(ctx context.Context, hash string) error {
	if err := checkHash(hash); err != nil {
		return err
	}
	release := s.hold(hash)
	defer release()
	oi, err := s.bucket.Stat(ctx, hash)
	switch {
	case twinfed.ErrorCode(err) == twinfed.ENOTFOUND:
		return nil
	case err != nil:
		return err
	}
	if err := s.bucket.Remove(ctx, hash); err != nil {
		return err
	}
	s.usage.Add(-oi.Size)
	return nil
}

// Usage implements Store.
func (s *S3) Usage() int64 { return s.usage.Load() }
