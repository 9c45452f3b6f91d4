package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus"
	"github.com/twinfed/twinfed/federation/signing"
	"github.com/urfave/cli/v2"
)

// keyCommand manages a node's signing key files.
func keyCommand() *cli.Command {
	return &cli.Command{
		Name:  "key",
		Usage: "make and show node signing keys (for onboarding a node and rotating its key)",
		Subcommands: []*cli.Command{
			{
				Name:  "generate",
				Usage: "create a new key pair file (it refuses to overwrite one)",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "out", Required: true, Usage: "key file to create, e.g. <data_dir>/node.key.next"},
					&cli.StringFlag{Name: "algorithm", Value: twinfed.KeyEd25519, Usage: "ed25519 or rsa"},
				},
				Action: func(c *cli.Context) error {
					if _, err := os.Stat(c.String("out")); err == nil {
						return cli.Exit(c.String("out")+" exists; choose another file", 1)
					}
					k, err := signing.LoadOrCreateKey(c.String("out"), c.String("algorithm"))
					if err != nil {
						return cli.Exit(err.Error(), 1)
					}
					return printJSON(c, k.NodeKey())
				},
			},
			{
				Name:      "show",
				Usage:     "print the public half of a key file as the registry records it",
				ArgsUsage: "KEYFILE",
				Action: func(c *cli.Context) error {
					k, err := readKeyFile(c.Args().First())
					if err != nil {
						return cli.Exit(err.Error(), 1)
					}
					return printJSON(c, k.NodeKey())
				},
			},
		},
	}
}

func readKeyFile(path string) (*signing.Key, error) {
	if path == "" {
		return nil, fmt.Errorf("name the key file, e.g. <data_dir>/node.key")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return signing.ParsePrivatePEM(raw)
}

func printJSON(c *cli.Context, v any) error {
	enc := json.NewEncoder(c.App.Writer)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// countryCommand lets CSS operators record a country's node and keys in the
// registry. Every change is one registry command applied to the record as
// the registry holds it (no read-modify-write here), so operators working
// at once on any members never undo each other's changes.
func countryCommand() *cli.Command {
	// change runs fn against the registry for the country the first
	// argument names and prints the record it returns.
	change := func(c *cli.Context, fn func(ctx context.Context, cl *consensus.Client, code string) (*twinfed.Country, error)) error {
		code := c.Args().First()
		if code == "" {
			return cli.Exit("name the country, e.g. IT", 2)
		}
		if c.Args().Len() > 1 {
			return cli.Exit(fmt.Sprintf("one country code only; %q is left over (flags go before or after the code)", c.Args().Get(1)), 2)
		}
		return withRegistry(c, func(ctx context.Context, cl *consensus.Client) error {
			co, err := fn(ctx, cl, code)
			if err != nil {
				return err
			}
			return printJSON(c, co)
		})
	}
	return &cli.Command{
		Name:  "country",
		Usage: "show a country's registry record; record its node, agency and keys (CSS operators)",
		Subcommands: []*cli.Command{
			{
				Name: "show", Usage: "print a country's record (a consistent read: every acknowledged change is in it)", ArgsUsage: "CODE",
				Flags: registryClientFlags(),
				Action: func(c *cli.Context) error {
					return change(c, func(ctx context.Context, cl *consensus.Client, code string) (*twinfed.Country, error) {
						return cl.ConsistentCountry(ctx, code)
					})
				},
			},
			{
				Name: "set-node", Usage: "record the country's node URL and agency name (its keys stay)", ArgsUsage: "CODE",
				Flags: registryClientFlags(
					&cli.StringFlag{Name: "url", Required: true, Usage: "the node's base URL"},
					&cli.StringFlag{Name: "agency", Usage: "the national agency's name"}),
				Action: func(c *cli.Context) error {
					return change(c, func(ctx context.Context, cl *consensus.Client, code string) (*twinfed.Country, error) {
						return cl.SetCountryNode(ctx, code, c.String("url"), c.String("agency"))
					})
				},
			},
			{
				Name:      "add-key",
				Usage:     "add a public key to the keys allowed to sign for the node",
				ArgsUsage: "CODE",
				Description: "--key names a file holding the node's public key: PEM (SubjectPublicKeyInfo, \"BEGIN PUBLIC KEY\"), " +
					"a JWK (Ed25519 OKP or RSA), or what `twinfed key show` prints; the node's private key file also works " +
					"(only its public half is sent). Every key of the file is added. The key id comes from the file " +
					"(the PEM's Key-Id header, the JWK's kid) or --key-id, else from the key's SHA-256 fingerprint.",
				Flags: registryClientFlags(
					&cli.StringFlag{Name: "key", Required: true, Usage: "public key file (PEM, JWK or `twinfed key show` JSON), or the node's key file"},
					&cli.StringFlag{Name: "key-id", Usage: "the key's id in the registry, when the file names none"}),
				Action: func(c *cli.Context) error {
					raw, err := os.ReadFile(c.String("key"))
					if err != nil {
						return cli.Exit(err.Error(), 1)
					}
					keys, err := parsePublicKeys(raw, c.String("key-id"))
					if err != nil {
						return cli.Exit(fmt.Sprintf("%s: %v", c.String("key"), err), 1)
					}
					return change(c, func(ctx context.Context, cl *consensus.Client, code string) (co *twinfed.Country, err error) {
						for _, k := range keys {
							if co, err = cl.AddCountryKey(ctx, code, k); err != nil {
								return nil, err
							}
						}
						return co, nil
					})
				},
			},
			{
				Name: "remove-key", Usage: "stop accepting a key for the node (after a rotation, or at once when it is compromised)", ArgsUsage: "CODE",
				Flags: registryClientFlags(&cli.StringFlag{Name: "key-id", Required: true}),
				Action: func(c *cli.Context) error {
					return change(c, func(ctx context.Context, cl *consensus.Client, code string) (*twinfed.Country, error) {
						return cl.RemoveCountryKey(ctx, code, c.String("key-id"))
					})
				},
			},
			{
				Name: "deactivate", Usage: "mark a country as having left the programme (its history stays)", ArgsUsage: "CODE",
				Flags: registryClientFlags(),
				Action: func(c *cli.Context) error {
					return change(c, func(ctx context.Context, cl *consensus.Client, code string) (*twinfed.Country, error) {
						return cl.SetCountryActive(ctx, code, false)
					})
				},
			},
		},
	}
}
