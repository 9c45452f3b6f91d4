package main

import "github.com/urfave/cli/v2"

func nodeCommand() *cli.Command {
	return &cli.Command{
		Name:  "node",
		Usage: "not built yet",
		Action: func(c *cli.Context) error {
			return cli.Exit("twinfed node: not built yet", 2)
		},
	}
}
