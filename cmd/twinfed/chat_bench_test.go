package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/node/nodetest"
)

// chatStreams is how many event streams BenchmarkChatLiveAcrossNodes holds
// open, spread evenly over its three nodes (issue 17's figure).
const chatStreams = 500

// BenchmarkChatLiveAcrossNodes measures the TwinSpace's chat live across
// three real nodes (IT, FR, ES; real HTTP, signatures checked against a
// real 3-member registry): 500 pages hold the Chat tab's event stream
// (/twinspace/chat/events) open, spread over the three nodes; one message
// at a time is posted through the JSON API, from each node in turn
// (max(b.N, 30) messages), and each stream on another node than the
// sender's stops its clock when it reads the message's event (a write on
// a partner node travels to the home node IT, which announces it to the
// others: one hop or two). p50_ms and p99_ms are over every (message,
// stream on another node); local_p50_ms is the median on the sender's own
// node's streams (no federation hop: the node's own fan-out); ns/op is
// the mean time until the last stream on another node has it. heap_B/conn and rss_B/conn are the growth, per open stream, of
// the process's heap and stacks in use (after a GC) and of its resident
// set: the nodes and the reading clients share the process, so they count
// both ends of each connection, an upper bound of the node's share
// (docs/twinspace-chat.md).
func BenchmarkChatLiveAcrossNodes(b *testing.B) {
	cluster := consensustest.MustOpenCluster(b, 3)
	nodes := []*fedNode{startFedNode(b, cluster, "IT"), startFedNode(b, cluster, "FR"), startFedNode(b, cluster, "ES")}
	id, users := chatSpace(b, nodes...)
	sessions, csrf := make([]*nodetest.Browser, len(nodes)), make([]string, len(nodes))
	for i, n := range nodes {
		sessions[i], csrf[i] = nodetest.APISession(b, n.base, users[i], "correct horse 1")
	}
	subscribers := func() int {
		total := 0
		for _, n := range nodes {
			total += n.ts().Subscribers()
		}
		return total
	}

	type arrival struct {
		round, node int
		at          time.Time
	}
	arrivals := make(chan arrival, 8*chatStreams)
	opened := make(chan error, chatStreams)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	transport := &http.Transport{DisableCompression: true}
	defer transport.CloseIdleConnections()
	base := subscribers()
	heap0, rss0 := memInUse()
	var wg sync.WaitGroup
	perNode := make([]int, len(nodes))
	for c := range chatStreams {
		i := c % len(nodes)
		perNode[i]++
		client := &http.Client{Jar: sessions[i].C.Jar, Transport: transport}
		stream := nodes[i].base + "/twinspace/chat/events?id=" + url.QueryEscape(id)
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(ctx, "GET", stream, nil)
			resp, err := client.Do(req)
			if err == nil && resp.StatusCode != http.StatusOK {
				resp.Body.Close()
				err = fmt.Errorf("event stream: %s", resp.Status)
			}
			opened <- err
			if err != nil {
				return
			}
			defer resp.Body.Close()
			r := bufio.NewReader(resp.Body)
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					return
				}
				_, rest, ok := strings.Cut(line, "bench-")
				if !strings.HasPrefix(line, "data: ") || !ok {
					continue
				}
				digits, _, _ := strings.Cut(rest, "-")
				if round, err := strconv.Atoi(digits); err == nil {
					arrivals <- arrival{round: round, node: i, at: time.Now()}
				}
			}
		}()
	}
	for range chatStreams {
		if err := <-opened; err != nil {
			b.Fatal(err)
		}
	}
	benchPoll(b, "every stream subscribed", func() bool { return subscribers() == base+chatStreams })
	heap1, rss1 := memInUse()

	rounds := max(b.N, 30)
	lat := make([]time.Duration, 0, rounds*chatStreams)
	local := make([]time.Duration, 0, rounds*chatStreams) // the sender's own node's streams
	var total time.Duration
	b.ResetTimer()
	for r := range rounds {
		from := r % len(nodes)
		start := time.Now()
		if code := sessions[from].API("POST", "/api/v1/twinspace/chat", map[string]string{"id": id, "content": fmt.Sprintf("bench-%d-message", r)}, csrf[from], nil); code != http.StatusCreated {
			b.Fatalf("send: %d %s", code, sessions[from].Last)
		}
		want, timeout := chatStreams-perNode[from], time.After(30*time.Second)
		for want > 0 {
			select {
			case a := <-arrivals:
				switch {
				case a.round != r:
				case a.node == from:
					local = append(local, a.at.Sub(start))
				default:
					lat = append(lat, a.at.Sub(start))
					want--
				}
			case <-timeout:
				b.Fatalf("message %d: %d streams on other nodes never showed it", r, want)
			}
		}
		total += time.Since(start)
	}
	b.StopTimer()
	cancel()
	wg.Wait()
	slices.Sort(lat)
	slices.Sort(local)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(float64(total.Nanoseconds())/float64(rounds), "ns/op")
	b.ReportMetric(ms(lat[len(lat)/2]), "p50_ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99_ms")
	if len(local) > 0 {
		b.ReportMetric(ms(local[len(local)/2]), "local_p50_ms")
	}
	b.ReportMetric(float64(heap1-heap0)/chatStreams, "heap_B/conn")
	b.ReportMetric(float64(rss1-rss0)/chatStreams, "rss_B/conn")
}

// memInUse returns, after a garbage collection, the process's heap and
// stacks in use and its resident set (0 where /proc is not there), in
// bytes.
func memInUse() (heap, rss int64) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 {
			pages, _ := strconv.ParseInt(f[1], 10, 64)
			rss = pages * int64(os.Getpagesize())
		}
	}
	return int64(m.HeapInuse + m.StackInuse), rss
}
