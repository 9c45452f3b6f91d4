package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/urfave/cli/v2"
)

// readmeCommands returns every `twinfed …` command README.md shows, in
// order: inline code spans (which may wrap over a line) and lines of code
// blocks, with whitespace collapsed.
func readmeCommands(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var inBlock bool
	var prose strings.Builder
	for line := range strings.Lines(string(raw)) {
		if strings.HasPrefix(line, "```") {
			inBlock = !inBlock
			continue
		}
		if inBlock {
			if cmd, ok := strings.CutPrefix(strings.TrimSpace(line), "twinfed "); ok {
				out = append(out, "twinfed "+strings.TrimSpace(strings.SplitN(cmd, "#", 2)[0]))
			}
			continue
		}
		prose.WriteString(line)
	}
	for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(prose.String(), -1) {
		span := strings.Join(strings.Fields(m[1]), " ")
		if strings.HasPrefix(span, "twinfed ") {
			out = append(out, span)
		}
	}
	return out
}

// splitWords splits a command as a shell would: on spaces, keeping
// double-quoted words whole.
func splitWords(s string) []string {
	var words []string
	var w strings.Builder
	quoted, inWord := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, inWord = !quoted, true
		case r == ' ' && !quoted:
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}

// mustParse checks that args parse as the command line of a leaf command
// (of any command for one named in passing),
// with cli's own flag definitions, flags wherever they stand; complete
// commands (not named in passing) must also give every required flag.
func mustParse(t *testing.T, args []string, complete bool) {
	t.Helper()
	app := newApp(io.Discard, io.Discard)
	args = flagsFirst(app, args)
	cmds := app.Commands
	var cmd *cli.Command
	rest := args[1:]
	for len(rest) > 0 {
		c := findCommand(cmds, rest[0])
		if c == nil {
			break
		}
		cmd, cmds, rest = c, c.Subcommands, rest[1:]
	}
	if cmd == nil || complete && len(cmd.Subcommands) > 0 {
		t.Fatalf("%q names no command", strings.Join(args, " "))
	}
	set := flag.NewFlagSet(cmd.Name, flag.ContinueOnError)
	set.SetOutput(io.Discard)
	for _, f := range cmd.Flags {
		if err := f.Apply(set); err != nil {
			t.Fatal(err)
		}
	}
	if err := set.Parse(rest); err != nil {
		t.Fatalf("%q: %v", strings.Join(args, " "), err)
	}
	if !complete {
		return
	}
	given := map[string]bool{}
	set.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, f := range cmd.Flags {
		if r, ok := f.(cli.RequiredFlag); ok && r.IsRequired() && !given[f.Names()[0]] {
			t.Fatalf("%q misses the required flag --%s", strings.Join(args, " "), f.Names()[0])
		}
	}
}

// TestREADME_Commands takes every `twinfed …` command README.md shows, as
// written, and runs it against a real 3-member registry cluster (through a
// follower, with TWINFED_REGISTRY_MEMBERS and TWINFED_ADMIN_TOKEN as the
// README says) when it operates the registry, keys or configs; the README's
// placeholders are filled in (<data_dir>, <old id>, PROJECT-URL, FILE; an
// optional [PROJECT-URL …] is left out). Commands that would start servers
// or change the cluster's membership (demo, registry serve/leave/restore,
// admin) and commands named in passing without their required flags are
// only parsed, with the command's own flag definitions. A command the
// README shows that this test does not know fails it, so that a new one
// gets looked at.
func TestREADME_Commands(t *testing.T) {
	c := consensustest.MustOpenCluster(t, 3)
	c.MustWaitSeeded(t)
	follower := c.URLs[(c.MustLeader(t)+1)%3]
	t.Setenv("TWINFED_REGISTRY_MEMBERS", follower)
	t.Setenv("TWINFED_ADMIN_TOKEN", c.AdminToken)
	dataDir := t.TempDir()

	run := func(t *testing.T, args []string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := runApp(context.Background(), &out, &errOut, args); err != nil {
			t.Fatalf("%q: %v (%s)", strings.Join(args, " "), err, errOut.String())
		}
		return out.String()
	}
	// The node's first start creates <data_dir>/node.key.
	run(t, []string{"twinfed", "key", "generate", "--out", dataDir + "/node.key"})
	// … and its second key beside it (federation/signing: node.key.rsa).
	run(t, []string{"twinfed", "key", "generate", "--algorithm", "rsa", "--out", dataDir + "/node.key.rsa"})
	oldKey, err := readKeyFile(dataDir + "/node.key")
	if err != nil {
		t.Fatal(err)
	}
	fill := strings.NewReplacer("<data_dir>", dataDir, "<old id>", oldKey.ID, "PROJECT-URL", "https://it.example/projects/p1")

	// How each command is checked, by its first words.
	// The node's backup and restore and `twinfed health` talk to a running
	// node: TestNodeMain_EndToEnd and TestHealth_Command run them.
	parseOnly := []string{"twinfed demo", "twinfed admin", "twinfed registry leave", "twinfed registry restore",
		"twinfed node backup", "twinfed node restore", "twinfed health", "twinfed tls"}
	inPassing := map[string]bool{"twinfed labels confirm": true, "twinfed labels prize": true, "twinfed registry restore": true,
		"twinfed admin": true, "twinfed demo": true, "twinfed key show": true}
	runs := []string{"twinfed country ", "twinfed key ", "twinfed registry peers", "twinfed registry snapshot",
		"twinfed labels european", "twinfed labels confirm --", "twinfed labels show", "twinfed labels prizes", "twinfed config check",
		"twinfed i18n missing"}

	cmds := readmeCommands(t)
	if len(cmds) < 15 {
		t.Fatalf("found only %d twinfed commands in README.md: %q", len(cmds), cmds)
	}
	ran := 0
	for _, line := range cmds {
		line = strings.TrimSpace(regexp.MustCompile(`\[[^\]]*\]`).ReplaceAllString(line, "")) // optional parts
		t.Run(line, func(t *testing.T) {
			switch {
			case hasAnyPrefix(parseOnly, line) || inPassing[line]:
				mustParse(t, splitWords(line), !inPassing[line])
			case strings.HasPrefix(line, "twinfed config check node FILE"):
				args := splitWords(strings.Replace(line, "node FILE", "node ../../deploy/node.example.toml", 1))
				mustParse(t, args, true)
				run(t, args)
				ran++
			case strings.HasPrefix(line, "twinfed config check node|registry FILE"):
				for _, kind := range []string{"node", "registry"} {
					args := splitWords(strings.Replace(line, "node|registry FILE", kind+" ../../deploy/"+kind+".example.toml", 1))
					mustParse(t, args, true)
					run(t, args)
				}
				ran++
			case hasAnyPrefix(runs, line):
				args := splitWords(fill.Replace(line))
				mustParse(t, args, true)
				run(t, args)
				ran++
			default:
				t.Fatalf("README shows %q: say in this test how to check it", line)
			}
		})
	}
	if ran < 10 {
		t.Fatalf("only %d README commands ran", ran)
	}
	// The onboarding and the rotation, as the README's commands did them.
	co, err := c.AdminClient(t).ConsistentCountry(context.Background(), "IT")
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := readKeyFile(dataDir + "/node.key.rsa")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, k := range co.Keys {
		ids[k.ID] = true
	}
	if co.NodeURL != "https://it.example" || co.Agency != "…" || len(co.Keys) != 2 || ids[oldKey.ID] || !ids[rsaKey.ID] {
		t.Fatalf("after the README's commands IT is %+v; want the node https://it.example, its RSA key and the new key, not the old one", co)
	}
}

func hasAnyPrefix(prefixes []string, s string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
