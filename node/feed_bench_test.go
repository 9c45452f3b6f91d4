package node_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/twinfed/twinfed/node/feed"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/store"
)

// BenchmarkFeedHome measures the home page (a member's feed, rendered
// through real HTTP with the member's session) for a member who follows
// 500 teachers, in a node holding 1,000,000 wall posts (2,000 authors of
// 500 posts each; TWINFED_BENCH_POSTS sets another number). The posts, the
// authors' listings and the member's feed entries are written with the
// store's batch writer, as the feed writes them when posts arrive. 2,000
// pages are read whatever b.N is: the first page, and pages further back
// (the "older posts" links), once Badger's compactions of the load have
// settled. Besides the latencies it reports the allocations and the CPU
// time per page (the node's and the client's, in this process), which a
// busy machine moves less. Goal: p99 ≤ 25 ms.
func BenchmarkFeedHome(b *testing.B) {
	total := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("TWINFED_BENCH_POSTS")); err == nil && v > 0 {
		total = v
	}
	const authors, follows = 2000, 500
	n := MustOpenNode(b, nodeOpts{dir: b.TempDir()})
	seedTeacher(b, n, "reader", "Reader")
	base := n.URL()
	author := func(i int) string { return fmt.Sprintf("https://fr.example/users/teacher%04d", i) }

	start := time.Now()
	wb := n.Store().DB().NewWriteBatch()
	set := func(k string, v []byte) {
		if err := wb.Set([]byte(k), v); err != nil {
			b.Fatal(err)
		}
	}
	for i := range follows { // the reader follows the first 500 authors
		f, _ := json.Marshal(social.Follow{Peer: author(i), Request: base + "/activities/f" + strconv.Itoa(i), Accepted: true, Since: time.Now().UTC()})
		set(store.PrefixFollowing+"reader/"+author(i), f)
		set(store.PrefixPeer+author(i)+"/reader", nil)
	}
	t0 := time.Now().Add(-time.Duration(total) * time.Minute)
	inv := func(t time.Time) string { return fmt.Sprintf("%016x", uint64(math.MaxInt64-t.UnixNano())) }
	for i := range total {
		a := i % authors
		at := t0.Add(time.Duration(i) * time.Minute)
		p := feed.Post{ID: fmt.Sprintf("https://fr.example/posts/%08d", i), Author: author(a), Published: at,
			Content: "<p>Oggi in classe abbiamo lavorato sul progetto europeo: foto e racconti dei ragazzi. Post " + strconv.Itoa(i) + "</p>", Replies: i % 7, Likes: i % 13}
		v, _ := json.Marshal(p)
		set(store.PrefixWallPost+p.ID, v)
		set(store.PrefixWallByAuthor+p.Author+" "+inv(at)+"/"+p.ID, nil)
		if a < follows {
			set(store.PrefixTimeline+"reader/"+inv(at)+"/"+p.ID, nil)
		}
	}
	if err := wb.Flush(); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d posts by %d authors written in %v", total, authors, time.Since(start).Round(time.Millisecond))
	// Badger compacts the bulk load's tables for a while after it (seconds
	// of CPU at 1,000,000 posts, on the same 2 cores as the pages): the
	// pages are measured once no level needs compacting (2 s in a row),
	// the node's steady state, not the aftermath of the load.
	settle := time.Now()
	tick := time.NewTicker(500 * time.Millisecond)
	for calm := 0; calm < 4 && time.Since(settle) < 5*time.Minute; {
		<-tick.C
		calm++
		for _, l := range n.Store().DB().Levels() {
			if l.Score >= 1 {
				calm = 0
			}
		}
	}
	tick.Stop()
	runtime.GC()
	b.Logf("compactions settled in %v", time.Since(settle).Round(time.Millisecond))

	br := login(b, n, "reader", "correct horse 1")
	next := regexp.MustCompile(`href="/\?before=([^"]+)"`)
	// The cursors of the first 20 pages, for the later pages' requests.
	cursors := []string{""}
	for len(cursors) < 20 {
		code, body := br.Get("/?before=" + url.QueryEscape(cursors[len(cursors)-1]))
		m := next.FindStringSubmatch(body)
		if code != 200 || m == nil {
			b.Fatalf("page %d: %d, no next link", len(cursors), code)
		}
		c, _ := url.QueryUnescape(m[1])
		cursors = append(cursors, c)
	}
	const pages = 2000
	lat := make([]time.Duration, 0, pages)
	// Allocations and CPU time per page (the node's and the client's, in
	// this process): steadier than the latencies on a shared machine.
	var m0, m1 runtime.MemStats
	var ru0, ru1 syscall.Rusage
	runtime.ReadMemStats(&m0)
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ResetTimer()
	for i := range pages {
		path := "/"
		if i%2 == 1 {
			path = "/?before=" + url.QueryEscape(cursors[1+i%19])
		}
		req, _ := http.NewRequest("GET", base+path, nil)
		t1 := time.Now()
		code, _, _ := br.Do(req)
		lat = append(lat, time.Since(t1))
		if code != 200 {
			b.Fatalf("GET %s: %d", path, code)
		}
	}
	b.StopTimer()
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	runtime.ReadMemStats(&m1)
	cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/pages, "allocs/page")
	b.ReportMetric(float64(m1.TotalAlloc-m0.TotalAlloc)/pages, "B/page")
	b.ReportMetric(float64(cpu.Microseconds())/pages, "cpu-us/page")
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
	b.ReportMetric(float64(total), "posts")
}
