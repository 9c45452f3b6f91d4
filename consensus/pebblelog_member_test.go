package consensus_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus"
	"github.com/twinfed/twinfed/consensus/consensustest"
)

// TestMember_OpensADataDirOfTheBadgerLog starts a member on a data dir
// written by a version before Pebble (testdata/badger-log: a
// one-member cluster, term 2, that seeded the countries and imported two
// schools, its log in Badger in raft/): the member moves the log into a
// Pebble store, replays it, keeps its term, takes writes, and opens again
// from Pebble alone.
func TestMember_OpensADataDirOfTheBadgerLog(t *testing.T) {
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "r1")
	if out, err := exec.Command("cp", "-a", "testdata/badger-log", dataDir).CombinedOutput(); err != nil {
		t.Fatalf("copy the data dir: %v %s", err, out)
	}
	open := func() (*consensus.Member, *consensus.Client) {
		t.Helper()
		cfg := consensustest.ListeningMemberConfig(t, dir, 0)
		cfg.Peers = []consensus.Peer{{ID: cfg.NodeID, RaftAddr: cfg.RaftAddr, HTTPURL: "http://" + cfg.HTTPAddr}}
		m, err := consensus.Open(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		consensustest.Eventually(t, 30*time.Second, func() bool { return m.IsLeader() && m.CaughtUp() && m.AppliedIndex() > 0 },
			"the member never led and applied its log")
		cl, err := consensus.OpenClient(context.Background(), consensus.ClientConfig{Members: []string{m.URL()}, AdminToken: consensustest.AdminToken})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cl.Close() })
		return m, cl
	}
	ctx := context.Background()
	countSchools := func(cl *consensus.Client) int {
		t.Helper()
		_, n, err := cl.FindSchools(ctx, twinfed.SchoolFilter{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	m, cl := open()
	for _, gone := range []string{"raft", "raft.retired", "log.migrating"} {
		if _, err := os.Stat(filepath.Join(dataDir, gone)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s is still there (%v)", gone, err)
		}
	}
	if term, _ := strconv.Atoi(m.Stats()["term"]); term <= 2 {
		t.Fatalf("term %d: the term of the Badger log (2) was not kept", term)
	}
	if countries, err := cl.Countries(ctx); err != nil || len(countries) != 46 {
		t.Fatalf("countries: %d, %v", len(countries), err)
	}
	if n := countSchools(cl); n != 2 {
		t.Fatalf("%d schools after the migration, want the 2 of the Badger log", n)
	}
	if _, err := cl.Import(ctx, []twinfed.School{school("FR", "Lycée Victor Hugo", "FR0001")}); err != nil {
		t.Fatal(err)
	}
	m.Close()

	_, cl = open()
	if n := countSchools(cl); n != 3 {
		t.Fatalf("%d schools after a restart on Pebble, want 3", n)
	}
}
