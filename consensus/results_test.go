package consensus

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/hashicorp/raft"
	"github.com/twinfed/twinfed"
)

// countPrefix returns how many keys of f's state start with prefix.
func countPrefix(tb testing.TB, f *FSM, prefix string) int {
	tb.Helper()
	n := 0
	_ = f.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	return n
}

// keyedSchool is the keyed command creating a school named name of
// country, proposed at when with the request id id.
func keyedSchool(tb testing.TB, id string, when time.Time, country, name string) []byte {
	tb.Helper()
	cmd, err := EncodeCommand(CmdPutSchoolV2, PutSchoolCommand{School: twinfed.School{Country: country, LegalName: name, Level: twinfed.LevelPrimary}, At: when})
	if err != nil {
		tb.Fatal(err)
	}
	return KeyedCommand(id, when, cmd)
}

// applyEntry applies the entry data at the next index and returns its
// result, which must have one result a write.
func applyEntry(tb testing.TB, f *FSM, data []byte, writes int) *ApplyResult {
	tb.Helper()
	index++
	res := f.Apply(&raft.Log{Index: index, Type: raft.LogCommand, Data: data}).(*ApplyResult)
	if res.Err != nil || len(res.Results) != writes {
		tb.Fatalf("entry %d: %+v", index, res)
	}
	return res
}

// TestFSM_BatchV2OneResultRecordAnEntry checks the CmdBatchV2 entries:
// their writes' request ids and results take one result record an entry
// (one more for writes proposed at another time) and no m/k/ or m/ke/
// key; a repeated id answers its first result, whether it comes in the
// same entry, a later one, a CmdBatch or alone; a restored FSM still
// knows them; all are forgotten after the window with their records.
func TestFSM_BatchV2OneResultRecordAnEntry(t *testing.T) {
	f := MustOpenFSM(t)
	mustApply(t, f, CmdSeedCountries, SeedCommand{Countries: twinfed.SeedCountries(), At: at})
	later := at.Add(time.Second)
	first := applyEntry(t, f, BatchCommandV2([][]byte{
		keyedSchool(t, "v2-1", at, "FR", "École A"), keyedSchool(t, "v2-2", at, "FR", "École B"),
		keyedSchool(t, "v2-1", at, "FR", "École A"), // the same id again in the same entry
		keyedSchool(t, "v2-3", later, "FR", "École C"), keyedSchool(t, "v2-4", at, "XX", "École Refusée"),
	}), 5)
	if r := first.Results[2]; !r.Replayed || r.School == nil || r.School.ID != first.Results[0].School.ID {
		t.Fatalf("an id repeated in its own entry: %+v", r)
	}
	if first.Results[4].Err == nil {
		t.Fatalf("a school of an unknown country was accepted: %+v", first.Results[4])
	}
	if n := countPrefix(t, f, pResults); n != 3 {
		t.Fatalf("%d result records for writes proposed at three times in turn, want 3", n)
	}
	if n, m := countPrefix(t, f, pIdem), countPrefix(t, f, pIdemExp); n != 0 || m != 0 {
		t.Fatalf("%d m/k/ and %d m/ke/ keys after a CmdBatchV2, want none", n, m)
	}

	// Repeats in a later V2 entry, a CmdBatch and a write alone.
	soon := at.Add(time.Minute)
	again := applyEntry(t, f, BatchCommandV2([][]byte{keyedSchool(t, "v2-3", soon, "FR", "École C"), keyedSchool(t, "v2-4", soon, "XX", "École Refusée")}), 2)
	if r := again.Results[0]; !r.Replayed || r.Index != first.Index || r.School.ID != first.Results[3].School.ID {
		t.Fatalf("a repeat in a later entry: %+v", r)
	}
	if r := again.Results[1]; !r.Replayed || r.Err == nil || r.Err.Code != first.Results[4].Err.Code {
		t.Fatalf("a refusal repeated: %+v", r)
	}
	old := applyEntry(t, f, BatchCommand([][]byte{keyedSchool(t, "v2-2", soon, "FR", "École B")}), 1)
	if r := old.Results[0]; !r.Replayed || r.School.ID != first.Results[1].School.ID {
		t.Fatalf("a repeat in a CmdBatch: %+v", r)
	}
	index++
	alone := f.Apply(&raft.Log{Index: index, Type: raft.LogCommand, Data: keyedSchool(t, "v2-1", soon, "FR", "École A")}).(*ApplyResult)
	if !alone.Replayed || alone.School.ID != first.Results[0].School.ID {
		t.Fatalf("a repeat alone: %+v", alone)
	}
	// An id a CmdBatch remembered (m/k/) repeated in a CmdBatchV2.
	oldFirst := applyEntry(t, f, BatchCommand([][]byte{keyedSchool(t, "v1-1", soon, "FR", "École D")}), 1)
	mixed := applyEntry(t, f, BatchCommandV2([][]byte{keyedSchool(t, "v1-1", soon, "FR", "École D")}), 1)
	if r := mixed.Results[0]; !r.Replayed || r.School.ID != oldFirst.Results[0].School.ID {
		t.Fatalf("an id of a CmdBatch repeated in a CmdBatchV2: %+v", r)
	}

	// A restored FSM knows the ids of the snapshot's records.
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	sink := persisted(t, snap)
	g := MustOpenFSM(t)
	if err := g.Restore(io.NopCloser(bytes.NewReader(sink.Bytes()))); err != nil {
		t.Fatal(err)
	}
	restored := applyEntry(t, g, BatchCommandV2([][]byte{keyedSchool(t, "v2-2", soon, "FR", "École B")}), 1)
	if r := restored.Results[0]; !r.Replayed || r.School.ID != first.Results[1].School.ID {
		t.Fatalf("a repeat after a restore: %+v", r)
	}

	// After the window every id is forgotten, with its record.
	after := at.Add(IdempotencyWindow + 2*time.Second)
	late := applyEntry(t, f, BatchCommandV2([][]byte{keyedSchool(t, "v2-5", after, "FR", "École E"), keyedSchool(t, "v2-1", after, "FR", "École A"),
		keyedSchool(t, "v2-3", after, "FR", "École C")}), 3)
	for i, r := range late.Results {
		if r.Replayed || r.Err != nil {
			t.Fatalf("write %d after the window: %+v", i, r)
		}
	}
	if n := countPrefix(t, f, pResults); n != 1 {
		t.Fatalf("%d result records after the window, want the last entry's", n)
	}
	if len(f.idemRecs) != 3 || len(f.idemMore) != 0 {
		t.Fatalf("%d request ids of result records in memory (%d more), want the last entry's 3", len(f.idemRecs), len(f.idemMore))
	}
}

// TestFSM_ResultRecordsShareAHash: two request ids of the same hash in
// FSM.idemRecs (forced here; a 64-bit hash collision otherwise) are each
// answered from their own record and forgotten one by one.
func TestFSM_ResultRecordsShareAHash(t *testing.T) {
	f := MustOpenFSM(t)
	mustApply(t, f, CmdSeedCountries, SeedCommand{Countries: twinfed.SeedCountries(), At: at})
	a := applyEntry(t, f, BatchCommandV2([][]byte{keyedSchool(t, "h-1", at, "FR", "École A")}), 1)
	b := applyEntry(t, f, BatchCommandV2([][]byte{keyedSchool(t, "h-2", at.Add(time.Minute), "FR", "École B")}), 1)
	// Put h-2's record under h-1's hash too, as a collision would.
	refB := f.idemRecs[idemHash("h-2")]
	f.addRecordRef(idemHash("h-1"), refB)
	f.addRecordRef(idemHash("h-2"), f.idemRecs[idemHash("h-1")])
	soon := at.Add(2 * time.Minute)
	again := applyEntry(t, f, BatchCommandV2([][]byte{keyedSchool(t, "h-2", soon, "FR", "École B"), keyedSchool(t, "h-1", soon, "FR", "École A")}), 2)
	if again.Results[0].School.ID != b.Results[0].School.ID || again.Results[1].School.ID != a.Results[0].School.ID || !again.Results[0].Replayed || !again.Results[1].Replayed {
		t.Fatalf("ids sharing a hash: %+v %+v", again.Results[0], again.Results[1])
	}
	f.dropRecordRef(idemHash("h-1"), f.idemRecs[idemHash("h-1")])
	if got := f.idemRecs[idemHash("h-1")]; got != refB || len(f.idemMore[idemHash("h-1")]) != 0 {
		t.Fatalf("after dropping one of two records of a hash: %+v, more %v", got, f.idemMore[idemHash("h-1")])
	}
}
