package main

import (
	"fmt"
	"strings"
	"time"
)

// MaxGrowth is issue 21's bound on the growth of each process's heap and
// goroutines after the warm-up, in per cent.
const MaxGrowth = 5.0

// The kinds of Problem.
const (
	ProblemErrors  = "errors"  // a request failed
	ProblemClasses = "classes" // a request class was not exercised
	ProblemLate    = "late"    // the open loop could not hold its rate
	ProblemGrowth  = "growth"  // a process's heap or goroutines grew
	ProblemSamples = "samples" // a process's metrics could not be read
)

// Problem is one violation of the soak's verdict.
type Problem struct {
	Kind, Message string
}

// Growth is how one process's figure moved after the warm-up: its floor
// (lowest sample) over the first span of windows after it, and over the
// last span. A leak raises the floor: what leaks is never freed. Requests
// in flight, a burst of connections or the garbage between two GCs make
// peaks, which a mean would count and a floor does not.
type Growth struct {
	Before, After float64
}

// Percent is the growth in per cent of Before.
func (g Growth) Percent() float64 {
	if g.Before == 0 {
		return 0
	}
	return (g.After - g.Before) / g.Before * 100
}

// Result is one soak run.
type Result struct {
	Config     Config
	Machine    string
	Started    time.Time
	LoadBefore [3]float64
	LoadAfter  [3]float64

	Capacity       float64 // requests/s of the closed loop
	CapacityErrors errorCounts
	Rate           float64 // requests/s of the soak
	Late           int     // arrivals not sent: too many in flight
	Processes      []*Process
	Windows        []Window
	Errors         errorCounts
	// Snapshots are each process's live heap after a forced GC and its
	// goroutines, three quarters into the warm-up and once the soak's last
	// request has finished (-profiles); nil without profiles.
	Snapshots [2]map[string]SnapshotStats

	Span     int                    // windows averaged at each end of the comparison
	Heap     map[string]Growth      // heap goal (live heap) by process
	Inuse    map[string]Growth      // heap in use by process
	RSS      map[string]Growth      // resident memory by process
	Anon     map[string]Growth      // anonymous resident memory by process
	Routines map[string]Growth      // goroutines by process
	Own      map[string]Growth      // goroutines less their connections', by process (Stat.Own)
	Totals   map[string]ClassWindow // after the warm-up, by class (P99: the worst window's)
	Problems []Problem
}

// measured returns the windows after the warm-up.
func (r *Result) measured() []Window {
	var out []Window
	for _, w := range r.Windows {
		if w.End > r.Config.Warmup {
			out = append(out, w)
		}
	}
	return out
}

// judge computes the growths and totals and lists the problems.
func (r *Result) judge() {
	ws := r.measured()
	r.Heap, r.Inuse, r.RSS, r.Anon, r.Routines, r.Own = map[string]Growth{}, map[string]Growth{}, map[string]Growth{}, map[string]Growth{}, map[string]Growth{}, map[string]Growth{}
	r.Totals = map[string]ClassWindow{}
	problem := func(kind, format string, args ...any) {
		r.Problems = append(r.Problems, Problem{kind, fmt.Sprintf(format, args...)})
	}
	// Compare a minute at each end, or a third of the measured windows
	// when the soak is shorter than three minutes after its warm-up.
	r.Span = max(1, min(int(time.Minute/r.Config.Every), len(ws)/3))
	if len(ws) < 2 {
		problem(ProblemSamples, "only %d windows after the warm-up: nothing to compare", len(ws))
	} else {
		for _, p := range r.Processes {
			for _, m := range []struct {
				into map[string]Growth
				get  func(Stat) float64
			}{
				{r.Heap, func(s Stat) float64 { return s.HeapGoal }},
				{r.Inuse, func(s Stat) float64 { return s.HeapInuse }},
				{r.RSS, func(s Stat) float64 { return s.RSS }},
				{r.Anon, func(s Stat) float64 { return s.RSSAnon }},
				{r.Routines, func(s Stat) float64 { return s.Goroutines }},
				{r.Own, func(s Stat) float64 { return s.Own() }},
			} {
				m.into[p.Name] = Growth{Before: r.floor(ws[:r.Span], p.Name, m.get), After: r.floor(ws[len(ws)-r.Span:], p.Name, m.get)}
			}
			if g := r.Heap[p.Name].Percent(); g >= MaxGrowth {
				problem(ProblemGrowth, "%s: live heap (heap goal) grew %.1f %% after the warm-up, %s → %s", p.Name, g, mib(r.Heap[p.Name].Before), mib(r.Heap[p.Name].After))
			}
			if g := r.Own[p.Name].Percent(); g >= MaxGrowth {
				problem(ProblemGrowth, "%s: goroutines (less their connections') grew %.1f %% after the warm-up, %.1f → %.1f", p.Name, g, r.Own[p.Name].Before, r.Own[p.Name].After)
			}
		}
	}
	for _, w := range r.Windows {
		for name, s := range w.Procs {
			if s.Err != "" {
				problem(ProblemSamples, "%s at %s: %s", name, w.End, s.Err)
			}
		}
	}
	for _, c := range Classes {
		t := ClassWindow{}
		for _, w := range ws {
			cw := w.Classes[c]
			t.N += cw.N
			t.Errors += cw.Errors
			t.P50 = max(t.P50, cw.P50)
			t.P99 = max(t.P99, cw.P99)
		}
		r.Totals[c] = t
		if t.N == 0 {
			problem(ProblemClasses, "no %s request completed after the warm-up", c)
		}
	}
	if n := r.Errors.total() + r.CapacityErrors.total(); n > 0 {
		problem(ProblemErrors, "%d requests failed (%d in the capacity phase):\n%s%s", n, r.CapacityErrors.total(), r.CapacityErrors, r.Errors)
	}
	if r.Late > 0 {
		problem(ProblemLate, "%d arrivals found %d requests in flight and were not sent: the rate was not held", r.Late, maxOutstanding)
	}
}

// floor is the lowest of proc's figures in ws, 0 when none was read.
func (r *Result) floor(ws []Window, proc string, get func(Stat) float64) float64 {
	low, n := 0.0, 0
	for _, w := range ws {
		if s, ok := w.Procs[proc]; ok && s.Err == "" {
			if v := get(s); n == 0 || v < low {
				low = v
			}
			n++
		}
	}
	return low
}

// Summary is the verdict and the main figures, for a terminal.
func (r *Result) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nsoak: %s\n", r.Machine)
	fmt.Fprintf(&b, "capacity %.1f requests/s (%d workers, closed loop, %s); soak at %.1f requests/s for %s, warm-up %s\n",
		r.Capacity, r.Config.Workers, r.Config.Capacity, r.Rate, r.Config.Duration, r.Config.Warmup)
	fmt.Fprintf(&b, "load average before %.2f %.2f %.2f, after %.2f %.2f %.2f\n\n", r.LoadBefore[0], r.LoadBefore[1], r.LoadBefore[2], r.LoadAfter[0], r.LoadAfter[1], r.LoadAfter[2])
	fmt.Fprintf(&b, "floors of the first and the last %s after the warm-up\n", time.Duration(r.Span)*r.Config.Every)
	fmt.Fprintf(&b, "%-4s %26s %26s %26s %24s\n", "", "live heap (heap goal)", "heap in use", "RSS, anonymous", "own goroutines")
	for _, p := range r.Processes {
		h, u, s, g := r.Heap[p.Name], r.Inuse[p.Name], r.Anon[p.Name], r.Own[p.Name]
		fmt.Fprintf(&b, "%-4s %26s %26s %26s %24s\n", p.Name,
			fmt.Sprintf("%s→%s %+.1f%%", mib(h.Before), mib(h.After), h.Percent()),
			fmt.Sprintf("%s→%s %+.1f%%", mib(u.Before), mib(u.After), u.Percent()),
			fmt.Sprintf("%s→%s %+.1f%%", mib(s.Before), mib(s.After), s.Percent()),
			fmt.Sprintf("%.1f→%.1f %+.1f%%", g.Before, g.After, g.Percent()))
	}
	if r.Snapshots[0] != nil {
		fmt.Fprintf(&b, "\nafter a forced GC, three quarters into the warm-up → once the last request has finished\n")
		for _, p := range r.Processes {
			a, z := r.Snapshots[0][p.Name], r.Snapshots[1][p.Name]
			fmt.Fprintf(&b, "%-4s live heap %s → %s (%+.1f%%), goroutines %.0f → %.0f\n", p.Name, mib(a.HeapAlloc), mib(z.HeapAlloc),
				Growth{a.HeapAlloc, z.HeapAlloc}.Percent(), a.Goroutines, z.Goroutines)
		}
	}
	fmt.Fprintf(&b, "\n%-9s %8s %7s %12s %12s\n", "class", "requests", "errors", "worst p50", "worst p99")
	for _, c := range Classes {
		t := r.Totals[c]
		fmt.Fprintf(&b, "%-9s %8d %7d %12s %12s\n", c, t.N, t.Errors, ms(t.P50), ms(t.P99))
	}
	if len(r.Problems) == 0 {
		fmt.Fprintf(&b, "\nverdict: PASS (growth < %.0f %% for every process, 0 errors, every class exercised, rate held)\n", MaxGrowth)
		return b.String()
	}
	fmt.Fprintf(&b, "\nverdict: FAIL\n")
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "- %s: %s\n", p.Kind, strings.TrimSpace(p.Message))
	}
	return b.String()
}

func mib(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
