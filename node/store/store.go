package store

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Options tunes the Badger store.
type Options struct {
	Logger *slog.Logger
	// InMemory runs Badger without files, for benchmarks of the HTTP layer.
	InMemory bool
	// Migrations are the features' migrations of their records (the
	// node's assembly lists them), run with the store's own by Open.
	Migrations []Migration
	// Memory is what Badger may hold in memory; zero fields keep
	// DefaultMemory's.
	Memory Memory
}

// Memory sizes Badger's caches and memtables, the store's share of the
// node's memory.
type Memory struct {
	// IndexCacheBytes caches the tables' block indexes and Bloom
	// filters (read on demand from the tables beyond it).
	IndexCacheBytes int64
	// BlockCacheBytes caches the tables' blocks, uncompressed: the
	// records read most often.
	BlockCacheBytes int64
	// MemTableBytes is one memtable, where writes go before a flush to
	// level 0; the largest transaction is 15 % of it.
	MemTableBytes int64
	// NumMemtables is how many memtables may be held at once (the one
	// being written and those waiting for their flush).
	NumMemtables int
}

// DefaultMemory fits a national node in 512 MiB (docs/memory.md): 16 MiB
// of index cache, 32 MiB of block cache and two memtables of 32 MiB, 112
// MiB at most (Badger's own defaults and the node's settings before were
// 224 MiB).
var DefaultMemory = Memory{IndexCacheBytes: 16 << 20, BlockCacheBytes: 32 << 20, MemTableBytes: 32 << 20, NumMemtables: 2}

// withDefaults is m with DefaultMemory's value in each zero field.
func (m Memory) withDefaults() Memory {
	d := DefaultMemory
	if m.IndexCacheBytes == 0 {
		m.IndexCacheBytes = d.IndexCacheBytes
	}
	if m.BlockCacheBytes == 0 {
		m.BlockCacheBytes = d.BlockCacheBytes
	}
	if m.MemTableBytes == 0 {
		m.MemTableBytes = d.MemTableBytes
	}
	if m.NumMemtables == 0 {
		m.NumMemtables = d.NumMemtables
	}
	return m
}

// Store is the node's Badger store. It is safe for concurrent use.
type Store struct {
	db    *badger.DB
	hooks sync.Map // *badger.Txn of a running Update → *[]func(), see AfterCommit
}

// Open opens (or creates) the store in dir. Writes are synced before a
// transaction commits, so an acknowledged write survives a crash.
func Open(dir string, opts Options) (*Store, error) {
	db, err := badger.Open(badgerOptions(dir, opts))
	if err != nil {
		return nil, fmt.Errorf("open badger in %s: %w", dir, err)
	}
	log := func(string, ...any) {}
	if opts.Logger != nil {
		log = opts.Logger.Info
	}
	if err := upgrade(db, dir, opts.Migrations, log); err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db}, nil
}

// badgerOptions are the store's Badger settings.
func badgerOptions(dir string, opts Options) badger.Options {
	m := opts.Memory.withDefaults()
	bo := badger.DefaultOptions(dir).WithSyncWrites(true).WithLogger(badgerLogger{opts.Logger}).
		WithNumVersionsToKeep(1).WithIndexCacheSize(m.IndexCacheBytes).WithBlockCacheSize(m.BlockCacheBytes).
		WithMemTableSize(m.MemTableBytes).WithNumMemtables(m.NumMemtables).WithValueLogFileSize(256 << 20).
		WithNumCompactors(2) // each compactor's table builders hold tens of MiB while they run (Badger's default, 4, took 224 MiB at a start: docs/memory.md)
	if opts.InMemory {
		bo = bo.WithInMemory(true).WithDir("").WithValueDir("")
	}
	return bo
}

// DB returns the underlying Badger DB, for packages that write in the same
// transactions (the federation outbox under "fed/") and for write batches.
func (s *Store) DB() *badger.DB { return s.db }

// Close closes the DB.
func (s *Store) Close() error { return s.db.Close() }

// Update runs fn in a read-write transaction and commits it (synced). A
// conflict with a concurrent transaction is retried, up to
// conflictRetries times, after a pause that grows and is drawn at random
// (so that the writers of one hot record, a conversation its two members
// write at once, stop colliding on a loaded machine: retried back to back
// they could lose eleven times in a row). The functions fn gave
// AfterCommit run once the commit has succeeded.
func (s *Store) Update(fn func(txn *badger.Txn) error) error {
	for i := 0; ; i++ {
		after, err := s.update(fn)
		if errors.Is(err, badger.ErrConflict) && i < conflictRetries {
			time.Sleep(conflictPause(i))
			continue
		}
		if err == nil {
			for _, f := range after {
				f()
			}
		}
		return err
	}
}

// conflictRetries is how many times Update retries a conflict: twenty
// wait about 0.6 s in all at most. Twelve (200 ms) let the two members of
// one conversation writing 200 messages at once on a loaded machine lose
// one of them (TestMessages_OneConversationAtOnce, once in a clean-clone
// run): a write that waits is better than one refused.
const conflictRetries = 20

// conflictPause is the pause before retry i (from 0): up to 100 µs, then
// doubling to at most about 50 ms, drawn at random below that (full
// jitter).
func conflictPause(i int) time.Duration {
	ceiling := 100 * time.Microsecond << min(i, 9)
	return time.Duration(rand.Int64N(int64(ceiling)) + 1)
}

func (s *Store) update(fn func(txn *badger.Txn) error) ([]func(), error) {
	txn := s.db.NewTransaction(true)
	defer txn.Discard()
	var after []func()
	s.hooks.Store(txn, &after)
	defer s.hooks.Delete(txn)
	if err := fn(txn); err != nil {
		return nil, err
	}
	return after, txn.Commit()
}

// AfterCommit has f run when txn, a transaction of Update, has committed;
// never if it does not (nor for an attempt that Update retries after a
// conflict). For a transaction made elsewhere, f runs at once.
func (s *Store) AfterCommit(txn *badger.Txn, f func()) {
	if l, ok := s.hooks.Load(txn); ok {
		*l.(*[]func()) = append(*l.(*[]func()), f)
		return
	}
	f()
}

// View runs fn in a read-only transaction.
func (s *Store) View(fn func(txn *badger.Txn) error) error { return s.db.View(fn) }

// badgerLogger sends Badger's log lines to slog (warnings and errors only).
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any) {
	if b.l != nil {
		b.l.Error("badger: " + fmt.Sprintf(f, a...))
	}
}
func (b badgerLogger) Warningf(f string, a ...any) {
	if b.l != nil {
		b.l.Warn("badger: " + fmt.Sprintf(f, a...))
	}
}
func (badgerLogger) Infof(string, ...any)  {}
func (badgerLogger) Debugf(string, ...any) {}
