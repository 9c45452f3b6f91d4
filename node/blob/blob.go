package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"time"

	"github.com/twinfed/twinfed"
)

// Store keeps blobs by the SHA-256 of their content. An implementation is
// safe for concurrent use: Disk (the node's disk) or S3 (object storage).
type Store interface {
	// Put stores what r yields, at most max bytes, and returns its hash
	// and size. Storing content already stored keeps one copy. Past max
	// it returns ETOOLARGE and stores nothing; a blob is stored whole or
	// not at all, and stored for good once Put returns.
	Put(ctx context.Context, r io.Reader, max int64) (Ref, error)
	// Open returns a blob's content and its Info: EINVALID for a string
	// that is not a hash, ENOTFOUND for a blob not stored.
	Open(ctx context.Context, hash string) (io.ReadSeekCloser, Info, error)
	// Stat returns a blob's Info, with the errors of Open.
	Stat(ctx context.Context, hash string) (Info, error)
	// Delete removes a blob: EINVALID for a string that is not a hash;
	// deleting a blob that is not stored is no error.
	Delete(ctx context.Context, hash string) error
	// Usage is the number of bytes the stored blobs hold (each once),
	// which the node's quota counts.
	Usage() int64
}

// Ref names a stored blob: the SHA-256 of its content in lowercase hex,
// and its size in bytes.
type Ref struct {
	Hash string `json:"hash"`
	Size int64  `json:"size"`
}

// Info describes a stored blob.
type Info struct {
	Hash    string
	Size    int64
	Created time.Time // when this store first stored it
}

// HashLen is the length of a hash: SHA-256 in hex.
const HashLen = sha256.Size * 2

// ValidHash reports whether s is a hash as Put returns them: 64 lowercase
// hex digits, so that it is safe as a file name or an object key.
func ValidHash(s string) bool {
	if len(s) != HashLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// checkHash returns EINVALID when s is not a hash.
func checkHash(s string) error {
	if !ValidHash(s) {
		return twinfed.Errorf(twinfed.EINVALID, "%q is not the SHA-256 of a file (64 hexadecimal digits).", s)
	}
	return nil
}

// HashOf returns the hash of b, as Put would name it.
func HashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// tooLarge is Put's error past max: the limit in whole MB, rounded up
// (limits are configured in MB).
func tooLarge(max int64) error {
	return twinfed.Errorf(twinfed.ETOOLARGE, "This file is too large: a file may be at most %d MB.", (max+(1<<20)-1)>>20)
}

// ctxReader fails a read once its context is done, so that a long copy
// stops when the request that started it goes away.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
