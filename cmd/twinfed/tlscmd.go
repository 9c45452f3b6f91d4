package main

// `twinfed tls`: makes the registry cluster's CA and the certificates of
// its members, operators and nodes (docs/operations.md, "Mutual TLS").

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
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
					role, ok := certRoles[c.String("role")]
					if !ok {
						return cli.Exit(fmt.Sprintf("twinfed tls cert: --role %q is not member, admin or node", c.String("role")), 2)
					}
					if role == consensus.RoleMember && len(c.StringSlice("host")) == 0 {
						return cli.Exit("twinfed tls cert: a member's certificate needs --host for each name or address of its raft_advert and http_advert", 2)
					}
					d := c.String("dir")
					ca, caKey, err := readCA(d)
					if err != nil {
						return cli.Exit("twinfed tls cert: "+err.Error(), 1)
					}
					now := time.Now()
					tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: c.String("name"), OrganizationalUnit: []string{role}},
						NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(0, 0, c.Int("days")),
						KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
					if role == consensus.RoleMember {
						tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
					}
					for _, h := range c.StringSlice("host") {
						if ip := net.ParseIP(h); ip != nil {
							tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
						} else {
							tmpl.DNSNames = append(tmpl.DNSNames, h)
						}
					}
					if err := issue(d, c.String("name"), tmpl, ca, caKey); err != nil {
						return cli.Exit("twinfed tls cert: "+err.Error(), 1)
					}
					fmt.Fprintf(c.App.Writer, "%s certificate written to %s\n", c.String("role"), filepath.Join(d, c.String("name")+".pem"))
					return nil
				},
			},
		},
	}
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
