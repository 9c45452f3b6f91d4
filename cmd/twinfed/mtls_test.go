package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/config"
	"github.com/twinfed/twinfed/consensus"
	"github.com/twinfed/twinfed/consensus/consensustest"
)

func run(args ...string) (string, error) {
	var out, errOut bytes.Buffer
	err := runApp(context.Background(), &out, &errOut, append([]string{"twinfed"}, args...))
	return out.String() + errOut.String(), err
}

// mustTLSFiles makes, with `twinfed tls`, a CA and the certificates of
// member r1 (for 127.0.0.1), an operator and Italy's node in a new
// directory.
func mustTLSFiles(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
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
	return dir
}

// `twinfed tls` makes a CA and certificates; a member serves with them
// from its [tls] files; the CLI operates it with an operator's certificate
// and is refused without one; a node's client reads with its own.
func TestTLSCommand_MemberCLIAndNode(t *testing.T) {
	dir := mustTLSFiles(t)
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

// A node configured with [registry_tls] reads and writes the registry
// through mutual TLS, with the files `twinfed tls` made, showing its
// certificate to a registry that requires one.
func TestNodeMain_RegistryOverMutualTLS(t *testing.T) {
	dir := mustTLSFiles(t)
	f := func(name string) string { return filepath.Join(dir, name) }
	memberTLS, err := registryMemberTLS(config.RegistryTLS{CertFile: f("r1.pem"), KeyFile: f("r1-key.pem"), ClientCAFile: f("ca.pem")}, consensustest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	memberTLS.RequireClientCerts = true // the node must show its certificate even to read
	cluster := consensustest.MustOpenClusterWith(t, 1, func(i int, c *consensus.Config) { c.TLS = memberTLS })

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	cfg := config.DefaultNode()
	cfg.Country, cfg.BaseURL, cfg.DataDir, cfg.HTTPAddr, cfg.MetricsAddr = "IT", base, t.TempDir(), ln.Addr().String(), ""
	cfg.Registry = cluster.URLs
	cfg.RegistryTLS = config.RegistryClientTLS{CAFile: f("ca.pem"), CertFile: f("IT.pem"), KeyFile: f("IT-key.pem")}
	cfg.Accounts.ArgonTime, cfg.Accounts.ArgonMemoryKiB, cfg.Accounts.ArgonThreads = 1, 1024, 1
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	m := &nodeMain{Config: cfg, Logger: consensustest.Logger(), Listener: ln}
	ctx := context.Background()
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	cluster.MustRegisterNode(t, "IT", base, m.NodeKey())
	cluster.MustCatchUp(t, m.client)
	s := twinfed.School{Country: "IT", LegalName: "Liceo Fermi", City: "Bari", NationalNumber: "BAPS0042", Level: twinfed.LevelUpperSecondary, Institution: twinfed.InstitutionState}
	got, err := m.client.PutSchool(ctx, &s)
	if err != nil {
		t.Fatalf("the node's signed write over mTLS: %v", err)
	}
	back, _, err := cluster.AdminClient(t).ConsistentSchool(ctx, got.ID)
	if err != nil || back.LegalName != s.LegalName {
		t.Fatalf("the registry has %+v, %v", back, err)
	}
}

// `twinfed tls ensure` makes the CA and a directory per certificate (its
// files and a copy of ca.pem), keeps them all when run again, makes only
// what went missing, and refuses a bad list before writing anything.
func TestTLSEnsure_KeepsWhatIsThere(t *testing.T) {
	dir := t.TempDir()
	args := []string{"tls", "ensure", "--dir", dir, "--member", "r1=registry-1", "--member", "r1=127.0.0.1", "--node", "IT", "--admin", "operator"}
	for _, bad := range [][]string{
		{"--member", "r1"},
		{"--member", "r1=a,b"}, // one host each
		{"--node", "../IT"},
		{"--node", "IT", "--admin", "IT"},
		{"--node", "ca"},
	} {
		if out, err := run(append([]string{"tls", "ensure", "--dir", dir}, bad...)...); err == nil {
			t.Fatalf("ensure %v: %s; want refused", bad, out)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Fatalf("ensure %v refused but wrote %v", bad, ents)
		}
	}
	if out, err := run(args...); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	files := []string{"ca.pem", "ca-key.pem", "r1/ca.pem", "r1/r1.pem", "r1/r1-key.pem", "IT/ca.pem", "IT/IT.pem", "IT/IT-key.pem",
		"operator/ca.pem", "operator/operator.pem", "operator/operator-key.pem"}
	read := func() map[string]string {
		m := map[string]string{}
		for _, f := range files {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			m[f] = string(b)
		}
		return m
	}
	first := read()
	if first["r1/ca.pem"] != first["ca.pem"] {
		t.Error("r1/ca.pem is not the CA's certificate")
	}
	cert := mustParsePEMCert(t, first["r1/r1.pem"])
	if cert.Subject.OrganizationalUnit[0] != consensus.RoleMember || !slices.Equal(cert.DNSNames, []string{"registry-1"}) || len(cert.IPAddresses) != 1 {
		t.Errorf("r1's certificate: OU %v, DNS %v, IP %v", cert.Subject.OrganizationalUnit, cert.DNSNames, cert.IPAddresses)
	}
	if fi, err := os.Stat(filepath.Join(dir, "IT", "IT-key.pem")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("IT's key: %v %v, want mode 0600", fi.Mode(), err)
	}

	out, err := run(args...)
	if err != nil || strings.Contains(out, "made") {
		t.Fatalf("second run: %v %s; want everything kept", err, out)
	}
	if !maps.Equal(read(), first) {
		t.Fatal("a second run changed the files")
	}
	if err := os.RemoveAll(filepath.Join(dir, "IT")); err != nil {
		t.Fatal(err)
	}
	if out, err := run(args...); err != nil || strings.Count(out, "made") != 1 {
		t.Fatalf("after removing IT: %v %s; want IT's certificate made alone", err, out)
	}
	again := read()
	if again["IT/IT.pem"] == first["IT/IT.pem"] || again["r1/r1.pem"] != first["r1/r1.pem"] || again["ca.pem"] != first["ca.pem"] {
		t.Error("the run after removing IT did not remake IT alone")
	}

	// Unfit certificates are made anew: a member given a new host, one
	// expiring within 30 days, one of another role under the name.
	more := append(slices.Clone(args), "--member", "r1=registry-1.example")
	if out, err := run(more...); err != nil || !strings.Contains(out, "not valid for registry-1.example") || strings.Count(out, "made") != 1 {
		t.Fatalf("with a new host for r1: %v %s; want r1 made anew alone", err, out)
	}
	if c := mustParsePEMCert(t, read()["r1/r1.pem"]); c.VerifyHostname("registry-1.example") != nil || c.VerifyHostname("127.0.0.1") != nil {
		t.Errorf("r1's new certificate is for %v %v", c.DNSNames, c.IPAddresses)
	}
	if err := os.RemoveAll(filepath.Join(dir, "IT")); err != nil {
		t.Fatal(err)
	}
	if out, err := run("tls", "ensure", "--dir", dir, "--node", "IT", "--days", "10"); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	if out, err := run(args...); err != nil || !strings.Contains(out, "expires on") {
		t.Fatalf("with IT's certificate expiring in 10 days: %v %s; want it made anew", err, out)
	}
	if err := os.RemoveAll(filepath.Join(dir, "operator")); err != nil {
		t.Fatal(err)
	}
	if out, err := run("tls", "ensure", "--dir", dir, "--node", "operator"); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	if out, err := run(args...); err != nil || !strings.Contains(out, "not of role admin") {
		t.Fatalf("with a node's certificate named operator: %v %s; want it made anew", err, out)
	}

	// A new CA: every certificate is made anew, with the new ca.pem.
	for _, f := range []string{"ca.pem", "ca-key.pem"} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := run(args...); err != nil || strings.Count(out, "not signed by this CA") != 3 {
		t.Fatalf("after a new CA: %v %s; want the 3 certificates made anew", err, out)
	}
	final := read()
	if final["IT/ca.pem"] != final["ca.pem"] || final["ca.pem"] == first["ca.pem"] {
		t.Error("IT/ca.pem is not the new CA's certificate")
	}
}

func mustParsePEMCert(t *testing.T, s string) *x509.Certificate {
	t.Helper()
	b, _ := pem.Decode([]byte(s))
	if b == nil {
		t.Fatalf("not PEM: %q", s)
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
