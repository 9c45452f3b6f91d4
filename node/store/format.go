package store

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/dgraph-io/badger/v4"
)

// FormatVersion is the version of the layout of the node's records that
// this binary writes. A store records its version under KeyFormat; Open
// runs the migrations from the recorded version up to this one, and
// refuses a store of a newer version (written by a newer binary) rather
// than misread it.
//
// History:
//   - 1: the stores written before versions were recorded (up to the
//     feature-package layout of issue 7); KeyFormat absent.
//   - 2: KeyFormat recorded.
//   - 3: the TwinSpace's objects (so/, si/, sl/); the old board's posts
//     (tp/) become updates (node/twinspace.Migration).
//   - 4: each member's unread messages and waiting contact requests kept
//     in one record (su/; node/social.Migration).
const FormatVersion = 4

// Migration moves a store from version From to From+1. Run gets the DB
// before anything else reads it; it must be idempotent (a crash before the
// new version is recorded runs it again).
type Migration struct {
	From int
	Name string
	Run  func(db *badger.DB) error
}

// baseMigrations are the store's own; Options.Migrations adds the
// features' (listed by the node's assembly).
var baseMigrations = []Migration{
	{From: 1, Name: "record the store's format version", Run: func(*badger.DB) error { return nil }},
	{From: 2, Name: "format 3 (the features' steps do the work)", Run: func(*badger.DB) error { return nil }},
	{From: 3, Name: "format 4 (the features' steps do the work)", Run: func(*badger.DB) error { return nil }},
}

// ErrNewerFormat is returned by Open for a store written by a newer binary.
var ErrNewerFormat = errors.New("store written by a newer Twinfed")

// Format returns the store's recorded format version: 0 for an empty
// store, 1 for one written before versions were recorded.
func Format(db *badger.DB) (int, error) {
	v := 0
	err := db.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(KeyFormat))
		if errors.Is(err, badger.ErrKeyNotFound) {
			it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: false})
			defer it.Close()
			if it.Rewind(); it.Valid() {
				v = 1 // records, but no version: the first format
			}
			return nil
		}
		if err != nil {
			return err
		}
		return item.Value(func(raw []byte) error {
			n, err := strconv.Atoi(string(raw))
			if err != nil || n < 1 {
				return fmt.Errorf("the store's format version %q is not a number", raw)
			}
			v = n
			return nil
		})
	})
	return v, err
}

// upgrade brings db to FormatVersion: a new store is marked current, an
// older one migrated step by step (each step recorded once done), a newer
// one refused.
func upgrade(db *badger.DB, dir string, more []Migration, log func(msg string, args ...any)) error {
	v, err := Format(db)
	if err != nil {
		return err
	}
	switch {
	case v == 0:
		return setFormat(db, FormatVersion)
	case v > FormatVersion:
		return fmt.Errorf("%w: the data directory %s holds store format %d, and this binary reads formats up to %d. Run the newer binary again, or restore a backup made with this one", ErrNewerFormat, dir, v, FormatVersion)
	}
	steps := map[int][]Migration{}
	for _, m := range append(append([]Migration(nil), baseMigrations...), more...) {
		steps[m.From] = append(steps[m.From], m)
	}
	for ; v < FormatVersion; v++ {
		if len(steps[v]) == 0 {
			return fmt.Errorf("store: no migration from format %d to %d", v, v+1)
		}
		for _, m := range steps[v] {
			log("store migration", "from", v, "to", v+1, "step", m.Name)
			if err := m.Run(db); err != nil {
				return fmt.Errorf("store: migration from format %d (%s): %w", v, m.Name, err)
			}
		}
		if err := setFormat(db, v+1); err != nil {
			return err
		}
	}
	return nil
}

func setFormat(db *badger.DB, v int) error {
	return db.Update(func(txn *badger.Txn) error {
		return txn.Set([]byte(KeyFormat), []byte(strconv.Itoa(v)))
	})
}
