package consensus

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/hashicorp/raft"
)

// raftLog is a member's Raft log and stable store.
type raftLog interface {
	raft.LogStore
	raft.StableStore
	Close() error
	// DiskBytes is what the store takes on disk.
	DiskBytes() int64
}

var (
	_ raftLog = (*PebbleLog)(nil)
	_ raftLog = (*LogStore)(nil)
)

// PebbleLog is the Raft log and stable store on Pebble (CockroachDB's
// storage engine, which keeps CockroachDB's own Raft logs). Keys and
// entries are those of the Badger LogStore (prefixLog + big-endian index,
// prefixStable + key; appendLog's encoding). Each StoreLogs is one batch
// committed with pebble.Sync: one write to Pebble's write-ahead log and
// one fdatasync, shared with any commit waiting beside it. Pebble reuses
// the WAL files of flushed memtables, so a sync in steady state rewrites
// blocks the file already has and commits no file-system metadata, where
// Badger msyncs its memory-mapped WAL, a sparse file, whole.
type PebbleLog struct {
	db     *pebble.DB
	closed atomic.Bool
}

// OpenPebbleLog opens (or creates) the Pebble log store in dir.
func OpenPebbleLog(dir string, logger *slog.Logger) (*PebbleLog, error) {
	return openPebbleLog(dir, logger, vfs.Default)
}

// openPebbleLog opens the store on the file system fs (tests inject
// disk errors).
func openPebbleLog(dir string, logger *slog.Logger, fs vfs.FS) (*PebbleLog, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cache := pebble.NewCache(16 << 20)
	defer cache.Unref()
	opts := &pebble.Options{
		Cache: cache,
		FS:    fs,
		// A memtable is flushed, and its WAL file recycled, every 32 MiB
		// of entries (the next WAL then overwrites written blocks). A
		// batch over half of it would be flushed on its own: Raft's
		// largest batch is ImportInFlight entries of MaxEntryBytes, 14.4
		// MiB.
		MemTableSize:       32 << 20,
		FormatMajorVersion: pebble.FormatNewest,
		Logger:             pebbleLogger{logger},
	}
	db, err := pebble.Open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("open raft log store %s: %w", dir, err)
	}
	return &PebbleLog{db: db}, nil
}

// Close closes the database; closing it again does nothing (Pebble
// panics on a second Close).
func (s *PebbleLog) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.db.Close()
}

// DiskBytes is the size of Pebble's tables, WAL and manifest.
func (s *PebbleLog) DiskBytes() int64 {
	return int64(s.db.Metrics().DiskSpaceUsage())
}

// FirstIndex returns the first index written, 0 for no entries.
func (s *PebbleLog) FirstIndex() (uint64, error) { return s.edgeIndex(false) }

// LastIndex returns the last index written, 0 for no entries.
func (s *PebbleLog) LastIndex() (uint64, error) { return s.edgeIndex(true) }

var logUpper = []byte{prefixLog[0], prefixLog[1] + 1}

func (s *PebbleLog) edgeIndex(last bool) (uint64, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefixLog, UpperBound: logUpper})
	if err != nil {
		return 0, err
	}
	var ok bool
	if last {
		ok = it.Last()
	} else {
		ok = it.First()
	}
	var idx uint64
	if ok {
		k := it.Key()
		if len(k) != len(prefixLog)+8 {
			it.Close()
			return 0, fmt.Errorf("raft log store: a key of %d bytes under the log's prefix", len(k))
		}
		idx = binary.BigEndian.Uint64(k[len(prefixLog):])
	}
	if err := it.Close(); err != nil {
		return 0, err
	}
	return idx, nil
}

// GetLog reads the entry at index into log; raft.ErrLogNotFound when absent.
func (s *PebbleLog) GetLog(index uint64, log *raft.Log) error {
	var key [10]byte
	v, closer, err := s.db.Get(appendLogKey(key[:0], index))
	if errors.Is(err, pebble.ErrNotFound) {
		return raft.ErrLogNotFound
	}
	if err != nil {
		return err
	}
	defer closer.Close()
	return decodeLog(v, log)
}

// StoreLog stores one entry.
func (s *PebbleLog) StoreLog(log *raft.Log) error { return s.StoreLogs([]*raft.Log{log}) }

// StoreLogs stores entries in one synced batch.
func (s *PebbleLog) StoreLogs(logs []*raft.Log) error {
	b := s.db.NewBatch()
	defer b.Close()
	var key [10]byte
	for _, l := range logs {
		op := b.SetDeferred(len(prefixLog)+8, logEncodedSize(l))
		copy(op.Key, appendLogKey(key[:0], l.Index))
		appendLog(op.Value[:0], l)
		if err := op.Finish(); err != nil {
			return fmt.Errorf("store raft log %d: %w", l.Index, err)
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("store raft logs: %w", err)
	}
	return nil
}

// DeleteRange deletes entries min through max inclusive, with one range
// deletion, synced (a follower's conflicting suffix must not come back
// after a crash).
func (s *PebbleLog) DeleteRange(min, max uint64) error {
	if min > max {
		return nil
	}
	end := logUpper
	if max < ^uint64(0) {
		end = logKey(max + 1)
	}
	if err := s.db.DeleteRange(logKey(min), end, pebble.Sync); err != nil {
		return fmt.Errorf("delete raft logs %d-%d: %w", min, max, err)
	}
	return nil
}

// Set stores a stable value.
func (s *PebbleLog) Set(key, val []byte) error {
	return s.db.Set(stableKey(key), val, pebble.Sync)
}

// Get returns a stable value; an error "not found" when absent, as raft
// expects (it checks the message).
func (s *PebbleLog) Get(key []byte) ([]byte, error) {
	v, closer, err := s.db.Get(stableKey(key))
	if errors.Is(err, pebble.ErrNotFound) {
		return []byte{}, errNotFound
	}
	if err != nil {
		return nil, err
	}
	out := bytes.Clone(v)
	return out, closer.Close()
}

// SetUint64 stores a stable uint64.
func (s *PebbleLog) SetUint64(key []byte, val uint64) error { return setStableUint64(s, key, val) }

// GetUint64 returns a stable uint64, 0 when absent.
func (s *PebbleLog) GetUint64(key []byte) (uint64, error) { return getStableUint64(s, key) }

// pebbleLogger sends Pebble's messages to the member's logger: its
// routine news (WALs found, flushes) at debug level.
type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) {
	p.l.Debug("raft log store: " + fmt.Sprintf(format, args...))
}

func (p pebbleLogger) Errorf(format string, args ...any) {
	p.l.Error("raft log store: " + fmt.Sprintf(format, args...))
}

func (p pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.l.Error("raft log store: " + msg)
	panic("raft log store: " + msg)
}

// The log store's directories in a member's data dir.
const (
	logDir       = "log"           // the log store (Pebble)
	logMigrating = "log.migrating" // a migration under way; renamed to log when complete
	badgerLogDir = "raft"          // the log store of versions before Pebble (Badger)
	badgerRetire = "raft.retired"  // the Badger log store once migrated, until it is deleted
)

// raftStableKeys are the keys hashicorp/raft keeps in its stable store:
// the current term and the last vote (term, candidate).
var raftStableKeys = []struct {
	key    string
	number bool // a uint64 (SetUint64), not bytes
}{{"CurrentTerm", true}, {"LastVoteTerm", true}, {"LastVoteCand", false}}

// openRaftLog opens the member's log store in dataDir/log. A data dir of
// an older version has its log in Badger (dataDir/raft): its entries and
// stable keys are copied into a new Pebble store first (migrateBadgerLog).
func openRaftLog(dataDir string, blog badgerLogger, logger *slog.Logger) (raftLog, error) {
	if err := migrateBadgerLog(dataDir, blog, logger); err != nil {
		return nil, err
	}
	return OpenPebbleLog(filepath.Join(dataDir, logDir), logger)
}

// migrateBadgerLog moves a Badger log store (dataDir/raft) into Pebble
// (dataDir/log). The new store is written beside it, in
// dataDir/log.migrating, and renamed to log once complete and synced: the
// rename is the commit point. A migration that stopped before it (a
// crash) starts again from the Badger store, which is untouched; after
// it, the Badger store is retired (renamed, then deleted), and a
// retirement that stopped is finished at the next start.
func migrateBadgerLog(dataDir string, blog badgerLogger, logger *slog.Logger) error {
	old := filepath.Join(dataDir, badgerLogDir)
	dst := filepath.Join(dataDir, logDir)
	retired := filepath.Join(dataDir, badgerRetire)
	if _, err := os.Stat(old); errors.Is(err, os.ErrNotExist) {
		return os.RemoveAll(retired) // a retirement that stopped after the rename
	} else if err != nil {
		return fmt.Errorf("consensus: raft log store: %w", err)
	}
	if _, err := os.Stat(dst); err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("consensus: raft log store: %w", err)
		}
		n, err := copyBadgerLog(dataDir, old, blog, logger)
		if err != nil {
			return err
		}
		logger.Info("registry: moved the Raft log from Badger to Pebble", "entries", n)
	}
	// The new store is complete: retire the Badger store.
	if err := os.Rename(old, retired); err != nil {
		return fmt.Errorf("consensus: retire the Badger raft log: %w", err)
	}
	if err := syncDir(dataDir); err != nil {
		return fmt.Errorf("consensus: retire the Badger raft log: %w", err)
	}
	return os.RemoveAll(retired)
}

// copyBadgerLog copies the Badger log store in old into a new Pebble
// store, dataDir/log once complete; it returns how many entries it copied.
func copyBadgerLog(dataDir, old string, blog badgerLogger, logger *slog.Logger) (int, error) {
	tmp := filepath.Join(dataDir, logMigrating)
	if err := os.RemoveAll(tmp); err != nil { // a migration that stopped
		return 0, fmt.Errorf("consensus: raft log migration: %w", err)
	}
	src, err := OpenLogStore(old, blog)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	dst, err := OpenPebbleLog(tmp, logger)
	if err != nil {
		return 0, err
	}
	n, err := copyRaftLog(src, dst)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("consensus: raft log migration: %w", err)
	}
	// Each StoreLogs and Set was synced; the rename makes it the log.
	if err := os.Rename(tmp, filepath.Join(dataDir, logDir)); err != nil {
		return 0, fmt.Errorf("consensus: raft log migration: %w", err)
	}
	if err := syncDir(dataDir); err != nil {
		return 0, fmt.Errorf("consensus: raft log migration: %w", err)
	}
	return n, nil
}

// copyRaftLog copies every entry and the stable keys of src into dst.
func copyRaftLog(src, dst raftLog) (int, error) {
	for _, k := range raftStableKeys {
		if k.number {
			v, err := src.GetUint64([]byte(k.key))
			if err != nil {
				return 0, fmt.Errorf("stable key %s: %w", k.key, err)
			}
			if v != 0 {
				if err := dst.SetUint64([]byte(k.key), v); err != nil {
					return 0, err
				}
			}
			continue
		}
		v, err := src.Get([]byte(k.key))
		if errors.Is(err, errNotFound) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("stable key %s: %w", k.key, err)
		}
		if err := dst.Set([]byte(k.key), v); err != nil {
			return 0, err
		}
	}
	first, err := src.FirstIndex()
	if err != nil {
		return 0, err
	}
	last, err := src.LastIndex()
	if err != nil || first == 0 {
		return 0, err
	}
	// Batches of at most 1,024 entries or 4 MiB (import entries are up
	// to MaxEntryBytes each).
	const chunk, chunkBytes = 1024, 4 << 20
	n, size := 0, 0
	batch := make([]*raft.Log, 0, chunk)
	for i := first; i <= last; i++ {
		l := new(raft.Log)
		if err := src.GetLog(i, l); err != nil {
			return n, fmt.Errorf("entry %d of %d-%d: %w", i, first, last, err)
		}
		batch = append(batch, l)
		size += logEncodedSize(l)
		if len(batch) == chunk || size >= chunkBytes || i == last {
			size = 0
			if err := dst.StoreLogs(batch); err != nil {
				return n, err
			}
			n += len(batch)
			batch = batch[:0]
		}
	}
	return n, nil
}
