package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/twinfed/twinfed/config"
	"github.com/urfave/cli/v2"
)

// configCommand checks configuration files and renders templates for
// environments without a shell (the container image has none).
func configCommand() *cli.Command {
	return &cli.Command{
		Name:  "config",
		Usage: "check configuration files, render config templates",
		Subcommands: []*cli.Command{
			{
				Name:      "check",
				Usage:     "load a node or registry config with the real loader and report every problem",
				ArgsUsage: "node|registry FILE",
				Action: func(c *cli.Context) error {
					if c.NArg() != 2 {
						return cli.Exit("usage: twinfed config check node|registry FILE", 2)
					}
					var err error
					switch kind, path := c.Args().Get(0), c.Args().Get(1); kind {
					case "node":
						cfg := config.DefaultNode()
						err = config.Load(path, &cfg)
					case "registry":
						cfg := config.DefaultRegistry()
						err = config.Load(path, &cfg)
					default:
						return cli.Exit(fmt.Sprintf("unknown kind %q: use node or registry", kind), 2)
					}
					if err != nil {
						return cli.Exit(err.Error(), 1)
					}
					fmt.Fprintln(c.App.Writer, "ok:", c.Args().Get(1))
					return nil
				},
			},
			{
				Name:  "render",
				Usage: "copy a config template, replacing NAME=VALUE placeholders (for a StatefulSet's per-pod config)",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "in", Required: true, Usage: "template file"},
					&cli.StringFlag{Name: "out", Required: true, Usage: "file to write"},
					&cli.StringSliceFlag{Name: "replace", Usage: "NAME=VALUE: every NAME in the template becomes VALUE"},
				},
				Action: func(c *cli.Context) error {
					raw, err := os.ReadFile(c.String("in"))
					if err != nil {
						return cli.Exit(err.Error(), 1)
					}
					s := string(raw)
					for _, kv := range c.StringSlice("replace") {
						name, value, ok := strings.Cut(kv, "=")
						if !ok || name == "" {
							return cli.Exit(fmt.Sprintf("--replace %q: want NAME=VALUE", kv), 2)
						}
						s = strings.ReplaceAll(s, name, value)
					}
					if err := os.WriteFile(c.String("out"), []byte(s), 0o640); err != nil {
						return cli.Exit(err.Error(), 1)
					}
					return nil
				},
			},
		},
	}
}
