package node

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"net/url"
	"os"
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

// The federated directory. Every public profile the node knows (its own
// members' and those pushed or backfilled from other nodes) is kept in
// Badger under dp/; a change also writes a dq/ marker in the same
// transaction, and the indexer moves marked profiles into the search index
// (package directory, in memory) and clears the markers. The index is
// derived data, built from dp/ at each start. Keys: store.PrefixDirProfile,
// store.PrefixDirQueue, store.PrefixDirCursor, store.KeyDirLocal.

// dirStamps count the committed writes of directory records since the
// process started, in slots chosen by a hash of the record's key: a
// record's stamp changes with every write of it (and of the few records
// sharing its slot). The profile page cache keeps a page with the stamp
// its record had before it was read, and serves the page while the stamp
// is unchanged: a check that costs an atomic load, not a Badger
// transaction. A write bumps the stamp after its commit (Store.afterCommit),
// so a page rendered from the old record, even one rendered while the
// write was committing, is not served once the write has been
// acknowledged.
type dirStamps struct {
	seed  maphash.Seed
	slots [4096]atomic.Uint64
}

func newDirStamps() *dirStamps { return &dirStamps{seed: maphash.MakeSeed()} }

func (d *dirStamps) slot(key string) *atomic.Uint64 {
	return &d.slots[maphash.String(d.seed, key)%uint64(len(d.slots))]
}

// get is the stamp of the record at key.
func (d *dirStamps) get(key string) uint64 { return d.slot(key).Load() }

// touch marks the record at key changed; touchAll, every record.
func (d *dirStamps) touch(key string) { d.slot(key).Add(1) }

func (d *dirStamps) touchAll() {
	for i := range d.slots {
		d.slots[i].Add(1)
	}
}

// dirState is the running directory: the index and its indexer.
type dirState struct {
	ix       *search.Index
	building atomic.Int64 // profiles the start-up build has still to index
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

func (s *Service) dirWake() {
	if d := s.dir; d != nil {
		d.changes.Add(1)
		d.countStale.Store(true)
		select {
		case d.wake <- struct{}{}:
		default:
		}
	}
}

// dirPut records p in the directory within txn.
func (s *Service) dirPut(txn *badger.Txn, p *twinfed.Profile) error {
	key := store.PrefixDirProfile + p.ID
	if err := store.SetJSON(txn, key, p); err != nil {
		return err
	}
	s.store.AfterCommit(txn, func() { s.stamps.touch(key) })
	return txn.Set([]byte(store.PrefixDirQueue+p.ID), []byte(strconv.FormatInt(s.now().UnixNano(), 10)))
}

// dirRemove removes a profile from the directory within txn.
func (s *Service) dirRemove(txn *badger.Txn, id string) error {
	key := store.PrefixDirProfile + id
	if err := txn.Delete([]byte(key)); err != nil {
		return err
	}
	s.store.AfterCommit(txn, func() { s.stamps.touch(key) })
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

// dirGet returns a profile the directory holds, nil when unknown.
func (s *Service) dirGet(txn *badger.Txn, id string) *twinfed.Profile {
	var p twinfed.Profile
	if store.GetJSON(txn, store.PrefixDirProfile+id, &p) != nil {
		return nil
	}
	return &p
}

// Profile returns the public profile of any member of the federation the
// directory holds (ENOTFOUND otherwise). Only logged-in members and the
// agency see the directory.
func (s *Service) Profile(ctx context.Context, viewer *twinfed.Principal, id string) (*twinfed.Profile, error) {
	if viewer == nil {
		return nil, twinfed.Errorf(twinfed.EUNAUTHORIZED, "Log in first.")
	}
	var p *twinfed.Profile
	_ = s.store.View(func(txn *badger.Txn) error { p = s.dirGet(txn, id); return nil })
	if p == nil {
		return nil, twinfed.Errorf(twinfed.ENOTFOUND, "This member is not in the directory (the account may have been deleted).")
	}
	return p, nil
}

// openDirectory starts the index and its indexer. The index is kept in
// memory and built from the store in the background at each start
// (start-up does not wait for it); searches answer from what is indexed
// meanwhile. legacyDir is where earlier versions kept a bleve index on
// disk: it is removed.
func (s *Service) openDirectory(legacyDir string) error {
	if _, err := os.Stat(legacyDir); err == nil {
		if err := os.RemoveAll(legacyDir); err != nil {
			return fmt.Errorf("directory: remove the old on-disk index %s: %w", legacyDir, err)
		}
		s.log.Info("directory: removed the old on-disk index; the directory is now indexed in memory", "dir", legacyDir)
	}
	d := &dirState{ix: search.New(), wake: make(chan struct{}, 1), stop: make(chan struct{})}
	d.building.Store(1) // until the build has counted the profiles
	d.changes.Store(1)  // not idle before a first pass
	s.dir = d
	d.done.Add(1)
	go func() {
		defer d.done.Done()
		if err := s.syncLocalProfiles(); err != nil {
			s.log.Error("directory: local profiles", "err", err)
		}
		if err := s.rebuildIndex(); err != nil {
			s.log.Error("directory: build", "err", err)
		}
		s.runIndexer(d)
	}()
	return nil
}

// closeDirectory stops the indexer and releases the index.
func (s *Service) closeDirectory() error {
	d := s.dir
	if d == nil {
		return nil
	}
	close(d.stop)
	d.done.Wait()
	return d.ix.Close()
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
				var m twinfed.Member
				if err := store.GetJSON(txn, store.PrefixMember+username, &m); err != nil {
					if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
						continue // deleted meanwhile
					}
					return err
				}
				// A record already there was written with the member
				// (saveMember) and is current: rewriting it would only
				// give it a new version, and the profile page cache a miss.
				if p := s.publicOf(&m); p != nil && !store.Has(txn, store.PrefixDirProfile+p.ID) {
					if err := s.dirPut(txn, p); err != nil {
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
		for _, username := range store.KeysUnder(txn, store.PrefixMember, 0) {
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

// rebuildIndex indexes every dp/ profile.
func (s *Service) rebuildIndex() error {
	start := s.now()
	d := s.dir
	defer d.building.Store(0)
	_ = s.store.View(func(txn *badger.Txn) error {
		d.building.Store(int64(store.CountPrefix(txn, store.PrefixDirProfile)))
		return nil
	})
	n := 0
	b := d.ix.NewBatch()
	apply := func() error {
		err := d.ix.Apply(b)
		d.building.Add(-int64(b.Size()))
		b = d.ix.NewBatch()
		return err
	}
	err := s.store.View(func(txn *badger.Txn) error {
		return store.EachJSON(txn, store.PrefixDirProfile, func(p *twinfed.Profile) error {
			if err := b.Put(p); err != nil {
				return err
			}
			n++
			if b.Size() >= 2000 {
				return apply()
			}
			return nil
		})
	})
	if err == nil {
		err = apply()
	}
	s.log.Info("directory: index built", "profiles", n, "took", s.now().Sub(start).Round(time.Millisecond), "err", err)
	return err
}

// runIndexer moves marked profiles into the index until stop.
func (s *Service) runIndexer(d *dirState) {
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
func (s *Service) indexPending(d *dirState, after []byte, limit int) (n int, next []byte, err error) {
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
			if p := s.dirGet(txn, id); p != nil {
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

// DirectoryQuery is a search of the directory as members make it.
type DirectoryQuery = search.Query

// DirectoryPage is a page of search results.
type DirectoryPage struct {
	Profiles []*twinfed.Profile `json:"profiles"`
	Total    int                `json:"total"`
	Offset   int                `json:"offset"`
	Next     int                `json:"next,omitempty"` // offset of the next page; 0 at the end
}

// SearchDirectory searches the public profiles of every node. Only
// validated members and the agency may.
func (s *Service) SearchDirectory(ctx context.Context, viewer *twinfed.Principal, q DirectoryQuery) (*DirectoryPage, error) {
	if viewer == nil || (viewer.Status != twinfed.StatusValidated && !viewer.IsAgency()) {
		return nil, twinfed.Errorf(twinfed.EFORBIDDEN, "The people directory opens once the agency has validated your registration.")
	}
	if s.dir == nil {
		return nil, twinfed.Errorf(twinfed.EUNAVAILABLE, "The directory is not available on this node right now.")
	}
	if q.AgeMin < 0 || q.AgeMax < 0 || q.AgeMin > 99 || q.AgeMax > 99 || (q.AgeMax > 0 && q.AgeMin > q.AgeMax) {
		return nil, &twinfed.Error{Code: twinfed.EINVALID, Message: "Give pupils' ages from 0 to 99, the lowest first.", Fields: map[string]string{"age_min": "Give pupils' ages from 0 to 99, the lowest first."}}
	}
	q.Limit = min(max(q.Limit, 1), 50)
	if q.Limit == 1 && q.Offset == 0 {
		q.Limit = 20
	}
	res, err := s.dir.ix.Search(q)
	if err != nil {
		return nil, s.internal("directory search", err)
	}
	page := &DirectoryPage{Total: res.Total, Offset: q.Offset, Profiles: s.loadProfiles(res.IDs)}
	if q.Offset+len(res.IDs) < res.Total {
		page.Next = q.Offset + len(res.IDs)
	}
	return page, nil
}

func (s *Service) loadProfiles(ids []string) []*twinfed.Profile {
	out := make([]*twinfed.Profile, 0, len(ids))
	_ = s.store.View(func(txn *badger.Txn) error {
		for _, id := range ids {
			if p := s.dirGet(txn, id); p != nil {
				out = append(out, p)
			}
		}
		return nil
	})
	return out
}

// Suggestions returns "people you may know" for a validated member: members
// with the same subjects, pupils' ages and languages, available for a
// project, not yet contacts.
func (s *Service) Suggestions(ctx context.Context, p *twinfed.Principal, limit int) ([]*twinfed.Profile, error) {
	if err := requireSocial(p); err != nil {
		return nil, err
	}
	if s.dir == nil {
		return nil, nil
	}
	me, err := s.LocalProfile(ctx, p.Username)
	if err != nil {
		return nil, err
	}
	var exclude []string
	_ = s.store.View(func(txn *badger.Txn) error {
		return store.EachJSON(txn, store.PrefixContact+p.Username+"/", func(c *Contact) error {
			exclude = append(exclude, c.Peer)
			return nil
		})
	})
	ids, err := s.dir.ix.Suggest(me, exclude, limit)
	if err != nil {
		return nil, s.internal("suggestions", err)
	}
	return s.loadProfiles(ids), nil
}

// DirectoryPageOf is a page of this node's public profiles, for other
// nodes' backfill: after is the last username of the previous page.
type DirectoryPageOf struct {
	Profiles []*twinfed.Profile `json:"profiles"`
	Next     string             `json:"next,omitempty"` // empty at the end
}

// LocalProfiles returns up to limit public profiles of validated members
// whose username sorts after after.
func (s *Service) LocalProfiles(ctx context.Context, after string, limit int) (*DirectoryPageOf, error) {
	limit = min(max(limit, 1), 1000)
	out := &DirectoryPageOf{Profiles: []*twinfed.Profile{}}
	last := ""
	err := s.store.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.Prefix = []byte(store.PrefixMember)
		it := txn.NewIterator(opts)
		defer it.Close()
		start := []byte(store.PrefixMember + after + "\x00")
		if after == "" {
			start = []byte(store.PrefixMember)
		}
		for it.Seek(start); it.Valid() && len(out.Profiles) < limit; it.Next() {
			var m twinfed.Member
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &m) }); err != nil {
				return err
			}
			last = m.Username
			if p := s.publicOf(&m); p != nil {
				out.Profiles = append(out.Profiles, p)
			}
		}
		if it.Valid() {
			out.Next = last
		}
		return nil
	})
	return out, s.internal("local profiles", err)
}

// Fetcher makes a signed GET to another node and returns the body: what the
// federation offers for backfill.
type Fetcher func(ctx context.Context, rawURL string) ([]byte, error)

// BackfillPath is where a node serves its public profiles to other nodes.
const BackfillPath = "/directory/profiles"

// Backfill pages through every other node's public profiles (then its
// public projects, see backfillProjects) and stores those newer than what
// the directory holds; profiles of that node the directory holds but the
// node no longer lists are removed. It returns the
// number of profiles stored and the first error met (other nodes are still
// done).
func (s *Service) Backfill(ctx context.Context, fetch Fetcher) (int, error) {
	var firstErr error
	total := 0
	for _, agency := range s.otherNodes(ctx) {
		base := strings.TrimSuffix(agency, "/agency")
		n, err := s.backfillNode(ctx, fetch, base)
		if err == nil {
			_, err = s.backfillProjects(ctx, fetch, base)
		}
		total += n
		if err != nil {
			s.log.Warn("directory: backfill", "node", base, "err", err)
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	return total, firstErr
}

func (s *Service) backfillNode(ctx context.Context, fetch Fetcher, base string) (int, error) {
	host := twinfed.URLHost(base)
	country, err := s.registry.CountryByHost(ctx, host)
	if err != nil {
		return 0, err
	}
	seen := map[string]bool{}
	stored := 0
	err = backfillPages(ctx, s, fetch, base+BackfillPath+"?limit=500&after=", "backfill from "+host,
		func(pg *DirectoryPageOf) string { return pg.Next },
		func(txn *badger.Txn, pg *DirectoryPageOf) error {
			for _, p := range pg.Profiles {
				if twinfed.URLHost(p.ID) != host || p.Country != country.Code {
					return fmt.Errorf("backfill from %s: profile %s is not one of that node's members", host, p.ID)
				}
				seen[p.ID] = true
				if old := s.dirGet(txn, p.ID); old != nil && !p.Updated.After(old.Updated) {
					continue
				}
				if err := s.dirPut(txn, s.cleanProfile(p)); err != nil {
					return err
				}
				stored++
			}
			return nil
		})
	if err != nil {
		return stored, err
	}
	// Profiles of that node it no longer lists were deleted or hidden.
	var gone []string
	_ = s.store.View(func(txn *badger.Txn) error {
		for _, k := range store.KeysUnder(txn, store.PrefixDirProfile+strings.TrimRight(base, "/")+"/", 0) {
			id := strings.TrimRight(base, "/") + "/" + k
			if !seen[id] {
				gone = append(gone, id)
			}
		}
		return nil
	})
	if len(gone) > 0 {
		err := s.update(func(txn *badger.Txn) error {
			for _, id := range gone {
				if err := s.dirRemove(txn, id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return stored, err
		}
	}
	s.log.Info("directory: backfilled", "node", host, "stored", stored, "removed", len(gone))
	return stored, nil
}

// backfillPages pages through a listing another node serves for backfill
// (signed GETs of u followed by the last page's Next, escaped), decoding
// each page into P and storing it in one transaction, until the last page.
// what names the listing in errors.
func backfillPages[P any](ctx context.Context, s *Service, fetch Fetcher, u, what string, next func(*P) string, store func(*badger.Txn, *P) error) error {
	after := ""
	for range 10000 {
		body, err := fetch(ctx, u+url.QueryEscape(after))
		if err != nil {
			return err
		}
		var pg P
		if err := json.Unmarshal(body, &pg); err != nil {
			return fmt.Errorf("%s: the page is not the JSON expected: %w", what, err)
		}
		if err := s.update(func(txn *badger.Txn) error { return store(txn, &pg) }); err != nil {
			return err
		}
		n := next(&pg)
		if n == "" || n == after {
			return nil
		}
		after = n
	}
	return nil
}
