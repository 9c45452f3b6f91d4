package consensus

import (
	"errors"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

func MustOpenLogStore(tb testing.TB) *LogStore {
	tb.Helper()
	s, err := OpenLogStore(tb.TempDir(), badgerLogger{discardLogger()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// logStores opens each log store a member has had, empty.
var logStores = []struct {
	name string
	open func(testing.TB) raftLog
}{
	{"badger", func(tb testing.TB) raftLog { return MustOpenLogStore(tb) }},
	{"pebble", func(tb testing.TB) raftLog { return MustOpenPebbleLog(tb, tb.TempDir()) }},
}

func TestLogStore_RaftExpectations(t *testing.T) {
	for _, store := range logStores {
		t.Run(store.name, func(t *testing.T) { testRaftExpectations(t, store.open(t)) })
	}
}

func testRaftExpectations(t *testing.T, s raftLog) {
	// Empty store: indexes are 0, a missing entry is raft.ErrLogNotFound.
	if i, err := s.FirstIndex(); i != 0 || err != nil {
		t.Fatalf("FirstIndex on empty: %d %v", i, err)
	}
	if i, err := s.LastIndex(); i != 0 || err != nil {
		t.Fatalf("LastIndex on empty: %d %v", i, err)
	}
	var l raft.Log
	if err := s.GetLog(1, &l); !errors.Is(err, raft.ErrLogNotFound) {
		t.Fatalf("GetLog on empty: %v", err)
	}
	at := time.Unix(1700000000, 123)
	var logs []*raft.Log
	for i := uint64(1); i <= 300; i++ {
		logs = append(logs, &raft.Log{Index: i, Term: i / 100, Type: raft.LogCommand, Data: []byte{byte(i)}, Extensions: []byte("x"), AppendedAt: at})
	}
	if err := s.StoreLogs(logs); err != nil {
		t.Fatal(err)
	}
	if err := s.StoreLog(&raft.Log{Index: 301, Term: 3, Type: raft.LogNoop}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		index uint64
		want  *raft.Log
	}{
		{1, logs[0]},
		{256, logs[255]}, // crosses a byte boundary of the big-endian key
		{300, logs[299]},
		{301, &raft.Log{Index: 301, Term: 3, Type: raft.LogNoop}},
	}
	for _, tt := range tests {
		var got raft.Log
		if err := s.GetLog(tt.index, &got); err != nil {
			t.Fatalf("GetLog(%d): %v", tt.index, err)
		}
		if got.Index != tt.want.Index || got.Term != tt.want.Term || got.Type != tt.want.Type ||
			string(got.Data) != string(tt.want.Data) || string(got.Extensions) != string(tt.want.Extensions) || !got.AppendedAt.Equal(tt.want.AppendedAt) {
			t.Fatalf("GetLog(%d) = %+v, want %+v", tt.index, got, *tt.want)
		}
	}
	if i, _ := s.FirstIndex(); i != 1 {
		t.Fatalf("FirstIndex = %d", i)
	}
	if i, _ := s.LastIndex(); i != 301 {
		t.Fatalf("LastIndex = %d", i)
	}
	// Compaction deletes a prefix; a conflict deletes a suffix.
	if err := s.DeleteRange(1, 100); err != nil {
		t.Fatal(err)
	}
	if err := s.GetLog(50, &l); !errors.Is(err, raft.ErrLogNotFound) {
		t.Fatalf("GetLog of an entry a compaction deleted: %v", err)
	}
	if err := s.DeleteRange(250, 301); err != nil {
		t.Fatal(err)
	}
	if i, _ := s.FirstIndex(); i != 101 {
		t.Fatalf("FirstIndex after DeleteRange = %d", i)
	}
	if i, _ := s.LastIndex(); i != 249 {
		t.Fatalf("LastIndex after DeleteRange = %d", i)
	}
	if err := s.GetLog(50, &l); !errors.Is(err, raft.ErrLogNotFound) {
		t.Fatalf("GetLog of a deleted entry: %v", err)
	}
}

func TestLogStore_Stable(t *testing.T) {
	for _, store := range logStores {
		t.Run(store.name, func(t *testing.T) { testStable(t, store.open(t)) })
	}
}

func testStable(t *testing.T, s raftLog) {
	// A missing key is an error "not found": raft checks the message.
	if v, err := s.Get([]byte("CurrentTerm")); len(v) != 0 || err == nil || err.Error() != "not found" {
		t.Fatalf("Get missing: %q %v", v, err)
	}
	if v, err := s.GetUint64([]byte("CurrentTerm")); v != 0 || err != nil {
		t.Fatalf("GetUint64 missing: %d %v", v, err)
	}
	if err := s.Set([]byte("LastVoteCand"), []byte("r2")); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get([]byte("LastVoteCand")); err != nil || string(v) != "r2" {
		t.Fatalf("Get: %q %v", v, err)
	}
	if err := s.SetUint64([]byte("CurrentTerm"), 42); err != nil {
		t.Fatal(err)
	}
	if v, err := s.GetUint64([]byte("CurrentTerm")); v != 42 || err != nil {
		t.Fatalf("GetUint64: %d %v", v, err)
	}
}

func TestLogStore_Reopen(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenLogStore(dir, badgerLogger{discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.StoreLogs([]*raft.Log{{Index: 7, Term: 2, Data: []byte("a")}, {Index: 8, Term: 2, Data: []byte("b")}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUint64([]byte("CurrentTerm"), 2); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = OpenLogStore(dir, badgerLogger{discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var l raft.Log
	if err := s.GetLog(8, &l); err != nil || string(l.Data) != "b" {
		t.Fatalf("after reopen: %+v %v", l, err)
	}
	if i, _ := s.FirstIndex(); i != 7 {
		t.Fatalf("FirstIndex after reopen = %d", i)
	}
}
