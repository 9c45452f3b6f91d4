// Command soak is the soak test of issue 21: it starts a federation as it is
// deployed (three `twinfed registry serve` processes and the IT, FR and ES
// `twinfed node serve` processes, seeded by `twinfed demo`), measures the
// capacity of a mixed workload in a closed loop, then drives the federation
// open-loop at half that rate for the soak's duration, sampling each
// process's /metrics every window. It writes a CSV, an SVG plot and a
// Markdown summary, prints the verdict (heap and goroutines flat: growth
// under 5 % after warm-up; 0 errors; every request class exercised) and
// exits non-zero when it is violated.
//
// `make soak` runs it for 10 minutes and writes docs/soak/; soak_test.go
// runs a 20-second version inside `make test`, so that the driver cannot
// rot. docs/soak.md says how to read its figures.
//
// It is a development tool, not part of twinfed.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// Config is one soak run.
type Config struct {
	Bin      string        // the twinfed binary
	Data     string        // data directory; a temporary one when empty
	Out      string        // directory for soak.csv, soak.svg and results.md; none when empty
	BasePort int           // first port of the demo's range; a free range when 0
	Workers  int           // closed-loop workers of the capacity phase
	Capacity time.Duration // length of the capacity phase
	Rate     float64       // requests/s of the soak; half the measured capacity when 0
	Duration time.Duration // length of the soak (open loop)
	Warmup   time.Duration // first part of the soak, left out of the verdict
	Every    time.Duration // sampling window
	Profiles string        // directory for each process's heap and goroutine profiles near the warm-up's end and at the soak's; none when empty
	Log      func(format string, args ...any)
}

func (c *Config) logf(format string, args ...any) {
	if c.Log != nil {
		c.Log(format, args...)
	}
}

func main() {
	var cfg Config
	flag.StringVar(&cfg.Bin, "bin", "bin/twinfed", "the twinfed binary (make build)")
	flag.StringVar(&cfg.Data, "data", "", "data directory of the federation (default: a temporary directory, removed at the end)")
	flag.StringVar(&cfg.Out, "out", "docs/soak", "directory for soak.csv, soak.svg and results.md (\"\" for none)")
	flag.IntVar(&cfg.BasePort, "base-port", 0, "first port of the demo's range, base+1 to base+43 (default: a free range)")
	flag.IntVar(&cfg.Workers, "workers", 8, "closed-loop workers of the capacity phase")
	flag.DurationVar(&cfg.Capacity, "capacity", 30*time.Second, "length of the capacity phase")
	flag.Float64Var(&cfg.Rate, "rate", 0, "requests/s of the soak (default: half the measured capacity)")
	flag.DurationVar(&cfg.Duration, "duration", 10*time.Minute, "length of the soak")
	flag.DurationVar(&cfg.Warmup, "warmup", time.Minute, "first part of the soak, left out of the verdict")
	flag.DurationVar(&cfg.Every, "every", 10*time.Second, "sampling window")
	flag.StringVar(&cfg.Profiles, "profiles", "", "directory for each process's heap and goroutine profiles, taken three quarters into the warm-up (…-1.pprof) and as the soak ends (…-2.pprof)")
	flag.Parse()
	cfg.Log = func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().UTC().Format("15:04:05")}, args...)...)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(2)
	}
	fmt.Print(res.Summary())
	if len(res.Problems) > 0 {
		os.Exit(1)
	}
}

// Run starts the federation, measures its capacity, soaks it and writes the
// figures. An error means the soak could not run; a run that violates the
// verdict returns a Result with Problems.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	res := &Result{Config: cfg, Machine: readMachine(), Started: time.Now().UTC()}
	res.LoadBefore = readLoad()
	fed, err := startFederation(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	defer fed.Stop()
	d, err := newDriver(ctx, fed)
	if err != nil {
		return nil, err
	}

	cfg.logf("capacity: %d workers, closed loop, %s", cfg.Workers, cfg.Capacity)
	res.Capacity, res.CapacityErrors = d.closedLoop(ctx, cfg.Workers, cfg.Capacity)
	cfg.logf("capacity: %.1f requests/s, %d errors", res.Capacity, res.CapacityErrors.total())
	res.Rate = cfg.Rate
	if res.Rate == 0 {
		res.Rate = res.Capacity / 2
	}
	if res.Rate <= 0 {
		return nil, fmt.Errorf("the capacity phase completed no request (%s)", res.CapacityErrors)
	}

	cfg.logf("soak: %.1f requests/s for %s (warm-up %s, a sample every %s)", res.Rate, cfg.Duration, cfg.Warmup, cfg.Every)
	s := newSampler(fed.Processes, cfg.Every)
	snapped := make(chan error, 1)
	go func() {
		select {
		case <-ctx.Done():
			snapped <- ctx.Err()
		// Three quarters into the warm-up: the forced GC and the profile
		// writing of six processes at once stall the machine for a moment,
		// and that moment stays in the warm-up, out of the verdict.
		case <-time.After(cfg.Warmup * 3 / 4):
			snapped <- fed.Snapshot(ctx, 1)
		}
	}()
	res.Late, err = d.openLoop(ctx, res.Rate, cfg.Duration, s)
	if err != nil {
		return nil, err
	}
	if err := <-snapped; err != nil {
		return nil, err
	}
	if err := fed.Snapshot(ctx, 2); err != nil {
		return nil, err
	}
	for i := range res.Snapshots {
		if res.Snapshots[i], err = fed.SnapshotStats(i + 1); err != nil {
			return nil, err
		}
	}
	if cfg.Profiles != "" {
		cfg.logf("profiles in %s: go tool pprof -base %s/IT/heap-1.pprof %s/IT/heap-2.pprof shows what grew on IT after the warm-up", cfg.Profiles, cfg.Profiles, cfg.Profiles)
	}
	res.Windows, res.Errors = s.windows, s.errs
	res.LoadAfter = readLoad()
	res.Processes = fed.Processes
	res.judge()
	if cfg.Out != "" {
		if err := res.write(cfg.Out); err != nil {
			return nil, err
		}
		cfg.logf("wrote %s/soak.csv, soak.svg and results.md", cfg.Out)
	}
	return res, nil
}

func (c *Config) check() error {
	switch {
	case c.Bin == "":
		return fmt.Errorf("-bin is empty; give the twinfed binary (make build writes bin/twinfed)")
	case c.Workers < 1:
		return fmt.Errorf("-workers %d: give at least 1", c.Workers)
	case c.Capacity <= 0 || c.Duration <= 0 || c.Every <= 0:
		return fmt.Errorf("-capacity, -duration and -every must be positive")
	case c.Warmup < 0 || c.Warmup >= c.Duration:
		return fmt.Errorf("-warmup %s must be at least 0 and shorter than -duration %s", c.Warmup, c.Duration)
	case c.Duration-c.Warmup < 2*c.Every:
		return fmt.Errorf("-duration %s leaves under two windows of %s after the warm-up: nothing to compare", c.Duration, c.Every)
	case c.Rate < 0:
		return fmt.Errorf("-rate %g must not be negative", c.Rate)
	}
	if c.Profiles != "" {
		abs, err := filepath.Abs(c.Profiles)
		if err != nil {
			return err
		}
		c.Profiles = abs
	}
	if _, err := os.Stat(c.Bin); err != nil {
		return fmt.Errorf("the twinfed binary: %w (make build writes bin/twinfed)", err)
	}
	return nil
}
