package search

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
)

// A snapshot is the index written as its arrays are held, so that a node
// can start from it in about a second instead of decoding and analysing
// every profile again (issue 18: 1.2 million profiles). Its owner decides
// when one is current (the directory ties it to its store); Restore only
// checks that the bytes are whole: a version, the lengths, and a CRC-32C of
// everything.

// snapshotMagic starts every snapshot; snapshotVersion changes with the
// layout (or with the analysis of profiles: a snapshot of another version
// is rebuilt, not read).
const (
	snapshotMagic   = "twinfed search index\n"
	snapshotVersion = 1
)

// ErrSnapshot is returned by Restore for bytes that are not a whole
// snapshot of this version.
var ErrSnapshot = errors.New("search: not a whole index snapshot of this version")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// snapWriter writes little-endian numbers and keeps the checksum.
type snapWriter struct {
	w   *bufio.Writer
	sum hash.Hash32
	buf []byte
	err error
}

func (s *snapWriter) bytes(b []byte) {
	if s.err != nil {
		return
	}
	s.sum.Write(b)
	_, s.err = s.w.Write(b)
}

func (s *snapWriter) u64(v uint64) { s.bytes(binary.LittleEndian.AppendUint64(s.buf[:0], v)) }

func (s *snapWriter) blob(b []byte) {
	s.u64(uint64(len(b)))
	s.bytes(b)
}

func (s *snapWriter) u32s(v []uint32) {
	s.u64(uint64(len(v)))
	for len(v) > 0 {
		n := min(len(v), 4096)
		s.buf = s.buf[:0]
		for _, x := range v[:n] {
			s.buf = binary.LittleEndian.AppendUint32(s.buf, x)
		}
		s.bytes(s.buf)
		v = v[n:]
	}
}

func (s *snapWriter) u64s(v []uint64) {
	s.u64(uint64(len(v)))
	for len(v) > 0 {
		n := min(len(v), 2048)
		s.buf = s.buf[:0]
		for _, x := range v[:n] {
			s.buf = binary.LittleEndian.AppendUint64(s.buf, x)
		}
		s.bytes(s.buf)
		v = v[n:]
	}
}

// Save writes a snapshot of the index to w.
func (x *Index) Save(w io.Writer) error {
	x.mu.Lock() // Save merges the words' tail
	defer x.mu.Unlock()
	x.words.merge(&x.terms)
	s := &snapWriter{w: bufio.NewWriterSize(w, 1<<16), sum: crc32.New(castagnoli), buf: make([]byte, 0, 1<<15)}
	s.bytes([]byte(snapshotMagic))
	s.u64(snapshotVersion)
	s.blob(x.ids.text)
	s.u32s(x.ids.end)
	updated := make([]uint64, len(x.updated))
	for i, v := range x.updated {
		updated[i] = uint64(v)
	}
	s.u64s(updated)
	s.u64s(x.alive)
	s.u64(uint64(x.dead))
	s.blob(x.terms.text)
	s.u32s(x.terms.end)
	for i := range x.post {
		p := &x.post[i]
		s.u64(uint64(p.df))
		if p.bits != nil {
			s.u64(1)
			s.u64s(p.bits)
		} else {
			s.u64(0)
			s.u32s(p.docs)
		}
	}
	s.u32s(x.words.sorted)
	s.u64(uint64(x.shapedAt))
	if s.err != nil {
		return s.err
	}
	if _, err := s.w.Write(binary.LittleEndian.AppendUint32(nil, s.sum.Sum32())); err != nil {
		return err
	}
	return s.w.Flush()
}

// snapReader reads what snapWriter wrote; the first problem sticks.
type snapReader struct {
	r   *bufio.Reader
	sum hash.Hash32
	buf []byte
	err error
}

func (s *snapReader) fail(err error) {
	if s.err == nil {
		s.err = err
	}
}

func (s *snapReader) bytes(n uint64) []byte {
	if s.err != nil {
		return nil
	}
	if n > math.MaxInt32 {
		s.fail(fmt.Errorf("%w: a length of %d", ErrSnapshot, n))
		return nil
	}
	// Read in steps, so that a corrupt length fails at the end of the
	// bytes rather than by allocating it.
	var out []byte
	for n > 0 {
		k := min(n, 1<<20)
		start := len(out)
		out = append(out, make([]byte, k)...)
		if _, err := io.ReadFull(s.r, out[start:]); err != nil {
			s.fail(fmt.Errorf("%w: %v", ErrSnapshot, err))
			return nil
		}
		n -= k
	}
	s.sum.Write(out)
	return out
}

func (s *snapReader) u64() uint64 {
	b := s.bytes(8)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

func (s *snapReader) blob() []byte { return s.bytes(s.u64()) }

func (s *snapReader) u32s() []uint32 {
	n := s.u64()
	b := s.bytes(4 * n)
	if b == nil {
		return nil
	}
	out := make([]uint32, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return out
}

func (s *snapReader) u64s() []uint64 {
	n := s.u64()
	b := s.bytes(8 * n)
	if b == nil {
		return nil
	}
	out := make([]uint64, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return out
}

// Restore replaces the index's contents with the snapshot r holds. On any
// error (ErrSnapshot for bytes that are not a whole snapshot of this
// version) the index is left as it was.
func (x *Index) Restore(r io.Reader) error {
	s := &snapReader{r: bufio.NewReaderSize(r, 1<<16), sum: crc32.New(castagnoli)}
	if string(s.bytes(uint64(len(snapshotMagic)))) != snapshotMagic || s.u64() != snapshotVersion {
		return fmt.Errorf("%w: another format or version", ErrSnapshot)
	}
	y := New()
	y.ids.text, y.ids.end = s.blob(), s.u32s()
	updated := s.u64s()
	y.updated = make([]int64, len(updated))
	for i, v := range updated {
		y.updated[i] = int64(v)
	}
	y.alive = s.u64s()
	y.dead = int(s.u64())
	y.terms.text, y.terms.end = s.blob(), s.u32s()
	y.post = make([]posting, len(y.terms.end))
	for i := range y.post {
		p := &y.post[i]
		p.df = uint32(s.u64())
		if s.u64() == 1 {
			p.bits = s.u64s()
		} else {
			p.docs = s.u32s()
		}
	}
	y.words.sorted = s.u32s()
	y.shapedAt = int(s.u64())
	if s.err != nil {
		return s.err
	}
	want := s.sum.Sum32()
	var tail [4]byte
	if _, err := io.ReadFull(s.r, tail[:]); err != nil || binary.LittleEndian.Uint32(tail[:]) != want {
		return fmt.Errorf("%w: the checksum does not match", ErrSnapshot)
	}
	if err := y.check(); err != nil {
		return err
	}
	// The tables find the live documents and every term.
	for n := range uint32(len(y.ids.end)) {
		if y.alive.has(n) {
			y.ids.index(n)
		}
	}
	for t := range uint32(len(y.terms.end)) {
		y.terms.index(t)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.ids, x.updated, x.alive, x.dead, x.terms, x.post, x.words, x.shapedAt = y.ids, y.updated, y.alive, y.dead, y.terms, y.post, y.words, y.shapedAt
	return nil
}

// check verifies that the arrays of a restored index fit together, so that
// a snapshot with a right checksum but a wrong layout cannot make a search
// index out of range.
func (x *Index) check() error {
	docs := len(x.ids.end)
	bad := func(what string) error { return fmt.Errorf("%w: %s", ErrSnapshot, what) }
	ends := func(t *strtab) bool {
		last := uint32(0)
		for _, e := range t.end {
			if e < last {
				return false
			}
			last = e
		}
		return int(last) == len(t.text)
	}
	switch {
	case !ends(&x.ids) || !ends(&x.terms):
		return bad("string offsets")
	case len(x.updated) != docs || len(x.alive) > (docs+63)/64:
		return bad("document arrays")
	case docs%64 != 0 && len(x.alive) == (docs+63)/64 && x.alive[len(x.alive)-1]>>(docs%64) != 0:
		return bad("documents past the last")
	}
	for i := range x.post {
		p := &x.post[i]
		for j, n := range p.docs {
			if int(n) >= docs || j > 0 && n <= p.docs[j-1] {
				return bad("a posting list")
			}
		}
		if len(p.bits) > (docs+63)/64 {
			return bad("a posting bitset")
		}
	}
	for _, t := range x.words.sorted {
		if int(t) >= len(x.terms.end) {
			return bad("the words")
		}
	}
	return nil
}
