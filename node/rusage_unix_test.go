//go:build unix

package node_test

import (
	"syscall"
	"time"
)

// rusage is what the process has used so far.
type rusage struct {
	user, sys      time.Duration
	minflt, majflt int64 // page faults served from memory, and read from disk
}

func usage() rusage {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return rusage{}
	}
	return rusage{time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano()), ru.Minflt, ru.Majflt}
}
