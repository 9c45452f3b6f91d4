// Package s3test starts a real S3-compatible server for tests: versitygw
// (Versity's S3 gateway, Apache-2.0) over a temporary directory, on
// 127.0.0.1 and a free port. .ci/run installs it; a test that needs it
// and does not find it fails, saying how to install it.
package s3test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/twinfed/twinfed/node/blob"
)

// Version is the versitygw release the tests run against and .ci/run
// installs.
const Version = "v1.8.0"

// Install is the command that installs the server where Binary finds it.
const Install = "GOTOOLCHAIN=go1.27.3 go install github.com/versity/versitygw/cmd/versitygw@" + Version

// The root account of the servers the tests start.
const (
	AccessKey = "twinfed-test"
	SecretKey = "twinfed-test-secret-key"
)

// Server is a running versitygw.
type Server struct {
	Endpoint string // http://127.0.0.1:port
	Dir      string // the directory it keeps the buckets in (one folder each)
	stop     func()
}

// Stop stops the server now (it is stopped at the test's end anyway), so
// that a test sees what its clients do when the storage is down.
func (s *Server) Stop() { s.stop() }

// Binary returns the path of versitygw: on PATH, or where go install puts
// it ($GOBIN, $GOPATH/bin, $HOME/go/bin); "" when it is not installed.
func Binary() string {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	var dirs []string
	if d := os.Getenv("GOBIN"); d != "" {
		dirs = append(dirs, d)
	}
	for _, d := range filepath.SplitList(os.Getenv("GOPATH")) {
		dirs = append(dirs, filepath.Join(d, "bin"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "versitygw")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	return ""
}

// Start starts a server in a temporary directory; it is stopped when the
// test ends. Without versitygw the test fails, saying how to install it.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin := Binary()
	if bin == "" {
		tb.Fatalf("versitygw (the S3-compatible server these tests use) is not installed; install it with\n\t%s\n(.ci/run does)", Install)
	}
	dir := tb.TempDir()
	for attempt := 0; ; attempt++ {
		addr := freeAddr(tb)
		cmd := exec.Command(bin, "--port", addr, "--quiet", "posix", dir)
		cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+AccessKey, "ROOT_SECRET_KEY="+SecretKey)
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			tb.Fatalf("start versitygw: %v", err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		s := &Server{Endpoint: "http://" + addr, Dir: dir}
		if s.ready(exited) {
			s.stop = func() {
				cmd.Process.Kill()
				<-exited
			}
			tb.Cleanup(s.stop)
			return s
		}
		cmd.Process.Kill()
		<-exited
		if attempt == 2 {
			tb.Fatalf("versitygw did not start on %s: %s", addr, out.String())
		}
	}
}

// freeAddr returns 127.0.0.1 and a port free a moment ago.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// ready polls the server until it answers S3 requests (true), it exits or
// 30 seconds pass (false).
func (s *Server) ready(exited <-chan struct{}) bool {
	c := s.client()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := c.ListBuckets(ctx)
		cancel()
		if err == nil {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func (s *Server) client() *minio.Client {
	c, err := minio.New(strings.TrimPrefix(s.Endpoint, "http://"), &minio.Options{
		Creds: credentials.NewStaticV4(AccessKey, SecretKey, ""), BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		panic(err) // only for a malformed endpoint, which Start never makes
	}
	return c
}

// Bucket creates a bucket and returns the configuration of a store or a
// Bucket in it, under prefix.
func (s *Server) Bucket(tb testing.TB, name, prefix string) blob.S3Config {
	tb.Helper()
	if err := s.client().MakeBucket(context.Background(), name, minio.MakeBucketOptions{}); err != nil {
		tb.Fatalf("create the bucket %s: %v", name, err)
	}
	return s.Config(name, prefix)
}

// Config returns the configuration of a store or a Bucket in the bucket
// name (which may not exist), under prefix.
func (s *Server) Config(name, prefix string) blob.S3Config {
	return blob.S3Config{Endpoint: s.Endpoint, Bucket: name, Prefix: prefix, AccessKey: AccessKey, SecretKey: SecretKey, PathStyle: true}
}

// Objects returns the names of the objects of a bucket (the keys, with
// any prefix) and their sizes, as the server lists them.
func (s *Server) Objects(tb testing.TB, bucket string) map[string]int64 {
	tb.Helper()
	out := map[string]int64{}
	for oi := range s.client().ListObjectsIter(context.Background(), bucket, minio.ListObjectsOptions{Recursive: true}) {
		if oi.Err != nil {
			tb.Fatalf("list %s: %v", bucket, oi.Err)
		}
		out[oi.Key] = oi.Size
	}
	return out
}

// ETag returns the ETag the server gives an object: the MD5 of its
// content, or for an object uploaded in N parts an MD5 of the parts' and
// "-N".
func (s *Server) ETag(tb testing.TB, bucket, key string) string {
	tb.Helper()
	oi, err := s.client().StatObject(context.Background(), bucket, key, minio.StatObjectOptions{})
	if err != nil {
		tb.Fatalf("stat %s/%s: %v", bucket, key, err)
	}
	return oi.ETag
}

// String returns the server's description for messages.
func (s *Server) String() string { return fmt.Sprintf("versitygw %s at %s", Version, s.Endpoint) }
