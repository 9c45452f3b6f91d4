//go:build unix

package federation_test

import (
	"syscall"
	"time"
)

// rusage is what the process has used so far: both nodes, the registry and
// the benchmark's own goroutines.
type rusage struct {
	user, sys time.Duration
	minflt    int64 // page faults served from memory
}

func usage() rusage {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return rusage{}
	}
	return rusage{time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano()), ru.Minflt}
}

func (u rusage) sub(v rusage) rusage {
	return rusage{u.user - v.user, u.sys - v.sys, u.minflt - v.minflt}
}

func (u rusage) cpu() time.Duration { return u.user + u.sys }
