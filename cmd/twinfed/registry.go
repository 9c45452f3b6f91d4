package main

import "github.com/urfave/cli/v2"

func registryCommand() *cli.Command {
	return &cli.Command{
		Name:  "registry",
		Usage: "not built yet",
		Action: func(c *cli.Context) error {
			return cli.Exit("twinfed registry: not built yet", 2)
		},
	}
}
