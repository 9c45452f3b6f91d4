package blob_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/twinfed/twinfed/node/blob"
)

// TestCollector deletes what nothing names, keeps what something names or
// what it cannot ask about, and waits for the uploads holding it.
func TestCollector(t *testing.T) {
	disk, err := blob.OpenDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var mu sync.Mutex
	names := map[string]bool{}
	failing := ""
	c := blob.NewCollector(disk, func(h string) (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		if h == failing {
			return false, errors.New("store closing")
		}
		return names[h], nil
	}, nil)
	put := func(s string) string {
		t.Helper()
		ref, err := c.Put(ctx, bytes.NewReader([]byte(s)), 100)
		if err != nil {
			t.Fatal(err)
		}
		return ref.Hash
	}
	stored := func(h string) bool { _, err := c.Stat(ctx, h); return err == nil }
	a, b, d := put("named"), put("unnamed"), put("unanswered")
	mu.Lock()
	names[a], failing = true, d
	mu.Unlock()
	c.Collect(a, b, d, "")
	if !stored(a) || stored(b) || !stored(d) {
		t.Fatalf("after a collection: named %v, unnamed %v, unanswered %v (want true false true)", stored(a), stored(b), stored(d))
	}

	// An upload holds the collector from its Put to its record: a
	// collection started meanwhile deletes nothing before it is released.
	release := c.Hold()
	e := put("uploading")
	done := make(chan struct{})
	go func() { c.Collect(e); close(done) }()
	select {
	case <-done:
		t.Fatal("a collection ran while an upload held the collector")
	case <-time.After(100 * time.Millisecond):
	}
	mu.Lock()
	names[e] = true // the upload's record is committed
	mu.Unlock()
	release()
	<-done
	if !stored(e) {
		t.Fatal("the upload's blob was deleted once its record named it")
	}

	// A copy fetched from another node holds only its hash: a collection
	// meanwhile deletes other blobs at once, skips it, and runs again for
	// it when the fetch is done (here its record is gone by then).
	f, g := put("fetching"), put("other")
	releaseF := c.HoldHash(f)
	c.Collect(f, g) // returns: no upload holds the collector
	if !stored(f) || stored(g) {
		t.Fatalf("while a fetch holds one hash: held %v, other %v (want true false)", stored(f), stored(g))
	}
	releaseF()
	deadline := time.Now().Add(5 * time.Second)
	for stored(f) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if stored(f) {
		t.Fatal("a blob skipped while fetched was not collected once the fetch was done")
	}

	// A node that keeps no files has no collector: every call does nothing.
	var none *blob.Collector
	none.Hold()()
	none.HoldHash(a)()
	none.Collect(a)
}
