//go:build !unix

package federation_test

import "time"

// rusage is not measured on this system.
type rusage struct {
	user, sys time.Duration
	minflt    int64
}

func usage() rusage                 { return rusage{} }
func (u rusage) sub(rusage) rusage  { return rusage{} }
func (u rusage) cpu() time.Duration { return 0 }
