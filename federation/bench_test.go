package federation_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/federation"
	"github.com/twinfed/twinfed/federation/signing"
)

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(float64(len(s)-1) * p)
	return s[i]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkDelivery_Throughput sends 5,000 Follows from an IT node to an FR
// node over loopback: enqueue, sign (Ed25519), POST, verify against the
// registry's key, parse, store, 202, apply. It reports deliveries per second
// (until the sender's queue is empty) and applied per second (until the
// receiver's handler has applied all), and, in the same run, the ceiling:
// the same number of bare signed POSTs from as many goroutines to a trivial
// Go handler. FR's recipients exist and advertise its batch inbox, so the
// Follows travel in batches (up to 64 a request); the ceiling stays one
// POST per activity.
func BenchmarkDelivery_Throughput(b *testing.B) {
	total := benchScale(5000)
	cluster := consensustest.MustOpenCluster(b, 1)
	nodes := mustReserveNodes(b, cluster, "IT", "FR")
	it, fr := nodes[0], nodes[1]
	for _, n := range nodes {
		n.Settings.Workers = 32
	}
	it.mustStart(b)
	fr.mustStart(b)
	// The recipients exist, as on a node: their actor documents name FR's
	// shared inbox and advertise its batch inbox (batch.go).
	for i := range 13 {
		u := fmt.Sprintf("u%d", i)
		fr.Rec.putProfile(b, &twinfed.Profile{ID: fr.actor(u), Username: u, Country: "FR", Name: u})
	}
	// Warm up connections and caches.
	it.send(b, it.follow("warm", "maria", fr.actor("u0")))
	eventually(b, 10*time.Second, func() bool { return fr.Rec.countApplied() == 1 }, "warm-up not applied")

	b.ResetTimer()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	ru0 := usage()
	start := time.Now()
	for i := 0; i < total; i += 250 {
		var batch []*twinfed.Activity
		for j := i; j < i+250; j++ {
			batch = append(batch, it.follow(fmt.Sprintf("t-%05d", j), fmt.Sprintf("m%d", j%97), fr.actor(fmt.Sprintf("u%d", j%13))))
		}
		it.send(b, batch...)
	}
	// Cheap conditions (a metric, an in-memory count): the poll runs every
	// 10 ms and must not compete with what it measures.
	delivered := map[string]string{"destination": fr.Host, "outcome": federation.OutcomeDelivered}
	eventually(b, 5*time.Minute, func() bool {
		return metricValue(b, it.Metrics, "twinfed_federation_deliveries_total", delivered) >= float64(total+1)
	}, "queue did not drain")
	deliveredIn := time.Since(start)
	eventually(b, 5*time.Minute, func() bool { return len(fr.Rec.order()) >= total+1 }, "not all applied")
	applied := time.Since(start)
	pipeline := usage().sub(ru0)
	runtime.ReadMemStats(&ms1)
	b.StopTimer()

	// The ceiling: bare signed POSTs to a handler that reads the body and
	// answers 202, from as many goroutines as the queue has workers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	})}
	go srv.Serve(ln)
	defer srv.Close()
	body, _ := federation.EncodeActivity(it.follow("ceiling", "maria", fr.actor("claire")))
	signer := &signing.Signer{Key: it.Key}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	url := "http://" + ln.Addr().String() + "/inbox"
	var next atomic.Int64
	var wg sync.WaitGroup
	cru0 := usage()
	cstart := time.Now()
	for range it.Settings.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(total) {
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				req.Header.Set("Content-Type", federation.ContentTypeActivity)
				if err := signer.Sign(req, twinfed.KeyID(it.actor("maria")), body); err != nil {
					b.Error(err)
					return
				}
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	ceiling := time.Since(cstart)
	ceil := usage().sub(cru0)

	// Where the time goes: a delivery request as the sender sees it, and
	// the receiving inbox from reading the body to the 202.
	b.ReportMetric(histMeanMs(b, it.Metrics, "twinfed_federation_delivery_seconds"), "request-ms")
	b.ReportMetric(histMeanMs(b, fr.Metrics, "twinfed_federation_inbox_seconds"), "inbox-ms")
	b.ReportMetric(histMeanMs(b, fr.Metrics, "twinfed_federation_group_commit_size")/1000, "recv-group")
	b.ReportMetric(histMeanMs(b, it.Metrics, "twinfed_federation_group_commit_size")/1000, "send-group")
	b.ReportMetric(float64(total)/deliveredIn.Seconds(), "delivered/s")
	b.ReportMetric(float64(total)/applied.Seconds(), "applied/s")
	b.ReportMetric(float64(total)/ceiling.Seconds(), "ceiling-posts/s")
	// CPU of the whole process (both nodes, the registry, the benchmark)
	// per activity, and per bare signed POST in the ceiling run.
	b.ReportMetric(float64(pipeline.cpu().Microseconds())/float64(total), "cpu-µs/activity")
	b.ReportMetric(float64(ceil.cpu().Microseconds())/float64(total), "cpu-µs/post")
	// Heap allocated per activity: unlike CPU time on this VM (steal is
	// charged to whatever runs), it does not change from run to run, and
	// while the heap grows each new page is a page fault.
	b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/1024/float64(total), "alloc-KB/activity")
	b.Logf("pipeline: user %v sys %v minflt %d; ceiling: user %v sys %v minflt %d",
		pipeline.user, pipeline.sys, pipeline.minflt, ceil.user, ceil.sys, ceil.minflt)
	b.ReportMetric(0, "ns/op")
}

// BenchmarkFanout_ProfileUpdate45 sends 30 successive profile updates from
// one node to 45 other nodes (real HTTP servers on loopback that verify each
// signature against the registry and answer 202) and reports the p50 and
// p99 of the time from commit to the 45th delivery.
func BenchmarkFanout_ProfileUpdate45(b *testing.B) {
	const rounds, fanout = 30, 45
	cluster := consensustest.MustOpenCluster(b, 1)
	var countries []string
	for _, c := range twinfed.SeedCountries() {
		if c.Code != "IT" && len(countries) < fanout {
			countries = append(countries, c.Code)
		}
	}
	// The 45 destinations are bare HTTP servers: registered in the registry
	// (the sender checks each destination there), with no node behind them,
	// so only the sender opens a registry client.
	nodes := mustRegisterNodes(b, cluster, append([]string{"IT"}, countries...)...)
	it, dests := nodes[0], nodes[1:]
	it.Registry = cluster.MustClient(b, it.Country, &signing.Signer{Key: it.Key}, twinfed.KeyID(twinfed.AgencyURL(it.Base)))
	it.Settings.Workers = 16
	it.mustStart(b)

	var mu sync.Mutex
	got := map[string]int{}
	done := map[string]chan struct{}{}
	verifier := &signing.Verifier{Keys: it.Registry}
	var bad atomic.Int64
	for _, d := range dests {
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet { // the sender looking up the recipient's inbox
				http.NotFound(w, r)
				return
			}
			body, _ := signing.ReadBody(r, 1<<20)
			if _, err := verifier.Verify(r, body); err != nil {
				bad.Add(1)
				http.Error(w, err.Error(), http.StatusUnauthorized)
				return
			}
			a, err := federation.DecodeActivity(body)
			if err != nil {
				bad.Add(1)
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			w.WriteHeader(http.StatusAccepted)
			mu.Lock()
			got[a.ID]++
			if got[a.ID] == fanout {
				close(done[a.ID])
			}
			mu.Unlock()
		})}
		go srv.Serve(d.ln)
		b.Cleanup(func() { srv.Close() })
	}
	var to []string
	for _, d := range dests {
		to = append(to, d.actor("all"))
	}
	maria := it.actor("maria")
	var lat []time.Duration
	b.ResetTimer()
	for i := range rounds + 1 {
		a := &twinfed.Activity{
			ID: twinfed.ActivityURL(it.Base, fmt.Sprintf("upd-%d", i)), Type: twinfed.ActivityUpdate, Actor: maria, To: to, Object: maria,
			Profile: &twinfed.Profile{ID: maria, Username: "maria", Country: "IT", Name: fmt.Sprintf("Maria v%d", i),
				Subjects: []string{"science"}, Languages: []string{"it", "en"}, PupilAges: []int{9, 10}},
		}
		ch := make(chan struct{})
		mu.Lock()
		done[a.ID] = ch
		mu.Unlock()
		start := time.Now()
		it.send(b, a)
		select {
		case <-ch:
		case <-time.After(time.Minute):
			b.Fatalf("round %d: not delivered to all %d nodes", i, fanout)
		}
		if i > 0 { // round 0 opens the connections
			lat = append(lat, time.Since(start))
		}
	}
	b.StopTimer()
	if bad.Load() > 0 {
		b.Fatalf("%d deliveries refused", bad.Load())
	}
	b.ReportMetric(ms(percentile(lat, 0.5)), "p50-ms")
	b.ReportMetric(ms(percentile(lat, 0.99)), "p99-ms")
	b.ReportMetric(0, "ns/op")
}

// histMeanMs returns the mean of a histogram, in milliseconds.
func histMeanMs(tb testing.TB, reg *prometheus.Registry, name string) float64 {
	tb.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			if h := mf.GetMetric()[0].GetHistogram(); h.GetSampleCount() > 0 {
				return h.GetSampleSum() / float64(h.GetSampleCount()) * 1000
			}
		}
	}
	return 0
}

// benchScale returns n, or n divided by $TWINFED_BENCH_DIV for quick runs.
func benchScale(n int) int {
	if d, err := strconv.Atoi(os.Getenv("TWINFED_BENCH_DIV")); err == nil && d > 1 {
		return n / d
	}
	return n
}
