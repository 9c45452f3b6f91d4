package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"syscall"
)

// snapshotEnv names a directory: when it is set, each SIGUSR2 writes a heap
// profile (after a GC, so that it shows what is live) and a goroutine
// profile of the process into it, heap-N.pprof and goroutine-N.pprof for
// the Nth signal, and stats-N.txt: the live heap after that GC and the
// number of goroutines, one "name value" a line. The soak test (cmd/soak) takes one as its warm-up ends
// and one as it ends: `go tool pprof -base heap-1.pprof heap-2.pprof`
// shows what grew in between.
const snapshotEnv = "TWINFED_PROFILE_DIR"

// snapshotOnSignal arms the SIGUSR2 snapshots when TWINFED_PROFILE_DIR is
// set; the returned func disarms them.
func snapshotOnSignal(errw io.Writer) func() {
	dir := os.Getenv(snapshotEnv)
	if dir == "" {
		return func() {}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR2)
	done := make(chan struct{})
	go func() {
		for n := 1; ; n++ {
			select {
			case <-done:
				return
			case <-sig:
			}
			if err := writeSnapshot(dir, n); err != nil {
				fmt.Fprintln(errw, "twinfed: profile snapshot:", err)
			}
		}
	}()
	return func() {
		signal.Stop(sig)
		close(done)
	}
}

// writeSnapshot writes stats-n.txt, heap-n.pprof and goroutine-n.pprof
// into dir, the goroutine profile last.
func writeSnapshot(dir string, n int) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	stats := fmt.Sprintf("heap_alloc_bytes %d\ngoroutines %d\n", ms.HeapAlloc, runtime.NumGoroutine())
	if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("stats-%d.txt", n)), []byte(stats), 0o640); err != nil {
		return err
	}
	for _, name := range []string{"heap", "goroutine"} {
		path := filepath.Join(dir, fmt.Sprintf("%s-%d.pprof", name, n))
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		err = pprof.Lookup(name).WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return nil
}
