package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/search"
	"github.com/twinfed/twinfed/node/store"
)

// The project search's index: the public projects of pj/ in an Index of
// package directory of their own (never shared with the profiles). Like the
// directory it is derived data, built from pj/ in the background at each
// start. Unlike the directory it needs no queue of markers: storeProject,
// the single writer of pj/, has the project re-read and re-indexed after
// each commit (Store.afterCommit), so the index changes only for committed
// writes. Until the build has finished, SearchProjects waits for it (up to
// buildWait), then scans pj/ as it did before the index: slower, but the
// same projects.
type projIndex struct {
	ix *search.Index
	// mu orders each re-read of a project with its Apply, so that of two
	// writes of one project committing close together the index ends with
	// the later one whatever order their hooks run in. It also guards dirty.
	mu    sync.Mutex
	ready atomic.Bool
	// built is closed when the start-up build has ended, ready or not;
	// searches wait for it up to wait.
	built chan struct{}
	wait  time.Duration
	// dirty holds the projects written while the build runs: the build's
	// snapshot may have missed them, so they are re-read once it is done.
	dirty map[string]bool
	stop  chan struct{}
	done  sync.WaitGroup
}

func newProjIndex() *projIndex {
	return &projIndex{ix: search.New(), dirty: map[string]bool{}, built: make(chan struct{}), wait: buildWait, stop: make(chan struct{})}
}

// buildWait is how long a search waits for the start-up build before it
// scans the store instead. The scan reads every record the build reads,
// on the same cores: at 160,000 projects it takes about as long as the
// whole build (4 s and 5 s here), and slows the build down. Nodes of a
// few thousand projects build in well under a second.
const buildWait = 10 * time.Second

// index returns the index once it serves searches: at once, or after
// waiting for the start-up build (up to x.wait or ctx's end); nil when the
// search must scan the store.
func (x *projIndex) index(ctx context.Context) *search.Index {
	if x == nil {
		return nil
	}
	if !x.ready.Load() {
		t := time.NewTimer(x.wait)
		defer t.Stop()
		select {
		case <-x.built:
		case <-t.C:
		case <-ctx.Done():
		}
		if !x.ready.Load() {
			return nil
		}
	}
	return x.ix
}

var errProjIndexStopped = errors.New("node closed during the build")

// openProjectIndex starts the project index and its build in the
// background.
func (s *Service) openProjectIndex() {
	x := newProjIndex()
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
// written meanwhile, and makes the index serve searches. The records are
// decoded and analysed on every core (that is the build's cost: about
// 60 µs a project, the index's own work a tenth of it).
func (s *Service) buildProjectIndex(x *projIndex) error {
	defer close(x.built)
	start := time.Now()
	var n atomic.Int64
	var mu sync.Mutex
	var firstErr error
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
		}
	}
	work := make(chan [][]byte, 4)
	batches := make(chan *search.Batch, 4)
	var workers sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for chunk := range work {
				b := x.ix.NewBatch()
				for _, v := range chunk {
					var p twinfed.Project
					if err := json.Unmarshal(v, &p); err != nil {
						fail(fmt.Errorf("decode a project: %w", err))
						continue
					}
					if p.Public() {
						b.PutProject(&p)
					}
				}
				n.Add(int64(b.Size()))
				batches <- b
			}
		}()
	}
	go func() { workers.Wait(); close(batches) }()
	applied := make(chan struct{})
	go func() {
		defer close(applied)
		for b := range batches {
			if err := x.ix.Apply(b); err != nil {
				fail(err)
			}
		}
	}()
	err := s.store.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.Prefix = []byte(store.PrefixProject)
		it := txn.NewIterator(opts)
		defer it.Close()
		chunk := make([][]byte, 0, 1000)
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			if chunk = append(chunk, v); len(chunk) == cap(chunk) {
				select {
				case <-x.stop:
					return errProjIndexStopped
				case work <- chunk:
				}
				chunk = make([][]byte, 0, 1000)
			}
		}
		work <- chunk
		return nil
	})
	close(work)
	<-applied
	if err == nil {
		err = firstErr
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
	s.log.Info("projects: search index built", "projects", n.Load(), "written meanwhile", len(ids), "took", time.Since(start).Round(time.Millisecond))
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
