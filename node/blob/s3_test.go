package blob_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/blob"
	"github.com/twinfed/twinfed/node/blob/s3test"
)

// TestS3_OpenChecks: a store whose bucket is missing, whose keys are
// wrong or whose endpoint is no URL does not open, saying why.
func TestS3_OpenChecks(t *testing.T) {
	srv := s3test.Start(t)
	good := srv.Bucket(t, "materials", "")
	wrongKey := good
	wrongKey.SecretKey = "not-the-secret"
	noPath := good
	noPath.Endpoint += "/materials"
	for _, tc := range []struct {
		name string
		cfg  blob.S3Config
		want string
	}{
		{"missing bucket", srv.Config("nosuchbucket", ""), `the bucket "nosuchbucket" does not exist`},
		{"wrong key", wrongKey, "s3://materials/"},
		{"endpoint with a path", noPath, "has a path"},
		{"endpoint without scheme", blob.S3Config{Endpoint: "s3.example.org", Bucket: "b"}, "must start with https://"},
		{"no bucket", blob.S3Config{Endpoint: srv.Endpoint}, "no s3 bucket"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := blob.OpenS3(context.Background(), tc.cfg, t.TempDir())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("OpenS3: %v, want an error saying %q", err, tc.want)
			}
		})
	}
	if _, err := blob.OpenS3(context.Background(), good, t.TempDir()); err != nil {
		t.Fatal(err)
	}
}

// TestS3_Leftovers: a temporary file a crash left is removed when the
// store opens, and objects that are not blobs of the store (another
// prefix, another name) are neither counted nor served.
func TestS3_Leftovers(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t)
	cfg := srv.Bucket(t, "shared", "twinfed")
	other, err := blob.OpenBucket(ctx, srv.Config("shared", ""))
	if err != nil {
		t.Fatal(err)
	}
	notes := "agency notes, not a blob"
	if err := other.Put(ctx, "notes.txt", strings.NewReader(notes), int64(len(notes))); err != nil {
		t.Fatal(err)
	}
	if err := other.Put(ctx, "twinfed/readme", strings.NewReader(notes), int64(len(notes))); err != nil {
		t.Fatal(err)
	}
	elsewhere := "a blob of another prefix"
	if err := other.Put(ctx, blob.HashOf([]byte(elsewhere)), strings.NewReader(elsewhere), int64(len(elsewhere))); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	left := filepath.Join(tmp, "put-123456")
	if err := os.WriteFile(left, []byte("half of a video"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := blob.OpenS3(ctx, cfg, tmp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(left); !os.IsNotExist(err) {
		t.Fatalf("the temporary file is still there: %v", err)
	}
	if s.Usage() != 0 {
		t.Fatalf("Usage = %d, want 0: only the store's blobs count", s.Usage())
	}
	if _, _, err := s.Open(ctx, blob.HashOf([]byte(elsewhere))); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		t.Fatalf("a blob of another prefix is served: %v", err)
	}
	ref, err := s.Put(ctx, strings.NewReader("kept"), 100)
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.Objects(t, "shared"); got["twinfed/"+ref.Hash] != 4 || len(got) != 4 {
		t.Fatalf("objects %v, want the three others and twinfed/%s", got, ref.Hash)
	}
}

// TestS3_Down: while the storage is down, Put, Open, Stat and Delete say
// so (EUNAVAILABLE, with a message a person can act on), and a failed Put
// leaves no temporary file.
func TestS3_Down(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t)
	tmp := t.TempDir()
	s, err := blob.OpenS3(ctx, srv.Bucket(t, "materials", ""), tmp)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := s.Put(ctx, strings.NewReader("before"), 100)
	if err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	_, err = s.Put(ctx, strings.NewReader("after"), 100)
	if twinfed.ErrorCode(err) != twinfed.EUNAVAILABLE || twinfed.ErrorMessage(err) != "Something went wrong on our side. Please try again later." {
		t.Fatalf("Put: %v (%s), want EUNAVAILABLE", err, twinfed.ErrorCode(err))
	}
	if _, _, err := s.Open(ctx, ref.Hash); twinfed.ErrorCode(err) != twinfed.EUNAVAILABLE {
		t.Fatalf("Open: %v, want EUNAVAILABLE", err)
	}
	if _, err := s.Stat(ctx, ref.Hash); twinfed.ErrorCode(err) != twinfed.EUNAVAILABLE {
		t.Fatalf("Stat: %v, want EUNAVAILABLE", err)
	}
	if err := s.Delete(ctx, ref.Hash); twinfed.ErrorCode(err) != twinfed.EUNAVAILABLE {
		t.Fatalf("Delete: %v, want EUNAVAILABLE", err)
	}
	if got := files(t, tmp); len(got) != 0 || s.Usage() != ref.Size {
		t.Fatalf("after failures: temporary files %v, usage %d", got, s.Usage())
	}
}

// TestS3_Multipart: a file larger than a part goes up in parts (three
// here, the last one short) and comes back whole, readable from any
// offset.
func TestS3_Multipart(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t)
	cfg := srv.Bucket(t, "materials", "")
	cfg.PartSize = 5 << 20
	s, err := blob.OpenS3(ctx, cfg, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	content := make([]byte, 12<<20+12345)
	rand.Read(content)
	ref, err := s.Put(ctx, bytes.NewReader(content), 20<<20)
	if err != nil || ref.Hash != blob.HashOf(content) {
		t.Fatalf("Put: %+v, %v", ref, err)
	}
	if got := srv.Objects(t, "materials"); got[ref.Hash] != int64(len(content)) || len(got) != 1 {
		t.Fatalf("objects %v", got)
	}
	if etag := srv.ETag(t, "materials", ref.Hash); !strings.HasSuffix(etag, "-3") {
		t.Fatalf("ETag %s: not an upload of 3 parts", etag)
	}
	r, _, err := s.Open(ctx, ref.Hash)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Seek(11<<20, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(rest, content[11<<20:]) {
		t.Fatalf("read from 11 MiB: %d bytes, %v", len(rest), err)
	}
	if got := read(t, s, ref.Hash); !bytes.Equal(got, content) {
		t.Fatal("the file read back differs")
	}
}
