package consensus_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus"
	"github.com/twinfed/twinfed/consensus/consensustest"
)

func mustTLSCluster(t *testing.T, n int, ca *consensustest.CA, requireClientCerts bool) *consensustest.Cluster {
	t.Helper()
	return consensustest.MustOpenClusterWith(t, n, func(i int, c *consensus.Config) {
		c.TLS = ca.MemberTLS(t, c.NodeID)
		c.TLS.RequireClientCerts = requireClientCerts
		c.Logger = consensustest.FailureLogger(t)
	})
}

func httpsGet(t *testing.T, conf *tls.Config, url, token string) (int, error) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: conf, DisableKeepAlives: true}}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func certFunc(c *tls.Certificate) func() (*tls.Certificate, error) {
	return func() (*tls.Certificate, error) { return c, nil }
}

// A cluster over mutual TLS elects, replicates and forwards writes from a
// follower; a node's client reads and writes through it; the admin token
// is refused without an operator's or a member's certificate.
func TestTLS_ClusterOverMutualTLS(t *testing.T) {
	ca := consensustest.MustCA(t, "Twinfed test CA")
	c := mustTLSCluster(t, 3, ca, false)
	for _, u := range c.URLs {
		if !strings.HasPrefix(u, "https://") {
			t.Fatalf("member URL %s: want https", u)
		}
	}
	leader := c.MustLeader(t)
	follower := c.URLs[(leader+1)%3]
	ctx := context.Background()

	// An operator with the admin token and an operator's certificate
	// writes through a follower, which forwards to the leader over mTLS.
	adminCert := ca.MustIssue(t, consensus.RoleAdmin, "operator")
	admin, err := consensus.OpenClient(ctx, consensus.ClientConfig{Members: []string{follower}, AdminToken: c.AdminToken,
		TLS: consensus.ClientTLS(ca.Pool, certFunc(adminCert)), Logger: consensustest.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	key, signer := MustNodeKey(t)
	if err := admin.PutCountry(ctx, twinfed.Country{Code: "IT", Agency: "INDIRE", NodeURL: "https://it.example", Keys: []twinfed.NodeKey{key.NodeKey()}, Active: true}); err != nil {
		t.Fatalf("admin write through a follower over mTLS: %v", err)
	}
	c.MustWaitConverged(t) // the follower checks the node's signature against its own state

	// The node's client, with a node certificate, writes (signed) through
	// the follower and reads its write back.
	nodeCert := ca.MustIssue(t, consensus.RoleNode, "IT")
	node, err := consensus.OpenClient(ctx, consensus.ClientConfig{Members: []string{follower}, Country: "IT", Signer: signer,
		KeyID: twinfed.KeyID(twinfed.AgencyURL("https://it.example")), CacheDir: t.TempDir(), FeedWait: 5 * time.Second,
		TLS: consensus.ClientTLS(ca.Pool, certFunc(nodeCert)), Logger: consensustest.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	s := school("IT", "Liceo Galilei", "FIPS01000X")
	got, err := node.PutSchool(ctx, &s)
	if err != nil {
		t.Fatalf("node write through a follower over mTLS: %v", err)
	}
	c.MustCatchUp(t, node)
	if back, err := node.School(ctx, got.ID); err != nil || back.LegalName != s.LegalName {
		t.Fatalf("node read back: %+v %v", back, err)
	}
	c.MustWaitConverged(t) // replicated to every member

	other := consensustest.MustCA(t, "another CA")
	for _, tc := range []struct {
		name   string
		conf   *tls.Config
		path   string
		token  string
		status int // 0: the TLS handshake must fail
	}{
		{"node read without a certificate", consensus.ClientTLS(ca.Pool, nil), "/v1/countries", "", http.StatusOK},
		{"node read with a node certificate", consensus.ClientTLS(ca.Pool, certFunc(nodeCert)), "/v1/countries", "", http.StatusOK},
		{"admin token without a certificate", consensus.ClientTLS(ca.Pool, nil), "/v1/cluster/peers", c.AdminToken, http.StatusUnauthorized},
		{"admin token with a node certificate", consensus.ClientTLS(ca.Pool, certFunc(nodeCert)), "/v1/cluster/peers", c.AdminToken, http.StatusUnauthorized},
		{"admin token with an operator certificate", consensus.ClientTLS(ca.Pool, certFunc(adminCert)), "/v1/cluster/peers", c.AdminToken, http.StatusOK},
		{"internal endpoint with an operator certificate", consensus.ClientTLS(ca.Pool, certFunc(adminCert)), "/v1/internal/apply", c.AdminToken, http.StatusUnauthorized},
		{"member certificate from another CA", consensus.ClientTLS(ca.Pool, certFunc(other.MustIssue(t, consensus.RoleMember, "r9"))), "/v1/countries", "", 0},
		{"server not trusted", consensus.ClientTLS(other.Pool, nil), "/v1/countries", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, err := httpsGet(t, tc.conf, follower+tc.path, tc.token)
			if tc.status == 0 {
				if err == nil {
					t.Fatalf("answered %d; want the TLS handshake refused", status)
				}
				return
			}
			if err != nil || status != tc.status {
				t.Fatalf("status %d, %v; want %d", status, err, tc.status)
			}
		})
	}
	// Plain HTTP on the API's port: Go's server answers 400, serves nothing.
	if status, err := httpsGet(t, nil, strings.Replace(follower, "https://", "http://", 1)+"/v1/countries", ""); err == nil && status == http.StatusOK {
		t.Fatal("the API answered plain HTTP")
	}

	// Raft: only a member's certificate from the cluster's CA is accepted.
	raftAddr := c.Members[leader].RaftAddr()
	for _, tc := range []struct {
		name     string
		conf     *tls.Config // nil: plain TCP
		accepted bool
	}{
		{"plain TCP", nil, false},
		{"no certificate", &tls.Config{RootCAs: ca.Pool, ServerName: "127.0.0.1"}, false},
		{"a node's certificate", &tls.Config{RootCAs: ca.Pool, ServerName: "127.0.0.1", Certificates: []tls.Certificate{*nodeCert}}, false},
		{"an operator's certificate", &tls.Config{RootCAs: ca.Pool, ServerName: "127.0.0.1", Certificates: []tls.Certificate{*adminCert}}, false},
		{"a member's certificate from another CA", &tls.Config{RootCAs: ca.Pool, ServerName: "127.0.0.1", Certificates: []tls.Certificate{*other.MustIssue(t, consensus.RoleMember, "r9")}}, false},
		{"a member's certificate", &tls.Config{RootCAs: ca.Pool, ServerName: "127.0.0.1", Certificates: []tls.Certificate{*ca.MustIssue(t, consensus.RoleMember, "r4")}}, true},
	} {
		t.Run("raft "+tc.name, func(t *testing.T) {
			if got := raftAccepts(t, raftAddr, tc.conf); got != tc.accepted {
				t.Fatalf("accepted = %v, want %v", got, tc.accepted)
			}
		})
	}
}

// raftAccepts connects to a member's Raft port and reports whether the
// connection stays open (the member waits for an RPC) rather than being
// refused.
func raftAccepts(t *testing.T, addr string, conf *tls.Config) bool {
	t.Helper()
	raw, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	conn := raw
	if conf == nil {
		// What a plain-TCP member sends: an RPC's type byte (RequestVote)
		// and its msgpack body.
		_, _ = raw.Write(append([]byte{1, 0x86}, make([]byte, 62)...))
	} else {
		tc := tls.Client(raw, conf)
		_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
		if err := tc.Handshake(); err != nil {
			return false
		}
		conn = tc
	}
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err = conn.Read(make([]byte, 1))
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// With require_client_certs, nodes too must show a certificate; the probes
// stay open.
func TestTLS_RequireClientCerts(t *testing.T) {
	ca := consensustest.MustCA(t, "Twinfed test CA")
	c := mustTLSCluster(t, 1, ca, true)
	nodeCert := ca.MustIssue(t, consensus.RoleNode, "FR")
	for _, tc := range []struct {
		path   string
		cert   *tls.Certificate
		status int
	}{
		{"/v1/countries", nil, http.StatusUnauthorized},
		{"/v1/countries", nodeCert, http.StatusOK},
		{"/healthz", nil, http.StatusOK},
	} {
		var cert func() (*tls.Certificate, error)
		if tc.cert != nil {
			cert = certFunc(tc.cert)
		}
		status, err := httpsGet(t, consensus.ClientTLS(ca.Pool, cert), c.URLs[0]+tc.path, "")
		if err != nil || status != tc.status {
			t.Errorf("GET %s (certificate %v): %d %v; want %d", tc.path, tc.cert != nil, status, err, tc.status)
		}
	}
}

// A new member joins over mutual TLS with a member certificate from the
// cluster's CA and receives the log; one with another CA's is refused.
func TestTLS_JoinNeedsAMemberCertificate(t *testing.T) {
	ca := consensustest.MustCA(t, "Twinfed test CA")
	c := mustTLSCluster(t, 1, ca, false)
	dir := t.TempDir()
	open := func(ctx context.Context, id string, tlsc *consensus.TLS) (*consensus.Member, error) {
		cfg := consensustest.MemberConfig(dir, 0)
		cfg.NodeID, cfg.DataDir, cfg.Join, cfg.TLS = id, dir+"/"+id, c.URLs, tlsc
		cfg.Logger = consensustest.FailureLogger(t)
		return consensus.Open(ctx, cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	m, err := open(ctx, "r2", ca.MemberTLS(t, "r2"))
	if err != nil {
		t.Fatalf("join with a member certificate: %v", err)
	}
	defer m.Close()
	consensustest.Eventually(t, 30*time.Second, func() bool { return m.AppliedIndex() >= c.Members[0].AppliedIndex() && m.AppliedIndex() > 0 },
		"the new member never received the log over TLS")

	other := consensustest.MustCA(t, "another CA")
	short, cancel2 := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel2()
	if rogue, err := open(short, "r3", other.MemberTLS(t, "r3")); err == nil {
		rogue.Close()
		t.Fatal("a member with another CA's certificate joined")
	}
	peers, err := c.Members[0].Peers()
	if err != nil || len(peers) != 2 {
		t.Fatalf("peers after the refused join: %+v %v; want r1 and r2", peers, err)
	}
}
