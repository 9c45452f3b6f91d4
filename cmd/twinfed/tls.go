package main

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/twinfed/twinfed/config"
	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// nodeTLSConfig builds the TLS configuration of a node that serves HTTPS
// itself ([tls] in its config): a certificate from files, read again when
// they change, or from an ACME CA. nil when [tls] is empty.
func nodeTLSConfig(cfg config.Node, logger *slog.Logger) (*tls.Config, error) {
	t := cfg.TLS
	switch {
	case !t.Enabled():
		return nil, nil
	case t.CertFile != "":
		r, err := newCertReloader(t.CertFile, t.KeyFile, logger)
		if err != nil {
			return nil, err
		}
		return &tls.Config{
			MinVersion:     tls.VersionTLS12,
			NextProtos:     []string{"h2", "http/1.1"},
			GetCertificate: r.GetCertificate,
		}, nil
	default:
		dir := t.ACMECacheDir
		if dir == "" {
			dir = "acme"
		}
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(cfg.DataDir, dir)
		}
		m := &autocert.Manager{
			Prompt:     autocert.AcceptTOS,
			HostPolicy: autocert.HostWhitelist(t.ACMEDomains...),
			Cache:      autocert.DirCache(dir),
			Email:      t.ACMEEmail,
		}
		if t.ACMECA != "" {
			m.Client = &acme.Client{DirectoryURL: t.ACMECA}
		}
		c := m.TLSConfig() // h2, http/1.1 and the TLS-ALPN-01 challenge
		c.MinVersion = tls.VersionTLS12
		return c, nil
	}
}

// certReloader serves a certificate from PEM files and reads them again
// when either file's modification time or size changes, which it checks
// at each handshake (two stat calls, nothing beside the handshake's own
// cost): a renewal by certbot or an operator needs no restart nor signal.
// A pair that does not load (say, the new certificate written and the new
// key not yet) keeps the previous one in service and is tried again at the
// next handshake.
type certReloader struct {
	certFile, keyFile string
	logger            *slog.Logger

	mu     sync.Mutex
	cert   *tls.Certificate
	stamp  [2]fileStamp // of the files the certificate was read from
	failed [2]fileStamp // of the last pair that did not load: logged once
}

type fileStamp struct {
	mod  time.Time
	size int64
}

func stampOf(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{fi.ModTime(), fi.Size()}, nil
}

// newCertReloader reads the pair once: a node does not start with a
// certificate it cannot read.
func newCertReloader(certFile, keyFile string, logger *slog.Logger) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile, logger: logger}
	if err := r.reload(); err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	return r, nil
}

// reload reads the pair if its files changed since the last read; the
// caller holds mu or is the constructor.
func (r *certReloader) reload() error {
	var now [2]fileStamp
	var err error
	for i, f := range []string{r.certFile, r.keyFile} {
		if now[i], err = stampOf(f); err != nil {
			return fmt.Errorf("cert_file/key_file: %w", err)
		}
	}
	if r.cert != nil && (now == r.stamp || now == r.failed) {
		return nil
	}
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		r.failed = now
		return fmt.Errorf("cert_file %s, key_file %s: %w", r.certFile, r.keyFile, err)
	}
	r.cert, r.stamp = &cert, now
	if cert.Leaf != nil {
		r.logger.Info("TLS certificate loaded", "file", r.certFile, "subject", cert.Leaf.Subject.String(), "not_after", cert.Leaf.NotAfter)
	}
	return nil
}

// GetCertificate is the tls.Config hook: the current certificate, read
// again first if its files changed.
func (r *certReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.reload(); err != nil {
		r.logger.Warn("TLS certificate not reloaded; serving the previous one", "err", err)
	}
	return r.cert, nil
}
