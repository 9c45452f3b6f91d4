// Command benchreport turns `go test -bench` output (on standard input) into
// the Markdown report docs/benchmarks.md: a section per package with the
// run's date, machine and load, and a table of every benchmark with the
// metrics it reported.
//
// With -o FILE it merges, benchmark by benchmark: each result of this run
// replaces the row of the same benchmark in FILE, and every other row and
// section is kept as it was, with the time it ran. So
// `make bench PKGS=./node BENCH=ProfilePage` refreshes one row without
// losing the others. Read live from `go test` (as `make bench` does), it
// also records, as each result arrives, the time and the machine's 1-minute
// load average: on a shared machine the figures mean little without them.
//
// `make bench` runs it; it is a development tool, not part of twinfed.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

type row struct {
	name    string
	metrics [][2]string // value, unit
	load    string      // 1-minute load average when the result arrived
	ran     string      // when the result arrived, UTC
}

// line is the row in the report's table.
func (r row) line() string {
	parts := make([]string, len(r.metrics))
	for i, m := range r.metrics {
		parts[i] = m[0] + " " + m[1]
	}
	return fmt.Sprintf("| %s | %s | %s | %s |", r.name, strings.Join(parts, ", "), r.load, r.ran)
}

// section is a package's part of the report.
type section struct {
	pkg     string
	machine string   // the "- machine:" line's value
	notes   []string // other "- " lines (failures of the last run)
	rows    []string // table rows, each "| name | results | load | ran |"
}

const timeFormat = "2006-01-02 15:04 MST"

const intro = "# Benchmarks\n\n" +
	"Written by `make bench` (`go test -p 1 -bench . -benchtime 1x`, piped into `cmd/benchreport`). " +
	"Each benchmark sizes its own work and reports rates and latencies with `b.ReportMetric`; " +
	"the goals are in the issues and in the design notes (`docs/`). Each row is replaced only when " +
	"its benchmark runs again (`make bench PKGS=./node` refreshes a package's rows, " +
	"`make bench PKGS=./node BENCH=ProfilePage` one benchmark's), and says when it ran. The load column is the machine's 1-minute load average as the result " +
	"came in; a benchmark's own goroutines count in it, so compare a row with the rows run beside it: " +
	"a load far above them means something else shared the machine's 2 cores and the figure is low.\n"

func main() {
	out := flag.String("o", "", "merge into this Markdown file (written atomically) instead of printing a new report")
	flag.Parse()

	old := map[string]*section{}
	var order []string
	if *out != "" {
		if b, err := os.ReadFile(*out); err == nil {
			for _, s := range parseSections(string(b)) {
				old[s.pkg] = s
				order = append(order, s.pkg)
			}
		} else if !os.IsNotExist(err) {
			fmt.Fprintln(os.Stderr, "benchreport:", err)
			os.Exit(1)
		}
	}

	header, pkgs, rows, failures, started := parseRun(os.Stdin)
	for _, p := range pkgs {
		if len(rows[p]) == 0 && len(failures[p]) == 0 {
			continue
		}
		sec := old[p]
		if sec == nil {
			sec = &section{pkg: p}
			old[p] = sec
			order = append(order, p)
		}
		sec.machine = fmt.Sprintf("%s/%s, %s, %d cores, %s", header["goos"], header["goarch"], header["cpu"], runtime.NumCPU(), runtime.Version())
		sec.notes = nil
		if len(failures[p]) > 0 {
			sec.notes = append(sec.notes, "**failures in the run of "+started[p].UTC().Format(timeFormat)+":**")
			for _, f := range failures[p] {
				sec.notes = append(sec.notes, "  - `"+f+"`")
			}
		}
		// This run's rows replace the rows of the same benchmarks, in place;
		// new benchmarks go at the end.
		fresh := map[string]string{}
		for _, r := range rows[p] {
			fresh[r.name] = r.line()
		}
		var merged []string
		for _, l := range sec.rows {
			if n := rowName(l); fresh[n] != "" {
				merged = append(merged, fresh[n])
				delete(fresh, n)
			} else {
				merged = append(merged, l)
			}
		}
		for _, r := range rows[p] {
			if l, ok := fresh[r.name]; ok {
				merged = append(merged, l)
			}
		}
		sec.rows = merged
	}

	var doc bytes.Buffer
	doc.WriteString(intro)
	sort.Strings(order) // import-path order, as go test runs them
	for _, p := range order {
		sec := old[p]
		fmt.Fprintf(&doc, "\n## %s\n\n- machine: %s\n", p, sec.machine)
		for _, n := range sec.notes {
			if strings.HasPrefix(n, "  ") {
				doc.WriteString(n + "\n")
			} else {
				doc.WriteString("- " + n + "\n")
			}
		}
		doc.WriteString("\n| benchmark | results | load | ran |\n| --- | --- | --- | --- |\n")
		for _, l := range sec.rows {
			doc.WriteString(l + "\n")
		}
	}
	if *out == "" {
		os.Stdout.Write(doc.Bytes())
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".benchreport-*")
	if err == nil {
		_, err = tmp.Write(doc.Bytes())
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), *out)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

// parseRun reads `go test -bench` output, echoing it to standard error so
// the run stays visible when piped.
func parseRun(in io.Reader) (header map[string]string, pkgs []string, rows map[string][]row, failures map[string][]string, started map[string]time.Time) {
	header = map[string]string{}
	started = map[string]time.Time{}
	rows = map[string][]row{}
	failures = map[string][]string{}
	var pending []string // failure lines seen before their package's "FAIL pkg" or "ok" line
	pkg := ""
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(os.Stderr, line)
		switch {
		case strings.HasPrefix(line, "goos:"), strings.HasPrefix(line, "goarch:"), strings.HasPrefix(line, "cpu:"):
			k, v, _ := strings.Cut(line, ":")
			header[k] = strings.TrimSpace(v)
		case strings.HasPrefix(line, "pkg:"):
			pkg = strings.TrimSpace(strings.TrimPrefix(line, "pkg:"))
			if _, ok := rows[pkg]; !ok {
				pkgs = append(pkgs, pkg)
				rows[pkg] = nil
				started[pkg] = time.Now()
			}
		case strings.HasPrefix(line, "Benchmark"):
			f := strings.Fields(line)
			if len(f) < 3 {
				continue // a benchmark's name printed before its logs
			}
			r := row{name: f[0], load: loadAverage(), ran: time.Now().UTC().Format(timeFormat)}
			// f[1] is the iteration count; then value/unit pairs.
			for i := 2; i+1 < len(f); i += 2 {
				r.metrics = append(r.metrics, [2]string{f[i], f[i+1]})
			}
			rows[pkg] = append(rows[pkg], r)
		case strings.HasPrefix(line, "--- FAIL"), strings.HasPrefix(line, "panic:"):
			pending = append(pending, strings.TrimSpace(line))
		case strings.HasPrefix(line, "FAIL\t"), strings.HasPrefix(line, "ok  \t"):
			// The package's summary line names it, also for a package that
			// failed before printing "pkg:".
			f := strings.Fields(line)
			if len(f) >= 2 && len(pending) > 0 {
				p := f[1]
				if _, ok := rows[p]; !ok {
					pkgs = append(pkgs, p)
					rows[p] = nil
					started[p] = time.Now()
				}
				failures[p] = append(failures[p], pending...)
			}
			pending = nil
		}
	}
	return header, pkgs, rows, failures, started
}

// parseSections reads an earlier report's sections. Rows written before
// rows carried their own time (three columns) get their section's "- run:"
// time.
func parseSections(doc string) []*section {
	var out []*section
	var cur *section
	runAt := ""
	for _, line := range strings.Split(doc, "\n") {
		switch {
		case strings.HasPrefix(line, "## "):
			cur = &section{pkg: strings.TrimSpace(strings.TrimPrefix(line, "## "))}
			out = append(out, cur)
			runAt = ""
		case cur == nil:
		case strings.HasPrefix(line, "- machine: "):
			cur.machine = strings.TrimPrefix(line, "- machine: ")
		case strings.HasPrefix(line, "- run: "):
			// The older form: "- run: <time> on <machine>".
			at, machine, _ := strings.Cut(strings.TrimPrefix(line, "- run: "), " on ")
			runAt, cur.machine = at, machine
		case strings.HasPrefix(line, "- "), strings.HasPrefix(line, "  - "):
			cur.notes = append(cur.notes, strings.TrimPrefix(line, "- "))
		case strings.HasPrefix(line, "| Benchmark"):
			if cells := strings.Split(strings.Trim(line, "| "), " | "); len(cells) == 3 {
				line = fmt.Sprintf("| %s | %s | %s | %s |", cells[0], cells[1], cells[2], runAt)
			}
			cur.rows = append(cur.rows, line)
		}
	}
	return out
}

// rowName is the benchmark a table row is about.
func rowName(line string) string {
	name, _, _ := strings.Cut(strings.TrimPrefix(line, "| "), " |")
	return name
}

// loadAverage is the 1-minute load average, or "?" where /proc is missing.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}
