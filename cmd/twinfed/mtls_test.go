package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed/config"
	"github.com/twinfed/twinfed/consensus"
	"github.com/twinfed/twinfed/consensus/consensustest"
)

// `twinfed tls` makes a CA and certificates; a member serves with them
// from its [tls] files; the CLI operates it with an operator's certificate
// and is refused without one; a node's client reads with its own.
func TestTLSCommand_MemberCLIAndNode(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := runApp(context.Background(), &out, &errOut, append([]string{"twinfed"}, args...))
		return out.String() + errOut.String(), err
	}
	for _, args := range [][]string{
		{"tls", "ca", "--dir", dir},
		{"tls", "cert", "--dir", dir, "--role", "member", "--name", "r1", "--host", "127.0.0.1", "--host", "localhost"},
		{"tls", "cert", "--dir", dir, "--role", "admin", "--name", "operator"},
		{"tls", "cert", "--dir", dir, "--role", "node", "--name", "IT"},
	} {
		if out, err := run(args...); err != nil {
			t.Fatalf("%v: %v %s", args, err, out)
		}
	}
	if out, err := run("tls", "ca", "--dir", dir); err == nil {
		t.Fatalf("a second CA over the first was made: %s", out)
	}
	if out, err := run("tls", "cert", "--dir", dir, "--role", "member", "--name", "r2"); err == nil {
		t.Fatalf("a member certificate without --host was made: %s", out)
	}

	f := func(name string) string { return filepath.Join(dir, name) }
	cfg := config.DefaultRegistry()
	cfg.DataDir = filepath.Join(t.TempDir(), "r1")
	cfg.RaftAddr, cfg.HTTPAddr, cfg.MetricsAddr = "127.0.0.1:0", "127.0.0.1:0", ""
	cfg.Bootstrap = true
	cfg.AdminToken = "0123456789abcdef-test"
	cfg.TLS = config.RegistryTLS{CertFile: f("r1.pem"), KeyFile: f("r1-key.pem"), ClientCAFile: f("ca.pem")}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	rm := &registryMain{Config: cfg, Logger: consensustest.FailureLogger(t)}
	if err := rm.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer rm.Close()
	url := rm.member.URL()
	if !strings.HasPrefix(url, "https://") {
		t.Fatalf("member URL %s, want https", url)
	}

	// A node's client, with the node's certificate, reads.
	conf, err := registryClientTLS(f("ca.pem"), f("IT.pem"), f("IT-key.pem"), consensustest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	cl, err := consensus.OpenClient(context.Background(), consensus.ClientConfig{Members: []string{url}, TLS: conf})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	consensustest.Eventually(t, 60*time.Second, func() bool {
		c, err := cl.Country(context.Background(), "IT")
		return err == nil && c.Code == "IT"
	}, "the node's client never read the seeded countries over TLS")

	tok := cfg.AdminToken
	if out, err := run("registry", "snapshot", "--member", url, "--token", tok, "--tls-ca", f("ca.pem"), "--tls-cert", f("operator.pem"), "--tls-key", f("operator-key.pem")); err != nil || !strings.Contains(out, "index") {
		t.Fatalf("snapshot with an operator's certificate: %v %s", err, out)
	}
	for _, cert := range []string{"", "IT"} {
		args := []string{"registry", "snapshot", "--member", url, "--token", tok, "--tls-ca", f("ca.pem")}
		if cert != "" {
			args = append(args, "--tls-cert", f(cert+".pem"), "--tls-key", f(cert+"-key.pem"))
		}
		if out, err := run(args...); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("snapshot with the token and certificate %q: %v %s; want refused for the certificate", cert, err, out)
		}
	}
}
