package node

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/directory"
)

// The project search's index: the public projects of pj/ in an Index of
// package directory of their own (never shared with the profiles). Like the
// directory it is derived data, built from pj/ in the background at each
// start. Unlike the directory it needs no queue of markers: storeProject,
// the single writer of pj/, has the project re-read and re-indexed after
// each commit (Store.afterCommit), so the index changes only for committed
// writes. Until the build has finished, SearchProjects scans pj/ as it did
// before the index: slower, but the same projects.
type projIndex struct {
	ix *directory.Index
	// mu orders each re-read of a project with its Apply, so that of two
	// writes of one project committing close together the index ends with
	// the later one whatever order their hooks run in. It also guards dirty.
	mu    sync.Mutex
	ready atomic.Bool
	// dirty holds the projects written while the build runs: the build's
	// snapshot may have missed them, so they are re-read once it is done.
	dirty map[string]bool
	stop  chan struct{}
	done  sync.WaitGroup
}

var errProjIndexStopped = errors.New("node closed during the build")

// openProjectIndex starts the project index and its build in the
// background.
func (s *Service) openProjectIndex() {
	x := &projIndex{ix: directory.New(), dirty: map[string]bool{}, stop: make(chan struct{})}
	s.proj = x
	x.done.Add(1)
	go func() {
		defer x.done.Done()
		if err := s.buildProjectIndex(x); err != nil && !errors.Is(err, errProjIndexStopped) {
			// Searches keep scanning the store.
			s.log.Error("projects: search index build", "err", err)
		}
	}()
}

// closeProjectIndex stops the build and releases the index.
func (s *Service) closeProjectIndex() error {
	x := s.proj
	if x == nil {
		return nil
	}
	close(x.stop)
	x.done.Wait()
	return x.ix.Close()
}

// buildProjectIndex indexes every public pj/ project, then the projects
// written meanwhile, and makes the index serve searches.
func (s *Service) buildProjectIndex(x *projIndex) error {
	start := time.Now()
	n := 0
	b := x.ix.NewBatch()
	err := s.store.View(func(txn *badger.Txn) error {
		return eachJSON(txn, prefixProject, func(p *twinfed.Project) error {
			if !p.Public() {
				return nil
			}
			b.PutProject(p)
			n++
			if b.Size() < 2000 {
				return nil
			}
			select {
			case <-x.stop:
				return errProjIndexStopped
			default:
			}
			err := x.ix.Apply(b)
			b = x.ix.NewBatch()
			return err
		})
	})
	if err == nil {
		err = x.ix.Apply(b)
	}
	if err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	ids := make([]string, 0, len(x.dirty))
	for id := range x.dirty {
		ids = append(ids, id)
	}
	if err := s.reindexProjects(x, ids); err != nil {
		return err
	}
	x.dirty = nil
	x.ready.Store(true)
	s.log.Info("projects: search index built", "projects", n, "written meanwhile", len(ids), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// projectChanged re-indexes project id after a committed write or delete.
func (s *Service) projectChanged(id string) {
	x := s.proj
	if x == nil {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.ready.Load() {
		if x.dirty != nil {
			x.dirty[id] = true
		}
		return
	}
	if err := s.reindexProjects(x, []string{id}); err != nil {
		// The index may now miss this change until the next start.
		s.log.Error("projects: search index", "project", id, "err", err)
	}
}

// reindexProjects puts the current records of ids into the index, or
// removes those that are gone or no longer public. x.mu is held.
func (s *Service) reindexProjects(x *projIndex, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	b := x.ix.NewBatch()
	err := s.store.View(func(txn *badger.Txn) error {
		for _, id := range ids {
			p, err := getProject(txn, id)
			switch {
			case twinfed.ErrorCode(err) == twinfed.ENOTFOUND:
				b.Remove(id)
			case err != nil:
				return err
			case p.Public():
				b.PutProject(p)
			default:
				b.Remove(id)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return x.ix.Apply(b)
}

// ProjectIndex returns the number of projects in the project search's
// index and whether it serves searches yet (its start-up build is done);
// metric twinfed_node_projects_indexed.
func (s *Service) ProjectIndex() (projects int, built bool) {
	x := s.proj
	if x == nil {
		return 0, false
	}
	n, _ := x.ix.Count()
	return int(n), x.ready.Load()
}
