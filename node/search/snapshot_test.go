package search

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

// sameAnswers runs the benchmark's searches and suggestions on both
// indexes and expects the same pages and totals.
func sameAnswers(t *testing.T, a, b *Index, n int) {
	t.Helper()
	for i := range 300 {
		if q := federation.query(i); q != nil {
			q.Limit = 30
			ra, errA := a.Search(*q)
			rb, errB := b.Search(*q)
			if errA != nil || errB != nil || ra.Total != rb.Total || !slices.Equal(ra.IDs, rb.IDs) {
				t.Fatalf("%+v: %d %v (%v), want %d %v (%v)", *q, ra.Total, ra.IDs, errA, rb.Total, rb.IDs, errB)
			}
			continue
		}
		p := genPopulation(i * 7919 % n)
		sa, errA := a.Suggest(p, nil, 10)
		sb, errB := b.Suggest(p, nil, 10)
		if errA != nil || errB != nil || !slices.Equal(sa, sb) {
			t.Fatalf("suggestions for %s: %v (%v), want %v (%v)", p.ID, sa, errA, sb, errB)
		}
	}
	ca, _ := a.Count()
	cb, _ := b.Count()
	if ca != cb {
		t.Fatalf("count %d, want %d", ca, cb)
	}
}

// TestSnapshot_RestoreAnswersAsTheOriginal saves an index with changed
// and removed profiles, restores it, and expects the same answers, then
// the same again after more changes on both (through a renumbering).
func TestSnapshot_RestoreAnswersAsTheOriginal(t *testing.T) {
	const n = 12000
	orig := New()
	b := orig.NewBatch()
	for i := range n {
		_ = b.Put(genPopulation(i))
	}
	for i := 0; i < n; i += 5 {
		if i%2 == 0 {
			b.Remove(genPopulation(i).ID)
		} else {
			p := genPopulation(i)
			p.Name = "Renamed Teacher"
			_ = b.Put(p)
		}
	}
	if err := orig.Apply(b); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := orig.Save(&buf); err != nil {
		t.Fatal(err)
	}
	restored := New()
	if err := restored.Restore(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	sameAnswers(t, restored, orig, n)
	if got := search(t, restored, Query{Text: "renamed teach"}); len(got) == 0 {
		t.Fatal("a restored index finds no prefix")
	}
	// More changes on both: a third of the profiles removed, so that both
	// renumber their documents.
	for _, ix := range []*Index{orig, restored} {
		b := ix.NewBatch()
		for i := 1; i < n; i += 2 {
			b.Remove(genPopulation(i).ID)
		}
		for i := n; i < n+500; i++ {
			_ = b.Put(genPopulation(i))
		}
		if err := ix.Apply(b); err != nil {
			t.Fatal(err)
		}
		if ix.dead != 0 {
			t.Fatalf("no renumbering: %d dead", ix.dead)
		}
	}
	sameAnswers(t, restored, orig, n)
}

// TestSnapshot_DamagedIsRefused flips a byte, cuts the end and changes the
// version: each is ErrSnapshot, and the index keeps what it held.
func TestSnapshot_DamagedIsRefused(t *testing.T) {
	orig := New()
	b := orig.NewBatch()
	for i := range 3000 {
		_ = b.Put(genPopulation(i))
	}
	if err := orig.Apply(b); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := orig.Save(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	flipped := slices.Clone(good)
	flipped[len(flipped)/2] ^= 0x10
	version := slices.Clone(good)
	version[len(snapshotMagic)]++
	for name, raw := range map[string][]byte{
		"a flipped byte": flipped, "cut": good[:len(good)-100], "another version": version, "empty": nil,
	} {
		ix := New()
		_ = ix.Put(genPopulation(99999))
		if err := ix.Restore(bytes.NewReader(raw)); !errors.Is(err, ErrSnapshot) {
			t.Errorf("%s: %v, want ErrSnapshot", name, err)
		}
		if c, _ := ix.Count(); c != 1 {
			t.Errorf("%s: the index holds %d profiles, want the 1 it had", name, c)
		}
	}
}
