package forum

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
)

// The search index: every post the node holds (not the replies), in
// memory, newest first, each with its filters as bit sets, so that a
// search is one pass over compact entries without a store read; only the
// page's posts are then read from the store.

// bits are a post's filters, kept apart from the rest of its entry in
// one array of values: a search reads them in order, 32 bytes a post,
// instead of following a pointer to each entry.
type bits struct {
	subjects, langs, seeking uint64
	thread, bands            uint8
	hidden                   bool
}

// entry is one post in the index.
type entry struct {
	bits
	id      string
	at      int64 // published, Unix nanoseconds
	country string
	author  string
	title   string // lower-cased, for the text search
	replies int
}

// bitsOf sets the bit of each value's position in known.
func bitsOf(values, known []string) uint64 {
	var b uint64
	for _, v := range values {
		if i := slices.Index(known, v); i >= 0 && i < 64 {
			b |= 1 << i
		}
	}
	return b
}

// countryCodes are the federation's country codes, in countries.csv's order.
var countryCodes = func() []string {
	var out []string
	for _, c := range twinfed.SeedCountries() {
		out = append(out, c.Code)
	}
	return out
}()

var bandIDs = func() []string {
	var out []string
	for _, b := range twinfed.AgeBands {
		out = append(out, b.ID)
	}
	return out
}()

func newEntry(p *twinfed.ForumPost, replies int) *entry {
	return &entry{bits: bits{thread: uint8(slices.Index(twinfed.ForumThreads, p.Thread) + 1), bands: uint8(bitsOf(p.AgeBands, bandIDs)),
		subjects: bitsOf(p.Subjects, twinfed.Subjects), langs: bitsOf(p.Languages, twinfed.Languages), seeking: bitsOf(p.Seeking, countryCodes), hidden: p.Hidden},
		id: p.ID, at: p.Published.UnixNano(), country: p.Country, author: p.Author, title: strings.ToLower(p.Title), replies: replies}
}

// index is the posts, newest first. It is safe for concurrent use.
type index struct {
	mu   sync.RWMutex
	list []*entry // newest first; equal times by id
	bits []bits   // list[i]'s filters at i
	byID map[string]*entry
}

func newIndex() *index { return &index{byID: map[string]*entry{}} }

// before reports whether a sorts before b (newer first).
func before(a, b *entry) bool { return a.at > b.at || (a.at == b.at && a.id < b.id) }

func (x *index) pos(e *entry) int {
	i, _ := slices.BinarySearchFunc(x.list, e, func(a, b *entry) int {
		switch {
		case a == b || (a.at == b.at && a.id == b.id):
			return 0
		case before(a, b):
			return -1
		}
		return 1
	})
	return i
}

// put adds or replaces a post.
func (x *index) put(e *entry) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.removeLocked(e.id)
	i := x.pos(e)
	x.list = slices.Insert(x.list, i, e)
	x.bits = slices.Insert(x.bits, i, e.bits)
	x.byID[e.id] = e
}

// putAll adds posts in bulk (the build at start).
func (x *index) putAll(es []*entry) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, e := range es {
		if old := x.byID[e.id]; old != nil {
			continue
		}
		x.byID[e.id] = e
		x.list = append(x.list, e)
	}
	slices.SortFunc(x.list, func(a, b *entry) int {
		if before(a, b) {
			return -1
		}
		if before(b, a) {
			return 1
		}
		return 0
	})
	x.bits = make([]bits, len(x.list))
	for i, e := range x.list {
		x.bits[i] = e.bits
	}
}

func (x *index) remove(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.removeLocked(id)
}

func (x *index) removeLocked(id string) {
	old := x.byID[id]
	if old == nil {
		return
	}
	delete(x.byID, id)
	if i := x.pos(old); i < len(x.list) && x.list[i].id == id {
		x.list = slices.Delete(x.list, i, i+1)
		x.bits = slices.Delete(x.bits, i, i+1)
	}
}

// addReply counts a reply to post id (delta -1 for a removed one).
func (x *index) addReply(id string, delta int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if e := x.byID[id]; e != nil {
		e.replies = max(e.replies+delta, 0)
	}
}

// replies is the count of replies of post id.
func (x *index) replies(id string) int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if e := x.byID[id]; e != nil {
		return e.replies
	}
	return 0
}

// len is the number of posts indexed.
func (x *index) len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.list)
}

// filter is a search as the index runs it.
type filter struct {
	thread   uint8
	bands    uint8
	subjects uint64
	langs    uint64
	seeking  uint64
	text     string
	// Who reads: hidden posts are shown to their author (actor) and to the
	// agency of their country (agencyOf, "" for a member).
	actor, agencyOf string
}

// match reports whether the post with bits b (and entry e, read only
// when the bits are not enough) matches.
func (f *filter) match(b *bits, e func() *entry) bool {
	if (f.thread != 0 && b.thread != f.thread) || b.bands&f.bands != f.bands || b.subjects&f.subjects != f.subjects ||
		b.langs&f.langs != f.langs || b.seeking&f.seeking != f.seeking {
		return false
	}
	if b.hidden {
		if x := e(); x.author != f.actor && x.country != f.agencyOf {
			return false
		}
	}
	return f.text == "" || strings.Contains(e().title, f.text)
}

// search returns the ids of the matching posts from offset (at most
// limit), newest first, and how many match in all.
func (x *index) search(f filter, offset, limit int) (ids []string, total int) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	for i := range x.bits {
		if !f.match(&x.bits[i], func() *entry { return x.list[i] }) {
			continue
		}
		if total >= offset && len(ids) < limit {
			ids = append(ids, x.list[i].id)
		}
		total++
	}
	return ids, total
}

// Interest is what a member's profile says they look for, as the home
// feed matches new posts against it.
type Interest struct {
	Actor    string   // the member: their own posts are left out
	Subjects []string // subject ids
	Bands    []string // the age bands of their pupils
	Country  string   // their country: posts seeking it match
}

// Matching returns, newest first, at most limit posts (not replies, not
// hidden, not the member's own) published at or after since and before
// until (zero: no bound) that share a subject or an age band with in or
// seek its country. The index is newest first: the pass stops at since.
func (s *Service) Matching(in Interest, since, until time.Time, limit int) []*twinfed.ForumPost {
	subjects, bands := bitsOf(in.Subjects, twinfed.Subjects), uint8(bitsOf(in.Bands, bandIDs))
	country := bitsOf([]string{in.Country}, countryCodes)
	var ids []string
	s.ix.mu.RLock()
	for i, e := range s.ix.list {
		if !since.IsZero() && e.at < since.UnixNano() || len(ids) >= limit {
			break
		}
		b := &s.ix.bits[i]
		if b.hidden || e.author == in.Actor || (!until.IsZero() && e.at >= until.UnixNano()) {
			continue
		}
		if b.subjects&subjects != 0 || b.bands&bands != 0 || b.seeking&country != 0 {
			ids = append(ids, e.id)
		}
	}
	s.ix.mu.RUnlock()
	out := make([]*twinfed.ForumPost, 0, len(ids))
	_ = s.store.View(func(txn *badger.Txn) error {
		for _, id := range ids {
			if p := s.Get(txn, id); p != nil {
				out = append(out, p)
			}
		}
		return nil
	})
	return out
}
