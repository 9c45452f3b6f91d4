package pages

import (
	"sync"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/twinspace"
)

// outline keeps, per TwinSpace, what the tree of pages needs of each page
// (its place, title and state, not its text), so that showing the tree
// reads no page's text: loaded from the store the first time a
// TwinSpace's tree is asked for, then kept current by every page state
// the node applies (the kind's Applied, once the transaction commits).
// Each page keeps its latest state by the objects' ordering rule
// (Supersedes), tombstones included, so that the order in which commits
// tell it changes nothing.
type outline struct {
	mu     sync.Mutex
	spaces map[string]map[string]*twinfed.SpaceObject // project → page → its outline
	// saves are the outlines of pages' revisions, loaded page by page.
	saves map[string][]*twinfed.SpaceObject // project + " " + page → its revisions
}

// brief is o without its text.
func brief(o *twinfed.SpaceObject) *twinfed.SpaceObject {
	b := *o
	b.Content, b.Fields = "", nil
	return &b
}

// pages returns the outlines of project's pages, tombstones included,
// loading them once.
func (c *outline) pages(s *Service, project string) ([]*twinfed.SpaceObject, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.spaces[project]
	if !ok {
		// Loaded under the lock: a commit whose news is still to come
		// waits for it, and is merged after the snapshot by the rule.
		m = map[string]*twinfed.SpaceObject{}
		err := s.ts.Store().View(func(txn *badger.Txn) error {
			return twinspace.Each(txn, project, twinfed.SpaceKindPage, func(o *twinfed.SpaceObject) error {
				m[o.ID] = brief(o)
				return nil
			})
		})
		if err != nil {
			return nil, err
		}
		if c.spaces == nil {
			c.spaces = map[string]map[string]*twinfed.SpaceObject{}
		}
		c.spaces[project] = m
	}
	out := make([]*twinfed.SpaceObject, 0, len(m))
	for _, o := range m {
		out = append(out, o)
	}
	return out, nil
}

// applied takes a page state the node has just stored.
func (c *outline) applied(o *twinfed.SpaceObject) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.spaces[o.Project]
	if !ok {
		return // not loaded: the store has it
	}
	if old := m[o.ID]; old == nil || o.Supersedes(old) {
		m[o.ID] = brief(o)
	}
}

// revisions returns the outlines of a page's revisions (who saved which
// version when), loading them once.
func (c *outline) revisions(s *Service, project, page string) ([]*twinfed.SpaceObject, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := project + " " + page
	if revs, ok := c.saves[key]; ok {
		return revs, nil
	}
	var revs []*twinfed.SpaceObject
	err := s.ts.Store().View(func(txn *badger.Txn) error {
		return twinspace.Children(txn, project, twinfed.SpaceKindRevision, page, func(o *twinfed.SpaceObject) error {
			revs = append(revs, briefRevision(o))
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	if c.saves == nil {
		c.saves = map[string][]*twinfed.SpaceObject{}
	}
	c.saves[key] = revs
	return revs, nil
}

// briefRevision is a revision without its text (its version kept).
func briefRevision(o *twinfed.SpaceObject) *twinfed.SpaceObject {
	b := brief(o)
	b.Fields = map[string]string{"version": o.Fields["version"]}
	return b
}

// savedRevision takes a revision the node has just stored (revisions
// never change: a new one is added, a state seen before is left).
func (c *outline) savedRevision(o *twinfed.SpaceObject) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := o.Project + " " + o.Parent
	revs, ok := c.saves[key]
	if !ok {
		return
	}
	for i, r := range revs {
		if r.ID == o.ID {
			if o.Supersedes(r) {
				revs[i] = o
			}
			return
		}
	}
	c.saves[key] = append(revs[:len(revs):len(revs)], o)
}

// revisionApplied is the revision kind's Applied.
func (s *Service) revisionApplied(txn *badger.Txn, _, o *twinfed.SpaceObject) error {
	b := briefRevision(o)
	s.ts.Store().AfterCommit(txn, func() { s.outline.savedRevision(b) })
	return nil
}

// pageApplied is the page kind's Applied: the outline learns the state
// once the transaction commits.
func (s *Service) pageApplied(txn *badger.Txn, _, o *twinfed.SpaceObject) error {
	b := brief(o)
	s.ts.Store().AfterCommit(txn, func() { s.outline.applied(b) })
	return nil
}
