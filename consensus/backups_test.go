package consensus_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus"
	"github.com/twinfed/twinfed/consensus/consensustest"
)

// gauge returns the value of the series name (a gauge or a counter) in reg.
func gauge(t *testing.T, reg *prometheus.Registry, name string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name || len(mf.GetMetric()) == 0 {
			continue
		}
		m := mf.GetMetric()[0]
		if m.GetGauge() != nil {
			return m.GetGauge().GetValue(), true
		}
		return m.GetCounter().GetValue(), true
	}
	return 0, false
}

// TestBackups_ScheduledPrunedAndRestoredIntoANewCluster: the three members of
// a real cluster, sharing one backup directory, each write backups on a
// short schedule, keep only their own newest ones, report them in their
// metrics, and a backup taken after a write restores into a new cluster
// through the ordinary restore path with that write in it.
func TestBackups_ScheduledPrunedAndRestoredIntoANewCluster(t *testing.T) {
	dir := t.TempDir()
	const keep = 2
	c := consensustest.MustOpenClusterWith(t, 3, func(i int, cfg *consensus.Config) {
		cfg.Backup = consensus.BackupConfig{Dir: dir, Every: 200 * time.Millisecond, Keep: keep}
	})
	kept := c.MustImportSchools(t, school("PT", "Escola Básica de Alvalade", ""))[0]
	lead := c.MustLeader(t)
	written := c.Members[lead].AppliedIndex()

	// Each member's first backups go, its newest stay, and none holds
	// more than keep at a time once pruned; one holds the import.
	first := map[string]string{}
	for _, id := range []string{"r1", "r2", "r3"} {
		consensustest.Eventually(t, time.Minute, func() bool {
			have, err := consensus.ListBackups(dir, id)
			if err == nil && len(have) > 0 {
				first[id] = have[0].Path
			}
			return len(have) > 0
		}, id+" wrote no backup")
	}
	var newest map[string]consensus.BackupFile
	consensustest.Eventually(t, time.Minute, func() bool {
		newest = map[string]consensus.BackupFile{}
		for id, path := range first {
			if _, err := os.Stat(path); err == nil {
				return false
			}
			have, err := consensus.ListBackups(dir, id)
			if err != nil || len(have) == 0 || len(have) > keep {
				return false
			}
			if have[len(have)-1].Index < written {
				return false
			}
			newest[id] = have[len(have)-1]
		}
		return true
	}, "old backups were not pruned, or no backup holds the import")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "registry-") && !strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("unexpected file in the backup directory: %s", e.Name())
		}
	}
	for i := range c.Members {
		reg := c.Config(i).Metrics
		last, ok := gauge(t, reg, "twinfed_registry_backup_last_success_timestamp_seconds")
		if !ok || time.Since(time.UnixMilli(int64(last*1e3))) > time.Minute {
			t.Errorf("member %d: last successful backup at %v (exported: %v), want a moment ago", i+1, last, ok)
		}
		if f, _ := gauge(t, reg, "twinfed_registry_backup_failures_total"); f != 0 {
			t.Errorf("member %d: %v failed backups", i+1, f)
		}
		if every, _ := gauge(t, reg, "twinfed_registry_backup_interval_seconds"); every != 0.2 {
			t.Errorf("member %d: interval %v s, want 0.2", i+1, every)
		}
	}

	// A follower's backup into a new cluster, through POST /v1/cluster/restore.
	backup, err := os.ReadFile(newest[c.Config((lead+1)%3).NodeID].Path)
	if err != nil {
		t.Fatal(err)
	}
	fresh := consensustest.MustOpenCluster(t, 3)
	if status, data := adminHTTP(t, http.MethodPost, fresh.URLs[0]+"/v1/cluster/restore", backup); status != 200 {
		t.Fatalf("restore into a new cluster: %d %s", status, data)
	}
	cl := fresh.AdminClient(t)
	got, _, err := cl.ConsistentSchool(context.Background(), kept.ID)
	if err != nil || got.LegalName != kept.LegalName {
		t.Fatalf("the restored cluster lacks the school: %+v, %v", got, err)
	}
	for i := range fresh.Members {
		consensustest.Eventually(t, 30*time.Second, func() bool { return memberHas(fresh, i, []string{kept.ID}) },
			"a member of the new cluster did not take the backup")
	}
	// The new cluster's members still reach each other: a write through a
	// follower is forwarded to the new leader, not to an address of the
	// cluster the backup came from.
	newLead := fresh.MustLeader(t)
	follower, err := consensus.OpenClient(context.Background(), consensus.ClientConfig{Members: []string{fresh.URLs[(newLead+1)%3]},
		AdminToken: consensustest.AdminToken, Logger: consensustest.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	defer follower.Close()
	c.Close() // the old cluster is gone
	if _, err := follower.Import(context.Background(), []twinfed.School{school("PT", "Escola depois do restauro", "")}); err != nil {
		t.Fatalf("a write through a follower of the restored cluster: %v", err)
	}
}

// TestBackups_WriteAndList: a backup's name carries its member, time and
// index; ListBackups keeps to one member's finished files, oldest first;
// and a member refuses to start on a backup directory it cannot create.
func TestBackups_WriteAndList(t *testing.T) {
	dir := t.TempDir()
	now := time.Now().UTC().Truncate(time.Millisecond)
	for _, name := range []string{
		consensus.BackupName("r1", now, 7),
		consensus.BackupName("r1", now.Add(-time.Hour), 5),
		consensus.BackupName("r1-a", now, 9), // another member
		consensus.BackupName("r2", now, 7),
		".registry-r1-123.tmp",   // cut short
		".registry-r1-a-456.tmp", // another member's, being written
		"registry-r1-notatime-i3.snap",
		"notes.txt",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	have, err := consensus.ListBackups(dir, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if len(have) != 2 || have[0].Index != 5 || have[1].Index != 7 || !have[1].Time.Equal(now) || have[1].Member != "r1" {
		t.Fatalf("r1's backups: %+v", have)
	}

	// A member that starts on the directory takes its newest backup as its
	// last success (a restart does not alert), and removes its own
	// unfinished files only.
	cfg := consensustest.MemberConfig(t.TempDir(), 0)
	cfg.Bootstrap = true
	cfg.Backup = consensus.BackupConfig{Dir: dir, Every: time.Hour}
	m, err := consensus.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if last, _ := gauge(t, cfg.Metrics, "twinfed_registry_backup_last_success_timestamp_seconds"); last != float64(now.UnixMilli())/1e3 {
		t.Errorf("last success %v after a start, want the newest file's %v", last, float64(now.UnixMilli())/1e3)
	}
	if _, err := os.Stat(filepath.Join(dir, ".registry-r1-123.tmp")); err == nil {
		t.Error("the member left its unfinished backup")
	}
	if _, err := os.Stat(filepath.Join(dir, ".registry-r1-a-456.tmp")); err != nil {
		t.Errorf("the member removed another member's file: %v", err)
	}

	blocked := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocked, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg = consensustest.MemberConfig(t.TempDir(), 0)
	cfg.Bootstrap = true
	cfg.Backup = consensus.BackupConfig{Dir: filepath.Join(blocked, "backups")}
	if m, err := consensus.Open(context.Background(), cfg); err == nil {
		m.Close()
		t.Fatal("a member started with a backup directory under a file")
	} else if !strings.Contains(err.Error(), "backup dir") {
		t.Fatalf("error %v, want it to name the backup dir", err)
	}
}

// TestBackups_FailureIsCountedAndRetried: a member whose backup directory
// turns into a file counts its failed backups, keeps serving, and backs up
// again once the directory is back.
func TestBackups_FailureIsCountedAndRetried(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "backups")
	cfg := consensustest.MemberConfig(t.TempDir(), 0)
	cfg.Bootstrap = true
	cfg.Backup = consensus.BackupConfig{Dir: dir, Every: 100 * time.Millisecond, Keep: 3}
	m, err := consensus.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	consensustest.Eventually(t, 30*time.Second, func() bool {
		have, _ := consensus.ListBackups(dir, "r1")
		return len(have) > 0
	}, "no backup was written")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("in the way"), 0o600); err != nil {
		t.Fatal(err)
	}
	consensustest.Eventually(t, 30*time.Second, func() bool {
		f, _ := gauge(t, cfg.Metrics, "twinfed_registry_backup_failures_total")
		return f > 0
	}, "the failed backups were not counted")
	failedAt := time.Now()
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	consensustest.Eventually(t, 30*time.Second, func() bool {
		have, _ := consensus.ListBackups(dir, "r1")
		last, _ := gauge(t, cfg.Metrics, "twinfed_registry_backup_last_success_timestamp_seconds")
		return len(have) > 0 && time.UnixMilli(int64(last*1e3)).After(failedAt.Add(-time.Millisecond))
	}, "no backup after the directory came back")
}
