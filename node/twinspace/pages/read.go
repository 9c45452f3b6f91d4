package pages

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/twinspace"
	"github.com/twinfed/twinfed/node/web/pagehtml"
)

// Entry is a page in the tree as a reader sees it: its place (Depth, 0 at
// the top) and whether it can move up or down among its siblings.
type Entry struct {
	*twinfed.SpaceObject `json:"page"`
	Depth                int  `json:"depth"`
	First                bool `json:"-"` // first among its siblings
	Last                 bool `json:"-"` // last among its siblings
}

// Tree returns the pages v's reader sees, in the tree's order (each page
// followed by its sub-pages). A page whose parent the reader does not
// see (a draft parent, in public mode) or that two moves made at once on
// two nodes put in a loop shows at the top: no page is ever out of
// reach.
func (s *Service) Tree(v *twinspace.View) ([]Entry, error) {
	outlines, err := s.outline.pages(s, v.Project.ID)
	if err != nil {
		return nil, err
	}
	var all []*twinfed.SpaceObject
	for _, o := range outlines {
		if s.ts.Sees(v, o) {
			all = append(all, o)
		}
	}
	return tree(all), nil
}

// tree orders pages as a tree.
func tree(all []*twinfed.SpaceObject) []Entry {
	slices.SortFunc(all, func(a, b *twinfed.SpaceObject) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	parent := map[string]string{}
	for _, o := range all {
		parent[o.ID] = ""
	}
	for _, o := range all {
		if _, seen := parent[o.Parent]; seen && o.Parent != o.ID {
			parent[o.ID] = o.Parent
		}
	}
	// Break loops at their oldest page.
	for _, o := range all {
		at := parent[o.ID]
		for steps := 0; at != "" && steps <= len(all); steps++ {
			if at == o.ID {
				parent[o.ID] = ""
				break
			}
			at = parent[at]
		}
	}
	kids := map[string][]*twinfed.SpaceObject{}
	for _, o := range all {
		kids[parent[o.ID]] = append(kids[parent[o.ID]], o)
	}
	var out []Entry
	var walk func(id string, depth int)
	walk = func(id string, depth int) {
		list := kids[id]
		slices.SortStableFunc(list, byOrder)
		for i, o := range list {
			out = append(out, Entry{SpaceObject: o, Depth: depth, First: i == 0, Last: i == len(list)-1})
			walk(o.ID, depth+1)
		}
	}
	walk("", 0)
	return out
}

// Revision is a save of a page in its history.
type Revision struct {
	*twinfed.SpaceObject `json:"revision"`
	Saved                int64  `json:"saved"`                // the page's version the save made
	Restored             string `json:"restored,omitempty"`   // the revision it brought back
	Current              bool   `json:"current"`              // the page shows this save
	Concurrent           bool   `json:"concurrent,omitempty"` // another save made the same version at the same time
	Prev                 string `json:"prev,omitempty"`       // the revision it was edited from, to compare with
}

// revisions returns a page's revisions, newest first.
func (s *Service) revisions(project, page string) ([]*twinfed.SpaceObject, error) {
	var out []*twinfed.SpaceObject
	err := s.ts.Store().View(func(txn *badger.Txn) error {
		return twinspace.Children(txn, project, twinfed.SpaceKindRevision, page, func(o *twinfed.SpaceObject) error {
			out = append(out, o)
			return nil
		})
	})
	slices.SortStableFunc(out, func(a, b *twinfed.SpaceObject) int {
		return cmp.Or(-cmp.Compare(saved(a), saved(b)), b.Created.Compare(a.Created), cmp.Compare(a.ID, b.ID))
	})
	return out, err
}

func saved(r *twinfed.SpaceObject) int64 {
	n, _ := strconv.ParseInt(r.Fields["version"], 10, 64)
	return n
}

// Page is a page as its reader sees it, with what its view shows about
// its saves.
type Page struct {
	*twinfed.SpaceObject
	Path []*twinfed.SpaceObject // its parents, from the top
	// LastSave is the latest save of its text.
	LastSave *Revision
	// Concurrent are the saves that made the page's current version at
	// the same time on two nodes: the page shows one, the others are in
	// its history.
	Concurrent []*Revision
}

// Page returns a page v's reader sees; ENOTFOUND otherwise.
func (s *Service) Page(v *twinspace.View, id string) (*Page, error) {
	out := &Page{}
	err := s.ts.Store().View(func(txn *badger.Txn) error {
		o, err := twinspace.Object(txn, v.Project.ID, id)
		if err != nil || o.Kind != twinfed.SpaceKindPage || !s.ts.Sees(v, o) {
			return notFound()
		}
		out.SpaceObject = o
		seen := map[string]bool{o.ID: true}
		for at := o.Parent; at != "" && !seen[at]; {
			seen[at] = true
			up, err := twinspace.Object(txn, v.Project.ID, at)
			if err != nil || !s.ts.Sees(v, up) {
				break
			}
			out.Path = append([]*twinfed.SpaceObject{up}, out.Path...)
			at = up.Parent
		}
		return nil
	})
	if err != nil || v.Public {
		return out, err
	}
	briefs, err := s.outline.revisions(s, v.Project.ID, id)
	if err != nil {
		return nil, err
	}
	revs := marks(briefs, nil)
	if len(revs) > 0 {
		out.LastSave = revs[0]
	}
	for _, r := range revs {
		if r.Concurrent && r.Saved == revs[0].Saved {
			out.Concurrent = append(out.Concurrent, r)
		}
	}
	return out, nil
}

// marks orders a page's revisions newest first and marks each: the
// version it made, which were made at the same time, which it was edited
// from, and (cur not nil) which one the page shows.
func marks(revs []*twinfed.SpaceObject, cur *twinfed.SpaceObject) []*Revision {
	revs = slices.Clone(revs)
	slices.SortStableFunc(revs, func(a, b *twinfed.SpaceObject) int {
		return cmp.Or(-cmp.Compare(saved(a), saved(b)), b.Created.Compare(a.Created), cmp.Compare(a.ID, b.ID))
	})
	count := map[int64]int{}
	for _, r := range revs {
		count[saved(r)]++
	}
	out := make([]*Revision, 0, len(revs))
	current := false
	for _, r := range revs {
		x := &Revision{SpaceObject: r, Saved: saved(r), Restored: r.Fields["restored"], Concurrent: count[saved(r)] > 1}
		if cur != nil && !current && r.Content == cur.Content && r.Title == cur.Title && strconv.FormatInt(x.Saved, 10) == cur.Fields["saved"] {
			x.Current, current = true, true
		}
		for _, p := range revs {
			if saved(p) <= r.Base && p.ID != r.ID {
				x.Prev = p.ID
				break
			}
		}
		out = append(out, x)
	}
	return out
}

// History returns a page's saves, newest first, for a member: who saved
// it when, which save the page shows, which were made at the same time,
// and which revision each was edited from.
func (s *Service) History(v *twinspace.View, page string) ([]*Revision, error) {
	if err := v.RequireMember(); err != nil {
		return nil, err
	}
	var cur *twinfed.SpaceObject
	err := s.ts.Store().View(func(txn *badger.Txn) error {
		var err error
		cur, err = twinspace.Object(txn, v.Project.ID, page)
		if err != nil || cur.Kind != twinfed.SpaceKindPage || cur.Deleted {
			return notFound()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	revs, err := s.revisions(v.Project.ID, page)
	if err != nil {
		return nil, err
	}
	return marks(revs, cur), nil
}

// Compare is two versions of a page side by side: from a revision to
// another, or to the page as it is now (to "").
type Compare struct {
	From, To *twinfed.SpaceObject // To is the page itself when comparing with now
	Blocks   []pagehtml.Block
}

// Compare returns what changed from revision from ("": an empty page) to
// revision to ("": the page now), for a member.
func (s *Service) Compare(v *twinspace.View, page, from, to string) (*Compare, error) {
	if err := v.RequireMember(); err != nil {
		return nil, err
	}
	c := &Compare{}
	err := s.ts.Store().View(func(txn *badger.Txn) error {
		get := func(id string, kind twinfed.SpaceKind) (*twinfed.SpaceObject, error) {
			o, err := twinspace.Object(txn, v.Project.ID, id)
			if err != nil || o.Kind != kind || (kind == twinfed.SpaceKindRevision && o.Parent != page) || o.Deleted {
				return nil, notFound()
			}
			return o, nil
		}
		var err error
		if from != "" {
			if c.From, err = get(from, twinfed.SpaceKindRevision); err != nil {
				return err
			}
		}
		if to != "" {
			c.To, err = get(to, twinfed.SpaceKindRevision)
		} else {
			c.To, err = get(page, twinfed.SpaceKindPage)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	old := ""
	if c.From != nil {
		old = c.From.Content
	}
	c.Blocks = pagehtml.Diff(old, c.To.Content)
	return c, nil
}
