package node_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twinfed/twinfed/node/twinspace/discuss"
)

// The TwinSpace forum's pages over the benchmark TwinSpace's 20,000
// replies (docs/benchmarks.md): 20 discussions of 5 threads of 200
// replies each, written through the service by the pupils and teachers.
// Each renders at least 500 pages through the node's HTTP handler in
// process, as a teacher with a session (no network): the overview reads the
// discussions, threads and each thread's summary, never the replies; a
// thread's page skips the index's keys to its page and reads 50 replies.

const (
	benchDiscussions = 20
	benchThreads     = 5   // per discussion
	benchReplies     = 200 // per thread: 20,000 in all
)

// forumBench seeds the benchmark's forum and returns the space, its
// threads and anna's session cookies.
func forumBench(b *testing.B) (*forumSpace, []string, []*http.Cookie) {
	f := newForumSpace(b)
	ctx, d := context.Background(), f.n.TwinSpaces().Forum
	start := time.Now()
	var threads []string
	for i := range benchDiscussions {
		disc, err := d.OpenDiscussion(ctx, f.anna, f.p.ID, discuss.Input{Title: fmt.Sprintf("Discussion %d", i), Text: "What we do in this part of the project."})
		if err != nil {
			b.Fatal(err)
		}
		for j := range benchThreads {
			t, err := d.OpenThread(ctx, f.pupilAdmin, f.p.ID, disc.ID, discuss.Input{Title: fmt.Sprintf("Thread %d.%d", i, j), Text: "Tell us what you found."})
			if err != nil {
				b.Fatal(err)
			}
			threads = append(threads, t.ID)
		}
	}
	// The replies, by a pupil and a teacher, several writers at once.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			who := f.pupil
			if w%2 == 1 {
				who = f.bruno
			}
			for i := w; i < len(threads)*benchReplies; i += 8 {
				if _, err := d.Reply(ctx, who, f.p.ID, threads[i%len(threads)], discuss.Input{Text: fmt.Sprintf("Reply %d: we measured the river today and wrote down what we saw.\n\nPhotos tomorrow.", i)}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	b.Logf("%d replies in %d threads written in %v", len(threads)*benchReplies, len(threads), time.Since(start).Round(time.Millisecond))
	br := login(b, f.n, "anna", "correct horse 1")
	u, _ := url.Parse(f.n.URL())
	return f, threads, br.C.Jar.Cookies(u)
}

// benchPage renders path through the node's handler, at least 500 times
// (so that make bench's 1x run measures too), and reports the pages' p50
// and p99 in milliseconds; ns/op is the time of one page.
func benchPage(b *testing.B, f *forumSpace, cookies []*http.Cookie, path func(i int) string) {
	h := f.n.Handler()
	rounds := max(b.N, 500)
	took := make([]time.Duration, 0, rounds)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range rounds {
		r := httptest.NewRequest("GET", path(i), nil)
		for _, c := range cookies {
			r.AddCookie(c)
		}
		w := httptest.NewRecorder()
		t0 := time.Now()
		h.ServeHTTP(w, r)
		took = append(took, time.Since(t0))
		if w.Code != 200 {
			b.Fatalf("%s: %d\n%s", path(i), w.Code, w.Body)
		}
	}
	per := time.Since(start) / time.Duration(rounds)
	b.StopTimer()
	slices.Sort(took)
	ms := func(q float64) float64 { return float64(took[int(q*float64(len(took)-1))].Microseconds()) / 1000 }
	b.ReportMetric(float64(per.Nanoseconds()), "ns/op")
	b.ReportMetric(ms(0.5), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
}

// BenchmarkDiscuss_ThreadPage renders the first page of a thread (50 of
// its 200 replies, marking it read), threads in turn.
func BenchmarkDiscuss_ThreadPage(b *testing.B) {
	f, threads, cookies := forumBench(b)
	benchPage(b, f, cookies, func(i int) string { return discuss.ThreadLink(f.p.ID, threads[i%len(threads)], 1) })
}

// BenchmarkDiscuss_Overview renders the forum's overview: 20 discussions
// with their 100 threads' counts and the reader's unread counts.
func BenchmarkDiscuss_Overview(b *testing.B) {
	f, _, cookies := forumBench(b)
	benchPage(b, f, cookies, func(int) string { return discuss.ForumLink(f.p.ID) })
}
