package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
	"github.com/urfave/cli/v2"
)

// i18nCommand is the translators' tool: what each language's catalogue
// lacks or still has after English changed.
func i18nCommand() *cli.Command {
	return &cli.Command{
		Name:  "i18n",
		Usage: "the UI's message catalogues: what each language lacks",
		Subcommands: []*cli.Command{
			{
				Name: "missing",
				Usage: "list, per language, the messages missing, stale (gone from English), left in English, " +
					"with placeholders or plural forms wrong; exit status 1 when a catalogue has a problem",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "lang", Usage: "only this language (a language without a catalogue lists every message to translate)"},
					&cli.StringFlag{Name: "dir", Usage: "read the catalogues of this directory (e.g. node/web/locales) instead of those built into the binary"},
				},
				Action: func(c *cli.Context) error {
					lang := c.String("lang")
					if lang != "" && !twinfed.IsUILanguage(lang) {
						return cli.Exit(fmt.Sprintf("%q is not a UI language; use one of %s", lang, strings.Join(twinfed.UILanguageCodes(), ", ")), 2)
					}
					var cat *web.Catalog
					var err error
					if dir := c.String("dir"); dir != "" {
						cat, err = web.LoadCatalog(os.DirFS(dir), nil)
					} else {
						cat, err = web.NewCatalog(nil)
					}
					if err != nil {
						return cli.Exit(err.Error(), 1)
					}
					if n := reportMissing(c.App.Writer, cat, lang); n > 0 {
						return cli.Exit(fmt.Sprintf("%d problem(s)", n), 1)
					}
					return nil
				},
			},
		},
	}
}

// reportMissing writes the catalogues' state, one language (or all when
// lang is empty), and returns the number of problems in the catalogues
// that exist.
func reportMissing(w io.Writer, cat *web.Catalog, lang string) int {
	problems := 0
	for _, st := range cat.Audit() {
		if lang != "" && st.Lang != lang || st.Lang == "en" {
			continue
		}
		if !st.Exists {
			fmt.Fprintf(w, "%s: no catalogue yet (active.%s.toml): %d messages to translate\n", st.Lang, st.Lang, st.Messages)
			if lang != "" {
				for _, id := range cat.MessageIDs() {
					fmt.Fprintf(w, "  missing %q: English %q\n", id, cat.Source(id))
				}
			}
			continue
		}
		fmt.Fprintf(w, "%s: %d%% (%d of %d messages translated), %d problem(s)\n", st.Lang, st.Percent(), st.Translated, st.Messages, len(st.Problems))
		for _, p := range st.Problems {
			line := "  " + p.Kind + " " + fmt.Sprintf("%q", p.ID)
			if p.Detail != "" {
				line += ": " + p.Detail
			}
			if p.Kind == web.ProblemMissing {
				line += fmt.Sprintf(": English %q", cat.Source(p.ID))
			}
			fmt.Fprintln(w, line)
		}
		problems += len(st.Problems)
	}
	return problems
}
