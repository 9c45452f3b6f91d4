package directory

import (
	"encoding/json"
	"fmt"
	"hash/maphash"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/search"
	"github.com/twinfed/twinfed/node/store"
)

// Every public profile the node knows (its own members' and those pushed
// or backfilled from other nodes) is kept in Badger under dp/; a change
// also writes a dq/ marker in the same transaction, and the indexer moves
// marked profiles into the search index (package search, in memory) and
// clears the markers. The index is derived data, built from dp/ at each
// start.

// stamps count the committed writes of directory records since the
// process started, in slots chosen by a hash of the record's key: a
// record's stamp changes with every write of it (and of the few records
// sharing its slot). The profile page cache keeps a page with the stamp
// its record had before it was read, and serves the page while the stamp
// is unchanged: a check that costs an atomic load, not a Badger
// transaction. A write bumps the stamp after its commit (Store.AfterCommit),
// so a page rendered from the old record, even one rendered while the
// write was committing, is not served once the write has been
// acknowledged.
type stamps struct {
	seed  maphash.Seed
	slots [4096]atomic.Uint64
}

func newStamps() *stamps { return &stamps{seed: maphash.MakeSeed()} }

func (d *stamps) slot(key string) *atomic.Uint64 {
	return &d.slots[maphash.String(d.seed, key)%uint64(len(d.slots))]
}

// get is the stamp of the record at key.
func (d *stamps) get(key string) uint64 { return d.slot(key).Load() }

// touch marks the record at key changed; touchAll, every record.
func (d *stamps) touch(key string) { d.slot(key).Add(1) }

func (d *stamps) touchAll() {
	for i := range d.slots {
		d.slots[i].Add(1)
	}
}

// index is the running directory: the search index and its indexer.
type index struct {
	ix       *search.Index
	building atomic.Int64 // profiles the start-up build has still to index
	complete atomic.Bool  // the start-up build (or restore) indexed every profile
	// changes counts the wakes; idleAt is the value it had when a pass of
	// the indexer began that found no marker. They are equal while the
	// indexer has nothing to do.
	changes atomic.Uint64
	idleAt  atomic.Uint64

	// The count of markers, kept up to a second while no change comes:
	// counting walks the tombstones of cleared markers too.
	countMu    sync.Mutex
	countAt    time.Time
	count      int
	countStale atomic.Bool
	wake       chan struct{}
	stop       chan struct{}
	done       sync.WaitGroup
}

// Wake tells the indexer that a transaction committed changes of the
// directory. Put and Remove call it once their transaction, a
// store.Update's, has committed; a writer in a transaction of its own
// calls it after its commit.
func (s *Service) Wake() {
	if d := s.dir; d != nil {
		d.changes.Add(1)
		d.countStale.Store(true)
		select {
		case d.wake <- struct{}{}:
		default:
		}
	}
}

// Put records p in the directory within txn.
func (s *Service) Put(txn *badger.Txn, p *twinfed.Profile) error {
	key := store.PrefixDirProfile + p.ID
	if err := store.SetJSON(txn, key, p); err != nil {
		return err
	}
	s.store.AfterCommit(txn, func() { s.stamps.touch(key); s.Wake() })
	return txn.Set([]byte(store.PrefixDirQueue+p.ID), []byte(strconv.FormatInt(s.now().UnixNano(), 10)))
}

// PutInBatch records p in the directory within a write batch (a bulk
// import's); the batch's writer calls Imported once it is flushed.
func (s *Service) PutInBatch(wb *badger.WriteBatch, p *twinfed.Profile) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if err := wb.Set([]byte(store.PrefixDirProfile+p.ID), b); err != nil {
		return err
	}
	return wb.Set([]byte(store.PrefixDirQueue+p.ID), []byte(strconv.FormatInt(s.now().UnixNano(), 10)))
}

// Remove removes a profile from the directory within txn.
func (s *Service) Remove(txn *badger.Txn, id string) error {
	key := store.PrefixDirProfile + id
	if err := txn.Delete([]byte(key)); err != nil {
		return err
	}
	s.store.AfterCommit(txn, func() { s.stamps.touch(key); s.Wake() })
	return txn.Set([]byte(store.PrefixDirQueue+id), []byte(strconv.FormatInt(s.now().UnixNano(), 10)))
}

// DirectoryBacklog is the number of profiles waiting for the indexer: 0
// once search has caught up with the store. After a start, a bulk import
// or a backfill it shows how far indexing has got (metric
// twinfed_node_directory_backlog).
func (s *Service) DirectoryBacklog() int {
	d := s.dir
	if d == nil {
		return 0
	}
	n := int(d.building.Load())
	if d.idleAt.Load() == d.changes.Load() {
		return n
	}
	d.countMu.Lock()
	defer d.countMu.Unlock()
	if now := time.Now(); d.countStale.Swap(false) || now.Sub(d.countAt) >= time.Second {
		_ = s.store.View(func(txn *badger.Txn) error { d.count = store.CountPrefix(txn, store.PrefixDirQueue); return nil })
		d.countAt = now
	}
	return n + d.count
}

// Get returns a profile the directory holds, nil when unknown.
func (s *Service) Get(txn *badger.Txn, id string) *twinfed.Profile {
	var p twinfed.Profile
	if store.GetJSON(txn, store.PrefixDirProfile+id, &p) != nil {
		return nil
	}
	return &p
}

// Profiles returns the profiles the directory holds of the actors (by
// actor URL; those it holds none of absent): the names of a page's
// authors.
func (s *Service) Profiles(actors []string) map[string]*twinfed.Profile {
	out := make(map[string]*twinfed.Profile, len(actors))
	_ = s.store.View(func(txn *badger.Txn) error {
		for _, a := range actors {
			if _, ok := out[a]; !ok {
				if p := s.Get(txn, a); p != nil {
					out[a] = p
				}
			}
		}
		return nil
	})
	return out
}

// syncLocalProfiles puts every validated member's public profile into dp/
// once (members stored before the directory existed, or imported in bulk).
func (s *Service) syncLocalProfiles() error {
	done := false
	_ = s.store.View(func(txn *badger.Txn) error { done = store.Has(txn, store.KeyDirLocal); return nil })
	if done {
		return nil
	}
	// The members are listed from one snapshot, and each is read again in
	// the transaction that writes its profile: an edit made meanwhile (a
	// hidden profile, a new school) is not overwritten by the older copy.
	var batch []string
	flush := func() error {
		err := s.store.Update(func(txn *badger.Txn) error {
			for _, username := range batch {
				m, err := s.members.MemberIn(txn, username)
				if err != nil {
					if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
						continue // deleted meanwhile
					}
					return err
				}
				// A record already there was written with the member
				// (the account's SaveMember) and is current: rewriting it would only
				// give it a new version, and the profile page cache a miss.
				if p := s.members.PublicOf(m); p != nil && !store.Has(txn, store.PrefixDirProfile+p.ID) {
					if err := s.Put(txn, p); err != nil {
						return err
					}
				}
			}
			return nil
		})
		batch = batch[:0]
		return err
	}
	err := s.store.View(func(txn *badger.Txn) error {
		for _, username := range s.members.Usernames(txn) {
			batch = append(batch, username)
			if len(batch) >= 5000 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err == nil {
		err = s.store.Update(func(txn *badger.Txn) error { return txn.Set([]byte(store.KeyDirLocal), nil) })
	}
	return err
}

// rebuildIndex indexes every dp/ profile: the records are read in one
// transaction and decoded on every core (search.Index.Load).
func (s *Service) rebuildIndex() error {
	start := s.now()
	d := s.dir
	defer d.building.Store(0)
	_ = s.store.View(func(txn *badger.Txn) error {
		d.building.Store(int64(store.CountPrefix(txn, store.PrefixDirProfile)))
		return nil
	})
	var n int
	err := s.store.View(func(txn *badger.Txn) error {
		var err error
		n, err = d.ix.Load(func(yield func(raw []byte) error) error {
			opts := badger.DefaultIteratorOptions
			opts.Prefix = []byte(store.PrefixDirProfile)
			it := txn.NewIterator(opts)
			defer it.Close()
			for it.Rewind(); it.Valid(); it.Next() {
				if err := it.Item().Value(yield); err != nil {
					return err
				}
			}
			return nil
		}, decodeProfile, func(n int) { d.building.Add(-int64(n)) })
		return err
	})
	s.log.Info("directory: index built", "profiles", n, "took", s.now().Sub(start).Round(time.Millisecond), "err", err)
	return err
}

// decodeProfile reads a dp/ record.
func decodeProfile(raw []byte) (*twinfed.Profile, error) {
	var p twinfed.Profile
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("directory: decode a profile: %w", err)
	}
	return &p, nil
}

// runIndexer moves marked profiles into the index until stop.
func (s *Service) runIndexer(d *index) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		// One pass over the markers, from the first to the last: each
		// round starts after the previous round's last marker, so that it
		// does not walk again over the markers just cleared (Badger keeps
		// them as tombstones until a compaction). Markers written behind
		// the cursor meanwhile came with a wake, for the next pass.
		var after []byte
		found, gen := 0, d.changes.Load()
		for {
			n, next, err := s.indexPending(d, after, 2000)
			if err != nil {
				s.log.Error("directory: index", "err", err)
				found = -1
				break
			}
			found += n
			if n > 0 {
				d.changes.Add(1) // markers written without a wake: not idle
			}
			if next == nil {
				break
			}
			after = next
		}
		if found == 0 {
			d.idleAt.Store(gen)
		}
		select {
		case <-d.stop:
			return
		case <-d.wake:
		case <-t.C:
		}
	}
}

// indexPending indexes up to limit marked profiles whose marker's key sorts
// after after (all when nil) and clears their markers (a marker changed
// meanwhile stays for the next pass). next is where the next round starts,
// nil at the end of the markers.
func (s *Service) indexPending(d *index, after []byte, limit int) (n int, next []byte, err error) {
	type mark struct{ id, stamp string }
	var marks []mark
	b := d.ix.NewBatch()
	err = s.store.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.Prefix = []byte(store.PrefixDirQueue)
		it := txn.NewIterator(opts)
		defer it.Close()
		it.Rewind()
		if after != nil {
			it.Seek(append(slices.Clip(after), 0))
		}
		for ; it.Valid() && len(marks) < limit; it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			id := strings.TrimPrefix(string(it.Item().Key()), store.PrefixDirQueue)
			marks = append(marks, mark{id, string(v)})
			if p := s.Get(txn, id); p != nil {
				if err := b.Put(p); err != nil {
					return err
				}
			} else {
				b.Remove(id)
			}
		}
		if it.Valid() {
			next = []byte(store.PrefixDirQueue + marks[len(marks)-1].id)
		}
		return nil
	})
	if err != nil || len(marks) == 0 {
		return 0, nil, err
	}
	if err := d.ix.Apply(b); err != nil {
		return 0, nil, err
	}
	err = s.store.Update(func(txn *badger.Txn) error {
		for _, m := range marks {
			v, ok, err := store.GetString(txn, store.PrefixDirQueue+m.id)
			if err != nil {
				return err
			}
			if ok && v == m.stamp {
				if err := txn.Delete([]byte(store.PrefixDirQueue + m.id)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return len(marks), next, err
}

// Imported tells the directory that records were written outside its
// transactions (a bulk import's batch): every stamp changes, and the
// indexer wakes.
func (s *Service) Imported() {
	s.stamps.touchAll()
	s.Wake()
}
