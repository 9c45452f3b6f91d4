// Package search is the node's in-memory inverted index, a kit shared by
// features: it indexes the federated directory (the public profiles of the
// members of every node, searchable by keyword and by
// the filters of DOMAIN.md (country, region, school level, pupil ages,
// subject, role, language, availability flags), plus "people you may know"
// suggestions.
//
// It is an inverted index held in memory. The index is derived data: the
// node keeps the profiles themselves in Badger and feeds the index from
// there (see node/directory), building it at start (Load, on every core)
// or reading the snapshot a clean stop wrote (Save, Restore). Documents
// are keyed by the profile's actor URL.
//
// The same index also serves the federated project search: an Index holds
// either profiles (Put) or public projects (PutProject, keyed by the
// project's id), never both. A project's filters are its partners'
// countries, its subjects, languages, pupil ages and its state; its title
// counts as a name, its partners' schools as schools, and its description,
// aims and subjects as text (see node/projects.go).
//
// Why not bleve: the issue asks for a real search library unless our own
// index beats it on the figures. With bleve (scorch, on disk) this machine
// indexed 744 profiles/s and answered the benchmark's searches at a p99 of
// over a second at 20,000 profiles; 250,000 did not finish in 25 minutes.
// The directory's searches are almost all exact filters on a few hundred
// keyword values plus a few words of text, which a bitset per filter value
// and a posting list per word answer directly. BenchmarkDirectory250k
// measures this index and BenchmarkDirectoryBleve the bleve one it replaced,
// on the same profiles and queries; BenchmarkDirectory1200k measures it at
// the federation's full size (see docs/directory.md).
package search

import (
	"html"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/twinfed/twinfed"
	"golang.org/x/text/unicode/norm"
)

// Index is the directory's search index. It is safe for concurrent use:
// searches share a read lock, changes take the write lock for as long as
// it takes to append their postings.
//
// Its memory is a few large arrays (tables.go): the documents' ids end to
// end in one buffer, the terms in another, a posting per term in one slice,
// each posting a sorted list of document numbers or, for a term held by
// many documents, a bitset.
type Index struct {
	mu      sync.RWMutex
	ids     strtab  // document number → actor URL; finds the live documents only
	updated []int64 // document number → profile's Updated, unix ns: the order of equal scores
	alive   bitset  // documents not removed
	dead    int
	terms   strtab    // term number → term ("c:it", "n:rossi")
	post    []posting // term number → the documents holding it
	// words are the text terms of three letters or more (in their field's
	// namespace), by their strings: prefix search ("ross" finds "Rossi",
	// "robot" finds "robotics").
	words wordTable
	// shapedAt is the number of documents when the postings' forms were
	// last chosen again (reshape).
	shapedAt int
}

// New returns an empty index.
func New() *Index {
	return &Index{ids: newStrtab(), terms: newStrtab()}
}

// Close releases the index.
func (x *Index) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.ids, x.updated, x.alive, x.dead, x.terms, x.post, x.words, x.shapedAt = newStrtab(), nil, nil, 0, newStrtab(), nil, wordTable{}, 0
	return nil
}

// Count returns the number of indexed profiles (or projects).
func (x *Index) Count() (uint64, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return uint64(x.ids.used), nil
}

// term returns the posting of term t, nil when no document has held it.
func (x *Index) term(t string) *posting {
	if i, ok := x.terms.find(t); ok {
		return &x.post[i]
	}
	return nil
}

// Term namespaces: filter terms (keyword fields) and words of text, each
// with a posting (a list or a bitset, by density: tables.go).
const (
	fCountry  = "c:"
	fRegion   = "r:"
	fLevel    = "l:"
	fRole     = "o:"
	fSubject  = "s:"
	fLanguage = "g:"
	fAge      = "a:"
	fFlag     = "f:"
	fState    = "t:" // a project's state (approved, closed)
	tName     = "n:" // words of the name
	tSchool   = "h:" // words of the school's name
	tText     = "x:" // words of the description and interests
)

// Flags' terms.
const (
	flagProject = fFlag + "project"
	flagErasmus = fFlag + "erasmus"
	flagKit     = fFlag + "kit"
)

// doc is a profile as the index takes it: its terms, computed before the
// lock is taken.
type doc struct {
	id      string
	updated int64
	filters []string
	text    []string // namespaced text terms, each once
	// While the profile is analysed, its terms are written end to end in
	// buf (spans: filters', then text's), and made strings at once by
	// done: one allocation, not one per term.
	buf          []byte
	fspan, tspan []span
}

// span is a term's place in doc.buf.
type span struct{ start, end int32 }

// term writes prefix+v into the doc's buffer and returns its span.
func (d *doc) term(prefix string, v []byte) span {
	start := int32(len(d.buf))
	d.buf = append(append(d.buf, prefix...), v...)
	return span{start, int32(len(d.buf))}
}

func keyOf(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// filter adds the filter term prefix+v (v trimmed, lower case; nothing
// for an empty v).
func (d *doc) filter(prefix, v string) {
	if v = keyOf(v); v != "" {
		d.fspan = append(d.fspan, d.term(prefix, []byte(v)))
	}
}

// listed adds a filter term for each of vs.
func (d *doc) listed(prefix string, vs []string) {
	for _, v := range vs {
		d.filter(prefix, v)
	}
}

// ages adds the pupils' ages' filter terms.
func (d *doc) ages(ages []int) {
	for _, a := range ages {
		if a >= 0 && a <= 99 {
			d.fspan = append(d.fspan, d.term(fAge, strconv.AppendInt(nil, int64(a), 10)))
		}
	}
}

// words adds the words of s as text terms of the field prefix.
func (d *doc) words(prefix, s string) {
	eachWord(s, func(w []byte) { d.tspan = append(d.tspan, d.term(prefix, w)) })
}

// html adds the words of an HTML text (tags stripped, entities decoded).
func (d *doc) html(prefix, s string) { d.words(prefix, html.UnescapeString(StripTags(s))) }

// done sorts the terms and keeps each once.
func (d *doc) done() doc {
	all := string(d.buf)
	for _, sp := range d.fspan {
		d.filters = append(d.filters, all[sp.start:sp.end])
	}
	for _, sp := range d.tspan {
		d.text = append(d.text, all[sp.start:sp.end])
	}
	d.buf, d.fspan, d.tspan = nil, nil, nil
	slices.Sort(d.filters)
	d.filters = slices.Compact(d.filters)
	slices.Sort(d.text)
	d.text = slices.Compact(d.text)
	return *d
}

func analyse(p *twinfed.Profile) doc {
	d := doc{id: p.ID, updated: p.Updated.UnixNano()}
	d.filter(fCountry, p.Country)
	d.filter(fRegion, p.Region)
	d.filter(fLevel, string(p.SchoolLevel))
	d.filter(fRole, p.Role)
	d.listed(fSubject, p.Subjects)
	d.listed(fLanguage, p.Languages)
	d.ages(p.PupilAges)
	if p.Available.Project {
		d.fspan = append(d.fspan, d.term(flagProject, nil))
	}
	if p.Available.Erasmus {
		d.fspan = append(d.fspan, d.term(flagErasmus, nil))
	}
	if p.Available.ProjKit {
		d.fspan = append(d.fspan, d.term(flagKit, nil))
	}
	d.words(tName, p.Name)
	d.words(tSchool, p.SchoolName)
	d.html(tText, p.Description)
	for _, in := range p.Interests {
		d.words(tText, in)
	}
	return d.done()
}

// analyseProject is analyse for a project: see the package comment.
func analyseProject(p *twinfed.Project) doc {
	d := doc{id: p.ID, updated: p.Updated.UnixNano()}
	d.listed(fCountry, p.Countries())
	d.listed(fSubject, p.Subjects)
	d.listed(fLanguage, p.Languages)
	d.ages(p.PupilAges)
	d.filter(fState, string(p.State))
	d.words(tName, p.Title)
	for _, pt := range p.Partners {
		if pt.Status != twinfed.PartnerDeclined {
			d.words(tSchool, pt.SchoolName)
		}
	}
	d.html(tText, p.Description)
	d.html(tText, p.Aims)
	for _, sub := range p.Subjects {
		d.words(tText, sub)
	}
	return d.done()
}

// Words splits text into the words the index keeps: lower case, accents
// and other marks removed (so that "Garcia" finds "García"), split at
// anything that is not a letter or a digit.
func Words(s string) []string {
	var out []string
	eachWord(s, func(w []byte) { out = append(out, string(w)) })
	return out
}

// eachWord calls f with each word of s as Words gives them, in a buffer
// that f must not keep.
func eachWord(s string, f func(w []byte)) {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if !ascii {
		s = norm.NFD.String(s)
	}
	var arr [64]byte
	b := arr[:0]
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf && ('a' <= r && r <= 'z' || '0' <= r && r <= '9'):
			b = append(b, byte(r))
		case r < utf8.RuneSelf && 'A' <= r && r <= 'Z':
			b = append(b, byte(r+'a'-'A'))
		case r >= utf8.RuneSelf && unicode.Is(unicode.Mn, r):
			// a combining mark left by the decomposition: dropped
		case r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if fl, ok := fold[unicode.ToLower(r)]; ok {
				b = append(b, fl...)
			} else {
				b = utf8.AppendRune(b, unicode.ToLower(r))
			}
		default:
			if len(b) > 0 {
				f(b)
				b = b[:0]
			}
		}
	}
	if len(b) > 0 {
		f(b)
	}
}

// fold spells letters that do not decompose into a base letter and a mark.
var fold = map[rune]string{'ł': "l", 'ø': "o", 'đ': "d", 'ß': "ss", 'æ': "ae", 'œ': "oe", 'þ': "th", 'ı': "i"}

// stop words are not required in a text search that has other words
// ("Liceo di Roma" needs "liceo" and "roma"): they would exclude every
// profile written in another language. They still count towards the score.
var stop = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a an and are as at be by for from in is of on or the to with
		il lo la i gli le un una di da del della dei delle e ed con per su nel nella al alla che
		el los las y en de del con por para que un una
		le la les des du de et en un une au aux pour par avec sur
		der die das den dem des und ein eine mit von zu im`) {
		stop[w] = true
	}
}

func first3(w string) (string, bool) {
	n := 0
	for i := range w {
		if n == 3 {
			return w[:i], true
		}
		n++
	}
	return w, n == 3
}

// Batch collects changes applied together by Apply.
type Batch struct {
	ops []op
}

type op struct {
	doc    doc
	remove string
}

// NewBatch starts a batch.
func (x *Index) NewBatch() *Batch { return &Batch{} }

// Put adds or replaces a profile.
func (b *Batch) Put(p *twinfed.Profile) error {
	b.ops = append(b.ops, op{doc: analyse(p)})
	return nil
}

// PutProject adds or replaces a project (in an index of projects).
func (b *Batch) PutProject(p *twinfed.Project) {
	b.ops = append(b.ops, op{doc: analyseProject(p)})
}

// Remove removes the profile with the given actor URL (or the project with
// the given id).
func (b *Batch) Remove(id string) { b.ops = append(b.ops, op{remove: id}) }

// Size returns the number of changes in the batch.
func (b *Batch) Size() int { return len(b.ops) }

// Apply makes a batch's changes visible to searches, in order.
func (x *Index) Apply(b *Batch) error {
	if len(b.ops) == 0 {
		return nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for i := range b.ops {
		if o := &b.ops[i]; o.remove != "" {
			x.remove(o.remove)
		} else {
			x.add(&o.doc)
		}
	}
	x.maybeCompact()
	x.maybeReshape()
	return nil
}

// Put adds or replaces one profile.
func (x *Index) Put(p *twinfed.Profile) error {
	b := x.NewBatch()
	_ = b.Put(p)
	return x.Apply(b)
}

// PutProject adds or replaces one project (in an index of projects).
func (x *Index) PutProject(p *twinfed.Project) error {
	b := x.NewBatch()
	b.PutProject(p)
	return x.Apply(b)
}

// Remove removes one profile (or project).
func (x *Index) Remove(id string) error {
	b := x.NewBatch()
	b.Remove(id)
	return x.Apply(b)
}

func (x *Index) remove(id string) {
	n, ok := x.ids.find(id)
	if !ok {
		return
	}
	x.ids.drop(n)
	x.alive.clear(n)
	x.dead++
}

func (x *Index) add(d *doc) {
	x.remove(d.id)
	n := x.ids.add(d.id)
	x.updated = append(x.updated, d.updated)
	x.alive.set(n)
	docs := x.ids.len()
	for _, t := range d.filters {
		x.posting(t).add(n, docs)
	}
	for _, t := range d.text {
		x.posting(t).add(n, docs)
	}
}

// posting returns the posting of term t, a new one (and, for a word of
// text, a new entry of the words) when no document has held it.
func (x *Index) posting(t string) *posting {
	if i, ok := x.terms.find(t); ok {
		return &x.post[i]
	}
	i := x.terms.add(t)
	x.post = append(x.post, posting{})
	x.noteWord(i)
	return &x.post[i]
}

// noteWord adds term i to the words when it is a word of text of three
// letters or more.
func (x *Index) noteWord(i uint32) {
	t := x.terms.bytes(i)
	if len(t) < 2 {
		return
	}
	switch string(t[:2]) {
	case tName, tSchool, tText:
		if _, ok := first3(string(t[2:])); ok {
			x.words.add(&x.terms, i)
		}
	}
}

// maybeReshape chooses the postings' forms again each time the number of
// documents has doubled: it is linear in the number of terms.
func (x *Index) maybeReshape() {
	n := x.ids.len()
	if n < 4096 || n < 2*x.shapedAt {
		return
	}
	for i := range x.post {
		x.post[i].reshape(n)
	}
	x.shapedAt = n
}

// maybeCompact renumbers the documents once removed ones make up a third
// of the numbers: ids, terms, postings and words are rebuilt without them.
// It is linear in the size of the index, and runs after a third of it has
// changed.
func (x *Index) maybeCompact() {
	if x.dead < 4096 || x.dead*3 < x.ids.len() {
		return
	}
	renum := make([]uint32, x.ids.len())
	ids := newStrtab()
	updated := make([]int64, 0, x.ids.used)
	var alive bitset
	for n := range uint32(x.ids.len()) {
		if !x.alive.has(n) {
			renum[n] = math.MaxUint32
			continue
		}
		m := ids.add(string(x.ids.bytes(n)))
		renum[n] = m
		updated = append(updated, x.updated[n])
		alive.set(m)
	}
	docs := ids.len()
	oldTerms, oldPost := x.terms, x.post
	x.terms, x.post, x.words = newStrtab(), nil, wordTable{}
	for t := range uint32(oldTerms.len()) {
		old := &oldPost[t]
		var p posting
		keep := func(n uint32) {
			if m := renum[n]; m != math.MaxUint32 {
				p.df++
				p.docs = append(p.docs, m)
			}
		}
		if old.bits != nil {
			old.bits.each(keep)
		} else {
			for _, n := range old.docs {
				keep(n)
			}
		}
		if p.df == 0 {
			continue
		}
		p.docs = slices.Clip(p.docs)
		if dense(len(p.docs), docs) {
			p.toBits()
		}
		x.terms.add(string(oldTerms.bytes(t)))
		x.post = append(x.post, p)
		x.noteWord(uint32(len(x.post) - 1))
	}
	x.words.merge(&x.terms)
	x.ids, x.updated, x.alive, x.dead, x.shapedAt = ids, updated, alive, 0, docs
}

// Query is a directory search. Every filter that is set must match; each
// word of Text must be found in a name, a school's name, a description or
// interests, or start a word there (from three letters on). In an index of
// projects the name is the title, the schools are the partners' and the
// text is the description, aims and subjects; Region, Level, Role and
// Available match nothing there.
type Query struct {
	Text      string
	Country   string
	Region    string
	Level     twinfed.SchoolLevel
	Role      string
	Subject   string
	Language  string
	AgeMin    int // pupils' age range that must overlap the member's ages; 0: unset
	AgeMax    int
	Available twinfed.Available    // flags that must be set
	State     twinfed.ProjectState // a project's state (an index of projects); empty: any
	Exclude   []string             // actor URLs left out (the viewer, their contacts)
	Offset    int
	Limit     int // default 20, at most 100
}

// Result is a page of matching actor URLs, best first, and the total.
type Result struct {
	IDs   []string
	Total int
}

// Ranking: a text search ranks by score, a word found in a name above one
// found in a school's name above one found elsewhere, rarer words above
// common ones; equal scores (and searches without text) put the most
// recently updated profiles first.
const (
	boostName   = 3
	boostSchool = 2
	boostText   = 1
	boostPrefix = 0.5 // a word that only starts a word of the profile
)

// scratch is a search's working memory, reused between searches.
type scratch struct {
	cand  bitset
	word  bitset
	tmp   bitset
	score []float32 // text searches only
	acc   []uint64  // suggestions only: their scores, bit-sliced
}

var scratches = sync.Pool{New: func() any { return new(scratch) }}

// reset sizes the scratch for n documents; scores clears a score per
// document, which only a text search reads.
func (s *scratch) reset(n int, scores bool) {
	words := (n + 63) / 64
	s.cand = resize(s.cand, words)
	s.word = resize(s.word, words)
	s.tmp = resize(s.tmp, words)
	if !scores {
		return
	}
	if cap(s.score) < n {
		s.score = make([]float32, n)
	}
	s.score = s.score[:n]
	clear(s.score)
}

func resize(b bitset, words int) bitset {
	if cap(b) < words {
		return make(bitset, words)
	}
	b = b[:words]
	clear(b)
	return b
}

// Search runs q.
func (x *Index) Search(q Query) (*Result, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	s := scratches.Get().(*scratch)
	defer scratches.Put(s)
	hasText := strings.TrimSpace(q.Text) != ""
	s.reset(x.ids.len(), hasText)
	copy(s.cand, x.alive)
	empty := &Result{IDs: []string{}}
	for _, f := range []struct{ prefix, v string }{
		{fCountry, q.Country}, {fRegion, q.Region}, {fLevel, string(q.Level)}, {fRole, q.Role},
		{fSubject, q.Subject}, {fLanguage, q.Language}, {fState, string(q.State)},
	} {
		if v := keyOf(f.v); v != "" && !x.filter(s, f.prefix+v) {
			return empty, nil
		}
	}
	if q.AgeMin > 0 || q.AgeMax > 0 {
		hi := q.AgeMax
		if hi == 0 {
			hi = 99
		}
		clear(s.word)
		for a := max(q.AgeMin, 0); a <= min(hi, 99); a++ {
			if p := x.term(fAge + strconv.Itoa(a)); p != nil {
				p.orInto(s.word)
			}
		}
		s.cand.and(s.word)
	}
	for _, f := range []struct {
		on bool
		t  string
	}{{q.Available.Project, flagProject}, {q.Available.Erasmus, flagErasmus}, {q.Available.ProjKit, flagKit}} {
		if f.on && !x.filter(s, f.t) {
			return empty, nil
		}
	}
	x.exclude(s.cand, q.Exclude)
	if hasText && !x.text(s, q.Text) {
		return empty, nil
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 100)
	offset := max(q.Offset, 0)
	total := s.cand.count()
	if offset >= total {
		return &Result{IDs: []string{}, Total: total}, nil
	}
	var score []float32
	if hasText {
		score = s.score
	}
	top := x.top(s.cand, score, offset+limit)
	out := &Result{Total: total, IDs: make([]string, 0, len(top)-min(offset, len(top)))}
	for _, n := range top[min(offset, len(top)):] {
		out.IDs = append(out.IDs, x.ids.str(n))
	}
	return out, nil
}

// filter narrows s.cand to the documents holding term t; false when no
// document does.
func (x *Index) filter(s *scratch, t string) bool {
	p := x.term(t)
	if p == nil {
		return false
	}
	p.andInto(s.cand, s.tmp)
	return true
}

func (x *Index) exclude(cand bitset, ids []string) {
	for _, id := range ids {
		if n, ok := x.ids.find(id); ok {
			cand.clear(n)
		}
	}
}

// text narrows s.cand to the documents holding every word of text (all of
// them when text is empty) and scores them; false when none can match.
func (x *Index) text(s *scratch, text string) bool {
	words := Words(text)
	if len(words) == 0 {
		// No text, or only punctuation, which matches nothing.
		return strings.TrimSpace(text) == ""
	}
	required := 0
	for _, w := range words {
		if !stop[w] {
			required++
		}
	}
	live := float64(x.ids.used)
	for _, w := range slices.Compact(slices.Clone(words)) {
		need := required == 0 || !stop[w]
		clear(s.word)
		hit := func(p *posting, boost float32) {
			if p == nil {
				return
			}
			v := boost * float32(math.Log(1+live/float64(p.df)))
			if p.bits == nil {
				for _, n := range p.docs {
					if s.cand.has(n) {
						s.word[n/64] |= 1 << (n % 64)
						s.score[n] += v
					}
				}
				return
			}
			for i, m := range p.bits[:min(len(p.bits), len(s.cand))] {
				m &= s.cand[i]
				s.word[i] |= m
				for sc := s.score[i*64 : min(i*64+64, len(s.score))]; m != 0; m &= m - 1 {
					sc[bits.TrailingZeros64(m)] += v
				}
			}
		}
		hit(x.term(tName+w), boostName)
		hit(x.term(tSchool+w), boostSchool)
		hit(x.term(tText+w), boostText)
		if _, ok := first3(w); ok {
			for _, ns := range []string{tName, tSchool, tText} {
				x.words.longer(&x.terms, ns+w, func(t uint32) { hit(&x.post[t], boostPrefix) })
			}
		}
		if need {
			s.cand.and(s.word)
		}
	}
	return true
}

// hit is a candidate for a page of results and its score.
type hit struct {
	n     uint32
	score float32
}

// better orders results: by score, then the most recently updated, then
// the latest document.
func (x *Index) better(a, b hit) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	if x.updated[a.n] != x.updated[b.n] {
		return x.updated[a.n] > x.updated[b.n]
	}
	return a.n > b.n
}

// topK keeps the k best hits offered: h is a min-heap, h[0] the worst of
// them.
type topK struct {
	x *Index
	k int
	h []hit
}

func (t *topK) offer(c hit) {
	h := t.h
	if len(h) < t.k {
		h = append(h, c)
		for i := len(h) - 1; i > 0; {
			p := (i - 1) / 2
			if !t.x.better(h[p], h[i]) {
				break
			}
			h[p], h[i] = h[i], h[p]
			i = p
		}
		t.h = h
		return
	}
	if c.score < h[0].score || !t.x.better(c, h[0]) {
		return
	}
	h[0] = c
	for i := 0; ; {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		if r := l + 1; r < len(h) && t.x.better(h[l], h[r]) {
			l = r
		}
		if !t.x.better(h[i], h[l]) {
			return
		}
		h[i], h[l] = h[l], h[i]
		i = l
	}
}

// sorted returns the documents kept, best first.
func (t *topK) sorted() []uint32 {
	slices.SortFunc(t.h, func(a, b hit) int {
		if t.x.better(a, b) {
			return -1
		}
		if t.x.better(b, a) {
			return 1
		}
		return 0
	})
	out := make([]uint32, len(t.h))
	for i, c := range t.h {
		out[i] = c.n
	}
	return out
}

// top returns the numbers of the k best documents of cand, best first: by
// score (nil: every score 0), then by recency. Once k are kept, a document
// is compared with the worst of them inline; most are not better.
func (x *Index) top(cand bitset, score []float32, k int) []uint32 {
	t := topK{x: x, k: k, h: make([]hit, 0, k)}
	var worst hit
	var worstUpdated int64
	for i, w := range cand {
		for ; w != 0; w &= w - 1 {
			c := hit{n: uint32(i*64 + bits.TrailingZeros64(w))}
			if score != nil {
				c.score = score[c.n]
			}
			if len(t.h) == k {
				// Documents come in ascending numbers: on equal scores and
				// times, a later one is better.
				if c.score < worst.score || c.score == worst.score && x.updated[c.n] < worstUpdated {
					continue
				}
			}
			t.offer(c)
			if len(t.h) == k {
				worst = t.h[0]
				worstUpdated = x.updated[worst.n]
			}
		}
	}
	return t.sorted()
}

// Suggestion weights: what "people you may know" counts in common with
// the member.
const (
	suggestSubject  = 3
	suggestAge      = 2
	suggestLanguage = 1
	suggestLevel    = 1
	suggestAbroad   = 2 // a member of another country, for a project across borders
)

// Suggest returns "people you may know" for the member whose profile is p:
// members available for a project who teach the same subjects to pupils
// of the same ages, speak the same languages or teach at the same level,
// members of other countries first. exclude lists actor URLs left out (p
// itself is always left out; pass the member's contacts).
//
// The scores are small whole numbers, so they are added 64 documents at a
// time, bit-sliced: slice k of a 64-document word holds bit k of each
// document's score. Adding a term is a few word operations per 64
// documents, and a page of the best needs only the documents whose score
// reaches the worst of the page so far.
func (x *Index) Suggest(p *twinfed.Profile, exclude []string, limit int) ([]string, error) {
	if limit <= 0 {
		limit = 10
	}
	limit = min(limit, 100)
	x.mu.RLock()
	defer x.mu.RUnlock()
	s := scratches.Get().(*scratch)
	defer scratches.Put(s)
	s.reset(x.ids.len(), false)
	type weighted struct {
		p *posting
		w uint64
	}
	var terms []weighted
	most := uint64(suggestAbroad)
	for _, t := range analyse(p).filters {
		var w uint64
		switch {
		case strings.HasPrefix(t, fSubject):
			w = suggestSubject
		case strings.HasPrefix(t, fAge):
			w = suggestAge
		case strings.HasPrefix(t, fLanguage):
			w = suggestLanguage
		case strings.HasPrefix(t, fLevel):
			w = suggestLevel
		}
		if q := x.term(t); q != nil && w > 0 {
			terms = append(terms, weighted{q, w})
			most += w
		}
	}
	copy(s.cand, x.alive)
	if !x.filter(s, flagProject) {
		return nil, nil
	}
	x.exclude(s.cand, append([]string{p.ID}, exclude...))
	depth := bits.Len64(most)
	acc := s.acc[:0]
	if need := len(s.cand) * depth; cap(acc) < need {
		acc = make([]uint64, need)
	} else {
		acc = acc[:need]
		clear(acc)
	}
	s.acc = acc
	// add adds w to the score of each document of m in word i.
	add := func(i int, m, w uint64) {
		a := acc[i*depth : (i+1)*depth]
		for j := 0; w>>j != 0; j++ {
			if w>>j&1 == 0 {
				continue
			}
			for k, carry := j, m; carry != 0 && k < len(a); k++ {
				a[k], carry = a[k]^carry, a[k]&carry
			}
		}
	}
	for _, t := range terms {
		if t.p.bits != nil {
			for i, m := range t.p.bits[:min(len(t.p.bits), len(s.cand))] {
				if m &= s.cand[i]; m != 0 {
					add(i, m, t.w)
				}
			}
			continue
		}
		for _, n := range t.p.docs {
			if s.cand.has(n) {
				add(int(n/64), 1<<(n%64), t.w)
			}
		}
	}
	// A suggestion shares something: a score before the abroad bonus.
	home, abroad := s.tmp, keyOf(p.Country) != ""
	clear(home)
	if c := keyOf(p.Country); abroad {
		if q := x.term(fCountry + c); q != nil {
			q.orInto(home)
		}
	}
	t := topK{x: x, k: limit, h: make([]hit, 0, limit)}
	for i := range s.cand {
		a := acc[i*depth : (i+1)*depth]
		var shared uint64
		for _, v := range a {
			shared |= v
		}
		m := s.cand[i] & shared
		if m == 0 {
			continue
		}
		if abroad {
			add(i, m&^home[i], suggestAbroad)
		}
		// The documents whose score reaches the worst kept so far.
		if len(t.h) == t.k {
			m &= atLeast(a, uint64(t.h[0].score))
		}
		for ; m != 0; m &= m - 1 {
			b := bits.TrailingZeros64(m)
			var v uint64
			for k, sl := range a {
				v |= (sl >> b & 1) << k
			}
			t.offer(hit{n: uint32(i*64 + b), score: float32(v)})
		}
	}
	top := t.sorted()
	out := make([]string, len(top))
	for i, n := range top {
		out[i] = x.ids.str(n)
	}
	return out, nil
}

// atLeast returns the documents of a 64-document word whose bit-sliced
// value (a[k] holding bit k of each) is at least v.
func atLeast(a []uint64, v uint64) uint64 {
	if v>>len(a) != 0 {
		return 0
	}
	var gt uint64
	eq := ^uint64(0)
	for k := len(a) - 1; k >= 0; k-- {
		if v>>k&1 == 1 {
			eq &= a[k]
		} else {
			gt |= eq & a[k]
			eq &^= a[k]
		}
	}
	return gt | eq
}

// StripTags returns the text of sanitised HTML: tags dropped (each as a
// space, so that words do not run together) and white space collapsed.
func StripTags(s string) string {
	if !strings.Contains(s, "<") {
		return strings.Join(strings.Fields(s), " ")
	}
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
			b.WriteByte(' ')
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
