package consensus

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
)

// mirroredState returns the state's mirrored keys and values.
func mirroredState(tb testing.TB, f *FSM) map[string]string {
	tb.Helper()
	out := map[string]string{}
	_ = f.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if mirrored(it.Item().Key()) {
				v, _ := it.Item().ValueCopy(nil)
				out[string(it.Item().Key())] = string(v)
			}
		}
		return nil
	})
	return out
}

// feedKeysKept counts the keys the x/ records list.
func feedKeysKept(tb testing.TB, f *FSM) (records, keys int) {
	tb.Helper()
	_ = f.db.View(func(txn *badger.Txn) error {
		return scan(txn, pChange, func(_, v []byte) error {
			records++
			keys += countKeys(v)
			return nil
		})
	})
	return records, keys
}

// follow reads the feed as a client cache does: the whole state in pages
// from since=0, then the changes after the first page's index.
func follow(tb testing.TB, f *FSM, mirror map[string]string, since uint64, page int) uint64 {
	tb.Helper()
	if since == 0 {
		after, first := "", uint64(0)
		for {
			cs, err := f.changes(0, after, page)
			if err != nil {
				tb.Fatal(err)
			}
			if after == "" {
				first = cs.Index
			}
			if len(cs.Changes) > page {
				tb.Fatalf("a page of %d keys, limit %d", len(cs.Changes), page)
			}
			for _, c := range cs.Changes {
				mirror[c.Key] = string(c.Value)
			}
			if cs.Next == "" {
				since = first
				break
			}
			after = cs.Next
		}
	}
	for {
		cs, err := f.changes(since, "", page)
		if err != nil {
			tb.Fatalf("changes since %d: %v", since, err)
		}
		for _, c := range cs.Changes {
			if c.Deleted {
				delete(mirror, c.Key)
			} else {
				mirror[c.Key] = string(c.Value)
			}
		}
		if cs.Index == since || len(cs.Changes) == 0 {
			return cs.Index
		}
		since = cs.Index
	}
}

func TestFSM_ChangeFeedKeepsABoundedWindow(t *testing.T) {
	f := MustOpenFSM(t)
	f.feedWindow = 40
	mustApply(t, f, CmdSeedCountries, SeedCommand{Countries: twinfed.SeedCountries(), At: at}) // 46 keys at once
	var ids []string
	for i := range 30 {
		res := mustApply(t, f, CmdPutSchoolV2, PutSchoolCommand{School: twinfed.School{Country: "IT", LegalName: fmt.Sprintf("Scuola %d", i),
			NationalNumber: fmt.Sprintf("N%d", i), Level: twinfed.LevelPrimary}, At: at})
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		ids = append(ids, res.School.ID)
		if _, keys := feedKeysKept(t, f); keys > 40 {
			t.Fatalf("after write %d the feed keeps %d keys, window 40", i, keys)
		}
	}
	var floor uint64
	_ = f.db.View(func(txn *badger.Txn) error { floor, _ = getUint(txn, kFeedFloor); return nil })
	if floor <= 1 || floor >= f.Applied() {
		t.Fatalf("feed floor %d, applied %d", floor, f.Applied())
	}

	// A reader behind the floor is told to reload; one at the floor is not.
	var gone feedGone
	if _, err := f.changes(floor-1, "", MaxChanges); !errors.As(err, &gone) || gone.floor != floor {
		t.Fatalf("since %d below floor %d: %v", floor-1, floor, err)
	}
	if _, err := f.changes(floor, "", MaxChanges); err != nil {
		t.Fatalf("since the floor: %v", err)
	}

	// Reloading in small pages and following the feed rebuilds the state,
	// including a change and a deletion made after the load.
	mirror := map[string]string{}
	since := follow(t, f, mirror, 0, 7)
	if want := mirroredState(t, f); !maps.Equal(mirror, want) {
		t.Fatalf("the reloaded copy has %d keys, the state %d", len(mirror), len(want))
	}
	mustApply(t, f, CmdPutSchoolV2, PutSchoolCommand{School: twinfed.School{ID: ids[3], Country: "IT", LegalName: "Scuola rinominata", Level: twinfed.LevelPrimary}, At: at})
	follow(t, f, mirror, since, 7)
	want := mirroredState(t, f)
	if _, ok := want[pNatNum+"IT/N3"]; ok {
		t.Fatal("the old national number is still indexed")
	}
	if !maps.Equal(mirror, want) {
		t.Fatal("the copy following the feed differs from the state")
	}

	// The window and floor survive a snapshot and restore.
	snap, _ := f.Snapshot()
	sink := persisted(t, snap)
	g := MustOpenFSM(t)
	g.feedWindow = 40
	if err := g.Restore(io.NopCloser(bytes.NewReader(sink.Bytes()))); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		mustApply(t, g, CmdPutSchoolV2, PutSchoolCommand{School: twinfed.School{Country: "FR", LegalName: fmt.Sprintf("École %d", i), Level: twinfed.LevelPrimary}, At: at})
		if _, keys := feedKeysKept(t, g); keys > 40 {
			t.Fatalf("after a restore the feed keeps %d keys, window 40", keys)
		}
	}
}
