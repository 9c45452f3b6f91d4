package main

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// buildTwinfed builds the twinfed binary into a temporary directory.
func buildTwinfed(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "twinfed")
	// go test puts its own Go first on PATH: the binary is built with the
	// toolchain that runs the test.
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, "./cmd/twinfed")
	cmd.Dir = "../.." // the module's root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, msg)
	}
	return out
}

// TestSoak_Short runs the soak driver for 20 seconds against a federation
// of separate processes, so that it cannot rot between soaks: every
// request class must complete, none may fail, every process's metrics must
// be read every window, and the CSV, SVG and Markdown must be written. The
// growth of heaps and goroutines is logged, not judged: 20 seconds is no
// soak (make soak runs the 10 minutes and judges it).
func TestSoak_Short(t *testing.T) {
	if testing.Short() {
		t.Skip("starts six processes and drives them for 20 s")
	}
	out := t.TempDir()
	cfg := Config{
		Bin: buildTwinfed(t), Data: filepath.Join(t.TempDir(), "data"), Out: out,
		Workers: 4, Capacity: 5 * time.Second, Duration: 20 * time.Second, Warmup: 5 * time.Second, Every: 5 * time.Second,
		Profiles: filepath.Join(t.TempDir(), "profiles"), Log: t.Logf,
	}
	res, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res.Summary())
	for _, p := range res.Problems {
		if p.Kind != ProblemGrowth {
			t.Errorf("%s: %s", p.Kind, p.Message)
		}
	}
	if len(res.Processes) != 6 {
		t.Errorf("%d processes, want 6 (3 registry members, 3 nodes)", len(res.Processes))
	}
	// Every process serves connections (the driver's, the nodes', Raft's)
	// and the sampler counts them from /proc.
	if runtime.GOOS == "linux" {
		for _, p := range res.Processes {
			served := false
			for _, w := range res.Windows {
				served = served || w.Procs[p.Name].Served > 0
			}
			if !served {
				t.Errorf("%s: no served connection counted in any window", p.Name)
			}
		}
	}
	// Each process wrote its profiles and figures twice, and its CPU
	// profile in between.
	for _, p := range res.Processes {
		if st, err := os.Stat(filepath.Join(cfg.Profiles, p.Name, "cpu.pprof")); err != nil || st.Size() == 0 {
			t.Errorf("%s: no CPU profile (%v)", p.Name, err)
		}
	}
	for i, snap := range res.Snapshots {
		for _, p := range res.Processes {
			if st, ok := snap[p.Name]; !ok || st.HeapAlloc <= 0 || st.Goroutines <= 0 {
				t.Errorf("snapshot %d of %s: %+v", i+1, p.Name, st)
			}
			for _, kind := range []string{"heap", "goroutine"} {
				if _, err := os.Stat(filepath.Join(cfg.Profiles, p.Name, fmt.Sprintf("%s-%d.pprof", kind, i+1))); err != nil {
					t.Error(err)
				}
			}
		}
	}
	if res.Capacity <= 0 || res.Rate != res.Capacity/2 {
		t.Errorf("capacity %.1f/s, rate %.1f/s: want the rate at half the capacity", res.Capacity, res.Rate)
	}

	raw, err := os.ReadFile(filepath.Join(out, "soak.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatalf("soak.csv: %v", err)
	}
	if len(rows) != len(res.Windows)+1 || len(res.Windows) < 3 {
		t.Errorf("soak.csv has %d rows for %d windows, want a header and a row per window (at least 3)", len(rows), len(res.Windows))
	}
	for _, col := range []string{"browse_p99_ms", "registry_n", "it_heap_inuse_mib", "r3_goroutines", "es_own_goroutines"} {
		if !strings.Contains(string(raw), col) {
			t.Errorf("soak.csv has no column %s", col)
		}
	}

	svg, err := os.ReadFile(filepath.Join(out, "soak.svg"))
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(svg))
	lines := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("soak.svg is not well-formed XML: %v", err)
		}
		if el, ok := tok.(xml.StartElement); ok && el.Name.Local == "polyline" {
			lines++
		}
	}
	// Heap in use and heap goal, anonymous and whole RSS, goroutines and
	// own goroutines for each of the 6 processes, a p99 line per class, the
	// requests completed and the rate, the load and the cores.
	if want := 6*6 + len(Classes) + 4; lines != want {
		t.Errorf("soak.svg draws %d lines, want %d", lines, want)
	}
	md, err := os.ReadFile(filepath.Join(out, "results.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"capacity:", "| IT |", "| registry |", "verdict:"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("results.md lacks %q", want)
		}
	}
}
