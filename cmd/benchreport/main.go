// Command benchreport turns `go test -bench` output (on standard input) into
// the Markdown report docs/benchmarks.md: the machine the run was on, then a
// table per package with every benchmark and the metrics it reported.
// `make bench` runs it; it is a development tool, not part of twinfed.
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

type row struct {
	name    string
	metrics [][2]string // value, unit
}

func main() {
	var (
		header  = map[string]string{}
		pkgs    []string
		rows    = map[string][]row{}
		pkg     string
		sc      = bufio.NewScanner(os.Stdin)
		failure []string
	)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "goos:"), strings.HasPrefix(line, "goarch:"), strings.HasPrefix(line, "cpu:"):
			k, v, _ := strings.Cut(line, ":")
			header[k] = strings.TrimSpace(v)
		case strings.HasPrefix(line, "pkg:"):
			pkg = strings.TrimSpace(strings.TrimPrefix(line, "pkg:"))
			if _, ok := rows[pkg]; !ok {
				pkgs = append(pkgs, pkg)
				rows[pkg] = nil
			}
		case strings.HasPrefix(line, "Benchmark"):
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			r := row{name: f[0]}
			// f[1] is the iteration count; then value/unit pairs.
			for i := 2; i+1 < len(f); i += 2 {
				r.metrics = append(r.metrics, [2]string{f[i], f[i+1]})
			}
			rows[pkg] = append(rows[pkg], r)
		case strings.HasPrefix(line, "--- FAIL"), strings.HasPrefix(line, "FAIL"):
			failure = append(failure, line)
		}
	}
	fmt.Println("# Benchmarks")
	fmt.Println()
	fmt.Println("Written by `make bench` (`go test -bench . -benchtime 1x`, then `cmd/benchreport`). Each benchmark sizes its own work and reports rates and latencies with `b.ReportMetric`; the goals are in the issues and in the design notes.")
	fmt.Println()
	fmt.Printf("- date: %s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Printf("- machine: %s/%s, %s, %d cores\n", header["goos"], header["goarch"], header["cpu"], runtime.NumCPU())
	fmt.Printf("- Go: %s\n", runtime.Version())
	if len(failure) > 0 {
		fmt.Println()
		fmt.Println("**Failures in this run:**")
		for _, f := range failure {
			fmt.Printf("- `%s`\n", f)
		}
	}
	for _, p := range pkgs {
		if len(rows[p]) == 0 {
			continue
		}
		fmt.Printf("\n## %s\n\n| benchmark | results |\n| --- | --- |\n", p)
		for _, r := range rows[p] {
			parts := make([]string, len(r.metrics))
			for i, m := range r.metrics {
				parts[i] = m[0] + " " + m[1]
			}
			fmt.Printf("| %s | %s |\n", r.name, strings.Join(parts, ", "))
		}
	}
}
