package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"sync"
	"syscall"
)

// profileEnv names a file: when it is set, SIGUSR1 starts a CPU profile of
// the process into it and a second SIGUSR1 (or the end of the process)
// stops it. The registry benchmarks use it to profile each member process
// during the measured part of a run alone, the soak test (cmd/soak) each
// registry member and node after its warm-up.
const profileEnv = "TWINFED_CPUPROFILE"

// cpuProfileOnSignal arms the SIGUSR1 toggle when TWINFED_CPUPROFILE is
// set; the returned func stops a profile still running and disarms it.
func cpuProfileOnSignal(errw io.Writer) func() {
	path := os.Getenv(profileEnv)
	if path == "" {
		return func() {}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR1)
	var mu sync.Mutex
	var f *os.File
	stop := func() {
		if f != nil {
			pprof.StopCPUProfile()
			f.Close()
			f = nil
		}
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-sig:
			}
			mu.Lock()
			if f != nil {
				stop()
			} else if nf, err := os.Create(path); err != nil {
				fmt.Fprintln(errw, "twinfed: cpu profile:", err)
			} else if err := pprof.StartCPUProfile(nf); err != nil {
				nf.Close()
				fmt.Fprintln(errw, "twinfed: cpu profile:", err)
			} else {
				f = nf
			}
			mu.Unlock()
		}
	}()
	return func() {
		signal.Stop(sig)
		close(done)
		mu.Lock()
		stop()
		mu.Unlock()
	}
}
