package directory

import (
	"bufio"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed/node/store"
)

// The index's snapshot. Building the index from dp/ decodes and analyses
// every profile: at the federation's full size (1.2 million profiles)
// that is about half a minute of CPU. A clean stop therefore writes the
// index to a file beside the store, and the next start reads it back in
// a second or two.
//
// The file is only good for the store it was written beside, and only as
// that store was at the stop. So the stop writes a random token both at
// the start of the file and in the store (KeyDirSnapshot), after the file
// is on disk; a start uses the file only if the store holds the same
// token, and deletes the token from the store before it reads the file.
// A snapshot is therefore used at most once: after a crash, a restored
// backup, or a store copied without its file (or the other way round), the
// index is built from the store. Changes made after the stop (a profile
// written by another feature after the directory closed) left their dq/
// marker, which the indexer takes as usual.

// snapshotFile is the snapshot's name, in the node's data directory.
const snapshotFile = "directory.snapshot"

// saveSnapshot writes the index's snapshot and then its token in the
// store. The indexer has stopped: the index holds every profile whose
// marker was cleared.
func (s *Service) saveSnapshot(d *index) error {
	start := s.now()
	token := rand.Text()
	tmp := s.snapshot + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	_, err = io.WriteString(w, token+"\n")
	if err == nil {
		err = d.ix.Save(w)
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, s.snapshot)
	}
	if err == nil {
		err = syncDir(filepath.Dir(s.snapshot))
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if err := s.store.Update(func(txn *badger.Txn) error { return txn.Set([]byte(store.KeyDirSnapshot), []byte(token)) }); err != nil {
		return err
	}
	s.log.Info("directory: index snapshot written", "file", s.snapshot, "took", s.now().Sub(start).Round(time.Millisecond))
	return nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// restoreSnapshot reads the index from the snapshot when the store holds
// its token; false when there is none to use, and the index must be built
// from the store.
func (s *Service) restoreSnapshot(d *index) bool {
	start := s.now()
	var token string
	err := s.store.Update(func(txn *badger.Txn) error {
		v, ok, err := store.GetString(txn, store.KeyDirSnapshot)
		if err != nil || !ok {
			return err
		}
		token = v
		return txn.Delete([]byte(store.KeyDirSnapshot))
	})
	defer os.Remove(s.snapshot) // used once, or not at all
	if err != nil || token == "" {
		if err != nil {
			s.log.Warn("directory: index snapshot token", "err", err)
		}
		return false
	}
	err = s.readSnapshot(d, token)
	if err != nil {
		s.log.Warn("directory: index snapshot not used; building the index from the store", "file", s.snapshot, "err", err)
		return false
	}
	n, _ := d.ix.Count()
	d.building.Store(0)
	s.log.Info("directory: index read from its snapshot", "profiles", n, "took", s.now().Sub(start).Round(time.Millisecond))
	return true
}

func (s *Service) readSnapshot(d *index, token string) error {
	f, err := os.Open(s.snapshot)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	head, err := r.ReadString('\n')
	if err != nil || head != token+"\n" {
		return errors.New("the snapshot is not the one the store names")
	}
	if err := d.ix.Restore(r); err != nil {
		return fmt.Errorf("read the snapshot: %w", err)
	}
	return nil
}
