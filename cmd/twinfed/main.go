// Command twinfed is Twinfed's one binary: a registry member, a national
// node, the agency's admin tools and a whole demo federation, chosen by
// subcommand. It only wires the adapters together (see the root package doc).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/twinfed/twinfed/config"
	"github.com/urfave/cli/v2"
)

// version is stamped by the Makefile with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newApp(os.Stdout, os.Stderr).RunContext(ctx, os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "twinfed:", err)
		code := 1
		var ec cli.ExitCoder
		if errors.As(err, &ec) && ec.ExitCode() != 0 {
			code = ec.ExitCode()
		}
		os.Exit(code)
	}
}

// newApp builds the command tree; tests run it in process.
func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:      "twinfed",
		Usage:     "a federated eTwinning platform: national nodes, the registry cluster, the demo",
		Version:   version,
		Writer:    stdout,
		ErrWriter: stderr,
		// Errors, cli.Exit's included, come back to main, which alone
		// exits: the app runs in-process in tests.
		ExitErrHandler: func(*cli.Context, error) {},
		Commands: []*cli.Command{
			versionCommand(),
			registryCommand(),
			nodeCommand(),
			adminCommand(),
			demoCommand(),
			configCommand(),
			keyCommand(),
			countryCommand(),
			labelsCommand(),
			healthCommand(),
			i18nCommand(),
		},
	}
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version",
		Action: func(c *cli.Context) error {
			fmt.Fprintln(c.App.Writer, "twinfed", version)
			return nil
		},
	}
}

// newLogger builds the process logger from its configuration.
func newLogger(w io.Writer, c config.Log) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
