package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/twinfed/twinfed/config"
	"github.com/twinfed/twinfed/consensus/consensustest"
)

// testCert makes a self-signed certificate for 127.0.0.1, valid from an
// hour ago for a day, and writes it and its key as PEM files.
func testCert(t *testing.T, certFile, keyFile, name string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true, // its own issuer, so a client can trust it as a root
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if keyFile != "" {
		writePEM(t, keyFile, "EC PRIVATE KEY", keyDER)
	}
	writePEM(t, certFile, "CERTIFICATE", der)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// writePEM replaces a file, its modification time past the old file's as
// a renewal a while later would have it: the reload must not depend on the
// file system's timestamp resolution.
func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	var old time.Time
	if fi, err := os.Stat(path); err == nil {
		old = fi.ModTime()
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err == nil && !fi.ModTime().After(old) {
		if err := os.Chtimes(path, old.Add(time.Second), old.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestNodeMain_TLS runs a node that serves HTTPS itself from certificate
// files ([tls] cert_file, key_file) through `twinfed node serve`'s wiring:
// it serves HTTP/2 over TLS with HSTS, picks up a renewed certificate at
// the next handshake without a restart, and keeps serving the current one
// when the files hold a pair that does not match.
func TestNodeMain_TLS(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	first := testCert(t, certFile, keyFile, "first")
	base := "https://" + ln.Addr().String()
	cfg := config.DefaultNode()
	cfg.Country, cfg.BaseURL, cfg.DataDir, cfg.HTTPAddr = "IT", base, filepath.Join(dir, "data"), ln.Addr().String()
	cfg.Registry, cfg.MetricsAddr = cluster.URLs, "127.0.0.1:0"
	cfg.TLS.CertFile, cfg.TLS.KeyFile = certFile, keyFile
	cfg.Accounts.ArgonTime, cfg.Accounts.ArgonMemoryKiB, cfg.Accounts.ArgonThreads = 1, 1024, 1 // cheap, for tests only
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	m := &nodeMain{Config: cfg, Logger: consensustest.Logger(), Listener: ln}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })

	// get asks /healthz on a new connection, trusting only trust, and
	// returns the certificate the node presented.
	get := func(trust ...*x509.Certificate) (*x509.Certificate, *http.Response, error) {
		pool := x509.NewCertPool()
		for _, c := range trust {
			pool.AddCert(c)
		}
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true, DisableKeepAlives: true}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get(base + "/healthz")
		if err != nil {
			return nil, nil, err
		}
		resp.Body.Close()
		return resp.TLS.PeerCertificates[0], resp, nil
	}

	got, resp, err := get(first)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Proto != "HTTP/2.0" || resp.Header.Get("Strict-Transport-Security") == "" {
		t.Fatalf("GET /healthz over TLS: %s %s, HSTS %q; want 200 over HTTP/2 with HSTS", resp.Proto, resp.Status, resp.Header.Get("Strict-Transport-Security"))
	}
	if !got.Equal(first) {
		t.Fatalf("the node presented %s, want the configured certificate", got.Subject)
	}
	if _, _, err := get(); err == nil {
		t.Fatal("a client that trusts nothing accepted the node's certificate")
	}

	// A renewal: new files, same paths. The next handshake has them.
	renewed := testCert(t, certFile, keyFile, "renewed")
	if got, _, err = get(renewed); err != nil || !got.Equal(renewed) {
		t.Fatalf("after the renewal: %v, certificate %v; want the renewed one", err, got.Subject)
	}

	// A half-written renewal (a certificate whose key is not in key.pem)
	// leaves the renewed certificate in service.
	testCert(t, certFile, "", "mismatched")
	if got, _, err = get(renewed); err != nil || !got.Equal(renewed) {
		t.Fatalf("with a mismatched pair on disk: %v; want the renewed certificate still served", err)
	}
}

// TestNodeTLS_StartRefused: a node does not start with certificate files
// it cannot read, and says which.
func TestNodeTLS_StartRefused(t *testing.T) {
	dir := t.TempDir()
	cfg := config.DefaultNode()
	cfg.BaseURL, cfg.DataDir = "https://127.0.0.1:8443", dir
	cfg.TLS.CertFile, cfg.TLS.KeyFile = filepath.Join(dir, "missing.pem"), filepath.Join(dir, "key.pem")
	if _, err := nodeTLSConfig(cfg, consensustest.Logger()); err == nil {
		t.Fatal("a missing certificate file was accepted")
	}
	testCert(t, filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), "a")
	testCert(t, filepath.Join(dir, "other.pem"), "", "b")
	cfg.TLS.CertFile = filepath.Join(dir, "other.pem")
	if _, err := nodeTLSConfig(cfg, consensustest.Logger()); err == nil {
		t.Fatal("a certificate with another's key was accepted")
	}
	cfg.TLS.CertFile = filepath.Join(dir, "cert.pem")
	if _, err := nodeTLSConfig(cfg, consensustest.Logger()); err != nil {
		t.Fatal(err)
	}
}
