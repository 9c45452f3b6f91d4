package main

// `twinfed tls`: makes the registry cluster's CA and the certificates of
// its members, operators and nodes (docs/operations.md, "Mutual TLS").

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/twinfed/twinfed/consensus"
	"github.com/urfave/cli/v2"
)

// certRoles maps --role to the certificate's OU.
var certRoles = map[string]string{"member": consensus.RoleMember, "admin": consensus.RoleAdmin, "node": consensus.RoleNode}

func tlsCommand() *cli.Command {
	dir := &cli.StringFlag{Name: "dir", Value: "tls", Usage: "directory of ca.pem and ca-key.pem, where the files are written"}
	return &cli.Command{
		Name:  "tls",
		Usage: "make the registry cluster's CA and certificates for mutual TLS",
		Subcommands: []*cli.Command{
			{
				Name:  "ca",
				Usage: "make a new CA: ca.pem (give it to every member, node and operator) and ca-key.pem (keep it offline)",
				Flags: []cli.Flag{dir,
					&cli.StringFlag{Name: "name", Value: "Twinfed registry CA", Usage: "the CA's common name"},
					&cli.IntFlag{Name: "days", Value: 3650, Usage: "validity in days"}},
				Action: func(c *cli.Context) error {
					d := c.String("dir")
					if _, err := os.Stat(filepath.Join(d, "ca-key.pem")); err == nil {
						return cli.Exit(fmt.Sprintf("twinfed tls ca: %s already holds a CA; remove it first to make a new one", d), 1)
					}
					now := time.Now()
					tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: c.String("name")},
						NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(0, 0, c.Int("days")),
						IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
					if err := issue(d, "ca", tmpl, nil, nil); err != nil {
						return cli.Exit("twinfed tls ca: "+err.Error(), 1)
					}
					fmt.Fprintf(c.App.Writer, "CA written to %s\n", filepath.Join(d, "ca.pem"))
					return nil
				},
			},
			{
				Name:  "cert",
				Usage: "issue a certificate signed by the CA of --dir: <name>.pem and <name>-key.pem",
				Flags: []cli.Flag{dir,
					&cli.StringFlag{Name: "role", Required: true, Usage: "member (a registry member: Raft and API), admin (an operator of the CSS) or node (a national node)"},
					&cli.StringFlag{Name: "name", Required: true, Usage: "the certificate's common name and file name: r1, operator, IT"},
					&cli.StringSliceFlag{Name: "host", Usage: "a DNS name or IP address the member is reached at (repeat; members only)"},
					&cli.IntFlag{Name: "days", Value: 365, Usage: "validity in days"}},
				Action: func(c *cli.Context) error {
					if err := issueCertCheck(c.String("role"), c.String("name"), c.StringSlice("host")); err != nil {
						return cli.Exit("twinfed tls cert: "+err.Error(), 2)
					}
					d := c.String("dir")
					ca, caKey, err := readCA(d)
					if err != nil {
						return cli.Exit("twinfed tls cert: "+err.Error(), 1)
					}
					if err := issueCert(d, ca, caKey, c.String("role"), c.String("name"), c.StringSlice("host"), c.Int("days")); err != nil {
						return cli.Exit("twinfed tls cert: "+err.Error(), exitCode(err))
					}
					fmt.Fprintf(c.App.Writer, "%s certificate written to %s\n", c.String("role"), filepath.Join(d, c.String("name")+".pem"))
					return nil
				},
			},
			{
				Name: "ensure",
				Usage: "make the CA of --dir and each named certificate that is missing, keeping those there: " +
					"each certificate goes to its own directory <dir>/<name> with a copy of ca.pem (a one-shot container's job)",
				Flags: []cli.Flag{dir,
					&cli.StringFlag{Name: "name", Value: "Twinfed registry CA", Usage: "the CA's common name, when it is made"},
					&cli.StringSliceFlag{Name: "member", Usage: "a member's certificate and one DNS name or IP address it is valid for: NAME=HOST (repeat, the name too for more hosts)"},
					&cli.StringSliceFlag{Name: "node", Usage: "a national node's certificate: NAME (repeat)"},
					&cli.StringSliceFlag{Name: "admin", Usage: "an operator's certificate: NAME (repeat)"},
					&cli.IntFlag{Name: "ca-days", Value: 3650, Usage: "the CA's validity in days, when it is made"},
					&cli.IntFlag{Name: "days", Value: 365, Usage: "validity in days of the certificates made"}},
				Action: tlsEnsure,
			},
		},
	}
}

// usageError is a mistake in the command line (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

// issueCert issues a certificate of role (member, admin or node) named
// name, valid for hosts (members only), signed by ca, into dir.
func issueCert(dir string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, roleName, name string, hosts []string, days int) error {
	if err := issueCertCheck(roleName, name, hosts); err != nil {
		return err
	}
	role := certRoles[roleName]
	now := time.Now()
	tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: name, OrganizationalUnit: []string{role}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(0, 0, days),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if role == consensus.RoleMember {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return issue(dir, name, tmpl, ca, caKey)
}

// tlsEnsure is `twinfed tls ensure`: the CA when --dir has none, then each
// certificate of --member, --node and --admin that <dir>/<name> does not
// hold yet, or holds unfit (see unfit: expiring within 30 days, another
// CA's, missing a host). Fit files are kept, so that running it at every
// start (compose's certs service) does not rotate them; deleting a
// certificate's directory and running it again renews that one.
func tlsEnsure(c *cli.Context) error {
	fail := func(err error) error { return cli.Exit("twinfed tls ensure: "+err.Error(), exitCode(err)) }
	type want struct {
		role, name string
		hosts      []string
	}
	var wants []want
	seen := map[string]bool{}
	add := func(role, name string, hosts []string) error {
		if seen[name] {
			return usageError{fmt.Sprintf("the name %q is given twice", name)}
		}
		seen[name] = true
		wants = append(wants, want{role, name, hosts})
		return nil
	}
	for _, m := range c.StringSlice("member") {
		name, host, ok := strings.Cut(m, "=")
		if !ok || host == "" {
			return fail(usageError{fmt.Sprintf("--member %q is not NAME=HOST (one host each; repeat the name for more)", m)})
		}
		if i := slices.IndexFunc(wants, func(w want) bool { return w.name == name }); i >= 0 {
			wants[i].hosts = append(wants[i].hosts, host)
			continue
		}
		if err := add("member", name, []string{host}); err != nil {
			return fail(err)
		}
	}
	for _, role := range []string{"node", "admin"} {
		for _, name := range c.StringSlice(role) {
			if err := add(role, name, nil); err != nil {
				return fail(err)
			}
		}
	}
	// Check every name before writing anything.
	for _, w := range wants {
		if w.name == "ca" {
			return fail(usageError{`"ca" is the CA's own name`})
		}
		if err := issueCertCheck(w.role, w.name, w.hosts); err != nil {
			return fail(err)
		}
	}

	d := c.String("dir")
	if _, err := os.Stat(filepath.Join(d, "ca-key.pem")); errors.Is(err, os.ErrNotExist) {
		now := time.Now()
		tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: c.String("name")},
			NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(0, 0, c.Int("ca-days")),
			IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
		if err := issue(d, "ca", tmpl, nil, nil); err != nil {
			return fail(err)
		}
		fmt.Fprintf(c.App.Writer, "CA made in %s\n", filepath.Join(d, "ca.pem"))
	} else if err != nil {
		return fail(err)
	} else {
		fmt.Fprintf(c.App.Writer, "CA kept in %s\n", filepath.Join(d, "ca.pem"))
	}
	ca, caKey, err := readCA(d)
	if err != nil {
		return fail(err)
	}
	caPEM, err := os.ReadFile(filepath.Join(d, "ca.pem"))
	if err != nil {
		return fail(err)
	}
	for _, w := range wants {
		sub := filepath.Join(d, w.name)
		why := unfit(sub, w.name, w.role, w.hosts, ca)
		if why == "" {
			fmt.Fprintf(c.App.Writer, "%s certificate kept in %s\n", w.role, sub)
		} else {
			if err := issueCert(sub, ca, caKey, w.role, w.name, w.hosts, c.Int("days")); err != nil {
				return fail(err)
			}
			fmt.Fprintf(c.App.Writer, "%s certificate made in %s (%s)\n", w.role, sub, why)
		}
		if old, _ := os.ReadFile(filepath.Join(sub, "ca.pem")); !bytes.Equal(old, caPEM) {
			if err := os.WriteFile(filepath.Join(sub, "ca.pem"), caPEM, 0o644); err != nil {
				return fail(err)
			}
		}
	}
	return nil
}

// renewBefore is how long before it expires ensure makes a certificate anew.
const renewBefore = 30 * 24 * time.Hour

// unfit says why the certificate NAME in dir must be made (anew): none
// there, its key not matching, another CA's, another role's, not valid
// for one of hosts, or expiring within renewBefore; "" when it is kept.
func unfit(dir, name, roleName string, hosts []string, ca *x509.Certificate) string {
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem"))
	if errors.Is(err, os.ErrNotExist) {
		return "none there"
	}
	if err != nil {
		return "the one there is unreadable: " + err.Error()
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	switch {
	case err != nil:
		return "the one there is unreadable: " + err.Error()
	case cert.CheckSignatureFrom(ca) != nil:
		return "the one there is not signed by this CA"
	case !slices.Contains(cert.Subject.OrganizationalUnit, certRoles[roleName]):
		return "the one there is not of role " + roleName
	case time.Until(cert.NotAfter) < renewBefore:
		return "the one there expires on " + cert.NotAfter.UTC().Format(time.DateOnly)
	}
	for _, h := range hosts {
		if cert.VerifyHostname(h) != nil {
			return "the one there is not valid for " + h
		}
	}
	return ""
}

// issueCertCheck reports what issueCert would refuse in its arguments.
func issueCertCheck(roleName, name string, hosts []string) error {
	role, ok := certRoles[roleName]
	switch {
	case !ok:
		return usageError{fmt.Sprintf("--role %q is not member, admin or node", roleName)}
	case role == consensus.RoleMember && len(hosts) == 0:
		return usageError{"a member's certificate needs --host for each name or address of its raft_advert and http_advert"}
	case name == "" || name != filepath.Base(name) || name == "." || name == "..":
		return usageError{fmt.Sprintf("--name %q is not a plain file name", name)}
	}
	for _, h := range hosts {
		if h == "" {
			return usageError{fmt.Sprintf("the certificate %q has an empty host", name)}
		}
	}
	return nil
}

// issue makes a P-256 key and a certificate from tmpl signed by ca (self-
// signed when nil), and writes name.pem and name-key.pem (0600) in dir.
func issue(dir, name string, tmpl, ca *x509.Certificate, caKey *ecdsa.PrivateKey) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	if tmpl.SerialNumber, err = rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126)); err != nil {
		return err
	}
	if ca == nil {
		ca, caKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, name+"-key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name+".pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

// readCA reads ca.pem and ca-key.pem of dir.
func readCA(dir string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	cb, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		return nil, nil, fmt.Errorf("%w (make one with `twinfed tls ca --dir %s`)", err, dir)
	}
	kb, err := os.ReadFile(filepath.Join(dir, "ca-key.pem"))
	if err != nil {
		return nil, nil, err
	}
	cblock, _ := pem.Decode(cb)
	kblock, _ := pem.Decode(kb)
	if cblock == nil || kblock == nil {
		return nil, nil, errors.New("ca.pem or ca-key.pem is not PEM")
	}
	ca, err := x509.ParseCertificate(cblock.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("ca.pem: %w", err)
	}
	key, err := x509.ParseECPrivateKey(kblock.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("ca-key.pem: %w", err)
	}
	return ca, key, nil
}
