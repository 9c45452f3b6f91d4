package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
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
// the mean time until the last stream on another node has it.
// heap_B/conn is the growth, per open stream, of this process's heap and
// stacks in use (after a GC): the pages that read the streams are another
// process (this test binary again, as TestHelperChatReaders), so it
// counts the nodes' side of each connection alone (the resident set is no
// measure of it: the runtime keeps the pages the nodes' start-up used, and
// reuses them; docs/twinspace-chat.md).
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

	// The pages are another process (this test binary again, as
	// TestHelperChatReaders): this one's memory is then the nodes' alone.
	var cfg chatReaders
	perNode := make([]int, len(nodes))
	for c := range chatStreams {
		i := c % len(nodes)
		perNode[i]++
		u, _ := url.Parse(nodes[i].base)
		var cookies []string
		for _, k := range sessions[i].C.Jar.Cookies(u) {
			cookies = append(cookies, k.Name+"="+k.Value)
		}
		cfg.Streams = append(cfg.Streams, chatReader{URL: nodes[i].base + "/twinspace/chat/events?id=" + url.QueryEscape(id), Cookie: strings.Join(cookies, "; "), Node: i})
	}
	conf, _ := json.Marshal(cfg)
	base := subscribers()
	heap0 := memInUse()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperChatReaders$", "-test.count=1")
	cmd.Env = append(os.Environ(), "TWINFED_CHAT_READERS="+string(conf))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close() // the readers end when their stdin does
	type arrival struct {
		round, node int
		at          time.Time
	}
	arrivals, ready := make(chan arrival, 8*chatStreams), make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var a arrival
			var at int64
			switch line := sc.Text(); {
			case strings.HasPrefix(line, "chat ready"), strings.HasPrefix(line, "chat error"):
				ready <- line
			case strings.HasPrefix(line, "chat "):
				if _, err := fmt.Sscanf(line, "chat %d %d %d", &a.round, &a.node, &at); err == nil {
					a.at = time.Unix(0, at)
					arrivals <- a
				}
			}
		}
		ready <- "chat error: the readers ended"
	}()
	if line := <-ready; line != "chat ready" {
		b.Fatal(line)
	}
	benchPoll(b, "every stream subscribed", func() bool { return subscribers() == base+chatStreams })
	heap1 := memInUse()

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
}

// memInUse returns, after a garbage collection, the process's heap and
// stacks in use, in bytes.
func memInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse + m.StackInuse)
}

// chatReaders is what BenchmarkChatLiveAcrossNodes gives its reading
// process: the streams to hold open, each with its session's cookie.
type chatReaders struct {
	Streams []chatReader
}

type chatReader struct {
	URL, Cookie string
	Node        int
}

// TestHelperChatReaders is BenchmarkChatLiveAcrossNodes's reading process
// (run only with TWINFED_CHAT_READERS set): it opens the streams, says
// "chat ready", then "chat <message> <node> <Unix nano>" each time a
// stream reads a benchmark message's event, until its stdin ends.
func TestHelperChatReaders(t *testing.T) {
	conf := os.Getenv("TWINFED_CHAT_READERS")
	if conf == "" {
		t.Skip("the reading process of BenchmarkChatLiveAcrossNodes")
	}
	var cfg chatReaders
	if err := json.Unmarshal([]byte(conf), &cfg); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	var mu sync.Mutex
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Printf("chat "+format+"\n", args...)
	}
	opened := make(chan error, len(cfg.Streams))
	for _, st := range cfg.Streams {
		go func() {
			req, _ := http.NewRequestWithContext(ctx, "GET", st.URL, nil)
			req.Header.Set("Cookie", st.Cookie)
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
					say("%d %d %d", round, st.Node, time.Now().UnixNano())
				}
			}
		}()
	}
	for range cfg.Streams {
		if err := <-opened; err != nil {
			say("error: %v", err)
			return
		}
	}
	say("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
}
