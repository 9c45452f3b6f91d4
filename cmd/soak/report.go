package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// write writes soak.csv, soak.svg and results.md into dir.
func (r *Result) write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, fn := range map[string]func() ([]byte, error){"soak.csv": r.csv, "soak.svg": r.svg, "results.md": r.markdown} {
		raw, err := fn()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), raw, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// csv is one row per window: the requests of each class, then each
// process's figures.
func (r *Result) csv() ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	head := []string{"t_s", "warmup", "load1", "requests", "errors"}
	for _, c := range Classes {
		head = append(head, c+"_n", c+"_errors", c+"_p50_ms", c+"_p99_ms")
	}
	for _, p := range r.Processes {
		n := strings.ToLower(p.Name)
		head = append(head, n+"_heap_inuse_mib", n+"_heap_goal_mib", n+"_rss_mib", n+"_rss_anon_mib", n+"_goroutines", n+"_own_goroutines", n+"_served_conns", n+"_opened_conns", n+"_cpu")
	}
	if err := w.Write(head); err != nil {
		return nil, err
	}
	f := func(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }
	msf := func(d time.Duration) string { return f(float64(d.Microseconds())/1000, 2) }
	for _, win := range r.Windows {
		n, errs := win.Requests()
		warm := "0"
		if win.End <= r.Config.Warmup {
			warm = "1"
		}
		row := []string{f(win.End.Seconds(), 0), warm, f(win.Load1, 2), strconv.Itoa(n), strconv.Itoa(errs)}
		for _, c := range Classes {
			cw := win.Classes[c]
			row = append(row, strconv.Itoa(cw.N), strconv.Itoa(cw.Errors), msf(cw.P50), msf(cw.P99))
		}
		for _, p := range r.Processes {
			s := win.Procs[p.Name]
			if s.Err != "" {
				row = append(row, "", "", "", "", "", "", "", "", "")
				continue
			}
			row = append(row, f(s.HeapInuse/(1<<20), 2), f(s.HeapGoal/(1<<20), 2), f(s.RSS/(1<<20), 2), f(s.RSSAnon/(1<<20), 2), f(s.Goroutines, 0), f(s.Own(), 0), f(s.Served, 0), f(s.Opened, 0), f(s.CPU, 3))
		}
		if err := w.Write(row); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// markdown is results.md: the run's figures, for docs/soak.md to point to.
func (r *Result) markdown() ([]byte, error) {
	var b strings.Builder
	verdict := "PASS"
	if len(r.Problems) > 0 {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, "# Soak test: the last run's figures\n\n")
	fmt.Fprintf(&b, "Written by `make soak` (`cmd/soak`); docs/soak.md says how to read them. Plot: [soak.svg](soak.svg), every window: [soak.csv](soak.csv).\n\n")
	fmt.Fprintf(&b, "- ran: %s, %s\n", r.Started.Format("2006-01-02 15:04 UTC"), r.Machine)
	fmt.Fprintf(&b, "- machine's load average (1, 5, 15 min): %.2f %.2f %.2f before, %.2f %.2f %.2f after; the 1-minute load of each window is in soak.csv. The machine is shared: other work running beside the soak counts in it.\n",
		r.LoadBefore[0], r.LoadBefore[1], r.LoadBefore[2], r.LoadAfter[0], r.LoadAfter[1], r.LoadAfter[2])
	fmt.Fprintf(&b, "- capacity: **%.1f requests/s** (%d workers, closed loop, %s)\n", r.Capacity, r.Config.Workers, r.Config.Capacity)
	fmt.Fprintf(&b, "- soak: **%.1f requests/s** open loop for %s, warm-up %s left out, a window every %s; arrivals not sent for %d requests in flight: %d\n",
		r.Rate, r.Config.Duration, r.Config.Warmup, r.Config.Every, maxOutstanding, r.Late)
	fmt.Fprintf(&b, "- errors: **%d** (capacity phase %d)\n", r.Errors.total()+r.CapacityErrors.total(), r.CapacityErrors.total())
	fmt.Fprintf(&b, "- verdict: **%s**\n", verdict)
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "  - %s: %s\n", p.Kind, strings.ReplaceAll(strings.TrimSpace(p.Message), "\n", "; "))
	}
	fmt.Fprintf(&b, "\n## Growth after the warm-up, per process\n\n")
	fmt.Fprintf(&b, "Floor (lowest sample) of the first %s after the warm-up → floor of the last %s. The verdict reads the live heap (heap goal) and the own goroutines (goal < %.0f %%).\n\n",
		time.Duration(r.Span)*r.Config.Every, time.Duration(r.Span)*r.Config.Every, MaxGrowth)
	fmt.Fprintf(&b, "| process | live heap (heap goal) | heap in use | RSS | RSS, anonymous | goroutines | own goroutines (less their connections') |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	for _, p := range r.Processes {
		h, u, s, a, g, o := r.Heap[p.Name], r.Inuse[p.Name], r.RSS[p.Name], r.Anon[p.Name], r.Routines[p.Name], r.Own[p.Name]
		fmt.Fprintf(&b, "| %s | %s → %s (%+.1f %%) | %s → %s (%+.1f %%) | %s → %s (%+.1f %%) | %s → %s (%+.1f %%) | %.0f → %.0f (%+.1f %%) | %.0f → %.0f (%+.1f %%) |\n", p.Name,
			mib(h.Before), mib(h.After), h.Percent(), mib(u.Before), mib(u.After), u.Percent(),
			mib(s.Before), mib(s.After), s.Percent(), mib(a.Before), mib(a.After), a.Percent(),
			g.Before, g.After, g.Percent(), o.Before, o.After, o.Percent())
	}
	if r.Snapshots[0] != nil {
		fmt.Fprintf(&b, "\n## Live heap after a forced GC, per process\n\n")
		fmt.Fprintf(&b, "From each process's snapshot (stats-N.txt beside its profiles): three quarters into the warm-up, under load, and once the soak's last request has finished. Not judged: the first has requests in flight, the second none.\n\n")
		fmt.Fprintf(&b, "| process | live heap | goroutines |\n| --- | --- | --- |\n")
		for _, p := range r.Processes {
			a, z := r.Snapshots[0][p.Name], r.Snapshots[1][p.Name]
			fmt.Fprintf(&b, "| %s | %s → %s (%+.1f %%) | %.0f → %.0f |\n", p.Name, mib(a.HeapAlloc), mib(z.HeapAlloc),
				Growth{a.HeapAlloc, z.HeapAlloc}.Percent(), a.Goroutines, z.Goroutines)
		}
	}
	fmt.Fprintf(&b, "\n## Requests after the warm-up, per class\n\n| class | share of the mix | requests | errors | p50, worst window | p99, best window | p99, worst window |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	for _, c := range Classes {
		t := r.Totals[c]
		best := time.Duration(math.MaxInt64)
		for _, w := range r.measured() {
			best = min(best, w.Classes[c].P99)
		}
		if best == math.MaxInt64 {
			best = 0
		}
		fmt.Fprintf(&b, "| %s | %d %% | %d | %d | %s | %s | %s |\n", c, mix[c], t.N, t.Errors, ms(t.P50), ms(best), ms(t.P99))
	}
	fmt.Fprintf(&b, "\n## p99 per class per window (ms)\n\n| end of window |")
	for _, c := range Classes {
		fmt.Fprintf(&b, " %s |", c)
	}
	fmt.Fprintf(&b, " requests | errors | load |\n| --- |%s --- | --- | --- |\n", strings.Repeat(" --- |", len(Classes)))
	for _, w := range r.Windows {
		label := w.End.String()
		if w.End <= r.Config.Warmup {
			label += " (warm-up)"
		}
		fmt.Fprintf(&b, "| %s |", label)
		for _, c := range Classes {
			fmt.Fprintf(&b, " %.1f |", float64(w.Classes[c].P99.Microseconds())/1000)
		}
		n, errs := w.Requests()
		fmt.Fprintf(&b, " %d | %d | %.2f |\n", n, errs, w.Load1)
	}
	return []byte(b.String()), nil
}

// The plot's palette: one colour per process and per class.
var (
	procColours  = map[string]string{"r1": "#1f77b4", "r2": "#6baed6", "r3": "#9ecae1", "IT": "#2ca02c", "FR": "#d62728", "ES": "#ff7f0e"}
	classColours = map[string]string{classBrowse: "#1f77b4", classSearch: "#9467bd", classMessage: "#d62728", classProject: "#2ca02c", classRegistry: "#ff7f0e"}
)

// series is one line of a panel.
type series struct {
	name, colour string
	points       [][2]float64 // x in seconds, y
}

// svg draws six panels over the soak's time: each process's heap in use
// (solid) and heap goal (dashed), its anonymous (solid) and whole (dashed)
// resident memory, its goroutines (solid) and own goroutines (dashed), each
// class's p99 per window, the requests completed per second against the
// rate, and the machine's load against its cores; the warm-up is shaded.
func (r *Result) svg() ([]byte, error) {
	const width, panelH, top, left, right, gap = 960, 230, 56, 70, 150, 60
	var b strings.Builder
	height := top + 6*(panelH+gap)
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="16" font-weight="bold">Twinfed soak: %.1f requests/s (half the capacity of %.1f/s) for %s</text>`+"\n", left, r.Rate, r.Capacity, r.Config.Duration)
	fmt.Fprintf(&b, `<text x="%d" y="40" fill="#555">%s · %s · load %.2f→%.2f · %d errors · grey: warm-up, left out of the verdict</text>`+"\n",
		left, html.EscapeString(r.Started.Format("2006-01-02 15:04 UTC")), html.EscapeString(r.Machine), r.LoadBefore[0], r.LoadAfter[0], r.Errors.total()+r.CapacityErrors.total())

	xmax := r.Config.Duration.Seconds()
	var heap, goal, routines, own, anon, rss, p99 []series
	for _, p := range r.Processes {
		h := series{name: p.Name, colour: procColours[p.Name]}
		g, gr, o, a, rs := h, h, h, h, h
		g.name, o.name, rs.name = "", "", ""
		for _, w := range r.Windows {
			s, ok := w.Procs[p.Name]
			if !ok || s.Err != "" {
				continue
			}
			x := w.End.Seconds()
			h.points = append(h.points, [2]float64{x, s.HeapInuse / (1 << 20)})
			g.points = append(g.points, [2]float64{x, s.HeapGoal / (1 << 20)})
			gr.points = append(gr.points, [2]float64{x, s.Goroutines})
			o.points = append(o.points, [2]float64{x, s.Own()})
			a.points = append(a.points, [2]float64{x, s.RSSAnon / (1 << 20)})
			rs.points = append(rs.points, [2]float64{x, s.RSS / (1 << 20)})
		}
		heap, goal, routines, own = append(heap, h), append(goal, g), append(routines, gr), append(own, o)
		anon, rss = append(anon, a), append(rss, rs)
	}
	for _, c := range Classes {
		s := series{name: c, colour: classColours[c]}
		for _, w := range r.Windows {
			if cw := w.Classes[c]; cw.N > 0 {
				s.points = append(s.points, [2]float64{w.End.Seconds(), float64(cw.P99.Microseconds()) / 1000})
			}
		}
		p99 = append(p99, s)
	}
	done := series{name: "completed", colour: "#333"}
	target := series{colour: "#999", points: [][2]float64{{0, r.Rate}, {xmax, r.Rate}}}
	load := series{name: "load (1 min)", colour: "#8c564b"}
	cores := series{colour: "#999", points: [][2]float64{{0, float64(runtime.NumCPU())}, {xmax, float64(runtime.NumCPU())}}}
	for _, w := range r.Windows {
		n, _ := w.Requests()
		done.points = append(done.points, [2]float64{w.End.Seconds(), float64(n) / r.Config.Every.Seconds()})
		load.points = append(load.points, [2]float64{w.End.Seconds(), w.Load1})
	}
	panels := []struct {
		title  string
		solid  []series
		dashed []series
	}{
		{"Heap in use (solid) and heap goal, the next GC's trigger (dashed), MiB, per process", heap, goal},
		{"Resident memory, MiB, per process: anonymous (solid) and with mapped files (dashed)", anon, rss},
		{"Goroutines per process (solid), and less those of its connections (dashed)", routines, own},
		{"p99 latency per request class and window, ms", p99, nil},
		{"Requests completed per second (solid) and the rate to hold (dashed)", []series{done}, []series{target}},
		{"The machine's 1-minute load average (solid) and its cores (dashed): other work shares them", []series{load}, []series{cores}},
	}
	for i, p := range panels {
		y0 := top + i*(panelH+gap) + 20
		plotPanel(&b, p.title, p.solid, p.dashed, left, y0, width-left-right, panelH, xmax, r.Config.Warmup.Seconds())
	}
	b.WriteString("</svg>\n")
	return []byte(b.String()), nil
}

// plotPanel draws one panel at (x0, y0) of size w×h: axes with ticks, the
// warm-up band, the series and their legend on the right.
func plotPanel(b *strings.Builder, title string, solid, dashed []series, x0, y0, w, h int, xmax, warmup float64) {
	ymax := 0.0
	for _, s := range append(append([]series{}, solid...), dashed...) {
		for _, p := range s.points {
			ymax = math.Max(ymax, p[1])
		}
	}
	ymax, ystep := niceScale(ymax)
	X := func(x float64) float64 { return float64(x0) + x/xmax*float64(w) }
	Y := func(y float64) float64 { return float64(y0+h) - y/ymax*float64(h) }
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="13" font-weight="bold">%s</text>`+"\n", x0, y0-8, html.EscapeString(title))
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="#eee"/>`+"\n", x0, y0, X(warmup)-float64(x0), h)
	for i := 0; float64(i)*ystep <= ymax+ystep/2; i++ {
		y := float64(i) * ystep
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", x0, Y(y), x0+w, Y(y))
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end" fill="#333">%s</text>`+"\n", x0-6, Y(y)+4, trimFloat(y))
	}
	xstep := niceStep(xmax / 60 / 8) // minutes
	for i := 0; float64(i)*xstep*60 <= xmax+1e-9; i++ {
		m := float64(i) * xstep
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#999"/>`+"\n", X(m*60), y0+h, X(m*60), y0+h+4)
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#333">%s</text>`+"\n", X(m*60), y0+h+16, trimFloat(m))
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end" fill="#555">minutes</text>`+"\n", x0+w, y0+h+30)
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>`+"\n", x0, y0, w, h)
	line := func(s series, dash string) {
		if len(s.points) == 0 {
			return
		}
		var pts []string
		for _, p := range s.points {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", X(p[0]), Y(p[1])))
		}
		fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="1.8"%s points="%s"/>`+"\n", s.colour, dash, strings.Join(pts, " "))
	}
	for _, s := range dashed {
		line(s, ` stroke-dasharray="5,4"`)
	}
	for i, s := range solid {
		line(s, "")
		ly := y0 + 12 + i*18
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"/>`+"\n", x0+w+12, ly-4, x0+w+32, ly-4, s.colour)
		fmt.Fprintf(b, `<text x="%d" y="%d">%s</text>`+"\n", x0+w+38, ly, html.EscapeString(s.name))
	}
}

// niceScale rounds max up to a tidy axis top and returns it with its step.
func niceScale(max float64) (top, step float64) {
	if max <= 0 {
		return 1, 0.25
	}
	step = niceStep(max / 5)
	return math.Ceil(max/step) * step, step
}

// niceStep is the 1, 2 or 5 times a power of ten nearest above v.
func niceStep(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// trimFloat prints an axis label: at most three decimals, none trailing.
func trimFloat(v float64) string {
	return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64)
}
