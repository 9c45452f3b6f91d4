package node

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
)

// Key prefixes of the node's records. Every key this package writes starts
// with one of them; other packages sharing the DB (federation: "fed/") keep
// to their own.
const (
	prefixMember    = "u/"  // u/<username> → Member JSON
	prefixCred      = "c/"  // c/<username> → credentials JSON (password hash)
	prefixEmail     = "e/"  // e/<lower-case e-mail> → username
	prefixStatus    = "x/"  // x/<status>/<username> → "" (index for queues and counts)
	prefixSession   = "ss/" // ss/<sha256(token)> → session JSON
	prefixToken     = "tk/" // tk/<sha256(token)> → one-time link JSON (confirmation, reset)
	prefixProposal  = "ps/" // ps/<id> → school proposal JSON
	prefixPhoto     = "ph/" // ph/<username> → photo (content type, NUL, bytes)
	prefixDeleted   = "d/"  // d/<username> → tombstone JSON (the username stays reserved)
	keyNodeSecret   = "cfg/secret"
	prefixRegWeekly = "rw/" // rw/<yyyy-ww>/<username> → "" (registrations per week)
)

// StoreOptions tunes the Badger store.
type StoreOptions struct {
	Logger *slog.Logger
	// InMemory runs Badger without files, for benchmarks of the HTTP layer.
	InMemory bool
}

// Store is the node's Badger store. It is safe for concurrent use.
type Store struct {
	db    *badger.DB
	hooks sync.Map // *badger.Txn of a running Update → *[]func(), see afterCommit
}

// OpenStore opens (or creates) the store in dir. Writes are synced before a
// transaction commits, so an acknowledged write survives a crash.
func OpenStore(dir string, opts StoreOptions) (*Store, error) {
	bo := badger.DefaultOptions(dir).WithSyncWrites(true).WithLogger(badgerLogger{opts.Logger}).
		WithNumVersionsToKeep(1).WithIndexCacheSize(64 << 20).WithBlockCacheSize(64 << 20).
		WithMemTableSize(32 << 20).WithNumMemtables(3).WithValueLogFileSize(256 << 20)
	if opts.InMemory {
		bo = bo.WithInMemory(true).WithDir("").WithValueDir("")
	}
	db, err := badger.Open(bo)
	if err != nil {
		return nil, fmt.Errorf("open badger in %s: %w", dir, err)
	}
	return &Store{db: db}, nil
}

// DB returns the underlying Badger DB, for packages that write in the same
// transactions (the federation outbox under "fed/").
func (s *Store) DB() *badger.DB { return s.db }

// Close closes the DB.
func (s *Store) Close() error { return s.db.Close() }

// Update runs fn in a read-write transaction and commits it (synced). A
// conflict with a concurrent transaction is retried a few times. The
// functions fn gave afterCommit run once the commit has succeeded.
func (s *Store) Update(fn func(txn *badger.Txn) error) error {
	for i := 0; ; i++ {
		after, err := s.update(fn)
		if errors.Is(err, badger.ErrConflict) && i < 10 {
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

// afterCommit has f run when txn, a transaction of Update, has committed;
// never if it does not. For a transaction made elsewhere (there is none in
// this package), f runs at once.
func (s *Store) afterCommit(txn *badger.Txn, f func()) {
	if l, ok := s.hooks.Load(txn); ok {
		*l.(*[]func()) = append(*l.(*[]func()), f)
		return
	}
	f()
}

// View runs fn in a read-only transaction.
func (s *Store) View(fn func(txn *badger.Txn) error) error { return s.db.View(fn) }

// deletePrefix deletes every key under prefix within txn.
func deletePrefix(txn *badger.Txn, prefix string) error {
	for _, k := range keysUnder(txn, prefix, 0) {
		if err := txn.Delete([]byte(prefix + k)); err != nil {
			return err
		}
	}
	return nil
}

// getJSON reads key into v; ENOTFOUND when missing.
func getJSON(txn *badger.Txn, key string, v any) error {
	item, err := txn.Get([]byte(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return twinfed.Errorf(twinfed.ENOTFOUND, "not found")
	}
	if err != nil {
		return err
	}
	return item.Value(func(b []byte) error { return json.Unmarshal(b, v) })
}

func setJSON(txn *badger.Txn, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return txn.Set([]byte(key), b)
}

func exists(txn *badger.Txn, key string) (bool, error) {
	_, err := txn.Get([]byte(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	return err == nil, err
}

func getString(txn *badger.Txn, key string) (string, bool, error) {
	item, err := txn.Get([]byte(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	b, err := item.ValueCopy(nil)
	return string(b), true, err
}

// countPrefix counts keys under prefix without reading values.
func countPrefix(txn *badger.Txn, prefix string) int {
	opts := badger.DefaultIteratorOptions
	opts.PrefetchValues = false
	opts.Prefix = []byte(prefix)
	it := txn.NewIterator(opts)
	defer it.Close()
	n := 0
	for it.Rewind(); it.Valid(); it.Next() {
		n++
	}
	return n
}

// keysUnder returns the key suffixes under prefix, in order, at most limit (0: all).
func keysUnder(txn *badger.Txn, prefix string, limit int) []string {
	opts := badger.DefaultIteratorOptions
	opts.PrefetchValues = false
	opts.Prefix = []byte(prefix)
	it := txn.NewIterator(opts)
	defer it.Close()
	var out []string
	for it.Rewind(); it.Valid(); it.Next() {
		out = append(out, string(bytes.TrimPrefix(it.Item().Key(), []byte(prefix))))
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out
}

// eachJSON decodes every value under prefix into a fresh T and calls fn.
func eachJSON[T any](txn *badger.Txn, prefix string, fn func(v *T) error) error {
	opts := badger.DefaultIteratorOptions
	opts.Prefix = []byte(prefix)
	it := txn.NewIterator(opts)
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		var v T
		if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &v) }); err != nil {
			return err
		}
		if err := fn(&v); err != nil {
			return err
		}
	}
	return nil
}

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

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
