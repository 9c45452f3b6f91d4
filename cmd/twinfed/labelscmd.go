package main

import (
	"context"

	"github.com/urfave/cli/v2"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus"
)

// labelsCommand lets CSS operators read a project's labels, list and
// confirm the year's European Quality Labels, and record the European
// prizes' entries and results. National Quality Labels are recorded by the
// agencies, from their node's backoffice.
func labelsCommand() *cli.Command {
	// withClient calls fn with a registry client and prints its answer.
	withClient := func(c *cli.Context, fn func(ctx context.Context, cl *consensus.Client) (any, error)) error {
		return withRegistry(c, func(ctx context.Context, cl *consensus.Client) error {
			out, err := fn(ctx, cl)
			if err != nil {
				return err
			}
			return printJSON(c, out)
		})
	}
	year := &cli.StringFlag{Name: "school-year", Required: true, Usage: "the school year, such as 2025-2026"}
	return &cli.Command{
		Name:  "labels",
		Usage: "European Quality Labels and prizes (CSS operators)",
		Subcommands: []*cli.Command{
			{
				Name: "show", Usage: "print a project's national and European labels", ArgsUsage: "PROJECT-URL",
				Flags: registryClientFlags(),
				Action: func(c *cli.Context) error {
					if c.Args().First() == "" {
						return cli.Exit("name the project by its URL", 2)
					}
					return withClient(c, func(ctx context.Context, cl *consensus.Client) (any, error) {
						n, e, err := cl.ProjectLabels(ctx, c.Args().First())
						return consensus.ProjectLabels{National: n, European: e}, err
					})
				},
			},
			{
				Name: "european", Usage: "list a school year's European Quality Labels, eligible and awarded",
				Flags: registryClientFlags(year),
				Action: func(c *cli.Context) error {
					return withClient(c, func(ctx context.Context, cl *consensus.Client) (any, error) {
						return cl.EuropeanLabels(ctx, c.String("school-year"))
					})
				},
			},
			{
				Name:      "confirm",
				Usage:     "award the school year's European Quality Labels to the projects named, or to every eligible one",
				ArgsUsage: "[PROJECT-URL ...]",
				Flags:     registryClientFlags(year),
				Action: func(c *cli.Context) error {
					return withClient(c, func(ctx context.Context, cl *consensus.Client) (any, error) {
						n, err := cl.ConfirmEuropeanLabels(ctx, c.String("school-year"), c.Args().Slice()...)
						return map[string]int{"awarded": n}, err
					})
				},
			},
			{
				Name: "prize", Usage: "record a project's entry for a European prize, or its result",
				Flags: registryClientFlags(
					&cli.IntFlag{Name: "year", Required: true, Usage: "the prize year, such as 2026"},
					&cli.StringFlag{Name: "category", Required: true, Usage: "early_childhood, 7-11, 12-15, 16-19 or vocational"},
					&cli.StringFlag{Name: "project", Required: true, Usage: "the project's URL"},
					&cli.StringFlag{Name: "country", Required: true, Usage: "the entering partner's country, such as IT"},
					&cli.StringFlag{Name: "result", Usage: "empty for an entry; winner, runner_up or not_awarded"}),
				Action: func(c *cli.Context) error {
					p := twinfed.PrizeEntry{Year: c.Int("year"), Category: c.String("category"), ProjectID: c.String("project"),
						Country: c.String("country"), Result: c.String("result")}
					return withClient(c, func(ctx context.Context, cl *consensus.Client) (any, error) { return p, cl.PutPrize(ctx, p) })
				},
			},
			{
				Name: "prizes", Usage: "list a year's European prize entries and results",
				Flags: registryClientFlags(&cli.IntFlag{Name: "year", Usage: "the prize year; every year when absent"}),
				Action: func(c *cli.Context) error {
					return withClient(c, func(ctx context.Context, cl *consensus.Client) (any, error) { return cl.Prizes(ctx, c.Int("year")) })
				},
			},
		},
	}
}
