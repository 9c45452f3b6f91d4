package config

import "strings"

// RegistryTLS secures a registry member with mutual TLS ([tls] of a
// member's config): Raft between members and the HTTP API, with
// certificates from PEM files. Empty: plain TCP and HTTP (a cluster on a
// private network). See docs/operations.md for making the certificates
// (`twinfed tls`).
type RegistryTLS struct {
	// CertFile and KeyFile are the member's certificate (chain, leaf
	// first; OU twinfed-registry-member; valid for the hosts of its
	// raft_advert and http_advert) and key. Read again when they change.
	CertFile string `toml:"cert_file"`
	KeyFile  string `toml:"key_file"`
	// ClientCAFile holds the cluster's CA certificate(s) (PEM): members,
	// operators and nodes are verified against it.
	ClientCAFile string `toml:"client_ca_file"`
	// RequireClientCerts refuses API requests without a client
	// certificate from nodes too (members and operators always need one).
	RequireClientCerts bool `toml:"require_client_certs"`
}

// Enabled reports whether the member serves TLS.
func (t RegistryTLS) Enabled() bool {
	return t.CertFile != "" || t.KeyFile != "" || t.ClientCAFile != "" || t.RequireClientCerts
}

func (t RegistryTLS) validate(p *Problems, prefix string, c *Registry) {
	if !t.Enabled() {
		return
	}
	if t.CertFile == "" || t.KeyFile == "" || t.ClientCAFile == "" {
		p.Addf(prefix, "needs cert_file, key_file and client_ca_file together (the member's certificate, its key and the cluster's CA)")
	}
	https := func(key, u string) {
		if u != "" && !strings.HasPrefix(u, "https://") {
			p.Addf(key, "%q is not https:// while [tls] is set; members serve their API over TLS only", u)
		}
	}
	https("http_advert", c.HTTPAdvert)
	for i, u := range c.Join {
		https("join["+itoa(i)+"]", u)
	}
	for i, s := range c.Peers {
		if parts := strings.SplitN(s, "=", 3); len(parts) == 3 {
			https("peers["+itoa(i)+"]", parts[2])
		}
	}
}

// RegistryClientTLS is how a node reaches an https registry
// ([registry_tls] of a node's config). Empty: the system's roots verify
// the members, and no client certificate is shown.
type RegistryClientTLS struct {
	CAFile   string `toml:"ca_file"`   // the registry cluster's CA (PEM); empty: the system's roots
	CertFile string `toml:"cert_file"` // the node's client certificate (OU twinfed-node), read again when it changes
	KeyFile  string `toml:"key_file"`
}

// Enabled reports whether any key is set.
func (t RegistryClientTLS) Enabled() bool {
	return t.CAFile != "" || t.CertFile != "" || t.KeyFile != ""
}

func (t RegistryClientTLS) validate(p *Problems, prefix string, registry []string) {
	if !t.Enabled() {
		return
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		p.Addf(prefix+".cert_file", "and key_file go together; give both PEM files")
	}
	for i, u := range registry {
		if !strings.HasPrefix(u, "https://") {
			p.Addf("registry["+itoa(i)+"]", "%q is not https:// while [%s] is set", u, prefix)
		}
	}
}
