package config

import (
	"strings"
	"testing"
	"time"
)

func TestRegistry_Validate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Registry)
		want   string // substring of the error, "" for valid
	}{
		{"default", func(*Registry) {}, ""},
		{"cluster", func(r *Registry) {
			r.Bootstrap = true
			r.Peers = []string{"r1=127.0.0.1:7000=http://127.0.0.1:7100", "r2=127.0.0.1:7001=http://127.0.0.1:7101"}
			r.AdminToken = "0123456789abcdef"
		}, ""},
		{"bad peer", func(r *Registry) { r.Peers = []string{"r1"}; r.AdminToken = "0123456789abcdef" }, "peers[0]"},
		{"duplicate peer", func(r *Registry) {
			r.Peers = []string{"r1=127.0.0.1:7000", "r1=127.0.0.1:7001"}
			r.AdminToken = "0123456789abcdef"
		}, "listed twice"},
		{"short token", func(r *Registry) { r.Join = []string{"http://127.0.0.1:7100"}; r.AdminToken = "x" }, "admin_token"},
		{"bootstrap and join", func(r *Registry) {
			r.Bootstrap = true
			r.Join = []string{"http://127.0.0.1:7100"}
			r.AdminToken = "0123456789abcdef"
		}, "not both"},
		{"metrics on the API address", func(r *Registry) { r.MetricsAddr = r.HTTPAddr }, "metrics_addr"},
		{"metrics address", func(r *Registry) { r.MetricsAddr = "9465" }, "metrics_addr"},
		{"metrics on http_addr", func(r *Registry) { r.MetricsAddr = "" }, ""},
		{"heartbeat", func(r *Registry) { r.Raft.HeartbeatTimeout = 1 }, "heartbeat_timeout"},
		{"lease over the heartbeat", func(r *Registry) { r.Raft.LeaderLeaseTimeout = 2 * time.Second }, "leader_lease_timeout"},
		{"lease too short", func(r *Registry) { r.Raft.LeaderLeaseTimeout = time.Millisecond }, "leader_lease_timeout"},
		{"backups", func(r *Registry) { r.Backup.Dir = "/var/backups/twinfed-registry" }, ""},
		{"backups too often", func(r *Registry) { r.Backup.Dir, r.Backup.Every = "backups", time.Second }, "backup.every"},
		{"no backup kept", func(r *Registry) { r.Backup.Dir, r.Backup.Keep = "backups", 0 }, "backup.keep"},
		{"backups in data_dir", func(r *Registry) { r.Backup.Dir = r.DataDir + "/" }, "backup.dir"},
		{"backups to s3", func(r *Registry) {
			r.Backup.Dir = "backups"
			r.Backup.S3 = S3{Endpoint: "https://s3.example.org", Bucket: "css-backups", AccessKey: "AK", SecretKey: "from-env"}
		}, ""},
		{"backups to s3 without a bucket", func(r *Registry) {
			r.Backup.Dir = "backups"
			r.Backup.S3 = S3{Endpoint: "https://s3.example.org", AccessKey: "AK", SecretKey: "from-env"}
		}, "backup.s3.bucket: is empty"},
		{"backups to s3 only", func(r *Registry) {
			r.Backup.S3 = S3{Endpoint: "https://s3.example.org", Bucket: "css-backups", AccessKey: "AK", SecretKey: "from-env"}
		}, "backup.dir: is empty but [backup.s3] is set"},
		{"backups to a bad endpoint", func(r *Registry) {
			r.Backup.Dir = "backups"
			r.Backup.S3 = S3{Endpoint: "ftp://s3.example.org", Bucket: "css-backups", AccessKey: "AK", SecretKey: "from-env"}
		}, "backup.s3.endpoint"},
		{"no backups, no checks", func(r *Registry) { r.Backup.Every, r.Backup.Keep = 0, 0 }, ""},
		{"lease at the heartbeat", func(r *Registry) {
			r.Raft.HeartbeatTimeout, r.Raft.LeaderLeaseTimeout = 1500*time.Millisecond, 1500*time.Millisecond
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := DefaultRegistry()
			tt.modify(&r)
			err := r.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestRegistry_PeerList(t *testing.T) {
	r := DefaultRegistry()
	r.Peers = []string{"r1=127.0.0.1:7000=http://127.0.0.1:7100", "r2=127.0.0.1:7001"}
	got, err := r.PeerList()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].HTTPURL != "http://127.0.0.1:7100" || got[1].RaftAddr != "127.0.0.1:7001" || got[1].HTTPURL != "" {
		t.Fatalf("peers: %+v", got)
	}
}
