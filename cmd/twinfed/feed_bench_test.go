package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/node/feed"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/store"
)

// wallPostNodes is how many receiving nodes BenchmarkWallPostTo45Nodes
// starts: the 45 unless told (-wallpost.nodes N, at most 45: the
// registry's countries but Italy).
var wallPostNodes = flag.Int("wallpost.nodes", 45, "receiving nodes of BenchmarkWallPostTo45Nodes (1-45)")

// wallPostProfile, when set, is where the wall post benchmarks write a CPU
// profile of their posts alone (not of the nodes' start, which
// -test.cpuprofile would hold too).
var wallPostProfile = flag.String("wallpost.cpuprofile", "", "write a CPU profile of the wall post benchmarks' posts to this file")

// BenchmarkWallPostToFollowers measures the time from an IT teacher's wall
// post to the moment the last of her 5,000 followers has it in their feed,
// the followers spread over 3 other nodes (FR, ES, DE), a third on each:
// each receiving node fans the post out to about 1,667 feeds, the heaviest
// per-node work. BenchmarkWallPostTo45Nodes is the shape.
func BenchmarkWallPostToFollowers(b *testing.B) {
	benchWallPost(b, []string{"FR", "ES", "DE"})
}

// BenchmarkWallPostTo45Nodes is the benchmark: an IT teacher's
// wall post to her 5,000 followers on the 45 other nodes of the
// federation (about 111 on each), until the last of them has it in their
// feed. The 46 nodes run in this process, each on its own port with its
// own Badger store and keys, over real HTTP with every delivery signed and
// checked against the real 3-member registry.
func BenchmarkWallPostTo45Nodes(b *testing.B) {
	n := min(max(*wallPostNodes, 1), 45)
	var countries []string
	for _, c := range twinfed.SeedCountries() {
		if c.Code != "IT" && len(countries) < n {
			countries = append(countries, c.Code)
		}
	}
	benchWallPost(b, countries)
}

// benchWallPost runs the wall post benchmark with one receiving node per
// country: the follows are written into the stores directly (the records
// FollowMember and ApplyFollow write), the followers dealt round the
// nodes. 20 posts, one at a time, whatever b.N is; p50 and p99 of the
// time from Publish to the last follower's feed. Goal: p99 ≤ 2 s on
// loopback.
func benchWallPost(b *testing.B, countries []string) {
	cluster := consensustest.MustOpenCluster(b, 3)
	started := time.Now()
	it := startFedNode(b, cluster, "IT")
	var others []*fedNode
	for _, c := range countries {
		others = append(others, startFedNode(b, cluster, c))
	}
	it.knows(b, others...)
	for _, o := range others {
		o.knows(b, it)
	}
	b.Logf("%d nodes started in %v", len(others)+1, time.Since(started).Round(time.Millisecond))
	maria := it.seedTeacher(b, "maria", "Maria", "Rossi", []string{"music"}, []int{10})
	const followers = 5000
	now := time.Now().UTC()
	put := func(n *fedNode, kv map[string][]byte) {
		wb := n.Node().Store().DB().NewWriteBatch()
		for k, v := range kv {
			if err := wb.Set([]byte(k), v); err != nil {
				b.Fatal(err)
			}
		}
		if err := wb.Flush(); err != nil {
			b.Fatal(err)
		}
	}
	authorSide := map[string][]byte{}
	for i, o := range others {
		side := map[string][]byte{}
		for j := i; j < followers; j += len(others) {
			u := fmt.Sprintf("f%04d", j)
			peer := twinfed.ActorURL(o.base, u)
			req := o.base + "/activities/follow-" + u
			fo, _ := json.Marshal(social.Follow{Peer: maria, Request: req, Accepted: true, Since: now})
			side[store.PrefixFollowing+u+"/"+maria] = fo
			side[store.PrefixPeer+maria+"/"+u] = nil
			fw, _ := json.Marshal(social.Follow{Peer: peer, Request: req, Accepted: true, Since: now})
			authorSide[store.PrefixFollower+"maria/"+peer] = fw
			authorSide[store.PrefixPeer+peer+"/maria"] = nil
		}
		put(o, side)
	}
	put(it, authorSide)
	p := &twinfed.Principal{Username: "maria", Role: twinfed.RoleMember, Status: twinfed.StatusValidated}
	ctx := context.Background()
	// last is the last follower on the i-th node.
	last := func(i int) string {
		j := followers - 1
		for j%len(others) != i {
			j--
		}
		return fmt.Sprintf("f%04d", j)
	}
	// has reports whether u's feed on o holds the post.
	has := func(o *fedNode, u string, post *feed.Post) bool {
		found := false
		_ = o.Node().Store().View(func(txn *badger.Txn) error {
			// The replica's time is the Note's "published", to the second:
			// look for the post among the feed's few entries.
			for _, k := range store.KeysUnder(txn, store.PrefixTimeline+u+"/", 0) {
				found = found || strings.HasSuffix(k, "/"+post.ID)
			}
			return nil
		})
		return found
	}
	if *wallPostProfile != "" {
		f, err := os.Create(*wallPostProfile)
		if err != nil {
			b.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	const posts = 20
	b.Logf("posts from %s", time.Now().UTC().Format(time.RFC3339Nano))
	b.ResetTimer()
	for range b.N {
		lat := make([]time.Duration, 0, posts)
		for k := range posts {
			start := time.Now()
			post, err := it.Node().Feed().Publish(ctx, p, fmt.Sprintf("Post %d for my followers", k), nil)
			if err != nil {
				b.Fatal(err)
			}
			deadline := start.Add(60 * time.Second)
			for i, o := range others {
				for !has(o, last(i), post) {
					if time.Now().After(deadline) {
						var kept bool
						var newest []string
						_ = o.Node().Store().View(func(txn *badger.Txn) error {
							kept, newest = o.Node().Feed().Has(txn, post.ID), store.KeysUnder(txn, store.PrefixTimeline+last(i)+"/", 3)
							return nil
						})
						b.Fatalf("post %d (%s) never reached the feed of %s on %s (kept there: %v; newest: %v)", k, post.ID, last(i), o.base, kept, newest)
					}
					time.Sleep(500 * time.Microsecond)
				}
			}
			lat = append(lat, time.Since(start))
		}
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		b.Logf("each post's time, in order (ms): %v", slices.Collect(func(yield func(float64) bool) {
			for _, d := range lat {
				if !yield(ms(d)) {
					return
				}
			}
		}))
		slices.Sort(lat)
		b.ReportMetric(ms(lat[len(lat)/2]), "p50_ms")
		b.ReportMetric(ms(lat[len(lat)*99/100]), "p99_ms")
	}
	b.StopTimer()
	b.Logf("posts until %s", time.Now().UTC().Format(time.RFC3339Nano))
	b.ReportMetric(followers, "followers")
	b.ReportMetric(float64(len(others)), "nodes")
}
