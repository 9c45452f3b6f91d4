package nodetest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/mail"
	"github.com/twinfed/twinfed/node/outbox"
)

// TestHash is a deliberately cheap argon2id setting for tests; production
// uses node.DefaultHashParams.
var TestHash = node.HashParams{Time: 1, Memory: 1024, Threads: 1}

// Options are what a test sets of the node MustOpenNode opens; the zero
// value is an Italian node without registry nor federation.
type Options struct {
	Dir      string               // data directory; "": a temporary one
	Registry twinfed.Registry     // nil: none
	Policy   *twinfed.Eligibility // nil: twinfed.ItalianEligibility()
	Now      func() time.Time     // nil: time.Now
	Token    string               // the agency's API bearer token; "": none
	Upload   int64                // largest photo; zero: the node's default
	Country  string               // "": IT
	// Languages are the UI languages the node offers; nil: it and en.
	Languages []string
	Listener  net.Listener // nil: a new one on 127.0.0.1:0
	// LocalOnly gives the node a LocalOnly outbox and prover: projects
	// that never leave it, with agency decisions "signed".
	LocalOnly bool
	// Outbox, when set (and LocalOnly is not), is the node's outbox (no
	// prover).
	Outbox outbox.Outbox
	// Tune, when set, changes the node's options last (limits, hashing).
	Tune func(*node.Options)
	// Mailer sends the node's mail (an SMTPServer's Sender); nil: spooled
	// in <Dir>/mail-spool.
	Mailer mail.Sender
}

// MustOpenNode starts a real node (Badger in a temp dir, HTTP on
// 127.0.0.1:0, mails spooled in <Dir>/mail-spool) and closes it at the
// end of the test. Its agency is "Indire", its languages it and en unless
// o.Languages says otherwise, three
// failed logins a minute lock an account.
func MustOpenNode(tb testing.TB, o Options) *node.Node {
	tb.Helper()
	if o.Dir == "" {
		o.Dir = tb.TempDir()
	}
	pol := twinfed.ItalianEligibility()
	if o.Policy != nil {
		pol = *o.Policy
	}
	if o.Country == "" {
		o.Country = "IT"
	}
	if o.Languages == nil {
		o.Languages = []string{"it", "en"}
	}
	var local *LocalOnly
	if o.LocalOnly {
		if o.Listener == nil {
			var err error
			if o.Listener, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
				tb.Fatal(err)
			}
		}
		local = &LocalOnly{TB: tb, Base: "http://" + o.Listener.Addr().String()}
	}
	langs := o.Languages
	opts := node.Options{
		Dir: o.Dir, Addr: "127.0.0.1:0", Listener: o.Listener,
		Service:  node.Config{Country: o.Country, AgencyName: "Indire", Policy: pol, Hash: TestHash, LoginAttempts: 3, LoginWindow: time.Minute},
		Server:   node.ServerConfig{Languages: langs, APIToken: o.Token, MaxUploadBytes: o.Upload},
		Mailer:   o.Mailer,
		Registry: o.Registry,
		Metrics:  prometheus.NewRegistry(),
		Now:      o.Now,
	}
	if local != nil {
		opts.Outbox, opts.Prover = local, local
	} else if o.Outbox != nil {
		opts.Outbox = o.Outbox
	}
	if o.Tune != nil {
		o.Tune(&opts)
	}
	n, err := node.Open(context.Background(), opts)
	if err != nil {
		tb.Fatalf("open node: %v", err)
	}
	tb.Cleanup(func() { n.Close() })
	return n
}

// LocalOnly is an outbox and prover for a node that must never address
// another node: it fails the test for an activity to another host, and
// its proofs are the activity's JSON.
type LocalOnly struct {
	TB   testing.TB
	Base string // the node's base URL
}

var (
	_ outbox.Outbox = (*LocalOnly)(nil)
	_ outbox.Prover = (*LocalOnly)(nil)
)

// Enqueue accepts an activity addressed to the node itself only.
func (o *LocalOnly) Enqueue(txn *badger.Txn, a *twinfed.Activity) error {
	for _, to := range a.To {
		if twinfed.URLHost(to) != twinfed.URLHost(o.Base) {
			o.TB.Errorf("activity %s (%s) addressed to %s, on another node", a.ID, a.Type, to)
			return fmt.Errorf("test: %s is on another node", to)
		}
	}
	return nil
}

// Notify does nothing: nothing is delivered.
func (o *LocalOnly) Notify() {}

// Prove returns the activity's JSON as its proof.
func (o *LocalOnly) Prove(a *twinfed.Activity) (string, error) {
	raw, err := json.Marshal(a)
	return string(raw), err
}

// VerifyProof reads back what Prove made.
func (o *LocalOnly) VerifyProof(ctx context.Context, proof string) (*twinfed.Activity, string, error) {
	var a twinfed.Activity
	if err := json.Unmarshal([]byte(proof), &a); err != nil {
		return nil, "", twinfed.Errorf(twinfed.EINVALID, "the proof cannot be read")
	}
	return &a, a.Actor + "#main-key", nil
}

// Eventually polls cond until it holds, or fails the test with msg after
// timeout.
func Eventually(tb testing.TB, timeout time.Duration, cond func() bool, msg string) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("after %s: %s", timeout, msg)
		}
		<-time.After(10 * time.Millisecond)
	}
}
