// Package search is the node's in-memory inverted index, a kit shared by
// features: it indexes the federated directory (the public profiles of the
// members of every node, searchable by keyword and by
// the filters of DOMAIN.md (country, region, school level, pupil ages,
// subject, role, language, availability flags), plus "people you may know"
// suggestions.
//
// It is an inverted index held in memory. The index is derived data: the
// node keeps the profiles themselves in Badger and feeds the index from
// there (see node/directory.go), rebuilding it at each start. Documents are
// keyed by the profile's actor URL.
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
// on the same profiles and queries (see docs/directory.md).
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
type Index struct {
	mu      sync.RWMutex
	ids     []string // document number → actor URL; "" once removed
	updated []int64  // document number → profile's Updated, unix ns: the order of equal scores
	alive   bitset   // documents not removed
	byID    map[string]uint32
	dead    int
	terms   map[string]*posting
	// prefixes maps the first three letters of a word of text (in its
	// field's namespace) to the words that start with them, for prefix
	// search ("ross" finds "Rossi", "robot" finds "robotics").
	prefixes map[string][]prefixed
}

// prefixed is a word of text (without its namespace) and its posting.
type prefixed struct {
	word string
	p    *posting
}

// posting lists the documents holding a term, in ascending order (a
// changed profile gets a new number, so the lists only ever grow at the
// end). Filter terms also keep a bitset, so that a filter is a word-wise
// AND over the document space.
type posting struct {
	docs []uint32
	bits bitset // filter terms only
}

// New returns an empty index.
func New() *Index {
	return &Index{byID: map[string]uint32{}, terms: map[string]*posting{}, prefixes: map[string][]prefixed{}}
}

// Close releases the index.
func (x *Index) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.ids, x.updated, x.alive, x.byID, x.terms, x.prefixes = nil, nil, nil, map[string]uint32{}, map[string]*posting{}, map[string][]prefixed{}
	return nil
}

// Count returns the number of indexed profiles (or projects).
func (x *Index) Count() (uint64, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return uint64(len(x.byID)), nil
}

// Term namespaces. Filter terms (keyword fields) have a bitset; text terms
// have postings only.
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
}

func keyOf(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// filter adds the filter term prefix+v (v trimmed, lower case; nothing
// for an empty v).
func (d *doc) filter(prefix, v string) {
	if v = keyOf(v); v != "" {
		d.filters = append(d.filters, prefix+v)
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
			d.filters = append(d.filters, fAge+strconv.Itoa(a))
		}
	}
}

// words adds the words of s as text terms of the field prefix.
func (d *doc) words(prefix, s string) {
	for _, w := range Words(s) {
		d.text = append(d.text, prefix+w)
	}
}

// html adds the words of an HTML text (tags stripped, entities decoded).
func (d *doc) html(prefix, s string) { d.words(prefix, html.UnescapeString(StripTags(s))) }

// done sorts the terms and keeps each once.
func (d *doc) done() doc {
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
		d.filters = append(d.filters, flagProject)
	}
	if p.Available.Erasmus {
		d.filters = append(d.filters, flagErasmus)
	}
	if p.Available.ProjKit {
		d.filters = append(d.filters, flagKit)
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
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
	}
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf && ('a' <= r && r <= 'z' || '0' <= r && r <= '9'):
			b.WriteRune(r)
		case r < utf8.RuneSelf && 'A' <= r && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
		case r >= utf8.RuneSelf && unicode.Is(unicode.Mn, r):
			// a combining mark left by the decomposition: dropped
		case r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if f, ok := fold[unicode.ToLower(r)]; ok {
				b.WriteString(f)
			} else {
				b.WriteRune(unicode.ToLower(r))
			}
		default:
			flush()
		}
	}
	flush()
	return out
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
	n, ok := x.byID[id]
	if !ok {
		return
	}
	delete(x.byID, id)
	x.alive.clear(n)
	x.ids[n] = ""
	x.dead++
}

func (x *Index) add(d *doc) {
	x.remove(d.id)
	n := uint32(len(x.ids))
	x.ids = append(x.ids, d.id)
	x.updated = append(x.updated, d.updated)
	x.alive.set(n)
	x.byID[d.id] = n
	for _, t := range d.filters {
		p := x.terms[t]
		if p == nil {
			p = &posting{}
			x.terms[t] = p
		}
		p.docs = append(p.docs, n)
		p.bits.set(n)
	}
	for _, t := range d.text {
		p := x.terms[t]
		if p == nil {
			p = &posting{}
			x.terms[t] = p
			x.notePrefix(t, p)
		}
		p.docs = append(p.docs, n)
	}
}

// notePrefix records a new word of text under its first letters.
func (x *Index) notePrefix(t string, p *posting) {
	if !strings.HasPrefix(t, tName) && !strings.HasPrefix(t, tSchool) && !strings.HasPrefix(t, tText) {
		return
	}
	if f3, ok := first3(t[2:]); ok {
		k := t[:2] + f3
		x.prefixes[k] = append(x.prefixes[k], prefixed{t[2:], p})
	}
}

// maybeCompact renumbers the documents once removed ones make up a third
// of the numbers: postings, bitsets and prefixes are rebuilt without them.
// It is linear in the size of the index, and runs after a third of it has
// changed.
func (x *Index) maybeCompact() {
	if x.dead < 4096 || x.dead*3 < len(x.ids) {
		return
	}
	renum := make([]uint32, len(x.ids))
	ids := make([]string, 0, len(x.byID))
	updated := make([]int64, 0, len(x.byID))
	var alive bitset
	for n, id := range x.ids {
		if id == "" {
			renum[n] = math.MaxUint32
			continue
		}
		m := uint32(len(ids))
		renum[n] = m
		ids = append(ids, id)
		updated = append(updated, x.updated[n])
		alive.set(m)
		x.byID[id] = m
	}
	x.prefixes = map[string][]prefixed{}
	for t, p := range x.terms {
		docs := p.docs[:0]
		for _, n := range p.docs {
			if m := renum[n]; m != math.MaxUint32 {
				docs = append(docs, m)
			}
		}
		if len(docs) == 0 {
			delete(x.terms, t)
			continue
		}
		p.docs = slices.Clip(docs)
		if p.bits != nil {
			p.bits = nil
			for _, n := range docs {
				p.bits.set(n)
			}
		}
		x.notePrefix(t, p)
	}
	x.ids, x.updated, x.alive, x.dead = ids, updated, alive, 0
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
	score []float32
}

var scratches = sync.Pool{New: func() any { return new(scratch) }}

func (s *scratch) reset(n int) {
	words := (n + 63) / 64
	s.cand = resize(s.cand, words)
	s.word = resize(s.word, words)
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
	s.reset(len(x.ids))
	copy(s.cand, x.alive)
	empty := &Result{IDs: []string{}}
	for _, f := range []struct{ prefix, v string }{
		{fCountry, q.Country}, {fRegion, q.Region}, {fLevel, string(q.Level)}, {fRole, q.Role},
		{fSubject, q.Subject}, {fLanguage, q.Language}, {fState, string(q.State)},
	} {
		if v := keyOf(f.v); v != "" && !x.filter(s.cand, f.prefix+v) {
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
			if p := x.terms[fAge+strconv.Itoa(a)]; p != nil {
				s.word.or(p.bits)
			}
		}
		s.cand.and(s.word)
	}
	for _, f := range []struct {
		on bool
		t  string
	}{{q.Available.Project, flagProject}, {q.Available.Erasmus, flagErasmus}, {q.Available.ProjKit, flagKit}} {
		if f.on && !x.filter(s.cand, f.t) {
			return empty, nil
		}
	}
	x.exclude(s.cand, q.Exclude)
	if !x.text(s, q.Text) {
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
	top := x.top(s, offset+limit)
	out := &Result{Total: total, IDs: make([]string, 0, len(top)-min(offset, len(top)))}
	for _, n := range top[min(offset, len(top)):] {
		out.IDs = append(out.IDs, x.ids[n])
	}
	return out, nil
}

// filter narrows cand to the documents holding term t; false when no
// document does.
func (x *Index) filter(cand bitset, t string) bool {
	p := x.terms[t]
	if p == nil {
		return false
	}
	cand.and(p.bits)
	return true
}

func (x *Index) exclude(cand bitset, ids []string) {
	for _, id := range ids {
		if n, ok := x.byID[id]; ok {
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
	live := float64(len(x.byID))
	idf := func(p *posting) float32 { return float32(math.Log(1 + live/float64(len(p.docs)))) }
	for _, w := range slices.Compact(slices.Clone(words)) {
		need := required == 0 || !stop[w]
		clear(s.word)
		hit := func(p *posting, boost float32) {
			if p == nil {
				return
			}
			v := boost * idf(p)
			for _, n := range p.docs {
				if s.cand.has(n) {
					s.word.set(n)
					s.score[n] += v
				}
			}
		}
		hit(x.terms[tName+w], boostName)
		hit(x.terms[tSchool+w], boostSchool)
		hit(x.terms[tText+w], boostText)
		if f3, ok := first3(w); ok {
			for _, ns := range []string{tName, tSchool, tText} {
				for _, e := range x.prefixes[ns+f3] {
					if len(e.word) > len(w) && strings.HasPrefix(e.word, w) {
						hit(e.p, boostPrefix)
					}
				}
			}
		}
		if need {
			s.cand.and(s.word)
		}
	}
	return true
}

// top returns the numbers of the k best documents of s.cand, best first.
func (x *Index) top(s *scratch, k int) []uint32 {
	better := func(a, b uint32) bool {
		if s.score[a] != s.score[b] {
			return s.score[a] > s.score[b]
		}
		if x.updated[a] != x.updated[b] {
			return x.updated[a] > x.updated[b]
		}
		return a > b
	}
	// h is a min-heap of the k best so far: h[0] is the worst of them.
	h := make([]uint32, 0, k)
	down := func(i int) {
		for {
			l := 2*i + 1
			if l >= len(h) {
				return
			}
			if r := l + 1; r < len(h) && better(h[l], h[r]) {
				l = r
			}
			if !better(h[i], h[l]) {
				return
			}
			h[i], h[l] = h[l], h[i]
			i = l
		}
	}
	s.cand.each(func(n uint32) {
		if len(h) < k {
			h = append(h, n)
			for i := len(h) - 1; i > 0; {
				p := (i - 1) / 2
				if !better(h[p], h[i]) {
					break
				}
				h[p], h[i] = h[i], h[p]
				i = p
			}
			return
		}
		if better(n, h[0]) {
			h[0] = n
			down(0)
		}
	})
	slices.SortFunc(h, func(a, b uint32) int {
		if better(a, b) {
			return -1
		}
		if better(b, a) {
			return 1
		}
		return 0
	})
	return h
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
func (x *Index) Suggest(p *twinfed.Profile, exclude []string, limit int) ([]string, error) {
	if limit <= 0 {
		limit = 10
	}
	limit = min(limit, 100)
	x.mu.RLock()
	defer x.mu.RUnlock()
	s := scratches.Get().(*scratch)
	defer scratches.Put(s)
	s.reset(len(x.ids))
	add := func(t string, w float32) {
		p := x.terms[t]
		if p == nil {
			return
		}
		for _, n := range p.docs {
			s.score[n] += w
			s.word.set(n)
		}
	}
	d := analyse(p)
	for _, t := range d.filters {
		switch {
		case strings.HasPrefix(t, fSubject):
			add(t, suggestSubject)
		case strings.HasPrefix(t, fAge):
			add(t, suggestAge)
		case strings.HasPrefix(t, fLanguage):
			add(t, suggestLanguage)
		case strings.HasPrefix(t, fLevel):
			add(t, suggestLevel)
		}
	}
	copy(s.cand, x.alive)
	if !x.filter(s.cand, flagProject) {
		return nil, nil
	}
	s.cand.and(s.word)
	x.exclude(s.cand, append([]string{p.ID}, exclude...))
	if c := keyOf(p.Country); c != "" {
		home := x.terms[fCountry+c]
		s.cand.each(func(n uint32) {
			if home == nil || !home.bits.has(n) {
				s.score[n] += suggestAbroad
			}
		})
	}
	top := x.top(s, limit)
	out := make([]string, len(top))
	for i, n := range top {
		out[i] = x.ids[n]
	}
	return out, nil
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
