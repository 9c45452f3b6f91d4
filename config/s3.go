package config

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// S3 names a bucket of an S3-compatible object storage (Amazon S3, Ceph,
// Garage, SeaweedFS, versitygw, a cloud provider's), for the materials
// ([materials.s3]) or the registry's backups ([backup.s3]). The secret key
// is best given by secret_key_file or the environment
// (TWINFED_MATERIALS_S3_SECRET_KEY, TWINFED_BACKUP_S3_SECRET_KEY), never
// written into a config file that is shared or committed.
type S3 struct {
	// Endpoint is the server's URL: https://s3.example.org (TLS), or
	// http://… for a server without TLS (on a private network only).
	Endpoint string `toml:"endpoint"`
	Bucket   string `toml:"bucket"` // must exist; Twinfed does not create it
	Region   string `toml:"region"` // empty: the server's default
	// Prefix is put before every object's name ("twinfed/blobs/"), so
	// that one bucket may hold other things.
	Prefix    string `toml:"prefix"`
	AccessKey string `toml:"access_key"`
	// SecretKey is the secret of AccessKey: set it from the environment;
	// or SecretKeyFile names a file holding it (relative to data_dir
	// when not absolute).
	SecretKey     string `toml:"secret_key"`
	SecretKeyFile string `toml:"secret_key_file"`
	// PathStyle asks for https://host/bucket/key rather than
	// https://bucket.host/key: most servers other than Amazon's need it.
	PathStyle bool `toml:"path_style"`
}

// On reports whether a bucket is configured (an endpoint is given).
func (s S3) On() bool { return s.Endpoint != "" }

// Secret returns the secret key: SecretKey, or the content of
// SecretKeyFile (under dataDir when relative) without its line end.
func (s S3) Secret(dataDir string) (string, error) {
	if s.SecretKeyFile == "" {
		return s.SecretKey, nil
	}
	raw, err := os.ReadFile(s.secretPath(dataDir))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(raw)), nil
}

func (s S3) secretPath(dataDir string) string {
	if filepath.IsAbs(s.SecretKeyFile) || dataDir == "" {
		return s.SecretKeyFile
	}
	return filepath.Join(dataDir, s.SecretKeyFile)
}

// validate checks a bucket that is in use.
func (s S3) validate(p *Problems, key, dataDir string) {
	u, err := url.Parse(s.Endpoint)
	switch {
	case s.Endpoint == "":
		p.Addf(key+".endpoint", "is empty; give the object storage's URL, such as https://s3.example.org")
	case err != nil:
		p.Addf(key+".endpoint", "%q is not a URL; give one such as https://s3.example.org", s.Endpoint)
	case u.Scheme != "https" && u.Scheme != "http":
		p.Addf(key+".endpoint", "%q must start with https:// (or http:// for a server without TLS on a private network)", s.Endpoint)
	case u.Host == "":
		p.Addf(key+".endpoint", "%q has no host; give one such as https://s3.example.org", s.Endpoint)
	case u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "":
		p.Addf(key+".endpoint", "%q has a path; give the server's URL only, the bucket as bucket and a folder in it as prefix", s.Endpoint)
	case u.User != nil:
		p.Addf(key+".endpoint", "%q holds credentials; give them as access_key and secret_key_file", s.Endpoint)
	}
	if s.Bucket == "" {
		p.Addf(key+".bucket", "is empty; give the name of a bucket that exists (Twinfed does not create it)")
	} else if len(s.Bucket) < 3 || len(s.Bucket) > 63 || strings.Trim(s.Bucket, "abcdefghijklmnopqrstuvwxyz0123456789.-") != "" {
		p.Addf(key+".bucket", "%q is not a bucket name: 3 to 63 lowercase letters, digits, dots and dashes", s.Bucket)
	}
	if strings.Contains(s.Prefix, "..") || strings.HasPrefix(s.Prefix, "/") {
		p.Addf(key+".prefix", "%q may not start with / nor hold ..; give a folder such as twinfed/blobs", s.Prefix)
	}
	if s.AccessKey == "" {
		p.Addf(key+".access_key", "is empty; give the access key of the storage's account")
	}
	switch {
	case s.SecretKey != "" && s.SecretKeyFile != "":
		p.Addf(key+".secret_key", "and secret_key_file are both set; give one (the file, or the environment variable)")
	case s.SecretKeyFile != "":
		if _, err := os.Stat(s.secretPath(dataDir)); err != nil {
			p.Addf(key+".secret_key_file", "cannot be read: %v", err)
		}
	case s.SecretKey == "":
		p.Addf(key+".secret_key_file", "is empty, as is secret_key; give a file holding the secret key, or set the secret from the environment")
	}
}
