package federation

import (
	"context"
	"sync"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/federation/signing"
)

// keyCacheTTL is how long a node's registered keys are reused without
// asking the registry client again. Every delivery and every incoming
// request needs them, and the client's answer costs a Badger read and a
// JSON decode; the client's own cache already trails the registry by its
// change feed, so a few seconds more delays a key rotation or a removal by
// as little.
const keyCacheTTL = 5 * time.Second

// keyCache is a signing.KeySource that remembers the registry's answers for
// keyCacheTTL. Only successful answers are kept: an unknown host is asked
// about every time, so a node added to the registry is known at once.
type keyCache struct {
	src signing.KeySource
	now func() time.Time

	mu sync.Mutex
	m  map[string]cachedKeys
}

type cachedKeys struct {
	country string
	keys    []twinfed.NodeKey
	at      time.Time
}

var _ signing.KeySource = (*keyCache)(nil)

func newKeyCache(src signing.KeySource, now func() time.Time) *keyCache {
	return &keyCache{src: src, now: now, m: map[string]cachedKeys{}}
}

// KeysForHost returns the registry's keys for host, from the cache when
// they are fresh.
func (c *keyCache) KeysForHost(ctx context.Context, host string) (string, []twinfed.NodeKey, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.m[host]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < keyCacheTTL && now.Sub(e.at) >= 0 {
		return e.country, e.keys, nil
	}
	country, keys, err := c.src.KeysForHost(ctx, host)
	if err != nil {
		return "", nil, err
	}
	c.mu.Lock()
	c.m[host] = cachedKeys{country: country, keys: keys, at: now}
	c.mu.Unlock()
	return country, keys, nil
}
