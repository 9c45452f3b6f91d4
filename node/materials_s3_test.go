package node_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/blob"
	"github.com/twinfed/twinfed/node/blob/s3test"
	"github.com/twinfed/twinfed/node/nodetest"
	"github.com/twinfed/twinfed/node/store"
)

// The Materials tab with its files in object storage ([materials] backend
// = "s3"): the same journeys as on the disk, against a real S3 server.

// s3Blobs opens a blob store in a new bucket of a server started for the
// test; the server and its bucket are returned for checks.
func s3Blobs(t *testing.T) (*blob.S3, *s3test.Server) {
	t.Helper()
	srv := s3test.Start(t)
	s, err := blob.OpenS3(context.Background(), srv.Bucket(t, "materials", "it/blobs"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s, srv
}

func TestMaterialsS3_UploadSeveralThenRefusals(t *testing.T) {
	s, srv := s3Blobs(t)
	uploadSeveralThenRefusals(t, s)
	// The files (and their thumbnails) are objects of the bucket, counted.
	var sum int64
	for key, size := range srv.Objects(t, "materials") {
		if !strings.HasPrefix(key, "it/blobs/") || !blob.ValidHash(strings.TrimPrefix(key, "it/blobs/")) {
			t.Errorf("object %s is not a blob of the store", key)
		}
		sum += size
	}
	if sum == 0 || sum != s.Usage() {
		t.Fatalf("the bucket holds %d bytes, the store counts %d", sum, s.Usage())
	}
}

func TestMaterialsS3_RolesAndDeletion(t *testing.T) {
	s, srv := s3Blobs(t)
	rolesAndDeletion(t, s)
	if got := srv.Objects(t, "materials"); len(got) != 0 || s.Usage() != 0 {
		t.Fatalf("after every file was deleted the bucket holds %v (usage %d)", got, s.Usage())
	}
}

// TestBackup_BlobsInObjectStorage: a node whose files are in object
// storage backs up its keys and store without them, and its manifest says
// where they are; restored, the node on the same bucket serves them.
func TestBackup_BlobsInObjectStorage(t *testing.T) {
	s, _ := s3Blobs(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "node.key"), []byte("-----BEGIN PRIVATE KEY-----\ntest\n-----END PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	n := nodetest.MustOpenNode(t, nodetest.Options{Dir: dir, Tune: func(o *node.Options) { o.Blobs = s }})
	file := []byte("%PDF-1.4 the pupils' water survey")
	ref, err := n.TwinSpaces().Materials.Blobs().Put(context.Background(), bytes.NewReader(file), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := n.Backup(&buf); err != nil {
		t.Fatalf("backup: %v", err)
	}
	z, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range z.File {
		if strings.HasPrefix(f.Name, "blobs/") {
			t.Errorf("the backup holds %s", f.Name)
		}
	}
	archive := filepath.Join(t.TempDir(), "backup.zip")
	if err := os.WriteFile(archive, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	restored := filepath.Join(t.TempDir(), "restored")
	m, err := store.RestoreArchive(archive, restored, store.Options{Migrations: node.Migrations()})
	if err != nil {
		t.Fatal(err)
	}
	if m.BlobsElsewhere != s.Bucket().String() || !strings.HasPrefix(m.BlobsElsewhere, "s3://materials/it/blobs/ at http://127.0.0.1:") {
		t.Fatalf("the manifest says the files are in %q, want %q", m.BlobsElsewhere, s.Bucket().String())
	}
	if _, err := os.Stat(filepath.Join(restored, "node.key")); err != nil {
		t.Fatalf("the key was not restored: %v", err)
	}
	r := nodetest.MustOpenNode(t, nodetest.Options{Dir: restored, Tune: func(o *node.Options) { o.Blobs = s }})
	f, _, err := r.TwinSpaces().Materials.Blobs().Open(context.Background(), ref.Hash)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, _ := io.ReadAll(f); !bytes.Equal(got, file) {
		t.Fatalf("the restored node reads %q", got)
	}
}
