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
// stored again between the two; Collect waits for those uploads.
type Collector struct {
	Store
	named func(hash string) (bool, error)
	log   *slog.Logger
	mu    sync.RWMutex
}

// NewCollector returns s with the collector that asks named whether a
// record names a blob.
func NewCollector(s Store, named func(hash string) (bool, error), log *slog.Logger) *Collector {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Collector{Store: s, named: named, log: log}
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

// Collect deletes each of hashes that no record names. A store that
// cannot answer (closing), or a nil Collector, deletes nothing.
func (c *Collector) Collect(hashes ...string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, h := range hashes {
		if h == "" {
			continue
		}
		if named, err := c.named(h); err != nil || named {
			continue
		}
		if err := c.Store.Delete(context.Background(), h); err != nil {
			c.log.Warn("blob: delete a file no record names", "hash", h, "err", err)
		}
	}
}
