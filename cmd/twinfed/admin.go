package main

import "github.com/urfave/cli/v2"

func adminCommand() *cli.Command {
	return &cli.Command{
		Name:  "admin",
		Usage: "not built yet",
		Action: func(c *cli.Context) error {
			return cli.Exit("twinfed admin: not built yet", 2)
		},
	}
}
