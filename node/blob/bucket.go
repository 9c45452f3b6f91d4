package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/twinfed/twinfed"
)

// S3Config names a bucket of an S3-compatible object storage (Amazon S3,
// Ceph, Garage, SeaweedFS, versitygw, a cloud provider's) and the part of
// it Twinfed uses.
type S3Config struct {
	// Endpoint is the server's URL: https://s3.example.org, or
	// http://127.0.0.1:8333 for a server without TLS. The scheme decides
	// TLS; a path is not allowed.
	Endpoint string
	Bucket   string // must exist: Twinfed does not create it
	Region   string // empty: the server's default (us-east-1 for most)
	// Prefix is put before every object's name ("twinfed/blobs/"), so that
	// one bucket can hold other things too; a "/" is added when missing.
	Prefix    string
	AccessKey string
	SecretKey string
	// PathStyle asks for http://host/bucket/key rather than
	// http://bucket.host/key: most servers other than Amazon's need it.
	PathStyle bool
	// Transport carries the requests; nil: a transport of our own, with
	// the timeouts of a server that may be slow but not dead.
	Transport http.RoundTripper
	// PartSize is the size of a multipart upload's parts, at least 5 MiB
	// (S3's least); zero: 128 MiB (see partSize).
	PartSize int64
}

// checkEndpoint returns what is wrong with an endpoint URL, or nil: an
// http or https URL with a host and no path, query or credentials.
func checkEndpoint(endpoint string) error {
	u, err := url.Parse(endpoint)
	switch {
	case endpoint == "":
		return errors.New("is empty; give the server's URL, such as https://s3.example.org")
	case err != nil:
		return fmt.Errorf("%q is not a URL; give one such as https://s3.example.org", endpoint)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q must start with https:// (or http:// for a server without TLS)", endpoint)
	case u.Host == "":
		return fmt.Errorf("%q has no host; give one such as https://s3.example.org", endpoint)
	case u.Path != "" && u.Path != "/", u.RawQuery != "", u.Fragment != "":
		return fmt.Errorf("%q has a path; give the server's URL only and the bucket apart (bucket), a folder in it as prefix", endpoint)
	case u.User != nil:
		return fmt.Errorf("%q holds credentials; give them as access_key and secret_key", endpoint)
	}
	return nil
}

// Bucket is a part (a prefix) of an S3 bucket, holding named objects: the
// S3 blob store keeps its blobs in one, and the registry's backups may be
// copied to another. It is safe for concurrent use.
type Bucket struct {
	client *minio.Client
	bucket string
	prefix string
	part   uint64 // the multipart uploads' part size
	where  string // s3://bucket/prefix at endpoint, for messages
}

// partSize is the size of a multipart upload's parts: a file up to it is
// one PUT (the server then has no parts to join, a copy less), a larger
// one is sent in parts, two at a time. Read from a file (an io.ReaderAt),
// a part is not held in memory, whatever its size; 128 MiB parts take a
// 10 GB file (the largest max_file_mb) in 80, well within S3's 10,000.
const partSize = 128 << 20

// OpenBucket connects to the bucket of cfg and checks that it exists and
// that the keys are accepted, so that a node or registry member with a
// wrong configuration fails at start rather than at its first upload.
func OpenBucket(ctx context.Context, cfg S3Config) (*Bucket, error) {
	if err := checkEndpoint(cfg.Endpoint); err != nil {
		return nil, fmt.Errorf("blob: s3 endpoint %w", err)
	}
	if cfg.Bucket == "" {
		return nil, errors.New("blob: no s3 bucket")
	}
	u, _ := url.Parse(cfg.Endpoint)
	tr := cfg.Transport
	if tr == nil {
		tr = &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 16,
			IdleConnTimeout:     90 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second,
			// The answer to a completed multipart upload of a large file
			// may take the server a while (it joins the parts).
			ResponseHeaderTimeout: 5 * time.Minute,
			ExpectContinueTimeout: time.Second,
			// Blobs are compressed already, or random: no gzip.
			DisableCompression: true,
		}
	}
	lookup := minio.BucketLookupAuto
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	c, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       u.Scheme == "https",
		Region:       cfg.Region,
		BucketLookup: lookup,
		Transport:    tr,
		// Three tries, not ten: a reader waiting on a storage that is
		// down hears so within seconds.
		MaxRetries: 3,
	})
	if err != nil {
		return nil, fmt.Errorf("blob: s3 %s: %w", cfg.Endpoint, err)
	}
	prefix := strings.TrimPrefix(cfg.Prefix, "/")
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	part := uint64(partSize)
	if cfg.PartSize > 0 {
		part = uint64(max(cfg.PartSize, 5<<20))
	}
	b := &Bucket{client: c, bucket: cfg.Bucket, prefix: prefix, part: part, where: fmt.Sprintf("s3://%s/%s at %s", cfg.Bucket, prefix, cfg.Endpoint)}
	ok, err := c.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("blob: %s: %w", b.where, err)
	}
	if !ok {
		return nil, fmt.Errorf("blob: the bucket %q does not exist at %s; create it first", cfg.Bucket, cfg.Endpoint)
	}
	return b, nil
}

// String returns where the bucket's objects are: s3://bucket/prefix at
// the endpoint.
func (b *Bucket) String() string { return b.where }

// key is the object key of a name.
func (b *Bucket) key(name string) string { return b.prefix + name }

// ObjectInfo describes an object of a Bucket.
type ObjectInfo struct {
	Name     string // without the bucket's prefix
	Size     int64
	Modified time.Time
}

// Put stores size bytes of r as the object name, whole or not at all (an
// object appears only once its upload completes). A reader that is an
// io.ReaderAt (a file) is sent in parts in parallel, without buffering.
// The payload is not signed (UNSIGNED-PAYLOAD: the request is): signing
// it would hash every byte with SHA-256 once more, and our callers know
// its hash already; over https, TLS protects it on the way.
func (b *Bucket) Put(ctx context.Context, name string, r io.Reader, size int64) error {
	_, err := b.client.PutObject(ctx, b.bucket, b.key(name), r, size, minio.PutObjectOptions{
		ContentType: "application/octet-stream", PartSize: b.part, NumThreads: 2, DisableContentSha256: true,
	})
	if err != nil {
		return b.fail("upload "+name, err)
	}
	return nil
}

// PutFile stores the file at path as the object name.
func (b *Bucket) PutFile(ctx context.Context, name, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	return b.Put(ctx, name, f, fi.Size())
}

// Stat describes the object name: ENOTFOUND when there is none.
func (b *Bucket) Stat(ctx context.Context, name string) (ObjectInfo, error) {
	oi, err := b.client.StatObject(ctx, b.bucket, b.key(name), minio.StatObjectOptions{})
	if err != nil {
		return ObjectInfo{}, b.fail("stat "+name, err)
	}
	return ObjectInfo{Name: name, Size: oi.Size, Modified: oi.LastModified}, nil
}

// Open returns the object name for reading, seekable (each seek past
// what was read is a new ranged request), and its description:
// ENOTFOUND when there is none.
func (b *Bucket) Open(ctx context.Context, name string) (io.ReadSeekCloser, ObjectInfo, error) {
	obj, err := b.client.GetObject(ctx, b.bucket, b.key(name), minio.GetObjectOptions{})
	if err != nil {
		return nil, ObjectInfo{}, b.fail("open "+name, err)
	}
	oi, err := obj.Stat() // the first request: the object's existence
	if err != nil {
		obj.Close()
		return nil, ObjectInfo{}, b.fail("open "+name, err)
	}
	return obj, ObjectInfo{Name: name, Size: oi.Size, Modified: oi.LastModified}, nil
}

// Remove removes the object name; removing an object that is not there
// is no error.
func (b *Bucket) Remove(ctx context.Context, name string) error {
	if err := b.client.RemoveObject(ctx, b.bucket, b.key(name), minio.RemoveObjectOptions{}); err != nil {
		if e := minio.ToErrorResponse(err); e.Code == "NoSuchKey" {
			return nil
		}
		return b.fail("remove "+name, err)
	}
	return nil
}

// List calls fn for each object whose name starts with prefix, in the
// order of their names; it is one request per thousand objects.
func (b *Bucket) List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error {
	for oi := range b.client.ListObjectsIter(ctx, b.bucket, minio.ListObjectsOptions{Prefix: b.key(prefix), Recursive: true}) {
		if oi.Err != nil {
			return b.fail("list", oi.Err)
		}
		name, ok := strings.CutPrefix(oi.Key, b.prefix)
		if !ok {
			continue
		}
		if err := fn(ObjectInfo{Name: name, Size: oi.Size, Modified: oi.LastModified}); err != nil {
			return err
		}
	}
	return nil
}

// Names returns the names of the objects that start with prefix, in
// their order.
func (b *Bucket) Names(ctx context.Context, prefix string) ([]string, error) {
	var out []string
	err := b.List(ctx, prefix, func(oi ObjectInfo) error {
		out = append(out, oi.Name)
		return nil
	})
	return out, err
}

// errStoreDown is what a reader or uploader is told when the object
// storage cannot be reached or fails: the node's message for a failure on
// its side (translated in every catalogue), with the code that makes it a
// 503; the cause is in the wrapped error, for the log.
var errStoreDown = twinfed.Errorf(twinfed.EUNAVAILABLE, "Something went wrong on our side. Please try again later.")

// fail maps an error of the object storage to the package's: ENOTFOUND
// for a missing object, the context's own error when it ended, and
// otherwise EUNAVAILABLE wrapping the cause (logged, never shown).
func (b *Bucket) fail(op string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	// A missing bucket is the storage's failure, not a missing file.
	if e := minio.ToErrorResponse(err); e.Code == "NoSuchKey" || e.Code == "NotFound" || e.StatusCode == http.StatusNotFound && e.Code != "NoSuchBucket" {
		return twinfed.Errorf(twinfed.ENOTFOUND, "There is no such file.")
	}
	return &unavailable{op: op, where: b.where, err: err}
}

// unavailable is EUNAVAILABLE for the one who asked (errors.As finds the
// domain error) with the cause kept for the log.
type unavailable struct {
	op, where string
	err       error
}

func (u *unavailable) Error() string {
	return fmt.Sprintf("blob: %s %s: %v", u.op, u.where, u.err)
}

// Unwrap gives the domain error (for the HTTP status and the message
// shown) and the cause.
func (u *unavailable) Unwrap() []error { return []error{errStoreDown, u.err} }
