package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/store"
	"github.com/urfave/cli/v2"
)

// nodeBackupCommands are `twinfed node backup` (online, over the node's
// API, while it serves) and `twinfed node restore` (offline, into a new
// data directory).
func nodeBackupCommands() []*cli.Command {
	return []*cli.Command{{
		Name:  "backup",
		Usage: "download a backup of a running node (its store as of one moment, and its keys) to a file",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "node", EnvVars: []string{"TWINFED_NODE_URL"}, Value: "http://127.0.0.1:8080", Usage: "base URL of the node"},
			&cli.StringFlag{Name: "token", EnvVars: []string{"TWINFED_ADMIN_TOKEN"}, Usage: "the agency's API token ([agency] api_token)"},
			&cli.StringFlag{Name: "out", Required: true, Usage: "file to write (a zip); written whole or not at all"},
		},
		Action: func(c *cli.Context) error {
			n, err := downloadBackup(c.String("node"), c.String("token"), c.String("out"))
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "backup of %s written to %s (%d bytes)\n", c.String("node"), c.String("out"), n)
			return nil
		},
	}, {
		Name:      "restore",
		Usage:     "restore a backup into a new data directory; then start the node on it",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "from", Required: true, Usage: "the backup file (twinfed node backup)"},
			&cli.StringFlag{Name: "data-dir", Required: true, Usage: "the new data directory (absent or empty)"},
		},
		Action: func(c *cli.Context) error {
			m, err := store.RestoreArchive(c.String("from"), c.String("data-dir"), store.Options{Migrations: node.Migrations()})
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "restored the %s node's backup of %s (store format %d) into %s\n", m.Country, m.Created.Format("2006-01-02 15:04:05 MST"), m.Format, c.String("data-dir"))
			if m.BlobsElsewhere != "" {
				fmt.Fprintf(c.App.Writer, "the TwinSpaces' files are not in this backup: they are in %s; configure [materials] backend = \"s3\" with that bucket\n", m.BlobsElsewhere)
			}
			return nil
		},
	}}
}

// downloadBackup fetches the node's backup into out through a temporary
// file in the same directory, renamed once complete and synced: a cut
// connection never leaves a file that looks like a backup.
func downloadBackup(base, token, out string) (int64, error) {
	if token == "" {
		return 0, errors.New("give the agency's API token with --token or TWINFED_ADMIN_TOKEN")
	}
	req, err := http.NewRequest(http.MethodGet, strings.TrimRight(base, "/")+"/api/v1/agency/backup", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return 0, fmt.Errorf("backup: the node answered %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".twinfed-backup-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, resp.Body)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("backup: the download was cut (%d bytes): %w", n, err)
	}
	return n, os.Rename(tmp.Name(), out)
}
