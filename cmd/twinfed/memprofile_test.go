package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"
)

func TestSnapshotOnSignal_WritesHeapAndGoroutineProfiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "profiles")
	t.Setenv(snapshotEnv, dir)
	disarm := snapshotOnSignal(io.Discard)
	defer disarm()
	for n, name := range []string{"1", "2"} {
		// stats-N.txt is written first, the goroutine profile last.
		if err := syscall.Kill(os.Getpid(), syscall.SIGUSR2); err != nil {
			t.Fatal(err)
		}
		for _, kind := range []string{"heap", "goroutine"} {
			path := filepath.Join(dir, kind+"-"+name+".pprof")
			deadline := time.Now().Add(10 * time.Second)
			for {
				raw, err := os.ReadFile(path)
				// A profile is gzipped protobuf: complete once it has the
				// gzip header and was written to the end (the next file
				// or the next signal's).
				if err == nil && len(raw) > 2 && bytes.HasPrefix(raw, []byte{0x1f, 0x8b}) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("signal %d: no %s after 10 s (%v)", n+1, path, err)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		stats, err := os.ReadFile(filepath.Join(dir, "stats-"+name+".txt"))
		if err != nil || !regexp.MustCompile(`^heap_alloc_bytes [1-9][0-9]*\ngoroutines [1-9][0-9]*\n$`).Match(stats) {
			t.Fatalf("signal %d: stats-%s.txt = %q, %v", n+1, name, stats, err)
		}
	}
}
