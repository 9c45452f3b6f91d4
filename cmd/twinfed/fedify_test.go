package main

// A fediverse server that no one here wrote: Fedify (interop/fedify, run
// with Bun; installed by `make interop`, which `make test` runs) exchanges
// WebFinger, Follow and Accept with a real node in both directions, Fedify
// signing and verifying with its own code, once in each signature scheme.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/federation/signing"
)

// fedifyPeer is interop/fedify's server behind a proxy of the test, whose
// address is the peer's public origin. The proxy notes the scheme of every
// signed POST that reaches the peer and, for a peer standing for
// Mastodon (cavageOnly), answers 401 to RFC 9421 signatures, as a server
// that verifies only draft-cavage does.
type fedifyPeer struct {
	t    *testing.T
	base string // the proxy's origin: the peer's ids live under it

	mu      sync.Mutex
	schemes []string // of the signed POSTs that reached Fedify
	refused int      // RFC 9421 POSTs the proxy answered 401
}

func startFedifyPeer(t *testing.T, firstKnock string, cavageOnly bool) *fedifyPeer {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "interop", "fedify"))
	if err != nil {
		t.Fatal(err)
	}
	bun := filepath.Join(dir, "node_modules", ".bin", "bun")
	if _, err := os.Stat(bun); err != nil {
		t.Fatalf("Fedify is not installed: run `make interop` (npm ci in interop/fedify): %v", err)
	}
	cmd := exec.Command(bun, "peer.ts")
	cmd.Dir, cmd.Env, cmd.Stderr = dir, append(os.Environ(), "FIRST_KNOCK="+firstKnock), &testWriter{t: t, prefix: "fedify: "}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := bufio.NewScanner(out)
	if !lines.Scan() || !strings.HasPrefix(lines.Text(), "listening ") {
		t.Fatalf("the Fedify peer did not start: %q %v", lines.Text(), lines.Err())
	}
	go func() {
		for lines.Scan() {
			t.Log("fedify:", lines.Text())
		}
	}()
	target, _ := url.Parse(strings.TrimPrefix(lines.Text(), "listening "))
	p := &fedifyPeer{t: t}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		r.Out.Host = r.In.Host // Fedify makes its ids from the Host: the proxy's
	}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && !strings.HasPrefix(r.URL.Path, "/_control/") {
			scheme := "draft-cavage"
			if r.Header.Get("Signature-Input") != "" {
				scheme = "rfc9421"
			}
			p.mu.Lock()
			if cavageOnly && scheme == "rfc9421" {
				p.refused++
				p.mu.Unlock()
				http.Error(w, "this server verifies draft-cavage HTTP signatures only", http.StatusUnauthorized)
				return
			}
			p.schemes = append(p.schemes, scheme)
			p.mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.base = srv.URL
	return p
}

func (p *fedifyPeer) actor() string { return p.base + "/users/bob" }

// control calls the peer's /_control/ endpoint path.
func (p *fedifyPeer) control(method, path string, body any, out any) int {
	p.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, p.base+"/_control/"+path, rd)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if s, ok := out.(*string); ok {
			*s = string(raw)
		} else if err := json.Unmarshal(raw, out); err != nil {
			p.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode
}

type fedifyActivity struct{ Type, ID, Actor, Object string }

// received is what Fedify took, its signature verified by Fedify.
func (p *fedifyPeer) received(typ string) []fedifyActivity {
	var all, out []fedifyActivity
	p.control("GET", "received", nil, &all)
	for _, a := range all {
		if a.Type == typ {
			out = append(out, a)
		}
	}
	return out
}

func (p *fedifyPeer) seen() (schemes []string, refused int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.schemes...), p.refused
}

// testWriter logs a process's output in the test's log.
type testWriter struct {
	t      *testing.T
	prefix string
}

func (w *testWriter) Write(b []byte) (int, error) {
	w.t.Log(w.prefix + strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// refusals reads the node's count of inbox requests refused (by any
// reason) from its /metrics.
func refusals(t *testing.T, n *fedNode) float64 {
	t.Helper()
	resp, err := http.Get("http://" + n.Node().MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	total := 0.0
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "twinfed_federation_inbox_refusals_total") {
			var v float64
			fmt.Sscanf(line[strings.LastIndexByte(line, ' ')+1:], "%g", &v)
			total += v
		}
	}
	return total
}

// TestFediverse_Fedify: Fedify finds a teacher by WebFinger and follows
// her, and verifies the node's Accept; the teacher follows Fedify's bob and
// her node verifies Fedify's Accept. Once with Fedify knocking first in
// RFC 9421 (and taking RFC 9421 from the node), once standing for Mastodon:
// Fedify knocking in draft-cavage, and the node's RFC 9421 refused by the
// proxy, so that it falls back to draft-cavage RSA, which Fedify verifies.
// Then a forged Accept (the teacher's key id, another key) is refused by
// Fedify.
func TestFediverse_Fedify(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 1)
	node := startFedNode(t, cluster, "IT")
	maria := node.seedTeacher(t, "maria", "Maria", "Rossi", []string{"art"}, []int{10})
	cases := []struct {
		name, firstKnock string
		cavageOnly       bool
		country          string
	}{
		{"rfc9421", "rfc9421", false, "FR"},
		{"mastodon-like", "draft-cavage-http-signatures-12", true, "ES"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			peer := startFedifyPeer(t, tc.firstKnock, tc.cavageOnly)
			var pemKey string
			if code := peer.control("GET", "key", nil, &pemKey); code != http.StatusOK || !strings.Contains(pemKey, "BEGIN PUBLIC KEY") {
				t.Fatalf("the peer's key: %d %q", code, pemKey)
			}
			cluster.MustRegisterNode(t, tc.country, peer.base, twinfed.NodeKey{ID: "fedify-" + tc.name, Algorithm: twinfed.KeyRSA, PublicPEM: pemKey})
			consensustest.Eventually(t, 60*time.Second, func() bool {
				_, err := node.client.CountryByHost(t.Context(), twinfed.URLHost(peer.base))
				return err == nil
			}, "the node's registry cache does not list the Fedify peer")
			refusedBefore := refusals(t, node)

			// Fedify looks maria up (WebFinger, then her actor) and follows
			// her; the node answers Accept, which Fedify verifies.
			var follow struct{ Subject, Self, Actor, Follow, Error string }
			if code := peer.control("POST", "follow", map[string]string{"target": maria}, &follow); code != http.StatusOK {
				t.Fatalf("Fedify's follow of maria: %d %+v", code, follow)
			}
			if follow.Self != maria || follow.Actor != maria || follow.Subject != "acct:maria@"+twinfed.URLHost(node.base) {
				t.Fatalf("Fedify's lookup: %+v", follow)
			}
			consensustest.Eventually(t, 60*time.Second, func() bool { return len(peer.received("Accept")) == 1 }, "Fedify verified no Accept from the node")
			if acc := peer.received("Accept")[0]; acc.Actor != maria || acc.Object != follow.Follow {
				t.Fatalf("the Accept Fedify took: %+v", acc)
			}

			// maria follows Fedify's bob; Fedify's Accept reaches her node.
			s := node.login(t, "maria")
			if code, out := s.call("POST", "/api/v1/follows", map[string]string{"peer": peer.actor()}); code != http.StatusOK {
				t.Fatalf("follow bob: %d %v", code, out)
			}
			consensustest.Eventually(t, 60*time.Second, func() bool {
				_, out := s.call("GET", "/api/v1/contacts", nil)
				for _, f := range list(out, "following") {
					if fm, _ := f.(map[string]any); fm["peer"] == peer.actor() && fm["accepted"] == true {
						return true
					}
				}
				return false
			}, "maria's follow of bob was not accepted")
			if got := peer.received("Follow"); len(got) != 1 || got[0].Actor != maria {
				t.Fatalf("the Follows Fedify took: %+v", got)
			}

			// Fedify's first knock was taken by the node: no refusal.
			if r := refusals(t, node); r != refusedBefore {
				resp, _ := http.Get("http://" + node.Node().MetricsAddr() + "/metrics")
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				for _, l := range strings.Split(string(raw), "\n") {
					if strings.HasPrefix(l, "twinfed_federation_inbox_refusals_total") {
						t.Log(l)
					}
				}
				t.Fatalf("the node refused %v of Fedify's requests", r-refusedBefore)
			}
			// What reached Fedify was signed in the scheme it stands for:
			// RFC 9421, or, after one refusal, draft-cavage (remembered).
			schemes, refused := peer.seen()
			want, wantRefused := "rfc9421", 0
			if tc.cavageOnly {
				want, wantRefused = "draft-cavage", 1
			}
			if refused != wantRefused || len(schemes) == 0 {
				t.Fatalf("signed POSTs to Fedify: %v, %d refused; want %s after %d refusals", schemes, refused, want, wantRefused)
			}
			for _, sc := range schemes {
				if sc != want {
					t.Fatalf("signed POSTs to Fedify: %v; want all %s", schemes, want)
				}
			}

			// Fedify refuses an Accept signed with another key under
			// maria's key id.
			other, _ := signing.GenerateKey("other", twinfed.KeyRSA)
			body, _ := json.Marshal(map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": node.base + "/activities/forged", "type": "Accept", "actor": maria, "object": follow.Follow})
			req, _ := http.NewRequest(http.MethodPost, peer.actor()+"/inbox", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/activity+json")
			if err := (&signing.Signer{Key: other}).Sign(req, maria+"#main-key", body); err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized || len(peer.received("Accept")) != 1 {
				t.Fatalf("a forged Accept: Fedify answered %d %s", resp.StatusCode, msg)
			}
		})
	}
}
