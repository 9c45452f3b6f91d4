package consensus

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/hashicorp/raft"
)

// Key prefixes of the log store's Badger database.
var (
	prefixLog    = []byte("l/")
	prefixStable = []byte("s/")
)

// LogStore is a raft.LogStore and raft.StableStore on Badger: the log
// store of versions before PebbleLog, kept to read an older data dir's
// log once (migrateBadgerLog). Writes are synced (SyncWrites on):
// StoreLogs writes a whole batch in one transaction, so a batch of Raft
// entries costs one fsync.
type LogStore struct {
	db *badger.DB
}

var (
	_ raft.LogStore    = (*LogStore)(nil)
	_ raft.StableStore = (*LogStore)(nil)
)

// OpenLogStore opens (or creates) the log store in dir.
func OpenLogStore(dir string, logger badger.Logger) (*LogStore, error) {
	opts := badger.DefaultOptions(dir).
		WithSyncWrites(true).
		WithLogger(logger).
		WithNumVersionsToKeep(1).
		WithCompactL0OnClose(false).
		WithValueThreshold(1 << 20). // keep entries in the LSM tree: one file to sync
		WithMemTableSize(32 << 20).
		WithNumMemtables(3).
		WithBlockCacheSize(16 << 20).
		WithIndexCacheSize(0).
		WithNumCompactors(2).
		WithCompression(options.None). // entries are small or already compressed: spare the CPU
		WithDetectConflicts(false)     // Raft's writes read nothing: no transaction can conflict
	db, err := badger.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("open raft log store %s: %w", dir, err)
	}
	return &LogStore{db: db}, nil
}

// Close closes the database.
func (s *LogStore) Close() error { return s.db.Close() }

// DB returns the underlying database (for size metrics).
func (s *LogStore) DB() *badger.DB { return s.db }

func logKey(index uint64) []byte {
	return appendLogKey(make([]byte, 0, len(prefixLog)+8), index)
}

func appendLogKey(b []byte, index uint64) []byte {
	return binary.BigEndian.AppendUint64(append(b, prefixLog...), index)
}

// FirstIndex returns the first index written, 0 for no entries.
func (s *LogStore) FirstIndex() (uint64, error) {
	return s.edgeIndex(false)
}

// LastIndex returns the last index written, 0 for no entries.
func (s *LogStore) LastIndex() (uint64, error) {
	return s.edgeIndex(true)
}

func (s *LogStore) edgeIndex(reverse bool) (uint64, error) {
	var idx uint64
	err := s.db.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.PrefetchValues = false
		opts.Reverse = reverse
		opts.Prefix = prefixLog
		it := txn.NewIterator(opts)
		defer it.Close()
		seek := prefixLog
		if reverse {
			seek = append(append([]byte{}, prefixLog...), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
		}
		it.Seek(seek)
		if it.ValidForPrefix(prefixLog) {
			idx = binary.BigEndian.Uint64(it.Item().Key()[len(prefixLog):])
		}
		return nil
	})
	return idx, err
}

// GetLog reads the entry at index into log; raft.ErrLogNotFound when absent.
func (s *LogStore) GetLog(index uint64, log *raft.Log) error {
	return s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(logKey(index))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return raft.ErrLogNotFound
		}
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error { return decodeLog(v, log) })
	})
}

// StoreLog stores one entry.
func (s *LogStore) StoreLog(log *raft.Log) error {
	return s.StoreLogs([]*raft.Log{log})
}

// StoreLogs stores entries in one synced write (split only when a batch is
// over Badger's transaction limit).
func (s *LogStore) StoreLogs(logs []*raft.Log) error {
	// One buffer holds every key and value of the batch (Badger keeps
	// them until the commit): two allocations a batch, not two an entry.
	size := 0
	for _, l := range logs {
		size += len(prefixLog) + 8 + logEncodedSize(l)
	}
	buf := make([]byte, 0, size)
	txn := s.db.NewTransaction(true)
	defer func() { txn.Discard() }()
	for _, l := range logs {
		start := len(buf)
		buf = appendLogKey(buf, l.Index)
		k := buf[start:len(buf):len(buf)]
		start = len(buf)
		buf = appendLog(buf, l)
		v := buf[start:len(buf):len(buf)]
		err := txn.Set(k, v)
		if errors.Is(err, badger.ErrTxnTooBig) {
			if err := txn.Commit(); err != nil {
				return fmt.Errorf("store raft logs: %w", err)
			}
			txn = s.db.NewTransaction(true)
			err = txn.Set(k, v)
		}
		if err != nil {
			return fmt.Errorf("store raft log %d: %w", l.Index, err)
		}
	}
	if err := txn.Commit(); err != nil {
		return fmt.Errorf("store raft logs: %w", err)
	}
	return nil
}

// DeleteRange deletes entries min through max inclusive.
func (s *LogStore) DeleteRange(min, max uint64) error {
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for i := min; i <= max; i++ {
		if err := wb.Delete(logKey(i)); err != nil {
			return err
		}
		if i == max { // guard against overflow at MaxUint64
			break
		}
	}
	return wb.Flush()
}

func stableKey(key []byte) []byte {
	return append(append([]byte{}, prefixStable...), key...)
}

// Set stores a stable value.
func (s *LogStore) Set(key, val []byte) error {
	return s.db.Update(func(txn *badger.Txn) error {
		return txn.Set(stableKey(key), append([]byte{}, val...))
	})
}

// Get returns a stable value; an error "not found" when absent, as raft
// expects (it checks the message).
func (s *LogStore) Get(key []byte) ([]byte, error) {
	var out []byte
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(stableKey(key))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		out, err = item.ValueCopy(nil)
		return err
	})
	if errors.Is(err, errNotFound) {
		return []byte{}, errNotFound
	}
	return out, err
}

var errNotFound = errors.New("not found")

// SetUint64 stores a stable uint64.
func (s *LogStore) SetUint64(key []byte, val uint64) error { return setStableUint64(s, key, val) }

// GetUint64 returns a stable uint64, 0 when absent.
func (s *LogStore) GetUint64(key []byte) (uint64, error) { return getStableUint64(s, key) }

// setStableUint64 stores val under key as 8 big-endian bytes.
func setStableUint64(s raft.StableStore, key []byte, val uint64) error {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], val)
	return s.Set(key, b[:])
}

// getStableUint64 reads a value of setStableUint64, 0 when absent (Get's
// errNotFound).
func getStableUint64(s raft.StableStore, key []byte) (uint64, error) {
	v, err := s.Get(key)
	if errors.Is(err, errNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("stable key %q: want 8 bytes, have %d", key, len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

// Log entry encoding: version byte, index, term, type, appended-at (unix
// nanoseconds), then length-prefixed data and extensions.
const logEncodingV1 = 1

func logEncodedSize(l *raft.Log) int {
	return 1 + 8 + 8 + 1 + 8 + 4 + len(l.Data) + 4 + len(l.Extensions)
}

func appendLog(b []byte, l *raft.Log) []byte {
	b = append(b, logEncodingV1)
	b = binary.BigEndian.AppendUint64(b, l.Index)
	b = binary.BigEndian.AppendUint64(b, l.Term)
	b = append(b, byte(l.Type))
	var at int64
	if !l.AppendedAt.IsZero() {
		at = l.AppendedAt.UnixNano()
	}
	b = binary.BigEndian.AppendUint64(b, uint64(at))
	b = binary.BigEndian.AppendUint32(b, uint32(len(l.Data)))
	b = append(b, l.Data...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(l.Extensions)))
	b = append(b, l.Extensions...)
	return b
}

func decodeLog(b []byte, l *raft.Log) error {
	if len(b) < 1+8+8+1+8+4+4 || b[0] != logEncodingV1 {
		return fmt.Errorf("raft log entry: unknown encoding")
	}
	l.Index = binary.BigEndian.Uint64(b[1:])
	l.Term = binary.BigEndian.Uint64(b[9:])
	l.Type = raft.LogType(b[17])
	at := int64(binary.BigEndian.Uint64(b[18:]))
	l.AppendedAt = time.Time{}
	if at != 0 {
		l.AppendedAt = time.Unix(0, at)
	}
	rest := b[26:]
	n := binary.BigEndian.Uint32(rest)
	rest = rest[4:]
	if uint32(len(rest)) < n+4 {
		return fmt.Errorf("raft log entry %d: truncated", l.Index)
	}
	l.Data = append([]byte(nil), rest[:n]...)
	rest = rest[n:]
	m := binary.BigEndian.Uint32(rest)
	rest = rest[4:]
	if uint32(len(rest)) < m {
		return fmt.Errorf("raft log entry %d: truncated", l.Index)
	}
	l.Extensions = nil
	if m > 0 {
		l.Extensions = append([]byte(nil), rest[:m]...)
	}
	return nil
}

// DiskBytes is the size of Badger's LSM tree and value log.
func (s *LogStore) DiskBytes() int64 {
	lsm, vlog := s.db.Size()
	return lsm + vlog
}
