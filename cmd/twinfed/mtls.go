package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"

	"github.com/twinfed/twinfed/config"
	"github.com/twinfed/twinfed/consensus"
)

// loadCAs reads a PEM file of CA certificates.
func loadCAs(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tls: CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("tls: CA file %s holds no PEM certificate", path)
	}
	return pool, nil
}

// registryMemberTLS turns a member's [tls] into the consensus package's
// settings; nil when [tls] is empty. The certificate is read again when its
// files change (certReloader).
func registryMemberTLS(t config.RegistryTLS, logger *slog.Logger) (*consensus.TLS, error) {
	if !t.Enabled() {
		return nil, nil
	}
	cas, err := loadCAs(t.ClientCAFile)
	if err != nil {
		return nil, err
	}
	r, err := newCertReloader(t.CertFile, t.KeyFile, logger)
	if err != nil {
		return nil, err
	}
	return &consensus.TLS{Certificate: func() (*tls.Certificate, error) { return r.GetCertificate(nil) },
		CAs: cas, RequireClientCerts: t.RequireClientCerts}, nil
}

// registryClientTLS is the TLS configuration of a node or an operator tool
// talking to the registry: caFile verifies the members (the system's roots
// when empty), certFile and keyFile are the client certificate (none when
// empty). nil when all are empty.
func registryClientTLS(caFile, certFile, keyFile string, logger *slog.Logger) (*tls.Config, error) {
	if caFile == "" && certFile == "" && keyFile == "" {
		return nil, nil
	}
	var cas *x509.CertPool
	if caFile != "" {
		var err error
		if cas, err = loadCAs(caFile); err != nil {
			return nil, err
		}
	}
	var cert func() (*tls.Certificate, error)
	if certFile != "" || keyFile != "" {
		r, err := newCertReloader(certFile, keyFile, logger)
		if err != nil {
			return nil, err
		}
		cert = func() (*tls.Certificate, error) { return r.GetCertificate(nil) }
	}
	return consensus.ClientTLS(cas, cert), nil
}
