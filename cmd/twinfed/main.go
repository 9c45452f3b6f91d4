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
	"slices"
	"strings"
	"syscall"

	"github.com/twinfed/twinfed/config"
	"github.com/urfave/cli/v2"
)

// version is stamped by the Makefile with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runApp(ctx, os.Stdout, os.Stderr, os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "twinfed:", err)
		code := 1
		var ec cli.ExitCoder
		if errors.As(err, &ec) && ec.ExitCode() != 0 {
			code = ec.ExitCode()
		}
		os.Exit(code)
	}
}

// runApp runs the command line args (args[0] the program's name) with
// flags read wherever they stand, before or after the arguments: urfave/cli
// v2 stops reading flags at the first argument, so `twinfed country
// set-node IT --url …` would otherwise lose its --url.
func runApp(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	app := newApp(stdout, stderr)
	return app.RunContext(ctx, flagsFirst(app, args))
}

// flagsFirst returns args with the flags of the command they run (and
// their values) moved before that command's arguments, as urfave/cli v2
// wants them. Everything after "--" stays an argument. Args it cannot
// follow (an unknown command, help) come back unchanged.
func flagsFirst(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	out := []string{args[0]}
	flags, cmds := app.Flags, app.Commands
	rest := args[1:]
	for {
		lead, next := leadingFlags(flags, rest)
		if len(next) == 0 {
			return args
		}
		cmd := findCommand(cmds, next[0])
		if cmd == nil {
			return args
		}
		out = append(append(out, lead...), next[0])
		rest, flags, cmds = next[1:], cmd.Flags, cmd.Subcommands
		if len(cmds) > 0 {
			continue
		}
		var fl, pos []string
		for i := 0; i < len(rest); i++ {
			a := rest[i]
			if a == "--" {
				pos = append(pos, rest[i:]...)
				break
			}
			if !isFlag(a) {
				pos = append(pos, a)
				continue
			}
			fl = append(fl, a)
			if takesValue(flags, a) && i+1 < len(rest) {
				i++
				fl = append(fl, rest[i])
			}
		}
		return append(append(out, fl...), pos...)
	}
}

// leadingFlags splits the flags (with their values) at the head of args
// from what follows them.
func leadingFlags(flags []cli.Flag, args []string) (lead, rest []string) {
	i := 0
	for i < len(args) && isFlag(args[i]) {
		if takesValue(flags, args[i]) && i+1 < len(args) {
			i++
		}
		i++
	}
	return args[:i], args[i:]
}

func isFlag(a string) bool { return len(a) > 1 && a[0] == '-' && a != "--" }

// takesValue reports whether the flag a (as written: -n, --name, never
// --name=value) is one of flags and is followed by its value.
func takesValue(flags []cli.Flag, a string) bool {
	if strings.Contains(a, "=") {
		return false
	}
	name := strings.TrimLeft(a, "-")
	for _, f := range flags {
		if slices.Contains(f.Names(), name) {
			v, ok := f.(interface{ TakesValue() bool })
			return ok && v.TakesValue()
		}
	}
	return false
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.Name == name || slices.Contains(c.Aliases, name) {
			return c
		}
	}
	return nil
}

// newApp builds the command tree; tests run it in process (runApp).
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
			tlsCommand(),
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
