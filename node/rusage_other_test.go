//go:build !unix

package node_test

import "time"

// rusage is what the process has used so far (not measured here).
type rusage struct {
	user, sys      time.Duration
	minflt, majflt int64
}

func usage() rusage { return rusage{} }
