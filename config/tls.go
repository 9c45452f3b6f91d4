package config

import (
	"net/url"
	"strings"
)

// NodeTLS configures HTTPS served by the node itself, for an agency with
// no reverse proxy in front: a certificate from files (renewed by another
// tool, such as certbot) or from an ACME CA (Let's Encrypt). Empty: the
// node speaks plain HTTP on http_addr, behind a proxy that terminates TLS.
type NodeTLS struct {
	// CertFile and KeyFile are PEM files: the certificate chain (leaf
	// first) and its private key. The node reads them again when either
	// file changes (checked at each TLS handshake), so a renewal needs no
	// restart.
	CertFile string `toml:"cert_file"`
	KeyFile  string `toml:"key_file"`
	// ACMEDomains are the names to get certificates for from the ACME CA,
	// answering its TLS-ALPN-01 challenge on http_addr, which must then be
	// reachable as port 443 of every name. Instead of the files.
	ACMEDomains  []string `toml:"acme_domains"`
	ACMEEmail    string   `toml:"acme_email"`     // contact for the CA's expiry notices (optional)
	ACMECA       string   `toml:"acme_ca"`        // the CA's directory URL; empty: Let's Encrypt's
	ACMECacheDir string   `toml:"acme_cache_dir"` // where certificates and the account key are kept; relative to data_dir; default acme
}

// Enabled reports whether the node serves HTTPS itself.
func (t NodeTLS) Enabled() bool {
	return t.CertFile != "" || t.KeyFile != "" || len(t.ACMEDomains) > 0
}

func (t NodeTLS) validate(p *Problems, prefix, baseURL string) {
	if !t.Enabled() {
		if t.ACMEEmail != "" || t.ACMECA != "" || t.ACMECacheDir != "" {
			p.Addf(prefix+".acme_domains", "is empty while other acme_ keys are set; list the names to get certificates for")
		}
		return
	}
	files := t.CertFile != "" || t.KeyFile != ""
	if files && (t.CertFile == "" || t.KeyFile == "") {
		p.Addf(prefix+".cert_file", "and key_file go together; give both PEM files")
	}
	if files && len(t.ACMEDomains) > 0 {
		p.Addf(prefix+".acme_domains", "is set beside cert_file; take certificates either from files or from ACME, not both")
	}
	if !strings.HasPrefix(baseURL, "https://") {
		p.Addf(prefix, "is set but base_url %q is not https://; the node's public URL must be the one it serves", baseURL)
	}
	if len(t.ACMEDomains) > 0 {
		host := ""
		if u, err := url.Parse(baseURL); err == nil {
			host = u.Hostname()
		}
		if !contains(t.ACMEDomains, host) {
			p.Addf(prefix+".acme_domains", "%v does not include base_url's host %q", t.ACMEDomains, host)
		}
		for i, d := range t.ACMEDomains {
			if d == "" || strings.ContainsAny(d, "/: ") || !strings.Contains(d, ".") {
				p.Addf(prefix+".acme_domains["+itoa(i)+"]", "%q is not a domain name such as it.twinfed.example", d)
			}
		}
		if t.ACMECA != "" {
			if u, err := url.Parse(t.ACMECA); err != nil || u.Scheme != "https" || u.Host == "" {
				p.Addf(prefix+".acme_ca", "%q is not an https:// directory URL", t.ACMECA)
			}
		}
	}
}
