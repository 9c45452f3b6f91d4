package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"

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
// registry.
func countryCommand() *cli.Command {
	// withCountry loads the country, lets fn change it, and writes it back.
	withCountry := func(c *cli.Context, fn func(co *twinfed.Country) error) error {
		code := c.Args().First()
		if code == "" {
			return cli.Exit("name the country, e.g. IT", 2)
		}
		return withRegistry(c, func(ctx context.Context, cl *consensus.Client) error {
			co, err := cl.Country(ctx, code)
			if err != nil {
				return err
			}
			if fn != nil {
				if err := fn(co); err != nil {
					return cli.Exit(err.Error(), 2)
				}
				if err := cl.PutCountry(ctx, *co); err != nil {
					return err
				}
			}
			return printJSON(c, co)
		})
	}
	return &cli.Command{
		Name:  "country",
		Usage: "show a country's registry record; record its node, agency and keys (CSS operators)",
		Subcommands: []*cli.Command{
			{
				Name: "show", Usage: "print a country's record", ArgsUsage: "CODE",
				Flags:  registryClientFlags(),
				Action: func(c *cli.Context) error { return withCountry(c, nil) },
			},
			{
				Name: "set-node", Usage: "record the country's node URL and agency name", ArgsUsage: "CODE",
				Flags: registryClientFlags(
					&cli.StringFlag{Name: "url", Required: true, Usage: "the node's base URL"},
					&cli.StringFlag{Name: "agency", Usage: "the national agency's name"}),
				Action: func(c *cli.Context) error {
					return withCountry(c, func(co *twinfed.Country) error {
						co.NodeURL, co.Active = c.String("url"), true
						if a := c.String("agency"); a != "" {
							co.Agency = a
						}
						return nil
					})
				},
			},
			{
				Name: "add-key", Usage: "add the public half of a key file to the keys allowed to sign for the node", ArgsUsage: "CODE",
				Flags: registryClientFlags(&cli.StringFlag{Name: "key", Required: true, Usage: "the node's key file (node.key or node.key.next)"}),
				Action: func(c *cli.Context) error {
					k, err := readKeyFile(c.String("key"))
					if err != nil {
						return cli.Exit(err.Error(), 1)
					}
					return withCountry(c, func(co *twinfed.Country) error {
						if slices.ContainsFunc(co.Keys, func(x twinfed.NodeKey) bool { return x.ID == k.ID }) {
							return fmt.Errorf("the registry already lists key %s for %s", k.ID, co.Code)
						}
						co.Keys = append(co.Keys, k.NodeKey())
						return nil
					})
				},
			},
			{
				Name: "remove-key", Usage: "stop accepting a key for the node (after a rotation)", ArgsUsage: "CODE",
				Flags: registryClientFlags(&cli.StringFlag{Name: "key-id", Required: true}),
				Action: func(c *cli.Context) error {
					return withCountry(c, func(co *twinfed.Country) error {
						n := len(co.Keys)
						co.Keys = slices.DeleteFunc(co.Keys, func(x twinfed.NodeKey) bool { return x.ID == c.String("key-id") })
						if len(co.Keys) == n {
							return fmt.Errorf("%s has no key %s", co.Code, c.String("key-id"))
						}
						return nil
					})
				},
			},
			{
				Name: "deactivate", Usage: "mark a country as having left the programme (its history stays)", ArgsUsage: "CODE",
				Flags: registryClientFlags(),
				Action: func(c *cli.Context) error {
					return withCountry(c, func(co *twinfed.Country) error { co.Active = false; return nil })
				},
			},
		},
	}
}
