package account

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
)

// TestHashGate_Bounds checks the gate: never more than its slots at once,
// a queue that waits its turn, and beyond the queue an ErrBusy at once
// (EUNAVAILABLE, with a Retry-After) that ran nothing.
func TestHashGate_Bounds(t *testing.T) {
	g := newHashGate(2, 3, 5*time.Second)
	release := make(chan struct{})
	var mu sync.Mutex
	running, peak, ran := 0, 0, 0
	work := func() {
		mu.Lock()
		running++
		ran++
		peak = max(peak, running)
		mu.Unlock()
		<-release
		mu.Lock()
		running--
		mu.Unlock()
	}
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := 0; i < 5; i++ { // 2 run, 3 wait
		wg.Add(1)
		go func() { defer wg.Done(); errs <- g.do(context.Background(), work) }()
	}
	deadline := time.Now().Add(5 * time.Second)
	for g.waiting.Load() != 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if w := g.waiting.Load(); w != 3 {
		t.Fatalf("%d waiting, want 3", w)
	}
	err := g.do(context.Background(), work) // the sixth: the queue is full
	var busy *ErrBusy
	if !errors.As(err, &busy) || twinfed.ErrorCode(err) != twinfed.EUNAVAILABLE || busy.RetryIn() <= 0 {
		t.Fatalf("sixth: %v; want ErrBusy (EUNAVAILABLE, with a wait)", err)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a queued computation failed: %v", err)
		}
	}
	if peak != 2 || ran != 5 {
		t.Errorf("peak %d running, %d ran; want 2 and 5", peak, ran)
	}

	// Waiting longer than the gate's wait gives up with ErrBusy too.
	slow := newHashGate(1, 1, 50*time.Millisecond)
	block := make(chan struct{})
	go slow.do(context.Background(), func() { <-block })
	for len(slow.slots) == 0 {
		time.Sleep(time.Millisecond)
	}
	if err := slow.do(context.Background(), func() { t.Error("ran past the wait") }); !errors.As(err, &busy) {
		t.Errorf("after the wait: %v, want ErrBusy", err)
	}
	close(block)
}
