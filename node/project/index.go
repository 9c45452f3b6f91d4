package project

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
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

// OpenIndex starts the search index and its build from the store in the
// background; until the build is done, searches wait for it (up to
// buildWait) and then scan the store.
func (s *Service) OpenIndex() {
	x := newProjIndex()
	s.ix = x
	x.done.Add(1)
	go func() {
		defer x.done.Done()
		if err := s.buildProjectIndex(x); err != nil && !errors.Is(err, errProjIndexStopped) {
			// Searches keep scanning the store.
			s.log.Error("projects: search index build", "err", err)
		}
	}()
}

// Close stops the search index's build and releases the index.
func (s *Service) Close() error {
	x := s.ix
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
	x := s.ix
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
	x := s.ix
	if x == nil {
		return 0, false
	}
	n, _ := x.ix.Count()
	return int(n), x.ready.Load()
}

// SearchProjects searches the public projects of the whole federation that
// this node holds (every node receives every approved project), by keyword
// and filters. It asks the project index (index.go) for the page:
// each word of the text must be a word of the title, a partner's school,
// the description, aims or subjects, or start one (from three letters);
// text searches rank the title above the schools above the rest, and
// otherwise (and on ties) the most recently changed come first. While the
// index's start-up build runs it waits for it, up to buildWait; then it
// scans the store instead, where words match anywhere in the title,
// description, subjects and aims, most recently changed first.
func (s *Service) SearchProjects(ctx context.Context, viewer *twinfed.Principal, q ProjectQuery) (*ProjectPage, error) {
	if q.Limit <= 0 || q.Limit > 100 {
		q.Limit = 20
	}
	if q.State != "" && q.State != twinfed.ProjectApproved && q.State != twinfed.ProjectClosed {
		return nil, &twinfed.Error{Code: twinfed.EINVALID, Message: "Search approved or closed projects.", Fields: map[string]string{"state": "Choose approved or closed."}}
	}
	q.Offset = max(q.Offset, 0)
	ix := s.ix.index(ctx)
	if ix == nil {
		return s.scanProjects(q)
	}
	dq := search.Query{Text: q.Text, Country: q.Country, Subject: q.Subject, Language: q.Language, State: q.State, Offset: q.Offset, Limit: q.Limit}
	if q.Age > 0 {
		dq.AgeMin, dq.AgeMax = q.Age, q.Age
	}
	res, err := ix.Search(dq)
	if err != nil {
		return nil, s.internal("project search", err)
	}
	page := &ProjectPage{Total: res.Total, Projects: make([]*twinfed.Project, 0, len(res.IDs))}
	err = s.store.View(func(txn *badger.Txn) error {
		for _, id := range res.IDs {
			p, err := getProject(txn, id)
			if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
				continue // deleted since the search
			}
			if err != nil {
				return err
			}
			if p.Public() {
				page.Projects = append(page.Projects, p)
			}
		}
		return nil
	})
	if err != nil {
		return nil, s.internal("project search", err)
	}
	if end := q.Offset + len(res.IDs); end < res.Total {
		page.Next = end
	}
	return page, nil
}

// scanProjects is SearchProjects without the index: every pj/ record read
// and filtered.
func (s *Service) scanProjects(q ProjectQuery) (*ProjectPage, error) {
	words := strings.Fields(strings.ToLower(q.Text))
	var found []*twinfed.Project
	err := s.store.View(func(txn *badger.Txn) error {
		return store.EachJSON(txn, store.PrefixProject, func(p *twinfed.Project) error {
			if !p.Public() || (q.State != "" && p.State != q.State) {
				return nil
			}
			if q.Country != "" && !slices.Contains(p.Countries(), strings.ToUpper(q.Country)) {
				return nil
			}
			if q.Subject != "" && !containsFold(p.Subjects, q.Subject) || q.Language != "" && !containsFold(p.Languages, q.Language) {
				return nil
			}
			if q.Age > 0 && !slices.Contains(p.PupilAges, q.Age) {
				return nil
			}
			if len(words) > 0 {
				text := strings.ToLower(p.Title + " " + search.StripTags(p.Description) + " " + strings.Join(p.Subjects, " ") + " " + search.StripTags(p.Aims))
				for _, w := range words {
					if !strings.Contains(text, w) {
						return nil
					}
				}
			}
			found = append(found, p)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(found, func(a, b *twinfed.Project) int { return b.Updated.Compare(a.Updated) })
	page := &ProjectPage{Total: len(found), Projects: []*twinfed.Project{}}
	if q.Offset < len(found) {
		end := min(q.Offset+q.Limit, len(found))
		page.Projects = found[q.Offset:end]
		if end < len(found) {
			page.Next = end
		}
	}
	return page, nil
}

func containsFold(list []string, v string) bool {
	for _, x := range list {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}

// ScanProjects is SearchProjects without the index (for the benchmarks'
// comparison).
func (s *Service) ScanProjects(q ProjectQuery) (*ProjectPage, error) { return s.scanProjects(q) }

// ProjectIndexBuilt is closed when the search index's start-up build has
// ended (built or failed: ProjectIndex says which). Call it after
// OpenIndex.
func (s *Service) ProjectIndexBuilt() <-chan struct{} { return s.ix.built }
