// Command mem512 measures a whole national node in 512 MiB (issue 18):
// one `twinfed node` process whose directory holds the federation's 1.2
// million public profiles, offering the 36 UI languages, under a real
// memory limit (a cgroup v1 or v2 directory, when the machine lets it
// make one) with GOMEMLIMIT, serving a mix of pages in many languages,
// searches and the feed over HTTP for a few minutes. It reports the peak
// resident memory, the cgroup's peak, the live heap (after a collection,
// through the node's SIGUSR2 snapshot) and the latencies, and writes
// them to a Markdown file.
//
// `make mem512` runs it (docs/memory.md). The first run seeds the data
// directory (the profiles written and indexed by an in-process node, a
// few minutes); later runs reuse it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "bin/twinfed", "the twinfed binary to measure")
	flag.StringVar(&o.data, "data", "/tmp/twinfed-mem512", "data directory (seeded on the first run)")
	flag.IntVar(&o.profiles, "profiles", 1_200_000, "public profiles of the directory")
	flag.IntVar(&o.members, "members", 2000, "the node's own members (profile pages)")
	flag.DurationVar(&o.duration, "duration", 3*time.Minute, "how long the page mix runs")
	flag.IntVar(&o.workers, "workers", 8, "concurrent clients")
	flag.Int64Var(&o.limitMiB, "limit-mib", 512, "the memory limit of the node's cgroup")
	flag.StringVar(&o.gomemlimit, "gomemlimit", "400MiB", "GOMEMLIMIT of the node")
	flag.IntVar(&o.port, "port", 27080, "the node's port (metrics on port+1)")
	flag.BoolVar(&o.rebuild, "rebuild", false, "remove the directory's snapshot first: the start builds the index from the store")
	flag.StringVar(&o.out, "out", "", "Markdown file for the results (empty: standard output only)")
	flag.StringVar(&o.store, "store", "", "the node's [store] as index_cache_mib,block_cache_mib,memtable_mib,memtables (empty: the defaults)")
	flag.Parse()
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "mem512:", err)
		os.Exit(1)
	}
}

type options struct {
	bin, data, gomemlimit, out string
	store                      string
	profiles, members, workers int
	port                       int
	limitMiB                   int64
	duration                   time.Duration
	rebuild                    bool
}

func run(ctx context.Context, o options) error {
	if _, err := os.Stat(filepath.Join(o.data, "db")); os.IsNotExist(err) {
		start := time.Now()
		if err := seed(ctx, o); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		fmt.Printf("seeded %s in %v: %d profiles, %d members\n", o.data, time.Since(start).Round(time.Second), o.profiles, o.members)
	}
	if o.rebuild {
		if err := os.Remove(filepath.Join(o.data, "directory.snapshot")); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	sessions, err := readSessions(o.data)
	if err != nil {
		return err
	}
	cfg := filepath.Join(o.data, "node.toml")
	if err := os.WriteFile(cfg, []byte(nodeConfig(o)), 0o600); err != nil {
		return err
	}
	profiles := filepath.Join(o.data, "profiles")
	os.RemoveAll(profiles)
	cg, err := newCgroup(o.limitMiB << 20)
	if err != nil {
		fmt.Println("no memory cgroup:", err, "- measuring with GOMEMLIMIT only")
	}
	if cg != nil {
		defer cg.remove()
	}
	cmd := exec.Command(o.bin, "node", "serve", "--config", cfg)
	cmd.Env = append(os.Environ(), "GOMEMLIMIT="+o.gomemlimit, "TWINFED_PROFILE_DIR="+profiles)
	logf, err := os.Create(filepath.Join(o.data, "node.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	if cg != nil {
		// The shell joins the cgroup, then becomes the node: every byte
		// the node ever takes is charged to it.
		cmd = exec.Command("/bin/sh", "-c", "echo $$ > "+cg.procs()+" && exec "+shellQuote(cmd.Args))
		cmd.Env = append(os.Environ(), "GOMEMLIMIT="+o.gomemlimit, "TWINFED_PROFILE_DIR="+profiles)
		cmd.Stdout, cmd.Stderr = logf, logf
	}
	started := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-exited
		}
	}()
	mon := newMonitor(cmd.Process.Pid, cg)
	go mon.run(ctx)
	base := fmt.Sprintf("http://127.0.0.1:%d", o.port)
	if err := waitReady(base, logf.Name(), exited, 10*time.Minute); err != nil {
		return fmt.Errorf("%w (see %s)", err, logf.Name())
	}
	ready := time.Since(started)
	atStart, err := snapshot(cmd.Process, profiles, 1)
	if err != nil {
		return err
	}
	res := drive(ctx, base, o, sessions, exited)
	atEnd, err := snapshot(cmd.Process, profiles, 2)
	if err != nil {
		return err
	}
	cmd.Process.Signal(os.Interrupt)
	select {
	case <-exited:
	case <-time.After(time.Minute):
	}
	mon.stop()
	report := results(o, ready, atStart, atEnd, res, mon, cg != nil)
	fmt.Print(report)
	if o.out != "" {
		return os.WriteFile(o.out, []byte(report), 0o644)
	}
	if res.failed > 0 || mon.oomKilled() {
		return fmt.Errorf("%d requests failed, OOM kills %v", res.failed, mon.oomKilled())
	}
	return nil
}

// nodeConfig is the measured node's configuration: Italy's, the 36
// languages, a registry that is not there (the node keeps working from
// its cache, as it does while the registry is down), two password hashes
// at once (128 MiB with the production argon2id).
func nodeConfig(o options) string {
	return fmt.Sprintf(`country = "IT"
base_url = "http://127.0.0.1:%d"
data_dir = %q
http_addr = "127.0.0.1:%d"
metrics_addr = "127.0.0.1:%d"
languages = ["it", "en", "fr", "es", "de", "ar", "az", "bg", "bs", "cs", "da", "el", "et", "fi", "ga", "hr", "hu", "hy", "is", "ka", "lt", "lv", "mk", "mt", "nb", "nl", "pl", "pt", "ro", "sk", "sl", "sq", "sr", "sv", "tr", "uk"]
registry = ["http://127.0.0.1:1"]

[limits]
hash_concurrency = 2

%s
[log]
level = "info"
`, o.port, o.data, o.port, o.port+1, storeSection(o.store))
}

// storeSection is the [store] section for -store, empty for none.
func storeSection(v string) string {
	f := strings.Split(v, ",")
	if len(f) != 4 {
		return ""
	}
	return fmt.Sprintf("[store]\nindex_cache_mib = %s\nblock_cache_mib = %s\nmemtable_mib = %s\nmemtables = %s\n", f[0], f[1], f[2], f[3])
}

func shellQuote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}
