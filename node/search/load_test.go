package search

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
)

func decodeJSON(raw []byte) (*twinfed.Profile, error) {
	var p twinfed.Profile
	err := json.Unmarshal(raw, &p)
	return &p, err
}

// eachJSON yields the JSON of profiles 0 to n-1 of the synthetic
// federation.
func eachJSON(n int) func(yield func([]byte) error) error {
	return func(yield func([]byte) error) error {
		for i := range n {
			b, err := json.Marshal(genPopulation(i))
			if err != nil {
				return err
			}
			if err := yield(b); err != nil {
				return err
			}
		}
		return nil
	}
}

// TestLoad_SameAsPuts builds an index with Load (decoded on every core)
// and another with batches of Put, and expects the same answers, in the
// same order, to the benchmark's searches.
func TestLoad_SameAsPuts(t *testing.T) {
	const n = 9001 // several chunks and a short last one
	loaded, put := New(), New()
	progress := 0
	got, err := loaded.Load(eachJSON(n), decodeJSON, func(k int) { progress += k })
	if err != nil || got != n || progress != n {
		t.Fatalf("Load: %d profiles (progress %d), %v; want %d", got, progress, err, n)
	}
	b := put.NewBatch()
	for i := range n {
		_ = b.Put(genPopulation(i))
	}
	if err := put.Apply(b); err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		q := federation.query(i)
		if q == nil {
			continue
		}
		q.Limit = 50
		a, errA := loaded.Search(*q)
		c, errC := put.Search(*q)
		if errA != nil || errC != nil || a.Total != c.Total || !slices.Equal(a.IDs, c.IDs) {
			t.Fatalf("%+v: loaded %d %v (%v), put %d %v (%v)", *q, a.Total, a.IDs, errA, c.Total, c.IDs, errC)
		}
	}
}

// TestLoad_StopsAtABadRecord expects the decoder's error, and the profiles
// of the chunks before the bad one.
func TestLoad_StopsAtABadRecord(t *testing.T) {
	ix := New()
	bad := errors.New("not a profile")
	n, err := ix.Load(func(yield func([]byte) error) error {
		for i := range 3 * loadChunk {
			raw := []byte(fmt.Sprintf(`{"id":"https://it.example/users/u%d","name":"U %d"}`, i, i))
			if i == loadChunk+5 {
				raw = []byte("{")
			}
			if err := yield(raw); err != nil {
				return err
			}
		}
		return nil
	}, func(raw []byte) (*twinfed.Profile, error) {
		if string(raw) == "{" {
			return nil, bad
		}
		return decodeJSON(raw)
	}, nil)
	if !errors.Is(err, bad) || n != loadChunk {
		t.Fatalf("Load: %d profiles, %v; want %d and the decoder's error", n, err, loadChunk)
	}
	if c, _ := ix.Count(); int(c) != loadChunk {
		t.Fatalf("count %d, want %d", c, loadChunk)
	}
}

// benchRebuild writes n profiles of the synthetic federation into a store
// as the directory keeps them (JSON under dp/), then builds an index from
// it as the directory does at a node's start (directory's rebuildIndex:
// one read transaction, decoded on every core), and reports how long the
// build took, and the CPU time it used (on every core: with two cores to
// itself, the build takes about half of it); then the time to write the
// index's snapshot, and to read it back as the next start does.
func benchRebuild(b *testing.B, n int) {
	st, err := store.Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	wb := st.DB().NewWriteBatch()
	for i := range n {
		p := genPopulation(i)
		raw, err := json.Marshal(p)
		if err != nil {
			b.Fatal(err)
		}
		if err := wb.Set([]byte(store.PrefixDirProfile+p.ID), raw); err != nil {
			b.Fatal(err)
		}
	}
	if err := wb.Flush(); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	ix := New()
	defer ix.Close()
	start, cpu := time.Now(), processCPU()
	var got int
	err = st.View(func(txn *badger.Txn) error {
		got, err = ix.Load(func(yield func(raw []byte) error) error {
			opts := badger.DefaultIteratorOptions
			opts.Prefix = []byte(store.PrefixDirProfile)
			it := txn.NewIterator(opts)
			defer it.Close()
			for it.Rewind(); it.Valid(); it.Next() {
				if err := it.Item().Value(yield); err != nil {
					return err
				}
			}
			return nil
		}, decodeJSON, nil)
		return err
	})
	took, cpu := time.Since(start), processCPU()-cpu
	if c, _ := ix.Count(); err != nil || int(c) != n {
		b.Fatalf("rebuild: %d profiles indexed of %d (%d distinct), %v", got, n, c, err)
	}
	b.ReportMetric(took.Seconds(), "rebuild-s")
	b.ReportMetric(cpu.Seconds(), "rebuild-cpu-s")
	// The snapshot a clean stop writes, and the next start reads.
	path := b.TempDir() + "/directory.snapshot"
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	start = time.Now()
	if err = ix.Save(f); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	saved := time.Since(start)
	if err != nil {
		b.Fatal(err)
	}
	fi, _ := os.Stat(path)
	ix.Close()
	runtime.GC()
	f, err = os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	again := New()
	defer again.Close()
	start = time.Now()
	if err := again.Restore(f); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(time.Since(start).Seconds(), "snapshot-read-s")
	b.ReportMetric(saved.Seconds(), "snapshot-write-s")
	b.ReportMetric(float64(fi.Size())/(1<<20), "snapshot-MiB")
}
