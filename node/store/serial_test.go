package store_test

import (
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed/node/store"
)

// TestSerializer_BatchesInOrder: many requests of one key (an event) at
// once, through its single writer, each reading what the one before wrote (a counter, as
// the bookings' counts record): none is lost, none decided twice, several
// share a transaction, and a request that fails commits nothing of its own
// while the others of its batch are committed.
func TestSerializer_BatchesInOrder(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := store.NewSerializer(st)
	const n, failing = 200, 57
	var (
		mu   sync.Mutex
		txns = map[*badger.Txn]bool{}
		seen = map[int]int{} // request → the counter it read, on its committed run
		wg   sync.WaitGroup
	)
	for i := range n {
		wg.Go(func() {
			var got int
			err := s.Run("e1", func(txn *badger.Txn) error {
				mu.Lock()
				txns[txn] = true
				mu.Unlock()
				c, _, err := store.GetString(txn, "test/count")
				if err != nil {
					return err
				}
				got, _ = strconv.Atoi(c)
				if err := txn.Set([]byte("test/by/"+strconv.Itoa(i)), nil); err != nil {
					return err
				}
				if i == failing {
					return errors.New("refused")
				}
				return txn.Set([]byte("test/count"), []byte(strconv.Itoa(got+1)))
			})
			if (err != nil) != (i == failing) {
				t.Errorf("request %d: %v", i, err)
			}
			if err == nil {
				mu.Lock()
				seen[i] = got
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	read := map[int]bool{}
	for _, c := range seen {
		if read[c] {
			t.Fatalf("two requests read the counter at %d", c)
		}
		read[c] = true
	}
	err = st.View(func(txn *badger.Txn) error {
		c, _, err := store.GetString(txn, "test/count")
		if c != strconv.Itoa(n-1) {
			t.Errorf("counter %s, want %d", c, n-1)
		}
		if store.Has(txn, "test/by/"+strconv.Itoa(failing)) {
			t.Error("the failing request's write was committed")
		}
		if len(store.KeysUnder(txn, "test/by/", 0)) != n-1 {
			t.Errorf("%d requests' writes committed, want %d", len(store.KeysUnder(txn, "test/by/", 0)), n-1)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(txns) >= n {
		t.Errorf("%d transactions for %d requests: nothing batched", len(txns), n)
	}
	if !s.Idle() {
		t.Error("the writer left queues")
	}
}
