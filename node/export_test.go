package node

import (
	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
)

// StoreProjects writes projects as copies received from other nodes would
// be (storeProject, 1,000 to a transaction), for the benchmarks: far
// faster than delivering each in an activity.
func (s *Service) StoreProjects(ps []*twinfed.Project) error {
	for start := 0; start < len(ps); start += 1000 {
		err := s.update(func(txn *badger.Txn) error {
			for _, p := range ps[start:min(start+1000, len(ps))] {
				old, _ := getProject(txn, p.ID)
				if err := s.storeProject(txn, old, p); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// ScanProjects is SearchProjects without the index, for the benchmark's
// comparison.
func (s *Service) ScanProjects(q ProjectQuery) (*ProjectPage, error) { return s.scanProjects(q) }

// ProjectIndexBuilt is closed when the project index's start-up build has
// ended (built or failed: ProjectIndex says which).
func (s *Service) ProjectIndexBuilt() <-chan struct{} { return s.proj.built }
