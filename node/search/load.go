package search

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/twinfed/twinfed"
)

// loadChunk is the number of records a worker decodes and analyses at a
// time, and the size of the batches Load applies.
const loadChunk = 2000

// Load indexes every profile that each yields, as the raw record decode
// reads: the build at a node's start. Records are decoded and analysed on
// every core while one goroutine applies the batches in the order each
// yielded them, so that the build takes the same documents in the same
// order as one Put after another would. applied, when not nil, is called
// after each batch with its size (the build's progress). Load stops at the
// first error of each, decode or Apply, and returns it with the number of
// profiles indexed by then.
func (x *Index) Load(each func(yield func(raw []byte) error) error, decode func(raw []byte) (*twinfed.Profile, error), applied func(n int)) (int, error) {
	type chunk struct {
		seq  int
		raw  []byte // the records end to end
		ends []int  // record i is raw[ends[i-1]:ends[i]]
		b    *Batch // the analysed profiles, once decoded
		err  error
	}
	work := make(chan *chunk, 2)
	done := make(chan *chunk, 2)
	var workers sync.WaitGroup
	for range max(runtime.GOMAXPROCS(0), 1) {
		workers.Go(func() {
			for c := range work {
				c.b = x.NewBatch()
				start := 0
				for _, end := range c.ends {
					p, err := decode(c.raw[start:end])
					if err != nil {
						c.err = err
						break
					}
					_ = c.b.Put(p)
					start = end
				}
				c.raw, c.ends = nil, nil
				done <- c
			}
		})
	}
	// The applier takes the chunks in their order.
	total := 0
	var applyErr error
	var failed atomic.Bool
	applier := make(chan struct{})
	go func() {
		defer close(applier)
		waiting := map[int]*chunk{}
		next := 0
		for c := range done {
			waiting[c.seq] = c
			for c := waiting[next]; c != nil; c = waiting[next] {
				delete(waiting, next)
				next++
				if applyErr != nil {
					continue
				}
				if c.err == nil {
					c.err = x.Apply(c.b)
				}
				if c.err != nil {
					applyErr = c.err
					failed.Store(true)
					continue
				}
				total += c.b.Size()
				if applied != nil {
					applied(c.b.Size())
				}
			}
		}
	}()
	seq := 0
	c := &chunk{}
	send := func() {
		if len(c.ends) > 0 {
			c.seq = seq
			seq++
			work <- c
		}
		c = &chunk{}
	}
	err := each(func(raw []byte) error {
		if failed.Load() {
			return errLoadStopped
		}
		c.raw = append(c.raw, raw...)
		c.ends = append(c.ends, len(c.raw))
		if len(c.ends) == loadChunk {
			send()
		}
		return nil
	})
	send()
	close(work)
	workers.Wait()
	close(done)
	<-applier
	if err == nil || errors.Is(err, errLoadStopped) {
		err = applyErr
	}
	return total, err
}

// errLoadStopped stops the reading of records once a batch has failed.
var errLoadStopped = errors.New("search: load stopped")
