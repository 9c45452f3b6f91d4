// Package directory is the search index of the federated directory: the
// public profiles of the members of every node, searchable by keyword and by
// the filters of DOMAIN.md (country, region, school level, pupil ages,
// subject, role, language, availability flags), plus "people you may know"
// suggestions.
//
// It is a bleve index (github.com/blevesearch/bleve/v2) on disk. The index
// is derived data: the node keeps the profiles themselves in Badger and
// feeds the index from there (see node/directory.go), so a lost or damaged
// index is rebuilt, never a source of truth. Documents are keyed by the
// profile's actor URL.
package directory

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/standard"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/twinfed/twinfed"
)

// Index is the directory's search index. It is safe for concurrent use.
type Index struct {
	idx  bleve.Index
	path string
}

// Open opens the index in dir, creating it when it does not exist. fresh
// reports that the index was created now (empty), so the caller rebuilds it
// from its store. An index that cannot be opened (damaged by a crash, or
// made by an incompatible version) is removed and created again: it is
// derived data.
func Open(dir string) (ix *Index, fresh bool, err error) {
	if dir == "" {
		idx, err := bleve.NewMemOnly(newMapping())
		if err != nil {
			return nil, false, err
		}
		return &Index{idx: idx}, true, nil
	}
	idx, err := bleve.OpenUsing(dir, runtimeConfig())
	if err == nil {
		return &Index{idx: idx, path: dir}, false, nil
	}
	if !errors.Is(err, bleve.ErrorIndexPathDoesNotExist) {
		if rerr := os.RemoveAll(dir); rerr != nil {
			return nil, false, fmt.Errorf("directory: index in %s is unreadable (%v) and cannot be removed: %w", dir, err, rerr)
		}
	}
	idx, err = bleve.NewUsing(dir, newMapping(), scorch.Name, scorch.Name, runtimeConfig())
	if err != nil {
		return nil, false, fmt.Errorf("directory: create index in %s: %w", dir, err)
	}
	return &Index{idx: idx, path: dir}, true, nil
}

// runtimeConfig makes a batch return once it is searchable, without waiting
// for it to reach the disk: the index is derived data, and its owner
// rebuilds it after an unclean stop (see node/directory.go), which costs
// far less than a synced write per batch.
func runtimeConfig() map[string]any { return map[string]any{"unsafe_batch": true} }

// Close closes the index, writing what is still in memory.
func (x *Index) Close() error { return x.idx.Close() }

// Count returns the number of indexed profiles.
func (x *Index) Count() (uint64, error) { return x.idx.DocCount() }

// doc is what is indexed of a profile. Keyword fields hold lower-case
// values so that filters ignore case.
type doc struct {
	Name         string    `json:"name"`
	School       string    `json:"school"`
	Description  string    `json:"description"`
	Interests    string    `json:"interests"`
	Country      string    `json:"country"`
	Region       string    `json:"region"`
	Level        string    `json:"level"`
	Role         string    `json:"role"`
	SchoolID     string    `json:"school_id"`
	Subjects     []string  `json:"subjects"`
	Languages    []string  `json:"languages"`
	Ages         []float64 `json:"ages"`
	AvailProject bool      `json:"avail_project"`
	AvailErasmus bool      `json:"avail_erasmus"`
	AvailKit     bool      `json:"avail_kit"`
}

func newMapping() mapping.IndexMapping {
	text := bleve.NewTextFieldMapping()
	text.Analyzer = standard.Name
	text.Store = false
	text.IncludeTermVectors = false
	kw := bleve.NewTextFieldMapping()
	kw.Analyzer = keyword.Name
	kw.Store = false
	kw.IncludeTermVectors = false
	kw.IncludeInAll = false
	num := bleve.NewNumericFieldMapping()
	num.Store = false
	num.IncludeInAll = false
	flag := bleve.NewBooleanFieldMapping()
	flag.Store = false
	flag.IncludeInAll = false

	d := bleve.NewDocumentStaticMapping()
	for _, f := range []string{"name", "school", "description", "interests"} {
		d.AddFieldMappingsAt(f, text)
	}
	for _, f := range []string{"country", "region", "level", "role", "school_id", "subjects", "languages"} {
		d.AddFieldMappingsAt(f, kw)
	}
	d.AddFieldMappingsAt("ages", num)
	for _, f := range []string{"avail_project", "avail_erasmus", "avail_kit"} {
		d.AddFieldMappingsAt(f, flag)
	}
	m := bleve.NewIndexMapping()
	m.DefaultMapping = d
	m.DefaultAnalyzer = standard.Name
	m.StoreDynamic = false
	m.IndexDynamic = false
	m.DocValuesDynamic = false
	return m
}

func lower(list []string) []string {
	out := make([]string, 0, len(list))
	for _, v := range list {
		if v = strings.ToLower(strings.TrimSpace(v)); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func toDoc(p *twinfed.Profile) doc {
	d := doc{
		Name: p.Name, School: p.SchoolName, Description: StripTags(p.Description), Interests: strings.Join(p.Interests, " "),
		Country: strings.ToLower(p.Country), Region: strings.ToLower(strings.TrimSpace(p.Region)), Level: strings.ToLower(string(p.SchoolLevel)),
		Role: strings.ToLower(p.Role), SchoolID: strings.ToLower(p.SchoolID), Subjects: lower(p.Subjects), Languages: lower(p.Languages),
		AvailProject: p.Available.Project, AvailErasmus: p.Available.Erasmus, AvailKit: p.Available.ProjKit,
	}
	for _, a := range p.PupilAges {
		d.Ages = append(d.Ages, float64(a))
	}
	return d
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

// Batch collects changes applied together by Apply: much faster than one
// at a time when many profiles arrive (a backfill, a rebuild).
type Batch struct {
	b *bleve.Batch
}

// NewBatch starts a batch.
func (x *Index) NewBatch() *Batch { return &Batch{b: x.idx.NewBatch()} }

// Put adds or replaces a profile.
func (b *Batch) Put(p *twinfed.Profile) error { return b.b.Index(p.ID, toDoc(p)) }

// Remove removes the profile with the given actor URL.
func (b *Batch) Remove(id string) { b.b.Delete(id) }

// Size returns the number of changes in the batch.
func (b *Batch) Size() int { return b.b.Size() }

// Apply writes a batch.
func (x *Index) Apply(b *Batch) error {
	if b.b.Size() == 0 {
		return nil
	}
	return x.idx.Batch(b.b)
}

// Put adds or replaces one profile.
func (x *Index) Put(p *twinfed.Profile) error { return x.idx.Index(p.ID, toDoc(p)) }

// Remove removes one profile.
func (x *Index) Remove(id string) error { return x.idx.Delete(id) }

// Query is a directory search. Every filter that is set must match; Text
// matches names, schools, descriptions and interests.
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
	Available twinfed.Available // flags that must be set
	Exclude   []string          // actor URLs left out (the viewer, their contacts)
	Offset    int
	Limit     int // default 20, at most 100
}

// Result is a page of matching actor URLs, best first, and the total.
type Result struct {
	IDs   []string
	Total int
}

func term(field, v string) query.Query {
	q := bleve.NewTermQuery(strings.ToLower(strings.TrimSpace(v)))
	q.SetField(field)
	return q
}

func flagQuery(field string) query.Query {
	q := bleve.NewBoolFieldQuery(true)
	q.SetField(field)
	return q
}

// Search runs q.
func (x *Index) Search(q Query) (*Result, error) {
	var must []query.Query
	if t := strings.TrimSpace(q.Text); t != "" {
		var any []query.Query
		for _, f := range []string{"name", "school", "description", "interests"} {
			m := bleve.NewMatchQuery(t)
			m.SetField(f)
			m.SetOperator(query.MatchQueryOperatorAnd)
			if f == "name" {
				m.SetBoost(3)
			}
			any = append(any, m)
		}
		// Prefixes of the words typed, so that "ross" finds "Rossi".
		for w := range strings.FieldsSeq(strings.ToLower(t)) {
			if len(w) >= 3 {
				p := bleve.NewPrefixQuery(w)
				p.SetField("name")
				any = append(any, p)
			}
		}
		must = append(must, bleve.NewDisjunctionQuery(any...))
	}
	for _, f := range []struct{ field, v string }{
		{"country", q.Country}, {"region", q.Region}, {"level", string(q.Level)}, {"role", q.Role},
		{"subjects", q.Subject}, {"languages", q.Language},
	} {
		if strings.TrimSpace(f.v) != "" {
			must = append(must, term(f.field, f.v))
		}
	}
	if q.AgeMin > 0 || q.AgeMax > 0 {
		lo, hi := float64(q.AgeMin), float64(q.AgeMax)
		if q.AgeMax == 0 {
			hi = 99
		}
		yes := true
		r := bleve.NewNumericRangeInclusiveQuery(&lo, &hi, &yes, &yes)
		r.SetField("ages")
		must = append(must, r)
	}
	if q.Available.Project {
		must = append(must, flagQuery("avail_project"))
	}
	if q.Available.Erasmus {
		must = append(must, flagQuery("avail_erasmus"))
	}
	if q.Available.ProjKit {
		must = append(must, flagQuery("avail_kit"))
	}
	var main query.Query
	if len(must) == 0 {
		main = bleve.NewMatchAllQuery()
	} else {
		main = bleve.NewConjunctionQuery(must...)
	}
	if len(q.Exclude) > 0 {
		b := bleve.NewBooleanQuery()
		b.AddMust(main)
		b.AddMustNot(bleve.NewDocIDQuery(q.Exclude))
		main = b
	}
	return x.run(main, q.Offset, q.Limit, len(must) == 0)
}

func (x *Index) run(q query.Query, offset, limit int, byID bool) (*Result, error) {
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 100)
	req := bleve.NewSearchRequestOptions(q, limit, max(offset, 0), false)
	if byID {
		req.SortBy([]string{"_id"})
	}
	res, err := x.idx.Search(req)
	if err != nil {
		return nil, fmt.Errorf("directory: search: %w", err)
	}
	out := &Result{Total: int(res.Total), IDs: make([]string, 0, len(res.Hits))}
	for _, h := range res.Hits {
		out.IDs = append(out.IDs, h.ID)
	}
	return out, nil
}

// Suggest returns "people you may know" for the member whose profile is p:
// members who teach the same subjects to pupils of the same ages, speak the
// same languages, and are available for a project, members of other
// countries first. exclude lists actor URLs left out (p itself is always
// left out; pass the member's contacts).
func (x *Index) Suggest(p *twinfed.Profile, exclude []string, limit int) ([]string, error) {
	var should []query.Query
	for _, s := range lower(p.Subjects) {
		q := term("subjects", s)
		q.(*query.TermQuery).SetBoost(3)
		should = append(should, q)
	}
	for _, l := range lower(p.Languages) {
		should = append(should, term("languages", l))
	}
	for _, a := range p.PupilAges {
		v := float64(a)
		yes := true
		r := bleve.NewNumericRangeInclusiveQuery(&v, &v, &yes, &yes)
		r.SetField("ages")
		r.SetBoost(2)
		should = append(should, r)
	}
	if p.SchoolLevel != "" {
		should = append(should, term("level", string(p.SchoolLevel)))
	}
	if len(should) == 0 {
		return nil, nil
	}
	b := bleve.NewBooleanQuery()
	b.AddMust(flagQuery("avail_project"), bleve.NewDisjunctionQuery(should...))
	if c := strings.ToLower(p.Country); c != "" {
		// Not a filter: members of the same country only rank lower.
		other := bleve.NewBooleanQuery()
		other.AddMustNot(term("country", c))
		other.AddMust(bleve.NewMatchAllQuery())
		other.SetBoost(2)
		b.AddShould(other)
	}
	b.AddMustNot(bleve.NewDocIDQuery(append([]string{p.ID}, exclude...)))
	res, err := x.run(b, 0, limit, false)
	if err != nil {
		return nil, err
	}
	return res.IDs, nil
}
