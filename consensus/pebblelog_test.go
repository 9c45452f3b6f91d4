package consensus

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/hashicorp/raft"
)

func MustOpenPebbleLog(tb testing.TB, dir string) *PebbleLog {
	tb.Helper()
	s, err := OpenPebbleLog(dir, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// writeBadgerLog writes the log store of a data dir of an older version:
// entries 101-400 (a compaction deleted the first 100) and raft's three
// stable keys.
func writeBadgerLog(t *testing.T, dataDir string) []*raft.Log {
	t.Helper()
	s, err := OpenLogStore(filepath.Join(dataDir, badgerLogDir), badgerLogger{discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Now().Add(-time.Hour)
	var logs []*raft.Log
	for i := uint64(1); i <= 400; i++ {
		logs = append(logs, &raft.Log{Index: i, Term: 1 + i/150, Type: raft.LogCommand, Data: []byte{byte(i), byte(i >> 8)}, AppendedAt: at.Add(time.Duration(i))})
	}
	logs[0].Type = raft.LogConfiguration
	logs[399].Extensions = []byte("ext")
	logs[300].Data = make([]byte, MaxEntryBytes) // an import entry
	if err := s.StoreLogs(logs); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRange(1, 100); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]uint64{"CurrentTerm": 7, "LastVoteTerm": 6} {
		if err := s.SetUint64([]byte(k), v); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Set([]byte("LastVoteCand"), []byte("r2")); err != nil {
		t.Fatal(err)
	}
	return logs[100:]
}

// checkMigrated checks that dataDir's log is a Pebble store holding want
// and the stable keys of writeBadgerLog, and that the Badger store is gone.
func checkMigrated(t *testing.T, dataDir string, want []*raft.Log) {
	t.Helper()
	s, err := openRaftLog(dataDir, badgerLogger{discardLogger()}, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, gone := range []string{badgerLogDir, badgerRetire, logMigrating} {
		if _, err := os.Stat(filepath.Join(dataDir, gone)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s is still there (%v)", gone, err)
		}
	}
	if _, ok := s.(*PebbleLog); !ok {
		t.Fatalf("the log store is a %T", s)
	}
	if first, _ := s.FirstIndex(); first != want[0].Index {
		t.Fatalf("FirstIndex = %d, want %d", first, want[0].Index)
	}
	if last, _ := s.LastIndex(); last != want[len(want)-1].Index {
		t.Fatalf("LastIndex = %d, want %d", last, want[len(want)-1].Index)
	}
	for _, w := range want {
		var got raft.Log
		if err := s.GetLog(w.Index, &got); err != nil {
			t.Fatalf("GetLog(%d): %v", w.Index, err)
		}
		if got.Index != w.Index || got.Term != w.Term || got.Type != w.Type || string(got.Data) != string(w.Data) ||
			string(got.Extensions) != string(w.Extensions) || !got.AppendedAt.Equal(w.AppendedAt) {
			t.Fatalf("GetLog(%d) = %+v, want %+v", w.Index, got, *w)
		}
	}
	if v, err := s.GetUint64([]byte("CurrentTerm")); v != 7 || err != nil {
		t.Fatalf("CurrentTerm = %d, %v", v, err)
	}
	if v, err := s.GetUint64([]byte("LastVoteTerm")); v != 6 || err != nil {
		t.Fatalf("LastVoteTerm = %d, %v", v, err)
	}
	if v, err := s.Get([]byte("LastVoteCand")); string(v) != "r2" || err != nil {
		t.Fatalf("LastVoteCand = %q, %v", v, err)
	}
}

// TestOpenRaftLog_MigratesABadgerLog: a data dir of an older version has
// its log in Badger; it is moved into Pebble at the first open, also when
// an earlier migration stopped at any point (a crash).
func TestOpenRaftLog_MigratesABadgerLog(t *testing.T) {
	tests := []struct {
		name    string
		stopped func(t *testing.T, dataDir string) // what an interrupted migration left
	}{
		{"first open", func(*testing.T, string) {}},
		{"stopped while copying", func(t *testing.T, dataDir string) {
			// A partial store: the first entry and no stable key.
			p := MustOpenPebbleLog(t, filepath.Join(dataDir, logMigrating))
			if err := p.StoreLogs([]*raft.Log{{Index: 101, Term: 1, Data: []byte("partial")}}); err != nil {
				t.Fatal(err)
			}
			p.Close()
		}},
		{"stopped before retiring the Badger store", func(t *testing.T, dataDir string) {
			if _, err := copyBadgerLog(dataDir, filepath.Join(dataDir, badgerLogDir), badgerLogger{discardLogger()}, discardLogger()); err != nil {
				t.Fatal(err)
			}
		}},
		{"stopped while deleting the Badger store", func(t *testing.T, dataDir string) {
			if _, err := copyBadgerLog(dataDir, filepath.Join(dataDir, badgerLogDir), badgerLogger{discardLogger()}, discardLogger()); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(filepath.Join(dataDir, badgerLogDir), filepath.Join(dataDir, badgerRetire)); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dataDir := t.TempDir()
			want := writeBadgerLog(t, dataDir)
			tt.stopped(t, dataDir)
			checkMigrated(t, dataDir, want)
			checkMigrated(t, dataDir, want) // and opens again as it is
		})
	}
}

// TestOpenRaftLog_NewDataDirIsPebble: a new member's log is a Pebble store.
func TestOpenRaftLog_NewDataDirIsPebble(t *testing.T) {
	dataDir := t.TempDir()
	s, err := openRaftLog(dataDir, badgerLogger{discardLogger()}, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok := s.(*PebbleLog); !ok {
		t.Fatalf("the log store is a %T", s)
	}
	if _, err := os.Stat(filepath.Join(dataDir, badgerLogDir)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a Badger log store was created (%v)", err)
	}
}

// TestPebbleLog_ReopensAfterALogSuffixWasDeleted: a follower deletes its
// conflicting entries after a change of leader and stores the new
// leader's; the store opens again with the new entries and nothing of the
// deleted ones.
func TestPebbleLog_ReopensAfterALogSuffixWasDeleted(t *testing.T) {
	dir := t.TempDir()
	s := MustOpenPebbleLog(t, dir)
	var logs []*raft.Log
	for i := uint64(1); i <= 10; i++ {
		logs = append(logs, &raft.Log{Index: i, Term: 1, Data: []byte{byte(i)}})
	}
	if err := s.StoreLogs(logs); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRange(8, 10); err != nil {
		t.Fatal(err)
	}
	if err := s.StoreLogs([]*raft.Log{{Index: 8, Term: 2, Data: []byte("a")}, {Index: 9, Term: 2, Data: []byte("b")}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = MustOpenPebbleLog(t, dir)
	if last, _ := s.LastIndex(); last != 9 {
		t.Fatalf("LastIndex = %d, want 9", last)
	}
	for i := uint64(1); i <= 9; i++ {
		var l raft.Log
		if err := s.GetLog(i, &l); err != nil {
			t.Fatalf("GetLog(%d) after reopening: %v", i, err)
		}
		if want := uint64(1 + i/8); l.Term != want {
			t.Fatalf("GetLog(%d): term %d, want %d", i, l.Term, want)
		}
	}
	var l raft.Log
	if err := s.GetLog(10, &l); !errors.Is(err, raft.ErrLogNotFound) {
		t.Fatalf("GetLog(10), deleted: %v", err)
	}
}

// TestPebbleLog_FailedSync: an append whose sync the disk refuses never
// reports success: Pebble stops the process (the member's supervisor
// restarts it), since after a failed fsync the kernel may have dropped
// the pages it could not write. A restart reads the log as the disk has
// it and takes appends again.
func TestPebbleLog_FailedSync(t *testing.T) {
	dir := t.TempDir()
	var failing errorfs.Toggle
	failing.Injector = errorfs.InjectorFunc(func(op errorfs.Op) error {
		if strings.HasSuffix(op.Path, ".log") && (op.Kind == errorfs.OpFileSync || op.Kind == errorfs.OpFileSyncData || op.Kind == errorfs.OpFileSyncTo) {
			return errorfs.ErrInjected
		}
		return nil
	})
	s, err := openPebbleLog(dir, discardLogger(), errorfs.Wrap(vfs.Default, &failing))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.StoreLogs([]*raft.Log{{Index: 1, Term: 1, Data: []byte("a")}}); err != nil {
		t.Fatal(err)
	}
	failing.On()
	stopped := func() (stop any) {
		defer func() { stop = recover() }()
		if err := s.StoreLogs([]*raft.Log{{Index: 2, Term: 1, Data: []byte("b")}}); err == nil {
			t.Error("an append whose sync failed succeeded")
		}
		return nil
	}()
	if msg, _ := stopped.(string); !strings.Contains(msg, "raft log store: pebble: fatal commit error: injected error") {
		t.Fatalf("an append whose sync failed: the store went on (%v)", stopped)
	}
	// The process stops there; what it left on the disk is the log after
	// a restart (the failed store is left open, as a dead process's).
	restarted := t.TempDir()
	if out, err := exec.Command("cp", "-a", dir+"/.", restarted).CombinedOutput(); err != nil {
		t.Fatalf("copy the store: %v %s", err, out)
	}
	os.Remove(filepath.Join(restarted, "LOCK"))
	s = MustOpenPebbleLog(t, restarted)
	last, _ := s.LastIndex()
	if last != 1 && last != 2 {
		t.Fatalf("after a restart: LastIndex %d", last)
	}
	for i, want := range []string{"a", "b"}[:last] {
		var l raft.Log
		if err := s.GetLog(uint64(i+1), &l); err != nil || string(l.Data) != want {
			t.Fatalf("after a restart: %+v %v", l, err)
		}
	}
	if err := s.StoreLogs([]*raft.Log{{Index: last + 1, Term: 1, Data: []byte("d")}}); err != nil {
		t.Fatalf("after a restart: %v", err)
	}
}
