package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed/config"
	"github.com/twinfed/twinfed/consensus"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/node/blob"
	"github.com/twinfed/twinfed/node/blob/s3test"
)

// metricValue returns the value of the series name (a gauge or a counter)
// in reg, 0 when it is not there.
func metricValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) > 0 {
			m := mf.GetMetric()[0]
			if m.GetGauge() != nil {
				return m.GetGauge().GetValue()
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// TestRegistryBackups_ToObjectStorage: with [backup.s3], a member's
// scheduled backups land in the bucket (the same bytes as in the
// directory), only its newest keep stay there, the metrics say when the
// last upload succeeded, and failed uploads are counted while backups to
// the directory go on. A bucket that does not exist stops the member at
// start, saying so.
func TestRegistryBackups_ToObjectStorage(t *testing.T) {
	srv := s3test.Start(t)
	srv.Bucket(t, "css-backups", "")
	secret := filepath.Join(t.TempDir(), "s3.secret")
	if err := os.WriteFile(secret, []byte(s3test.SecretKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.DefaultRegistry()
	cfg.DataDir = filepath.Join(t.TempDir(), "r1")
	cfg.Backup.Dir = filepath.Join(t.TempDir(), "backups")
	cfg.Backup.S3 = config.S3{Endpoint: srv.Endpoint, Bucket: "css-backups", Prefix: "registry", AccessKey: s3test.AccessKey, SecretKeyFile: secret, PathStyle: true}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	wrong := cfg
	wrong.Backup.S3.Bucket = "no-such-bucket"
	if _, err := backupRemote(ctx, wrong); err == nil || !strings.Contains(err.Error(), `the bucket "no-such-bucket" does not exist`) {
		t.Fatalf("a missing bucket: %v", err)
	}
	remote, err := backupRemote(ctx, cfg)
	if err != nil || remote == nil {
		t.Fatalf("backupRemote: %v, %v", remote, err)
	}

	// The schedule of the tests: every 100 ms, two kept.
	const keep = 2
	mc := consensustest.MemberConfig(t.TempDir(), 0)
	mc.Bootstrap = true
	mc.Backup = consensus.BackupConfig{Dir: cfg.Backup.Dir, Every: 100 * time.Millisecond, Keep: keep, Remote: remote}
	m, err := consensus.Open(ctx, mc)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var first string
	consensustest.Eventually(t, time.Minute, func() bool {
		have, err := m.RemoteBackups(ctx)
		if err != nil || len(have) == 0 {
			return false
		}
		if first == "" {
			first = have[0].Path
		}
		return have[0].Path != first && len(have) <= keep
	}, "no backups in the bucket, or the oldest were not pruned")
	// Each object is the backup file of the same name, byte for byte.
	have, err := m.RemoteBackups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bucket := remote.(*blob.Bucket)
	checked := 0
	for _, f := range have {
		local, err := os.ReadFile(filepath.Join(cfg.Backup.Dir, f.Path))
		if err != nil {
			continue // pruned from the directory meanwhile
		}
		r, _, err := bucket.Open(ctx, f.Path)
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		got.ReadFrom(r)
		r.Close()
		if !bytes.Equal(got.Bytes(), local) {
			t.Fatalf("%s: %d bytes in the bucket, %d in the directory", f.Path, got.Len(), len(local))
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no backup of the bucket was found in the directory")
	}
	for key := range srv.Objects(t, "css-backups") {
		if !strings.HasPrefix(key, "registry/registry-r1-") {
			t.Errorf("unexpected object %s", key)
		}
	}
	last := metricValue(t, mc.Metrics, "twinfed_registry_backup_upload_last_success_timestamp_seconds")
	if time.Since(time.UnixMilli(int64(last*1e3))) > time.Minute {
		t.Fatalf("last upload at %v, want a moment ago", last)
	}
	if f := metricValue(t, mc.Metrics, "twinfed_registry_backup_upload_failures_total"); f != 0 {
		t.Fatalf("%v failed uploads", f)
	}

	// The storage goes down: uploads fail and are counted, backups to the
	// directory go on.
	srv.Stop()
	stopped := time.Now()
	consensustest.Eventually(t, time.Minute, func() bool {
		done := metricValue(t, mc.Metrics, "twinfed_registry_backup_last_success_timestamp_seconds")
		return metricValue(t, mc.Metrics, "twinfed_registry_backup_upload_failures_total") > 0 &&
			time.UnixMilli(int64(done*1e3)).After(stopped)
	}, "failed uploads not counted, or no backup to the directory since the storage stopped")
}

// TestNodeBlobs_Backend: [materials] backend = "disk" leaves the store to
// the node; "s3" opens the bucket, with the uploads' temporary files under
// the materials directory, and a bucket that does not exist stops the
// node at start, saying so.
func TestNodeBlobs_Backend(t *testing.T) {
	ctx := context.Background()
	cfg := config.DefaultNode()
	cfg.DataDir = t.TempDir()
	if s, err := openBlobs(ctx, cfg); s != nil || err != nil {
		t.Fatalf("disk: %v, %v; want nil, nil", s, err)
	}
	srv := s3test.Start(t)
	srv.Bucket(t, "twinfed-it", "")
	t.Setenv("TWINFED_MATERIALS_S3_SECRET_KEY", s3test.SecretKey)
	cfg.Materials.Backend = "s3"
	cfg.Materials.S3 = config.S3{Endpoint: srv.Endpoint, Bucket: "twinfed-it", Prefix: "materials", AccessKey: s3test.AccessKey, PathStyle: true}
	if err := config.LoadEnv("", &cfg, os.Environ()); err != nil {
		t.Fatal(err)
	}
	s, err := openBlobs(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := s.Put(ctx, strings.NewReader("lesson plan"), 100)
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.Objects(t, "twinfed-it"); got["materials/"+ref.Hash] != ref.Size {
		t.Fatalf("objects %v", got)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "blobs", "tmp")); err != nil {
		t.Fatalf("the uploads' temporary folder: %v", err)
	}
	cfg.Materials.S3.Bucket = "twinfed-fr"
	if _, err := openBlobs(ctx, cfg); err == nil || !strings.Contains(err.Error(), `the bucket "twinfed-fr" does not exist`) {
		t.Fatalf("a missing bucket: %v", err)
	}
}
