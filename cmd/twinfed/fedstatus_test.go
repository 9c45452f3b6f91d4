package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/config"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/federation"
	"github.com/twinfed/twinfed/federation/signing"
)

// TestAdminFederation drives `twinfed admin federation status|parked|requeue`
// against a real federation (real Badger, a real registry, real HTTP to two
// destination nodes: FR answers 503, ES refuses with 400 until told not
// to), its AdminHandler mounted behind a bearer token the way the node's
// agency API mounts it.
func TestAdminFederation(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 1)
	listen := func() net.Listener {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return ln
	}
	serve := func(ln net.Listener, h http.HandlerFunc) {
		srv := &http.Server{Handler: h}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
	}
	register := func(country string, ln net.Listener) (string, *signing.Key) {
		key, err := signing.GenerateKey("k1", twinfed.KeyEd25519)
		if err != nil {
			t.Fatal(err)
		}
		base := "http://" + ln.Addr().String()
		cluster.MustRegisterNode(t, country, base, key.NodeKey())
		return base, key
	}
	itLn, frLn, esLn := listen(), listen(), listen()
	itBase, itKey := register("IT", itLn)
	itLn.Close() // IT only sends
	frBase, _ := register("FR", frLn)
	esBase, _ := register("ES", esLn)
	frHost, esHost := twinfed.URLHost(frBase), twinfed.URLHost(esBase)
	serve(frLn, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	})
	var esAccepts atomic.Bool
	serve(esLn, func(w http.ResponseWriter, r *http.Request) {
		if esAccepts.Load() {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		http.Error(w, "unknown actor", http.StatusBadRequest)
	})

	reg := cluster.MustClient(t, "IT", &signing.Signer{Key: itKey}, twinfed.KeyID(twinfed.AgencyURL(itBase)))
	db, err := badger.Open(badger.DefaultOptions(t.TempDir()).WithLogger(nil).WithMemTableSize(8 << 20))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	set := config.DefaultFederation()
	set.RetryBase, set.RetryMax = time.Hour, time.Hour // one failed attempt, then a long wait
	fed, err := federation.NewOutbox(federation.OutboxConfig{
		BaseURL: itBase, Key: itKey, DB: db, Keys: reg,
		Settings: set, Metrics: prometheus.NewRegistry(),
	})
	if err != nil {
		t.Fatal(err)
	}
	fed.Start(context.Background())
	t.Cleanup(func() { fed.Close() })
	maria := twinfed.ActorURL(itBase, "maria")
	err = fed.Update(func(txn *badger.Txn) error {
		return fed.Enqueue(txn, &twinfed.Activity{
			ID: twinfed.ActivityURL(itBase, "f1"), Type: twinfed.ActivityFollow, Actor: maria,
			To: []string{twinfed.ActorURL(frBase, "claire"), twinfed.ActorURL(esBase, "lucia")}, Object: twinfed.ActorURL(frBase, "claire"),
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	consensustest.Eventually(t, 30*time.Second, func() bool {
		var fr, es federation.DestinationStatus
		for _, s := range fed.Status() {
			switch s.Destination {
			case frHost:
				fr = s
			case esHost:
				es = s
			}
		}
		return fr.Failures == 1 && es.Parked == 1
	}, "FR not failed once and ES not parked")

	const token = "agency-secret"
	adminLn := listen()
	mux := http.NewServeMux()
	mux.Handle(adminFederationPath+"/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":{"code":"unauthorized","message":"Log in first (POST /api/v1/session) or send the agency's bearer token."}}`))
			return
		}
		fed.AdminHandler().ServeHTTP(w, r)
	}))
	serve(adminLn, mux.ServeHTTP)
	run := func(tok string, args ...string) (string, error) {
		t.Helper()
		var out, errOut bytes.Buffer
		base := []string{"twinfed", "admin", "--node", "http://" + adminLn.Addr().String(), "--token", tok, "federation"}
		err := newApp(&out, &errOut).RunContext(context.Background(), append(base, args...))
		return out.String(), err
	}
	lineOf := func(out, host string) string {
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, host+" ") {
				return l
			}
		}
		t.Fatalf("no line for %s in\n%s", host, out)
		return ""
	}

	out, err := run(token, "status")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("twinfed admin federation status:\n%s", out)
	if !strings.HasPrefix(out, "DESTINATION") {
		t.Fatalf("no header:\n%s", out)
	}
	fr := strings.Fields(lineOf(out, frHost))
	if fr[1] != "1" || fr[3] != "0" || fr[4] != "closed" || fr[5] != "1" || !strings.Contains(lineOf(out, frHost), "answered 503: down for maintenance") {
		t.Fatalf("FR line: want 1 queued, 0 parked, breaker closed, 1 failure, the 503 as last error:\n%s", out)
	}
	es := strings.Fields(lineOf(out, esHost))
	if es[1] != "0" || es[2] != "-" || es[3] != "1" || !strings.Contains(lineOf(out, esHost), "answered 400: unknown actor") {
		t.Fatalf("ES line: want nothing queued, 1 parked, the 400 as last error:\n%s", out)
	}

	out, err = run(token, "status", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var st []federation.DestinationStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil || len(st) != 2 || st[0].Destination > st[1].Destination {
		t.Fatalf("--json: %v, %d destinations sorted by host?\n%s", err, len(st), out)
	}

	out, err = run(token, "parked", "--destination", esHost)
	if err != nil {
		t.Fatal(err)
	}
	if l := lineOf(out, esHost); !strings.Contains(l, "Follow") || !strings.Contains(l, twinfed.ActivityURL(itBase, "f1")) || !strings.Contains(l, "unknown actor") {
		t.Fatalf("parked:\n%s", out)
	}

	esAccepts.Store(true)
	out, err = run(token, "requeue", "--destination", esHost)
	if err != nil || out != "1 parked deliveries to "+esHost+" requeued\n" {
		t.Fatalf("requeue: %v %q", err, out)
	}
	consensustest.Eventually(t, 30*time.Second, func() bool {
		for _, s := range fed.Status() {
			if s.Destination == esHost {
				return s.Depth == 0 && s.Parked == 0 && !s.LastSuccess.IsZero()
			}
		}
		return false
	}, "the requeued delivery to ES was not delivered")

	if _, err := run(token, "requeue"); err == nil || !strings.Contains(err.Error(), "destination") {
		t.Fatalf("requeue without --destination: %v", err)
	}
	if _, err := run("wrong", "status"); err == nil || !strings.Contains(err.Error(), "bearer token") {
		t.Fatalf("wrong token: %v, want the node's message", err)
	}
}
