package consensus

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twinfed/twinfed"
)

// Roles of the certificates the cluster's CA issues, written in the
// certificate's subject as its Organizational Unit (OU). A member's
// certificate serves its Raft and API ports and authenticates it to the
// other members; an operator's certificate goes with the admin token; a
// national node's certificate only says that the CA issued it.
const (
	RoleMember = "twinfed-registry-member"
	RoleAdmin  = "twinfed-registry-admin"
	RoleNode   = "twinfed-node"
)

// TLS secures a member with mutual TLS: Raft between members (a member
// accepts and dials only TLS connections whose peer shows a member
// certificate from CAs) and the HTTP API (https; any client certificate
// shown must come from CAs; requests with the admin token, including the
// writes members forward to the leader, must show a member's or an
// operator's certificate, the internal endpoints a member's).
//
// National nodes' requests need no certificate unless RequireClientCerts:
// their writes are authenticated by HTTP signatures made with keys the
// registry itself lists, and what they read is the federation's public
// directory, which every node republishes.
type TLS struct {
	// Certificate returns the member's current certificate (chain and
	// key); called at each handshake, so that a renewed certificate is
	// taken without a restart.
	Certificate func() (*tls.Certificate, error)
	// CAs are the cluster's certificate authorities: they verify the other
	// members' certificates (as servers and as clients) and API clients'.
	CAs *x509.CertPool
	// RequireClientCerts refuses every API request without a verified
	// client certificate, nodes' included (not /healthz, /readyz and
	// /metrics, which probes and Prometheus reach).
	RequireClientCerts bool
}

// certRoles returns the roles (OUs) of the verified client certificate of
// a connection, and whether there is one.
func certRoles(cs *tls.ConnectionState) ([]string, bool) {
	if cs == nil || len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return nil, false
	}
	return cs.VerifiedChains[0][0].Subject.OrganizationalUnit, true
}

// requireMember is a VerifyConnection hook: the peer must show a verified
// member certificate.
func requireMember(cs tls.ConnectionState) error {
	roles, ok := certRoles(&cs)
	if !ok {
		return errors.New("consensus: the peer showed no certificate from the cluster's CA")
	}
	if !slices.Contains(roles, RoleMember) {
		return fmt.Errorf("consensus: the peer's certificate (%s) is not a registry member's (OU %s)", cs.VerifiedChains[0][0].Subject, RoleMember)
	}
	return nil
}

func (t *TLS) getCert() (*tls.Certificate, error) {
	c, err := t.Certificate()
	if err != nil {
		return nil, fmt.Errorf("consensus: member certificate: %w", err)
	}
	return c, nil
}

// raftServer is the configuration of the Raft listener: only members.
func (t *TLS) raftServer() *tls.Config {
	return &tls.Config{
		MinVersion:       tls.VersionTLS12,
		ClientAuth:       tls.RequireAndVerifyClientCert,
		ClientCAs:        t.CAs,
		GetCertificate:   func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return t.getCert() },
		VerifyConnection: requireMember,
	}
}

// memberClient is the configuration a member dials the others with (Raft
// and forwarded API calls): it shows its certificate and accepts only a
// member's, valid for the address dialled.
func (t *TLS) memberClient() *tls.Config {
	return &tls.Config{
		MinVersion:           tls.VersionTLS12,
		RootCAs:              t.CAs,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return t.getCert() },
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 || !slices.Contains(cs.PeerCertificates[0].Subject.OrganizationalUnit, RoleMember) {
				return fmt.Errorf("consensus: %s did not show a registry member's certificate (OU %s)", cs.ServerName, RoleMember)
			}
			return nil
		},
	}
}

// apiServer is the configuration of the HTTP API: a client certificate is
// asked for and verified when shown; apiGuard decides which requests need
// one.
func (t *TLS) apiServer() *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		ClientAuth:     tls.VerifyClientCertIfGiven,
		ClientCAs:      t.CAs,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return t.getCert() },
	}
}

// apiGuard refuses, before any handler runs, the API requests that need a
// client certificate and came without the right one.
func (m *Member) apiGuard(next http.Handler) http.Handler {
	t := m.cfg.TLS
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		roles, verified := certRoles(r.TLS)
		var err error
		switch {
		case strings.HasPrefix(r.URL.Path, "/v1/internal/"):
			if !slices.Contains(roles, RoleMember) {
				err = twinfed.Errorf(twinfed.EUNAUTHORIZED, "the internal endpoints take requests from registry members only: show a member's certificate (OU %s) from the cluster's CA", RoleMember)
			}
		case strings.HasPrefix(r.Header.Get("Authorization"), "Bearer "):
			if !slices.Contains(roles, RoleMember) && !slices.Contains(roles, RoleAdmin) {
				err = twinfed.Errorf(twinfed.EUNAUTHORIZED, "a request with the admin token must show an operator's (OU %s) or a member's (OU %s) client certificate from the cluster's CA; %s", RoleAdmin, RoleMember, shown(verified, roles))
			}
		case t.RequireClientCerts && !verified:
			switch r.URL.Path {
			case "/healthz", "/readyz", "/metrics":
			default:
				err = twinfed.Errorf(twinfed.EUNAUTHORIZED, "this registry requires a client certificate from the cluster's CA")
			}
		}
		if err != nil {
			m.metrics.authRefusals.WithLabelValues("client_certificate").Inc()
			m.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func shown(verified bool, roles []string) string {
	if !verified {
		return "this one came with none"
	}
	return fmt.Sprintf("this one is for OU %q", roles)
}

// tlsConn is a Raft connection accepted over TLS: the handshake runs at
// the first read (in the transport's goroutine for the connection, not in
// its accept loop), bounded by handshakeTimeout, and a refused peer is
// logged.
type tlsConn struct {
	*tls.Conn
	m    *Member
	once sync.Once
	err  error
}

const handshakeTimeout = 10 * time.Second

func (c *tlsConn) Read(p []byte) (int, error) {
	c.once.Do(func() {
		_ = c.SetDeadline(time.Now().Add(handshakeTimeout))
		if c.err = c.Handshake(); c.err != nil {
			c.m.metrics.authRefusals.WithLabelValues("raft_tls").Inc()
			c.m.logger.Warn("registry: refused a Raft connection", "remote", c.RemoteAddr().String(), "err", c.err)
		}
		_ = c.SetDeadline(time.Time{})
	})
	if c.err != nil {
		return 0, c.err
	}
	return c.Conn.Read(p)
}

// raftTLSDial returns the stream layer's dial function over TLS, on top of
// dial (plain TCP when nil).
func (m *Member) raftTLSDial(dial func(string, time.Duration) (net.Conn, error)) func(string, time.Duration) (net.Conn, error) {
	conf := m.cfg.TLS.memberClient()
	return func(address string, timeout time.Duration) (net.Conn, error) {
		var raw net.Conn
		var err error
		if dial != nil {
			raw, err = dial(address, timeout)
		} else {
			raw, err = net.DialTimeout("tcp", address, timeout)
		}
		if err != nil {
			return nil, err
		}
		c := conf.Clone()
		c.ServerName, _, _ = net.SplitHostPort(address)
		tc := tls.Client(raw, c)
		_ = tc.SetDeadline(time.Now().Add(timeout))
		if err := tc.Handshake(); err != nil {
			raw.Close()
			return nil, fmt.Errorf("consensus: TLS to %s: %w", address, err)
		}
		_ = tc.SetDeadline(time.Time{})
		return tc, nil
	}
}

// raftTLSListener accepts only TLS connections on ln.
type raftTLSListener struct {
	net.Listener
	m    *Member
	conf *tls.Config
}

func (l raftTLSListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &tlsConn{Conn: tls.Server(c, l.conf), m: l.m}, nil
}

// ClientTLS returns the TLS configuration of a node or an operator tool
// talking to an https registry: cas verify the members (the system's roots
// when nil) and cert, when not nil, returns the client certificate to show.
func ClientTLS(cas *x509.CertPool, cert func() (*tls.Certificate, error)) *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: cas}
	if cert != nil {
		c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert() }
	}
	return c
}
