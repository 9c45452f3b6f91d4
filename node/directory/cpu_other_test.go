//go:build !linux

package directory

import "time"

// threadCPU is not measured here.
func threadCPU() time.Duration { return 0 }
