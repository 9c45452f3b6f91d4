package project

import (
	"context"
	"fmt"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/directory"
	"github.com/twinfed/twinfed/node/store"
)

// Project backfill: every node holds every public project, pushed by the
// home node's Update{Group}. A node that joins later, or that missed
// updates beyond the federation's retry window, pages through each other
// node's public projects with signed GETs, as the directory does for
// profiles, and keeps those newer than its copy.

// ProjectsBackfillPath is where a node serves the public projects it is
// home to, to other nodes.
const ProjectsBackfillPath = "/directory/projects"

// ProjectPageOf is a page of the public projects a node is home to: after
// is the last id of the previous page.
type ProjectPageOf struct {
	Projects []*twinfed.Project `json:"projects"`
	Next     string             `json:"next,omitempty"` // empty at the end
}

// LocalPublicProjects returns up to limit approved or closed projects this
// node is home to whose id sorts after after.
func (s *Service) LocalPublicProjects(ctx context.Context, after string, limit int) (*ProjectPageOf, error) {
	limit = min(max(limit, 1), 500)
	out := &ProjectPageOf{Projects: []*twinfed.Project{}}
	err := s.store.View(func(txn *badger.Txn) error {
		var err error
		out.Projects, out.Next, err = store.PageJSON(txn, store.PrefixProject, store.PrefixProject+twinfed.ProjectURL(s.cfg.BaseURL, ""), after, limit,
			func(p *twinfed.Project) string { return p.ID }, (*twinfed.Project).Public)
		return err
	})
	return out, s.internal("local projects", err)
}

// Backfill takes the public projects the node at base is home to (signed
// GETs of its ProjectsBackfillPath) and stores those newer than this
// node's copy. It returns how many it stored. The directory's backfill
// calls it for each other node, after the node's profiles (the pages are
// read as the directory reads its own: directory.BackfillPages).
func (s *Service) Backfill(ctx context.Context, fetch directory.Fetcher, base string) (int, error) {
	host := twinfed.URLHost(base)
	stored := 0
	err := directory.BackfillPages(ctx, s.update, fetch, strings.TrimRight(base, "/")+ProjectsBackfillPath+"?limit=200&after=", "project backfill from "+host,
		func(pg *ProjectPageOf) string { return pg.Next },
		func(txn *badger.Txn, pg *ProjectPageOf) error {
			for _, p := range pg.Projects {
				if twinfed.URLHost(p.ID) != host || !p.Public() {
					return fmt.Errorf("project backfill from %s: %s is not a public project of that node", host, p.ID)
				}
				old, _ := getProject(txn, p.ID)
				if old != nil && old.Version >= p.Version {
					continue
				}
				if err := s.storeProject(txn, old, s.cleanProject(p)); err != nil {
					return err
				}
				stored++
			}
			return nil
		})
	if stored > 0 {
		s.log.Info("projects: backfilled", "node", host, "stored", stored)
	}
	return stored, err
}
