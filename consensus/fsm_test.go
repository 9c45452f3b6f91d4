package consensus

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/hashicorp/raft"
	"github.com/twinfed/twinfed"
)

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func MustOpenFSM(tb testing.TB) *FSM {
	tb.Helper()
	db, err := badger.Open(badger.DefaultOptions(tb.TempDir()).WithLogger(nil))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return newFSM(db, discardLogger(), newMetrics(nil))
}

var index uint64

func mustApply(tb testing.TB, f *FSM, t CommandType, v any) *ApplyResult {
	tb.Helper()
	cmd, err := EncodeCommand(t, v)
	if err != nil {
		tb.Fatal(err)
	}
	index++
	return f.Apply(&raft.Log{Index: index, Type: raft.LogCommand, Data: cmd}).(*ApplyResult)
}

var at = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func TestFSM_Rules(t *testing.T) {
	f := MustOpenFSM(t)
	mustApply(t, f, CmdSeedCountries, SeedCommand{Countries: twinfed.SeedCountries(), At: at})
	s := twinfed.School{Country: "IT", LegalName: "Liceo Galilei", NationalNumber: "FIPS01", Level: twinfed.LevelUpperSecondary}
	res := mustApply(t, f, CmdPutSchool, PutSchoolCommand{School: s, By: "IT", At: at})
	if res.Err != nil || res.School.ID != "IT-00000001" || res.School.Status != twinfed.SchoolProposed {
		t.Fatalf("create: %+v", res)
	}
	tests := []struct {
		name string
		t    CommandType
		cmd  any
		code string
	}{
		{"duplicate national number", CmdPutSchool, PutSchoolCommand{School: s, By: "IT", At: at}, twinfed.ECONFLICT},
		{"another country", CmdPutSchool, PutSchoolCommand{School: twinfed.School{Country: "FR", LegalName: "x", Level: twinfed.LevelPrimary}, By: "IT", At: at}, twinfed.EFORBIDDEN},
		{"unknown country", CmdPutSchool, PutSchoolCommand{School: twinfed.School{Country: "ZZ", LegalName: "x", Level: twinfed.LevelPrimary}, At: at}, twinfed.EINVALID},
		{"unknown school", CmdPutSchool, PutSchoolCommand{School: twinfed.School{ID: "IT-99", Country: "IT", LegalName: "x", Level: twinfed.LevelPrimary}, At: at}, twinfed.ENOTFOUND},
		{"import duplicate", CmdImportSchools, ImportCommand{Schools: []twinfed.School{{Country: "IT", LegalName: "a", NationalNumber: "FIPS01", Level: twinfed.LevelPrimary}}, At: at}, twinfed.ECONFLICT},
		{"score", CmdRecordNQL, NQLCommand{Label: twinfed.QualityLabel{ProjectID: "https://it.example/projects/1", Country: "IT", SchoolYear: "2025-2026", Score: 31}, At: at}, twinfed.EINVALID},
		{"prize without EQL", CmdPutPrize, PrizeCommand{Entry: twinfed.PrizeEntry{Year: 2026, Category: twinfed.Prize12to15, ProjectID: "https://it.example/projects/1", Country: "IT"}, At: at}, twinfed.ECONFLICT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := dump(t, f)
			res := mustApply(t, f, tt.t, tt.cmd)
			if twinfed.ErrorCode(errOrNil(res.Err)) != tt.code {
				t.Fatalf("got %v, want code %s", res.Err, tt.code)
			}
			if after := dump(t, f); !bytes.Equal(before, after) {
				t.Fatalf("a refused command changed the state")
			}
		})
	}
}

func errOrNil(e *twinfed.Error) error {
	if e == nil {
		return nil
	}
	return e
}

// dump returns the mirrored state (not the applied index).
func dump(tb testing.TB, f *FSM) []byte {
	var buf bytes.Buffer
	_ = f.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if !mirrored(it.Item().Key()) {
				continue
			}
			buf.Write(it.Item().Key())
			v, _ := it.Item().ValueCopy(nil)
			buf.Write(v)
		}
		return nil
	})
	return buf.Bytes()
}

func TestFSM_UnknownCommandIsSkipped(t *testing.T) {
	f := MustOpenFSM(t)
	before := dump(t, f)
	index++
	res := f.Apply(&raft.Log{Index: index, Type: raft.LogCommand, Data: []byte{250, '{', '}'}}).(*ApplyResult)
	if res.Err == nil || res.Err.Code != twinfed.EINVALID {
		t.Fatalf("unknown command: %+v", res)
	}
	if f.Applied() != index {
		t.Fatalf("applied index %d, want %d", f.Applied(), index)
	}
	if !bytes.Equal(before, dump(t, f)) {
		t.Fatal("an unknown command changed the state")
	}
}

func TestFSM_UndecodableEntryPanics(t *testing.T) {
	f := MustOpenFSM(t)
	defer func() {
		if recover() == nil {
			t.Fatal("an undecodable entry of a known type must stop the member")
		}
	}()
	index++
	f.Apply(&raft.Log{Index: index, Type: raft.LogCommand, Data: []byte{byte(CmdPutSchool), '{'}})
}

func TestFSM_EuropeanLabel(t *testing.T) {
	f := MustOpenFSM(t)
	mustApply(t, f, CmdSeedCountries, SeedCommand{Countries: twinfed.SeedCountries(), At: at})
	p := "https://it.example/projects/7"
	for _, c := range []string{"IT", "IT", "FR"} {
		if res := mustApply(t, f, CmdRecordNQL, NQLCommand{Label: twinfed.QualityLabel{ProjectID: p, Country: c, SchoolYear: "2025-2026", Score: 25}, By: c, At: at}); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	var e *twinfed.EuropeanLabel
	_ = f.db.View(func(txn *badger.Txn) error { _, e, _ = readProjectLabels(txn, p); return nil })
	if e == nil || e.Status != twinfed.EQLEligible || len(e.Countries) != 2 {
		t.Fatalf("eligible: %+v", e)
	}
	if res := mustApply(t, f, CmdConfirmEQL, ConfirmEQLCommand{SchoolYear: "2025-2026", At: at}); res.Err != nil || res.Count != 1 {
		t.Fatalf("confirm: %+v", res)
	}
	entry := twinfed.PrizeEntry{Year: 2026, Category: twinfed.Prize12to15, ProjectID: p, Country: "IT"}
	if res := mustApply(t, f, CmdPutPrize, PrizeCommand{Entry: entry, At: at}); res.Err != nil {
		t.Fatalf("prize: %v", res.Err)
	}
	entry.Category = twinfed.Prize16to19
	if res := mustApply(t, f, CmdPutPrize, PrizeCommand{Entry: entry, At: at}); res.Err == nil || res.Err.Code != twinfed.ECONFLICT {
		t.Fatalf("second prize entry: %+v", res.Err)
	}
}

func TestFSM_SnapshotRestore(t *testing.T) {
	f := MustOpenFSM(t)
	mustApply(t, f, CmdSeedCountries, SeedCommand{Countries: twinfed.SeedCountries(), At: at})
	mustApply(t, f, CmdImportSchools, ImportCommand{Schools: []twinfed.School{{Country: "ES", LegalName: "CEIP Sol", Level: twinfed.LevelPrimary}}, At: at})
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	want, wantIndex := dump(t, f), index
	// Writes after Snapshot are not in it.
	mustApply(t, f, CmdImportSchools, ImportCommand{Schools: []twinfed.School{{Country: "ES", LegalName: "CEIP Luna", Level: twinfed.LevelPrimary}}, At: at})
	sink := persisted(t, snap)
	g := MustOpenFSM(t)
	mustApply(t, g, CmdSeedCountries, SeedCommand{Countries: twinfed.SeedCountries()[:1], At: at}) // dropped by Restore
	if err := g.Restore(io.NopCloser(bytes.NewReader(sink.Bytes()))); err != nil {
		t.Fatal(err)
	}
	if got := dump(t, g); !bytes.Equal(got, want) {
		t.Fatal("restored state differs from the snapshot's")
	}
	if g.Applied() != wantIndex {
		t.Fatalf("restored applied index %d, want %d", g.Applied(), wantIndex)
	}
	var s twinfed.School
	_ = g.db.View(func(txn *badger.Txn) error { return getJSON(txn, pSchool+"ES-00000001", &s) })
	if s.LegalName != "CEIP Sol" {
		b, _ := json.Marshal(s)
		t.Fatalf("restored school: %s", b)
	}
}

type memSink struct{ bytes.Buffer }

// persisted writes snap into a memSink and releases it.
func persisted(t *testing.T, snap raft.FSMSnapshot) *memSink {
	t.Helper()
	sink := &memSink{}
	if err := snap.Persist(sink); err != nil {
		t.Fatal(err)
	}
	snap.Release()
	return sink
}

func (m *memSink) ID() string    { return "mem" }
func (m *memSink) Cancel() error { return nil }
func (m *memSink) Close() error  { return nil }

func TestFSM_KeyedCommandIsAppliedOnce(t *testing.T) {
	f := MustOpenFSM(t)
	mustApply(t, f, CmdSeedCountries, SeedCommand{Countries: twinfed.SeedCountries(), At: at})
	put := func(id string, when time.Time, name string) *ApplyResult {
		t.Helper()
		cmd, err := EncodeCommand(CmdPutSchool, PutSchoolCommand{School: twinfed.School{Country: "FR", LegalName: name, Level: twinfed.LevelPrimary}, At: when})
		if err != nil {
			t.Fatal(err)
		}
		index++
		return f.Apply(&raft.Log{Index: index, Type: raft.LogCommand, Data: KeyedCommand(id, when, cmd)}).(*ApplyResult)
	}
	first := put("req-1", at, "École Jules Ferry")
	if first.Err != nil || first.School == nil || first.Replayed {
		t.Fatalf("first: %+v", first)
	}
	before := dump(t, f)
	again := put("req-1", at.Add(time.Minute), "École Jules Ferry")
	if !again.Replayed || again.Index != first.Index || again.School.ID != first.School.ID {
		t.Fatalf("the repeat is not the first result: first %+v, again %+v", first, again)
	}
	if !bytes.Equal(before, dump(t, f)) {
		t.Fatal("the repeat changed the state")
	}
	// Another id is another write; an id is forgotten after the window.
	other := put("req-2", at.Add(IdempotencyWindow+time.Second), "École Victor Hugo")
	if other.Replayed || other.School.ID == first.School.ID {
		t.Fatalf("another id: %+v", other)
	}
	late := put("req-1", at.Add(IdempotencyWindow+2*time.Second), "École Jules Ferry")
	if late.Replayed {
		t.Fatal("an id older than IdempotencyWindow was still remembered")
	}
	// A refusal is remembered too.
	dup := put("req-3", at.Add(IdempotencyWindow+3*time.Second), "")
	dupAgain := put("req-3", at.Add(IdempotencyWindow+4*time.Second), "")
	if dup.Err == nil || !dupAgain.Replayed || dupAgain.Err == nil || dupAgain.Err.Code != dup.Err.Code || dupAgain.Index != dup.Index {
		t.Fatalf("refusal: %+v then %+v", dup, dupAgain)
	}
}

// TestFSM_BatchIdsShareOneExpiryRecord checks a batch's request ids: the
// ids proposed at the same time share one expiry record, every one of them
// is remembered within the window (a repeat answers its first result) and
// every one is forgotten after it.
func TestFSM_BatchIdsShareOneExpiryRecord(t *testing.T) {
	f := MustOpenFSM(t)
	mustApply(t, f, CmdSeedCountries, SeedCommand{Countries: twinfed.SeedCountries(), At: at})
	keyed := func(id string, when time.Time, name string) []byte {
		t.Helper()
		cmd, err := EncodeCommand(CmdPutSchool, PutSchoolCommand{School: twinfed.School{Country: "FR", LegalName: name, Level: twinfed.LevelPrimary}, At: when})
		if err != nil {
			t.Fatal(err)
		}
		return KeyedCommand(id, when, cmd)
	}
	batch := func(cmds ...[]byte) *ApplyResult {
		t.Helper()
		index++
		res := f.Apply(&raft.Log{Index: index, Type: raft.LogCommand, Data: BatchCommand(cmds)}).(*ApplyResult)
		if res.Err != nil || len(res.Results) != len(cmds) {
			t.Fatalf("batch: %+v", res)
		}
		return res
	}
	expiryRecords := func() int { return countPrefix(t, f, pIdemExp) }
	later := at.Add(time.Second)
	first := batch(keyed("b-1", at, "École A"), keyed("b-2", at, "École B"), keyed("b-3", at, "École C"), keyed("b-4", later, "École D"))
	if n := expiryRecords(); n != 2 {
		t.Fatalf("%d expiry records for a batch of ids proposed at two times, want 2", n)
	}
	again := batch(keyed("b-3", at.Add(time.Minute), "École C"), keyed("b-1", at.Add(time.Minute), "École A"), keyed("b-4", at.Add(time.Minute), "École D"))
	for i, j := range []int{2, 0, 3} {
		if r := again.Results[i]; !r.Replayed || r.School.ID != first.Results[j].School.ID {
			t.Fatalf("repeat %d is not the first result: %+v", i, r)
		}
	}
	// After the window every id of both records is forgotten.
	after := at.Add(IdempotencyWindow + 2*time.Second)
	late := batch(keyed("b-5", after, "École E"), keyed("b-2", after, "École B"), keyed("b-4", after, "École D"))
	for i, r := range late.Results {
		if r.Replayed || r.Err != nil {
			t.Fatalf("write %d after the window: %+v", i, r)
		}
	}
	if n := expiryRecords(); n != 1 {
		t.Fatalf("%d expiry records after the window, want 1 (the last batch's)", n)
	}
	var ids int
	_ = f.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pIdem)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			ids++
		}
		return nil
	})
	if ids != 3 {
		t.Fatalf("%d request ids remembered after the window, want the last batch's 3", ids)
	}
}

// TestFSM_NatnumsFollowRestore checks the national-number index, which
// lives in memory: a restored FSM refuses a number a school of the
// snapshot holds and finds the school by it, drops what the snapshot does
// not hold, and ignores the sn/ keys older versions kept in the state.
func TestFSM_NatnumsFollowRestore(t *testing.T) {
	f := MustOpenFSM(t)
	mustApply(t, f, CmdSeedCountries, SeedCommand{Countries: twinfed.SeedCountries(), At: at})
	mustApply(t, f, CmdImportSchools, ImportCommand{Schools: []twinfed.School{{Country: "ES", LegalName: "CEIP Sol", NationalNumber: "E1", Level: twinfed.LevelPrimary}}, At: at})
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	sink := persisted(t, snap)
	// A snapshot of an older version also held the index as sn/ keys,
	// here a stale one: it must not come back.
	old, err := withKey(sink.Bytes(), pNatNum+"ES/E9", "ES-00000009")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"this version's snapshot": sink.Bytes(), "an older version's": old} {
		t.Run(name, func(t *testing.T) {
			g := MustOpenFSM(t)
			mustApply(t, g, CmdSeedCountries, SeedCommand{Countries: twinfed.SeedCountries(), At: at})
			mustApply(t, g, CmdImportSchools, ImportCommand{Schools: []twinfed.School{{Country: "ES", LegalName: "Gone", NationalNumber: "E2", Level: twinfed.LevelPrimary}}, At: at})
			if err := g.Restore(io.NopCloser(bytes.NewReader(data))); err != nil {
				t.Fatal(err)
			}
			if res := mustApply(t, g, CmdImportSchools, ImportCommand{Schools: []twinfed.School{{Country: "ES", LegalName: "x", NationalNumber: "E1", Level: twinfed.LevelPrimary}}, At: at}); res.Err == nil || res.Err.Code != twinfed.ECONFLICT {
				t.Fatalf("a number of the snapshot's school imported again: %+v", res.Err)
			}
			var found []*twinfed.School
			_ = g.View(func(txn *badger.Txn) (err error) {
				found, _, err = readFindSchools(txn, twinfed.SchoolFilter{Country: "ES", NationalNumber: "E1"}, g.natnum)
				return err
			})
			if len(found) != 1 || found[0].LegalName != "CEIP Sol" {
				t.Fatalf("found by number after the restore: %+v", found)
			}
			for _, number := range []string{"E2", "E9"} {
				if id := g.natnum("ES", number); id != "" {
					t.Fatalf("number %s names %s after the restore, a school the snapshot does not hold", number, id)
				}
			}
			if has := g.db.View(func(txn *badger.Txn) error {
				return scan(txn, pNatNum, func(k, _ []byte) error { return errors.New(string(k)) })
			}); has != nil {
				t.Fatalf("an sn/ key in the restored state: %v", has)
			}
			if res := mustApply(t, g, CmdImportSchools, ImportCommand{Schools: []twinfed.School{{Country: "ES", LegalName: "CEIP Mar", NationalNumber: "E2", Level: twinfed.LevelPrimary}}, At: at}); res.Err != nil {
				t.Fatalf("a number the snapshot does not hold was refused: %v", res.Err)
			}
		})
	}
}

// TestFSM_RequestIDsFollowRestore: the FSM skips the lookup of a request
// id it has no record of (FSM.idemIDs, in memory); a restored FSM must
// know the ids of the snapshot, and forget those the snapshot lacks.
func TestFSM_RequestIDsFollowRestore(t *testing.T) {
	keyed := func(f *FSM, id, name string) *ApplyResult {
		cmd, err := EncodeCommand(CmdPutSchoolV2, PutSchoolCommand{School: twinfed.School{Country: "ES", LegalName: name, Level: twinfed.LevelPrimary}, At: at})
		if err != nil {
			t.Fatal(err)
		}
		index++
		return f.Apply(&raft.Log{Index: index, Type: raft.LogCommand, Data: KeyedCommand(id, at, cmd)}).(*ApplyResult)
	}
	f := MustOpenFSM(t)
	mustApply(t, f, CmdSeedCountries, SeedCommand{Countries: twinfed.SeedCountries(), At: at})
	first := keyed(f, "req-1", "CEIP Uno")
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	sink := persisted(t, snap)

	g := MustOpenFSM(t)
	mustApply(t, g, CmdSeedCountries, SeedCommand{Countries: twinfed.SeedCountries(), At: at})
	keyed(g, "req-2", "CEIP Dos") // not in the snapshot
	if err := g.Restore(io.NopCloser(bytes.NewReader(sink.Bytes()))); err != nil {
		t.Fatal(err)
	}
	if again := keyed(g, "req-1", "CEIP Uno"); !again.Replayed || again.School == nil || again.School.ID != first.School.ID {
		t.Fatalf("a request id of the snapshot sent again after the restore: %+v", again)
	}
	if res := keyed(g, "req-2", "CEIP Dos"); res.Replayed || res.Err != nil {
		t.Fatalf("a request id the snapshot lacks: %+v", res)
	}
}
