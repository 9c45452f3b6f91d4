// Command benchreport turns `go test -bench` output (on standard input) into
// the Markdown report docs/benchmarks.md: a section per package with the
// run's date, machine and load, and a table of every benchmark with the
// metrics it reported.
//
// With -o FILE it merges: the packages of this run replace their sections in
// FILE and every other package's section is kept as it was, so
// `make bench PKGS=./node/...` refreshes one package's figures without
// losing the others. Read live from `go test` (as `make bench` does), it
// also records the machine's 1-minute load average as each result arrives:
// on a shared machine the figures mean little without it.
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
}

type section struct {
	pkg  string
	text string // the whole section, from its "## " line
}

const intro = "# Benchmarks\n\n" +
	"Written by `make bench` (`go test -p 1 -bench . -benchtime 1x`, piped into `cmd/benchreport`). " +
	"Each benchmark sizes its own work and reports rates and latencies with `b.ReportMetric`; " +
	"the goals are in the issues and in the design notes (`docs/`). Each package's section is " +
	"replaced only when that package is benchmarked again (`make bench PKGS=./node/...`), and says " +
	"when and where it ran. The load column is the machine's 1-minute load average as the result " +
	"came in; a benchmark's own goroutines count in it, so compare a row with the rest of its run: " +
	"a load far above them means something else shared the machine's 2 cores and the figure is low.\n"

func main() {
	out := flag.String("o", "", "merge into this Markdown file (written atomically) instead of printing a new report")
	flag.Parse()

	old := map[string]string{}
	var order []string
	if *out != "" {
		if b, err := os.ReadFile(*out); err == nil {
			for _, s := range parseSections(string(b)) {
				old[s.pkg] = s.text
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
		var b strings.Builder
		fmt.Fprintf(&b, "## %s\n\n", p)
		fmt.Fprintf(&b, "- run: %s on %s/%s, %s, %d cores, %s\n", started[p].UTC().Format("2006-01-02 15:04 MST"), header["goos"], header["goarch"], header["cpu"], runtime.NumCPU(), runtime.Version())
		if len(failures[p]) > 0 {
			b.WriteString("- **failures in this run:**\n")
			for _, f := range failures[p] {
				fmt.Fprintf(&b, "  - `%s`\n", f)
			}
		}
		b.WriteString("\n| benchmark | results | load |\n| --- | --- | --- |\n")
		for _, r := range rows[p] {
			parts := make([]string, len(r.metrics))
			for i, m := range r.metrics {
				parts[i] = m[0] + " " + m[1]
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", r.name, strings.Join(parts, ", "), r.load)
		}
		if _, ok := old[p]; !ok {
			order = append(order, p)
		}
		old[p] = b.String()
	}

	var doc bytes.Buffer
	doc.WriteString(intro)
	sort.Strings(order) // import-path order, as go test runs them
	for _, p := range order {
		doc.WriteString("\n")
		doc.WriteString(strings.TrimRight(old[p], "\n"))
		doc.WriteString("\n")
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
			r := row{name: f[0], load: loadAverage()}
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

// parseSections splits an earlier report into its packages' sections.
func parseSections(doc string) []section {
	var out []section
	var cur *section
	for _, line := range strings.SplitAfter(doc, "\n") {
		if p, ok := strings.CutPrefix(line, "## "); ok {
			out = append(out, section{pkg: strings.TrimSpace(p)})
			cur = &out[len(out)-1]
		}
		if cur != nil {
			cur.text += line
		}
	}
	return out
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
