package search

import (
	"bytes"
	"hash/maphash"
	"math/bits"
	"slices"
)

// The index's memory is a few large arrays rather than a struct, a map
// entry and a string per profile and per term: at 1.2 million profiles
// (issue 18) the pointers and headers of the earlier design cost more than
// the data, and the garbage collector walked them all.

// strtab numbers strings in the order they are added, keeps them end to end
// in one buffer, and finds them through an open-addressing hash table of
// their numbers (linear probing): about 4 bytes of table and 4 of offset per
// string beside its bytes, where a map[string]uint32 and its strings took
// some 70. An entry can be dropped from the table (a removed profile) while
// its bytes stay until the owner renumbers.
type strtab struct {
	seed  maphash.Seed
	text  []byte
	end   []uint32 // entry i is text[end[i-1]:end[i]] (from 0 for entry 0)
	slots []uint32 // entry number + 1; 0 is an empty slot
	used  int      // entries in slots
}

func newStrtab() strtab { return strtab{seed: maphash.MakeSeed()} }

// len is the number of entries ever added (found or not).
func (t *strtab) len() int { return len(t.end) }

func (t *strtab) bytes(i uint32) []byte {
	start := uint32(0)
	if i > 0 {
		start = t.end[i-1]
	}
	return t.text[start:t.end[i]]
}

func (t *strtab) str(i uint32) string { return string(t.bytes(i)) }

func (t *strtab) hash(b []byte) uint64 { return maphash.Bytes(t.seed, b) }

// find returns the number of the entry s that is in the table.
func (t *strtab) find(s string) (uint32, bool) {
	if t.used == 0 {
		return 0, false
	}
	mask := uint64(len(t.slots) - 1)
	for h := maphash.String(t.seed, s) & mask; ; h = (h + 1) & mask {
		e := t.slots[h]
		if e == 0 {
			return 0, false
		}
		if string(t.bytes(e-1)) == s {
			return e - 1, true
		}
	}
}

// add appends s as a new entry and puts it in the table (where no entry
// equal to s is: the caller removed or did not find it).
func (t *strtab) add(s string) uint32 {
	i := uint32(len(t.end))
	t.text = append(t.text, s...)
	t.end = append(t.end, uint32(len(t.text)))
	t.index(i)
	return i
}

// index puts entry i in the table (where no equal entry is).
func (t *strtab) index(i uint32) {
	if (t.used+1)*4 > len(t.slots)*3 {
		t.grow()
	}
	t.place(i)
	t.used++
}

func (t *strtab) place(i uint32) {
	mask := uint64(len(t.slots) - 1)
	h := t.hash(t.bytes(i)) & mask
	for t.slots[h] != 0 {
		h = (h + 1) & mask
	}
	t.slots[h] = i + 1
}

func (t *strtab) grow() {
	old := t.slots
	t.slots = make([]uint32, max(1024, 2*len(old)))
	for _, e := range old {
		if e != 0 {
			t.place(e - 1)
		}
	}
}

// drop takes entry i out of the table (its bytes stay), shifting back the
// entries that probed past it so that no tombstone is needed.
func (t *strtab) drop(i uint32) {
	mask := uint64(len(t.slots) - 1)
	h := t.hash(t.bytes(i)) & mask
	for t.slots[h] != i+1 {
		if t.slots[h] == 0 {
			return
		}
		h = (h + 1) & mask
	}
	t.used--
	hole := h
	for j := (h + 1) & mask; t.slots[j] != 0; j = (j + 1) & mask {
		home := t.hash(t.bytes(t.slots[j]-1)) & mask
		// The entry at j stays unless its home lies cyclically outside
		// (hole, j]: then the hole is on its probe path.
		if hole <= j && hole < home && home <= j || hole > j && (hole < home || home <= j) {
			continue
		}
		t.slots[hole] = t.slots[j]
		hole = j
	}
	t.slots[hole] = 0
}

// posting is the documents holding a term, in one of two forms chosen by
// density: a sorted list of document numbers while the term is held by
// fewer than one document in 32 (4 bytes a holder is less than a bit a
// document), a bitset above. A changed profile gets a new number, so both
// only ever grow at their end.
type posting struct {
	// df counts the documents added since the last renumbering, removed
	// ones included (as the earlier []uint32 lists did): the word's rarity
	// in the ranking.
	df   uint32
	docs []uint32 // sparse form
	bits bitset   // dense form; nil while sparse
}

// dense reports whether a term held by df of n documents is worth a
// bitset: from one in 32 documents (and 64 of them) on.
func dense(df, n int) bool { return df >= 64 && df*32 >= n }

func (p *posting) add(n uint32, docs int) {
	p.df++
	if p.bits != nil {
		p.bits.set(n)
		return
	}
	p.docs = append(p.docs, n)
	if dense(len(p.docs), docs) {
		p.toBits()
	}
}

func (p *posting) toBits() {
	b := make(bitset, 0, (int(p.docs[len(p.docs)-1])+64)/64)
	for _, n := range p.docs {
		b.set(n)
	}
	p.bits, p.docs = b, nil
}

func (p *posting) toDocs() {
	docs := make([]uint32, 0, p.df)
	p.bits.each(func(n uint32) { docs = append(docs, n) })
	p.bits, p.docs = nil, docs
}

// reshape chooses the form again for a document count that has grown (a
// term dense among the first profiles may be sparse among all of them):
// from dense back to sparse below one in 64, so that a term does not flip
// to and fro.
func (p *posting) reshape(docs int) {
	switch {
	case p.bits != nil && p.df*64 < uint32(docs):
		p.toDocs()
	case p.bits == nil && dense(len(p.docs), docs):
		p.toBits()
	}
}

// andInto narrows cand to the posting's documents; tmp is scratch of
// cand's length.
func (p *posting) andInto(cand, tmp bitset) {
	if p.bits != nil {
		cand.and(p.bits)
		return
	}
	clear(tmp)
	for _, n := range p.docs {
		if cand.has(n) {
			tmp[n/64] |= 1 << (n % 64)
		}
	}
	copy(cand, tmp)
}

// orInto adds the posting's documents to b, within b's length.
func (p *posting) orInto(b bitset) {
	if p.bits != nil {
		b.or(p.bits)
		return
	}
	for _, n := range p.docs {
		if int(n/64) < len(b) {
			b[n/64] |= 1 << (n % 64)
		}
	}
}

// bitset is a set of document numbers.
type bitset []uint64

func (b *bitset) set(n uint32) {
	w := int(n / 64)
	if w >= len(*b) {
		if w < cap(*b) {
			*b = (*b)[:w+1]
		} else {
			*b = append(*b, make([]uint64, w+1-len(*b))...)
		}
	}
	(*b)[w] |= 1 << (n % 64)
}

func (b bitset) clear(n uint32) {
	if w := int(n / 64); w < len(b) {
		b[w] &^= 1 << (n % 64)
	}
}

func (b bitset) has(n uint32) bool {
	w := int(n / 64)
	return w < len(b) && b[w]&(1<<(n%64)) != 0
}

// and keeps in b only what o holds (o may be shorter: its missing words
// are empty).
func (b bitset) and(o bitset) {
	n := min(len(b), len(o))
	for i := range n {
		b[i] &= o[i]
	}
	clear(b[n:])
}

// or adds what o holds to b, within b's length.
func (b bitset) or(o bitset) {
	for i := range min(len(b), len(o)) {
		b[i] |= o[i]
	}
}

func (b bitset) count() int {
	c := 0
	for _, w := range b {
		c += bits.OnesCount64(w)
	}
	return c
}

func (b bitset) each(f func(uint32)) {
	for i, w := range b {
		for w != 0 {
			t := bits.TrailingZeros64(w)
			f(uint32(i*64 + t))
			w &= w - 1
		}
	}
}

// wordTable is the text terms in the order of their strings, for prefix
// search: "ross" finds the terms from "n:ross" up to the first that does
// not start with it, by binary search. New terms wait in a short unsorted
// tail that is merged in once it holds 2,048.
type wordTable struct {
	sorted []uint32
	tail   []uint32
}

const wordTail = 2048

func (w *wordTable) add(terms *strtab, t uint32) {
	w.tail = append(w.tail, t)
	if len(w.tail) >= wordTail {
		w.merge(terms)
	}
}

func (w *wordTable) merge(terms *strtab) {
	cmp := func(a, b uint32) int { return bytes.Compare(terms.bytes(a), terms.bytes(b)) }
	slices.SortFunc(w.tail, cmp)
	out := make([]uint32, 0, len(w.sorted)+len(w.tail))
	i, j := 0, 0
	for i < len(w.sorted) && j < len(w.tail) {
		if cmp(w.sorted[i], w.tail[j]) <= 0 {
			out = append(out, w.sorted[i])
			i++
		} else {
			out = append(out, w.tail[j])
			j++
		}
	}
	out = append(append(out, w.sorted[i:]...), w.tail[j:]...)
	w.sorted, w.tail = out, w.tail[:0]
}

// longer calls f for every term that starts with prefix and is longer
// than it: terms in order of their strings, then the tail's.
func (w *wordTable) longer(terms *strtab, prefix string, f func(t uint32)) {
	pb := []byte(prefix)
	i, _ := slices.BinarySearchFunc(w.sorted, pb, func(t uint32, p []byte) int { return bytes.Compare(terms.bytes(t), p) })
	for ; i < len(w.sorted); i++ {
		b := terms.bytes(w.sorted[i])
		if !bytes.HasPrefix(b, pb) {
			break
		}
		if len(b) > len(pb) {
			f(w.sorted[i])
		}
	}
	for _, t := range w.tail {
		if b := terms.bytes(t); len(b) > len(pb) && bytes.HasPrefix(b, pb) {
			f(t)
		}
	}
}
