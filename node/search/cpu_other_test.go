//go:build !linux

package search

import "time"

// threadCPU is not measured here.
func threadCPU() time.Duration { return 0 }

// peakRSS is not measured here.
func peakRSS() int64 { return 0 }

// processCPU is not measured here.
func processCPU() time.Duration { return 0 }
