package blob

import (
	"context"
	"log/slog"
	"sync"
)

// Collector is the node's blob store with its collector: the one place
// that deletes a blob once no record names it. The features that keep
// blobs (the TwinSpaces' materials, the events' photos and files) name
// them in the node's store under their own keys; named asks all of them
// (node/store's BlobNamed), so a file two features share (a material and
// an event's photo of the same content) stays while either names it.
//
// An upload holds the collector (Hold) from its Put until the record that
// names the blob is committed, so that a collection never deletes content
// stored again between the two; Collect waits for those uploads. A copy
// fetched from another node, whose hash is known before its Put and
// which may take long on a slow network, holds only that hash
// (HoldHash): a collection skips it meanwhile, and runs again for it when
// the fetch is done.
type Collector struct {
	Store
	named func(hash string) (bool, error)
	log   *slog.Logger
	mu    sync.RWMutex // uploads (read) against collections (write)

	fmu      sync.Mutex
	fetching map[string]int  // hash → the fetches of it under way
	missed   map[string]bool // hashes a collection skipped while fetched
}

// NewCollector returns s with the collector that asks named whether a
// record names a blob.
func NewCollector(s Store, named func(hash string) (bool, error), log *slog.Logger) *Collector {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Collector{Store: s, named: named, log: log, fetching: map[string]int{}, missed: map[string]bool{}}
}

// Hold keeps collections from deleting anything until release is called.
// Never call Collect itself (only go Collect) while holding it. A nil
// Collector (a node that keeps no files) holds nothing.
func (c *Collector) Hold() (release func()) {
	if c == nil {
		return func() {}
	}
	c.mu.RLock()
	return c.mu.RUnlock
}

// HoldHash keeps collections from deleting the blob hash until release is
// called; a collection of it meanwhile runs again then.
func (c *Collector) HoldHash(hash string) (release func()) {
	if c == nil {
		return func() {}
	}
	c.fmu.Lock()
	c.fetching[hash]++
	c.fmu.Unlock()
	return func() {
		c.fmu.Lock()
		again := false
		if c.fetching[hash]--; c.fetching[hash] == 0 {
			delete(c.fetching, hash)
			again = c.missed[hash]
			delete(c.missed, hash)
		}
		c.fmu.Unlock()
		if again {
			go c.Collect(hash)
		}
	}
}

// Collect deletes each of hashes that no record names. A store that
// cannot answer (closing), or a nil Collector, deletes nothing.
func (c *Collector) Collect(hashes ...string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, h := range hashes {
		if h != "" {
			c.collect(h)
		}
	}
}

// collect deletes h unless a record names it or a fetch holds it (then
// it is collected again once the fetch is done).
func (c *Collector) collect(h string) {
	c.fmu.Lock()
	defer c.fmu.Unlock()
	if c.fetching[h] > 0 {
		c.missed[h] = true
		return
	}
	if named, err := c.named(h); err != nil || named {
		return
	}
	if err := c.Store.Delete(context.Background(), h); err != nil {
		c.log.Warn("blob: delete a file no record names", "hash", h, "err", err)
	}
}
