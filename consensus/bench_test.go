package consensus_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"runtime/pprof"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus"
	"github.com/twinfed/twinfed/consensus/consensustest"
)

// The registry benchmarks each do a fixed amount of work whatever b.N is
// (make bench runs them once) and report rates with b.ReportMetric. The
// amounts suit a shared 2-core machine (the whole file runs in about three
// minutes there); TWINFED_BENCH_SCALE multiplies them (for instance 4 on a
// quiet machine, for an import of 120,000 schools).

// Besides rates, the write benchmarks report the CPU time the process
// (the three members together) spent per operation or record, cpu-us/op:
// on a shared machine the rates follow the disk's fsync stalls and the
// other processes, while the CPU cost shows what the registry's own code
// costs.

// scaled returns n times TWINFED_BENCH_SCALE (at least 1).
func scaled(n int) int {
	f, err := strconv.ParseFloat(os.Getenv("TWINFED_BENCH_SCALE"), 64)
	if err != nil || f <= 0 {
		f = 1
	}
	return max(1, int(float64(n)*f))
}

// profile starts a CPU profile of the measured part of a benchmark into
// the file TWINFED_BENCH_CPUPROFILE names (go test's -cpuprofile also
// covers the cluster's start and stop); the returned func stops it.
func profile(b *testing.B) func() {
	b.Helper()
	path := os.Getenv("TWINFED_BENCH_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

func benchCluster(b *testing.B) *consensustest.Cluster {
	b.Helper()
	c := consensustest.MustOpenClusterWith(b, 3, func(i int, cfg *consensus.Config) {
		cfg.Raft.SnapshotThreshold = 1 << 20 // no snapshot in the middle of a measurement
		cfg.Raft.TrailingLogs = 1 << 20
		cfg.Raft.SnapshotInterval = time.Hour
		// A shared disk's fsync can stall for most of a second: keep the
		// leader through such stalls so that a measurement is not an election.
		cfg.Raft.HeartbeatTimeout, cfg.Raft.ElectionTimeout, cfg.Raft.LeaderLeaseTimeout = 3*time.Second, 3*time.Second, 3*time.Second
	})
	return c
}

// schoolCmd encodes a school's creation as the HTTP API does.
func schoolCmd(i int) []byte {
	cmd, _ := consensus.EncodeCommand(consensus.CmdPutSchoolV2, consensus.PutSchoolCommand{
		School: twinfed.School{Country: "IT", LegalName: fmt.Sprintf("Scuola %d", i), City: "Roma", Level: twinfed.LevelPrimary}, At: time.Now()})
	return cmd
}

func percentile(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return float64(d[int(float64(len(d)-1)*p)]) / float64(time.Millisecond)
}

// run calls op n times from w workers and reports ops/s, CPU per op, the
// p50, p99 and slowest latency, and how much of the time went to stalls.
func run(b *testing.B, n, w int, op func(i int) error) {
	b.Helper()
	runWorkers(b, n, w, func(_, i int) error { return op(i) })
}

// runWorkers is run with op told which worker (0 to w-1) calls it.
func runWorkers(b *testing.B, n, w int, op func(worker, i int) error) {
	b.Helper()
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	stop := profile(b)
	start, cpu0 := time.Now(), cpuTime()
	for g := 0; g < w; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t0 := time.Now()
				if err := op(g, i); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	el, cpu := time.Since(start), cpuTime()-cpu0
	stop()
	if f := failed.Load(); f > 0 {
		// Reported, not fatal: on a starved machine a few writes outlive
		// hold_writes; the rates below count every attempt.
		b.Logf("%d of %d operations failed, first: %v", f, n, firstErr.Load())
		b.ReportMetric(float64(f), "failed")
	}
	b.ReportMetric(float64(n)/el.Seconds(), "ops/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-us/op")
	b.ReportMetric(percentile(lat, 0.50), "p50-ms")
	b.ReportMetric(percentile(lat, 0.99), "p99-ms")
	b.ReportMetric(percentile(lat, 1), "max-ms")
	// The share of the operations' time spent in the ones over 100 ms: on
	// this VM a few stalls (a starved vCPU) can set a run's whole rate
	// while the p50 does not move.
	var all, slow time.Duration
	for _, d := range lat {
		all += d
		if d > 100*time.Millisecond {
			slow += d
		}
	}
	if all > 0 {
		b.ReportMetric(float64(slow)/float64(all), "stall-share")
	}
}

func leaderOf(b *testing.B, c *consensustest.Cluster) *consensus.Member {
	return c.Members[c.MustLeader(b)]
}

func BenchmarkRegistryApplySequential(b *testing.B) {
	c := benchCluster(b)
	l := leaderOf(b, c)
	b.ResetTimer()
	run(b, scaled(150), 1, func(i int) error { _, err := l.Apply(context.Background(), schoolCmd(i)); return err })
}

// warmUp runs n operations from w workers before a measurement, unrecorded:
// a new cluster's first thousand concurrent writes also pay for its
// connections, the log cache's and Badger's first memtable pages and the
// goroutines' stacks, which a short run would count as the rate.
func warmUp(b *testing.B, n, w int, op func(i int) error) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < w; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				if err := op(-1 - i); err != nil {
					b.Logf("warm-up: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func BenchmarkRegistryApplyConcurrent64(b *testing.B) {
	c := benchCluster(b)
	l := leaderOf(b, c)
	op := func(i int) error { _, err := l.Apply(context.Background(), schoolCmd(i)); return err }
	warmUp(b, 2000, 64, op)
	b.ResetTimer()
	run(b, scaled(20000), 64, op)
}

func httpPutSchool(hc *http.Client, url string, i int) error {
	body, _ := json.Marshal(twinfed.School{Country: "IT", LegalName: fmt.Sprintf("Scuola %d", i), City: "Roma", Level: twinfed.LevelPrimary})
	req, _ := http.NewRequest(http.MethodPost, url+"/v1/schools", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+consensustest.AdminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %s", resp.Status)
	}
	_, err = bytes.NewBuffer(nil).ReadFrom(resp.Body)
	return err
}

func benchHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}, Timeout: 30 * time.Second}
}

func BenchmarkRegistryHTTPWriteSequential(b *testing.B) {
	c := benchCluster(b)
	l := leaderOf(b, c)
	hc := benchHTTPClient()
	b.ResetTimer()
	run(b, scaled(150), 1, func(i int) error { return httpPutSchool(hc, l.URL(), i) })
}

func BenchmarkRegistryHTTPWriteConcurrent64(b *testing.B) {
	c := benchCluster(b)
	l := leaderOf(b, c)
	hc := benchHTTPClient()
	op := func(i int) error { return httpPutSchool(hc, l.URL(), i) }
	warmUp(b, 1000, 64, op)
	b.ResetTimer()
	run(b, scaled(6000), 64, op)
}

func importSchools(n int) []twinfed.School {
	countries := twinfed.SeedCountries()
	out := make([]twinfed.School, n)
	for i := range out {
		out[i] = twinfed.School{Country: countries[i%len(countries)].Code, LegalName: fmt.Sprintf("School %d", i), City: "City",
			NationalNumber: fmt.Sprintf("N%07d", i), Level: twinfed.LevelPrimary, Institution: twinfed.InstitutionState}
	}
	return out
}

func BenchmarkRegistryImportApply(b *testing.B) {
	c := benchCluster(b)
	l := leaderOf(b, c)
	n := scaled(30000)
	schools := importSchools(n)
	b.ResetTimer()
	stop := profile(b)
	start, cpu0 := time.Now(), cpuTime()
	res, err := l.ImportSchools(context.Background(), schools)
	el, cpu := time.Since(start), cpuTime()-cpu0
	stop()
	if err != nil || res.Count != n {
		b.Fatalf("import: %v (%d)", err, res.Count)
	}
	b.ReportMetric(float64(n)/el.Seconds(), "records/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-us/record")
}

func BenchmarkRegistryImportHTTP(b *testing.B) {
	c := benchCluster(b)
	n := scaled(30000)
	schools := importSchools(n)
	cl := c.AdminClient(b)
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	res, err := cl.Import(context.Background(), schools)
	if err != nil || res.Count != n {
		b.Fatalf("import: %v", err)
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "records/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(n), "cpu-us/record")
}

// BenchmarkRegistryImportCSV is the import as CSS operators run it,
// `twinfed registry import-schools --file schools.csv`: one CSV body
// posted to a member.
func BenchmarkRegistryImportCSV(b *testing.B) {
	c := benchCluster(b)
	n := scaled(30000)
	var body bytes.Buffer
	body.WriteString("country,legal_name,public_name,city,region,national_number,level,institution,status,course_years\n")
	for _, s := range importSchools(n) {
		fmt.Fprintf(&body, "%s,%s,,%s,,%s,%s,%s,,\n", s.Country, s.LegalName, s.City, s.NationalNumber, s.Level, s.Institution)
	}
	hc := benchHTTPClient()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	req, _ := http.NewRequest(http.MethodPost, c.URLs[c.MustLeader(b)]+"/v1/schools/import", bytes.NewReader(body.Bytes()))
	req.Header.Set("Authorization", "Bearer "+consensustest.AdminToken)
	req.Header.Set("Content-Type", "text/csv")
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	var res consensus.WriteResult
	err = json.NewDecoder(resp.Body).Decode(&res)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || res.Count != n {
		b.Fatalf("import: %s %+v %v", resp.Status, res, err)
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "records/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(n), "cpu-us/record")
}

func BenchmarkRegistryReadConsistent(b *testing.B) {
	c := benchCluster(b)
	l := leaderOf(b, c)
	hc := benchHTTPClient()
	if err := httpPutSchool(hc, l.URL(), 0); err != nil {
		b.Fatal(err)
	}
	id := "IT-00000001"
	b.ResetTimer()
	run(b, scaled(2000), 1, func(int) error {
		resp, err := hc.Get(l.URL() + "/v1/schools/" + id + "?consistency=consistent")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, err = bytes.NewBuffer(nil).ReadFrom(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s", resp.Status)
		}
		return err
	})
}

func BenchmarkRegistryReadIndexGo(b *testing.B) {
	c := benchCluster(b)
	l := leaderOf(b, c)
	b.ResetTimer()
	run(b, scaled(2000), 1, func(int) error { _, err := l.ReadIndex(context.Background()); return err })
}

func BenchmarkRegistryReadStalePerMember(b *testing.B) {
	c := benchCluster(b)
	l := leaderOf(b, c)
	hc := benchHTTPClient()
	if err := httpPutSchool(hc, l.URL(), 0); err != nil {
		b.Fatal(err)
	}
	c.MustWaitConverged(b)
	follower := c.URLs[(c.MustLeader(b)+1)%3]
	b.ResetTimer()
	run(b, scaled(4000), 16, func(int) error {
		resp, err := hc.Get(follower + "/v1/schools/IT-00000001")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, err = bytes.NewBuffer(nil).ReadFrom(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s", resp.Status)
		}
		return err
	})
}

// BenchmarkLogStoreSyncedWrites is the ceiling on this disk, measured in
// the same run: the registry's log store (pebble) and
// the one of earlier versions (badger), each synced, storing batches the
// way one member does per Raft round, one batch after another: one
// school entry, 64 school entries (a round of the 64 concurrent writers),
// and one import entry of 1,000 schools. A cluster commit needs two such
// writes in series (the leader's, then a follower's), so the cluster's
// rate is at most about half of these.
func BenchmarkLogStoreSyncedWrites(b *testing.B) {
	chunk, _ := consensus.EncodeCommand(consensus.CmdImportSchoolsV2, consensus.ImportCommand{Schools: importSchools(consensus.ImportChunk), At: time.Now()})
	for _, tc := range []struct {
		name    string
		entries int
		data    []byte
		records int // schools per entry
		txns    int
	}{
		{"batch=1", 1, schoolCmd(0), 1, 100},
		{"batch=64", 64, schoolCmd(0), 1, 100},
		{"import-entry", 1, chunk, consensus.ImportChunk, 40},
	} {
		for _, store := range []string{"badger", "pebble"} {
			b.Run(store+"/"+tc.name, func(b *testing.B) {
				var ls interface {
					StoreLogs([]*raft.Log) error
					Close() error
				}
				var err error
				if store == "pebble" {
					ls, err = consensus.OpenPebbleLog(b.TempDir(), nil)
				} else {
					ls, err = consensus.OpenLogStore(b.TempDir(), nil)
				}
				if err != nil {
					b.Fatal(err)
				}
				defer ls.Close()
				txns := scaled(tc.txns)
				idx := uint64(0)
				start := time.Now()
				for i := 0; i < txns; i++ {
					logs := make([]*raft.Log, tc.entries)
					for j := range logs {
						idx++
						logs[j] = &raft.Log{Index: idx, Term: 1, Type: raft.LogCommand, Data: tc.data, AppendedAt: time.Now()}
					}
					if err := ls.StoreLogs(logs); err != nil {
						b.Fatal(err)
					}
				}
				el := time.Since(start).Seconds()
				b.ReportMetric(float64(txns)/el, "fsyncs/s")
				b.ReportMetric(float64(txns*tc.entries)/el, "entries/s")
				b.ReportMetric(float64(txns*tc.entries*tc.records)/el, "records/s")
			})
		}
	}
}
