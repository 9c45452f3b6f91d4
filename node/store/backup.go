package store

import (
	"fmt"

	"io"
	"os"

	"github.com/dgraph-io/badger/v4"
)

// Backup writes a consistent copy of the whole store as of now to w while
// the store goes on serving: Badger's backup stream, read at one
// timestamp, so a write acknowledged before Backup began is in it and no
// half of a transaction is. It returns the version the copy was read at.
func (s *Store) Backup(w io.Writer) (uint64, error) {
	return s.db.Backup(w, 0)
}

// Restore loads a stream written by Backup into a new store in dir (absent
// or empty: Restore never merges into existing data), then checks and
// upgrades its format as Open does, and closes it.
func Restore(dir string, r io.Reader, opts Options) error {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("store: %s is not empty; restore into a new directory", dir)
	}
	// Load into Badger as it is (Open would mark the empty store as of
	// this binary's format), then Open: the loaded records carry their
	// own format version, older ones are migrated, newer ones refused.
	db, err := badger.Open(badgerOptions(dir, opts))
	if err != nil {
		return fmt.Errorf("store: open badger in %s: %w", dir, err)
	}
	if err := db.Load(r, 256); err != nil {
		db.Close()
		return fmt.Errorf("store: load the backup: %w", err)
	}
	if err := db.Close(); err != nil {
		return err
	}
	s, err := Open(dir, opts)
	if err != nil {
		return err
	}
	return s.Close()
}
