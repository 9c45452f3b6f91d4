package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed/config"
	"github.com/twinfed/twinfed/consensus"
	"github.com/twinfed/twinfed/consensus/consensustest"
)

func TestRegistryMain_ServeAndOperate(t *testing.T) {
	cfg := config.DefaultRegistry()
	cfg.DataDir = filepath.Join(t.TempDir(), "r1")
	cfg.RaftAddr, cfg.HTTPAddr, cfg.MetricsAddr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.Bootstrap = true
	cfg.AdminToken = "0123456789abcdef-test"
	// The tests' Raft timings: the join makes a cluster of two voters,
	// which loses its leader whenever one of them misses the lease, and
	// the CI machine runs other packages' clusters beside this one.
	tune := consensustest.TestTuning()
	cfg.Raft.HeartbeatTimeout, cfg.Raft.ElectionTimeout, cfg.Raft.LeaderLeaseTimeout = tune.HeartbeatTimeout, tune.ElectionTimeout, tune.LeaderLeaseTimeout
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	logger := consensustest.FailureLogger(t)
	rm := &registryMain{Config: cfg, Logger: logger}
	if err := rm.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer rm.Close()
	url := rm.member.URL()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(url + "/v1/countries/IT")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the member never seeded its countries")
		}
		<-time.After(20 * time.Millisecond) // poll interval
	}
	// /metrics is on its own address, not on the API's.
	for _, tc := range []struct {
		url  string
		want int
	}{{url + "/metrics", http.StatusNotFound}, {"http://" + rm.MetricsAddr() + "/metrics", http.StatusOK}} {
		resp, err := http.Get(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want || (tc.want == http.StatusOK && !bytes.Contains(body, []byte("twinfed_registry_raft_state"))) {
			t.Errorf("GET %s: %d, want %d (with the member's series)", tc.url, resp.StatusCode, tc.want)
		}
	}
	csv := "country,legal_name,level,national_number\nIT,Liceo Volta,upper_secondary,COPS01\nFR,Lycée Curie,upper_secondary,\n"
	file := filepath.Join(t.TempDir(), "schools.csv")
	if err := writeFile(file, csv); err != nil {
		t.Fatal(err)
	}
	// A second member, started empty, for join and leave.
	m2, err := consensus.Open(context.Background(), consensus.Config{NodeID: "r2", DataDir: filepath.Join(t.TempDir(), "r2"),
		RaftAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", AdminToken: cfg.AdminToken, Logger: logger, Raft: tune})
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	backup := filepath.Join(t.TempDir(), "registry.bak")
	tok := cfg.AdminToken
	tests := []struct {
		args    []string
		want    string
		notWant string
	}{
		{[]string{"registry", "import-schools", "--member", url, "--token", tok, "--file", file}, "imported 2 schools", ""},
		{[]string{"registry", "peers", "--member", url}, "r1", ""},
		{[]string{"registry", "snapshot", "--member", url, "--token", tok, "--out", backup}, "backup written to", ""},
		{[]string{"registry", "restore", "--member", url, "--token", tok, "--in", backup}, "index", ""},
		{[]string{"registry", "join", "--member", url, "--token", tok, "--id", "r2", "--raft-addr", m2.RaftAddr(), "--http-url", m2.URL()}, "index", ""},
		{[]string{"registry", "peers", "--member", url}, "r2", ""},
		{[]string{"registry", "leave", "--member", url, "--token", tok, "--id", "r2"}, "index", ""},
		{[]string{"registry", "peers", "--member", url}, "r1", "r2"},
		{[]string{"registry", "leave", "--member", url, "--id", "r1"}, "", ""}, // no token: refused
	}
	for i, tt := range tests {
		var out, errOut bytes.Buffer
		err := newApp(&out, &errOut).RunContext(context.Background(), append([]string{"twinfed"}, tt.args...))
		if i == len(tests)-1 {
			if err == nil {
				t.Fatalf("%v: an operation without the admin token was accepted", tt.args)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v (%s)", tt.args, err, errOut.String())
		}
		if !strings.Contains(out.String(), tt.want) || (tt.notWant != "" && strings.Contains(out.String(), tt.notWant)) {
			t.Fatalf("%v printed %q, want %q and not %q", tt.args, out.String(), tt.want, tt.notWant)
		}
	}
	// The restored backup holds the imported schools.
	resp, err := http.Get(url + "/v1/schools?q=volta&consistency=consistent")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "Liceo Volta") {
		t.Fatalf("after restore: %s", body)
	}
}

func writeFile(path, s string) error {
	return os.WriteFile(path, []byte(s), 0o600)
}

// TestRegistryConsensusConfig_Backup: the [backup] keys reach the member.
func TestRegistryConsensusConfig_Backup(t *testing.T) {
	cfg := config.DefaultRegistry()
	cfg.Backup.Dir = filepath.Join(t.TempDir(), "backups")
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	out, err := registryConsensusConfig(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := (consensus.BackupConfig{Dir: cfg.Backup.Dir, Every: 6 * time.Hour, Keep: 28}); out.Backup != want {
		t.Fatalf("backup configuration %+v, want %+v", out.Backup, want)
	}
}
