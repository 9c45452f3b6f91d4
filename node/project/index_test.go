package project

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/search"
	"github.com/twinfed/twinfed/node/store"
)

// openService opens the store in dir and an IT node's project service on
// it, without the other features (the tests' projects are other nodes'
// members': storing them asks none). The caller closes the store; opening
// the same dir again is a restart.
func openService(t *testing.T, dir string) (*store.Store, *Service) {
	t.Helper()
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Country: "IT", BaseURL: "http://it.example"}, Deps{Store: db})
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	return db, s
}

// testProject is a project of two French partners (none of the test
// node's members: storing it sends no notices).
func testProject(slug, title string, state twinfed.ProjectState, updated time.Time) *twinfed.Project {
	p := &twinfed.Project{ID: twinfed.ProjectURL("http://fr.example", slug), Title: title, Description: "<p>Pupils measure the water they use.</p>",
		Subjects: []string{"science"}, Languages: []string{"fr", "en"}, PupilAges: []int{10, 11}, State: state, Version: 1, Updated: updated}
	for i, c := range []string{"FR", "ES"} {
		p.Partners = append(p.Partners, twinfed.Partner{Actor: fmt.Sprintf("http://%s.example/users/t%d", c, i), Country: c, SchoolName: "Collège " + c, Status: twinfed.PartnerApproved})
	}
	return p
}

func putProjects(t *testing.T, s *Service, ps ...*twinfed.Project) {
	t.Helper()
	err := s.update(func(txn *badger.Txn) error {
		for _, p := range ps {
			old, _ := getProject(txn, p.ID)
			if err := s.storeProject(txn, old, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func titles(pg *ProjectPage) []string {
	var out []string
	for _, p := range pg.Projects {
		out = append(out, p.Title)
	}
	return out
}

func mustSearch(t *testing.T, s *Service, q ProjectQuery) *ProjectPage {
	t.Helper()
	pg, err := s.SearchProjects(context.Background(), nil, q)
	if err != nil {
		t.Fatal(err)
	}
	return pg
}

func waitProjectIndex(t *testing.T, s *Service) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, built := s.ProjectIndex(); !built; _, built = s.ProjectIndex() {
		if time.Now().After(deadline) {
			t.Fatal("the project index is not built after 10 s")
		}
		<-time.After(5 * time.Millisecond)
	}
}

// TestProjectIndex_BuildWritesAndRestart checks that the index, built
// from the store at start, answers as the scan did, follows every
// committed write and delete at once (and no failed one), and is built
// again from the store after a restart.
func TestProjectIndex_BuildWritesAndRestart(t *testing.T) {
	dir := t.TempDir()
	store, s := openService(t, dir)
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	water := testProject("water", "Water for tomorrow", twinfed.ProjectApproved, t0)
	robots := testProject("robots", "Robots at school", twinfed.ProjectClosed, t0.Add(time.Hour))
	robots.Subjects, robots.PupilAges, robots.Description = []string{"technology"}, []int{12}, "<p>Coding with Scratch</p>"
	pending := testProject("air", "Air and water", twinfed.ProjectAwaitingApproval, t0.Add(2*time.Hour))
	putProjects(t, s, water, robots, pending)

	queries := []struct {
		q    ProjectQuery
		want []string
	}{
		{ProjectQuery{}, []string{"Robots at school", "Water for tomorrow"}},
		{ProjectQuery{Text: "water"}, []string{"Water for tomorrow"}},
		{ProjectQuery{Text: "Water", Country: "es", Subject: "Science", Language: "EN", Age: 11, State: twinfed.ProjectApproved}, []string{"Water for tomorrow"}},
		{ProjectQuery{State: twinfed.ProjectClosed}, []string{"Robots at school"}},
		{ProjectQuery{Age: 12}, []string{"Robots at school"}},
		{ProjectQuery{Country: "IT"}, nil},
		{ProjectQuery{Limit: 1}, []string{"Robots at school"}},
		{ProjectQuery{Limit: 1, Offset: 1}, []string{"Water for tomorrow"}},
	}
	check := func(what string) {
		t.Helper()
		for _, c := range queries {
			pg := mustSearch(t, s, c.q)
			if got := titles(pg); !slices.Equal(got, c.want) {
				t.Errorf("%s: %+v: got %q, want %q", what, c.q, got, c.want)
			}
		}
	}
	check("scan, before the index opens")
	if pg := mustSearch(t, s, ProjectQuery{Limit: 1}); pg.Total != 2 || pg.Next != 1 {
		t.Errorf("scan: total %d next %d, want 2 and 1", pg.Total, pg.Next)
	}
	s.OpenIndex()
	waitProjectIndex(t, s)
	if n, _ := s.ProjectIndex(); n != 2 {
		t.Errorf("indexed %d projects, want the 2 public ones", n)
	}
	check("index")
	if pg := mustSearch(t, s, ProjectQuery{Limit: 1}); pg.Total != 2 || pg.Next != 1 {
		t.Errorf("index: total %d next %d, want 2 and 1", pg.Total, pg.Next)
	}
	if _, err := s.SearchProjects(context.Background(), nil, ProjectQuery{State: twinfed.ProjectDraft}); twinfed.ErrorCode(err) != twinfed.EINVALID {
		t.Errorf("a draft state: %v, want EINVALID", err)
	}

	// Writes: the index follows each as soon as it is committed.
	pending.State, pending.Version, pending.Updated = twinfed.ProjectApproved, 2, t0.Add(3*time.Hour)
	putProjects(t, s, pending)
	if got := titles(mustSearch(t, s, ProjectQuery{Text: "water"})); !slices.Equal(got, []string{"Air and water", "Water for tomorrow"}) && !slices.Equal(got, []string{"Water for tomorrow", "Air and water"}) {
		t.Errorf("after approving %q: %q", pending.Title, got)
	}
	water.Title, water.Version = "Rivers of Europe", 2
	putProjects(t, s, water)
	if got := titles(mustSearch(t, s, ProjectQuery{Text: "tomorrow"})); got != nil {
		t.Errorf("the old title still found: %q", got)
	}
	if got := titles(mustSearch(t, s, ProjectQuery{Text: "rive europ"})); !slices.Equal(got, []string{"Rivers of Europe"}) {
		t.Errorf("the new title by prefixes: %q", got)
	}
	failed := errors.New("refused")
	err := s.update(func(txn *badger.Txn) error {
		p := *robots
		p.Title = "Never committed"
		if err := s.storeProject(txn, robots, &p); err != nil {
			return err
		}
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatal(err)
	}
	if got := titles(mustSearch(t, s, ProjectQuery{Text: "committed"})); got != nil {
		t.Errorf("a write that failed is in the index: %q", got)
	}
	if err := s.update(func(txn *badger.Txn) error { return s.storeProject(txn, robots, nil) }); err != nil {
		t.Fatal(err)
	}
	if pg := mustSearch(t, s, ProjectQuery{State: twinfed.ProjectClosed}); pg.Total != 0 {
		t.Errorf("after the delete: %d closed projects", pg.Total)
	}
	// A record gone without the index knowing is left off the page.
	if err := store.Update(func(txn *badger.Txn) error { return txn.Delete([]byte(projectKey(water.ID))) }); err != nil {
		t.Fatal(err)
	}
	if got := titles(mustSearch(t, s, ProjectQuery{})); !slices.Equal(got, []string{"Air and water"}) {
		t.Errorf("with a record gone: %q", got)
	}

	// A restart builds the index from the store.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	store.Close()
	store, s = openService(t, dir)
	defer store.Close()
	s.OpenIndex()
	defer s.Close()
	waitProjectIndex(t, s)
	if n, _ := s.ProjectIndex(); n != 1 {
		t.Errorf("after the restart: %d indexed, want 1", n)
	}
	if got := titles(mustSearch(t, s, ProjectQuery{Text: "water"})); !slices.Equal(got, []string{"Air and water"}) {
		t.Errorf("after the restart: %q", got)
	}
}

// TestProjectIndex_WritesDuringTheBuild checks that a project written
// while the build runs is read again when the build is done.
func TestProjectIndex_WritesDuringTheBuild(t *testing.T) {
	store, s := openService(t, t.TempDir())
	defer store.Close()
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	putProjects(t, s, testProject("water", "Water for tomorrow", twinfed.ProjectApproved, t0))
	// The index as openProjectIndex makes it, its build run by hand.
	x := newProjIndex()
	x.wait = 0 // the search below scans
	s.ix = x
	defer x.ix.Close()
	late := testProject("late", "Late robots", twinfed.ProjectApproved, t0.Add(time.Hour))
	putProjects(t, s, late)
	if !x.dirty[late.ID] {
		t.Fatalf("a write during the build is not noted: %v", x.dirty)
	}
	if got := titles(mustSearch(t, s, ProjectQuery{Text: "robots"})); !slices.Equal(got, []string{"Late robots"}) {
		t.Errorf("before the build is done (scan): %q", got)
	}
	// A search made now waits for the build and answers from the index,
	// where "obots" starts no word (the scan finds it inside "robots").
	x.wait = time.Minute
	waited := make(chan *ProjectPage, 1)
	go func() {
		pg, _ := s.SearchProjects(context.Background(), nil, ProjectQuery{Text: "obots"})
		waited <- pg
	}()
	if err := s.buildProjectIndex(x); err != nil {
		t.Fatal(err)
	}
	if pg := <-waited; pg == nil || pg.Total != 0 {
		t.Errorf("a search during the build: %+v, want the index's answer (nothing)", pg)
	}
	if n, built := s.ProjectIndex(); n != 2 || !built {
		t.Errorf("after the build: %d indexed, built %v", n, built)
	}
	if got := titles(mustSearch(t, s, ProjectQuery{Text: "robots"})); !slices.Equal(got, []string{"Late robots"}) {
		t.Errorf("after the build: %q", got)
	}
}

// TestProjectIndex_ConcurrentWrites checks that after concurrent writes of
// one project the index holds the version the store holds, whatever order
// the writes' hooks ran in.
func TestProjectIndex_ConcurrentWrites(t *testing.T) {
	store, s := openService(t, t.TempDir())
	defer store.Close()
	s.OpenIndex()
	defer s.Close()
	waitProjectIndex(t, s)
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	const writers, writes = 8, 25
	errs := make(chan error, writers)
	for w := range writers {
		go func() {
			for i := range writes {
				p := testProject("busy", fmt.Sprintf("Busy tag%dx%02d", w, i), twinfed.ProjectApproved, t0)
				// Blind writes (no read of the old record): they never
				// conflict, so their commits interleave freely.
				if err := s.update(func(txn *badger.Txn) error { return s.storeProject(txn, nil, p) }); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	var stored *twinfed.Project
	if err := store.View(func(txn *badger.Txn) (err error) {
		stored, err = getProject(txn, twinfed.ProjectURL("http://fr.example", "busy"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	pg := mustSearch(t, s, ProjectQuery{Text: "busy"})
	if got := titles(pg); pg.Total != 1 || !slices.Equal(got, []string{stored.Title}) {
		t.Fatalf("the store holds %q, the search finds %d: %q", stored.Title, pg.Total, got)
	}
	tag := search.Words(stored.Title)[1]
	if got := titles(mustSearch(t, s, ProjectQuery{Text: tag})); !slices.Equal(got, []string{stored.Title}) {
		t.Errorf("by its tag %s: %q", tag, got)
	}
	for w := range writers {
		for i := range writes {
			if tg := fmt.Sprintf("tag%dx%02d", w, i); tg != tag {
				if pg := mustSearch(t, s, ProjectQuery{Text: tg}); pg.Total != 0 {
					t.Fatalf("the index holds %s, an older version than the store's %s", tg, tag)
				}
			}
		}
	}
}
