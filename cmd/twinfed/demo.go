package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus"
	"github.com/urfave/cli/v2"
)

// The demo's port layout, from --base-port (default 7400):
//
//	registry members: HTTP base+1..3, Raft base+11..13, /metrics base+41..43
//	national nodes:   IT base+21, FR base+22, ES base+23, /metrics base+31..33
const (
	demoDefaultBasePort = 7400
	demoRegistryMembers = 3
)

func demoCommand() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "start a whole federation on this machine: 3 registry members and the IT, FR and ES nodes, seeded",
		Description: "Everything runs in this one process on loopback. Data lives under --data and survives a restart " +
			"(a second run resumes); --reset starts over. URLs and logins are printed and written to demo.json in the data directory.",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "base-port", Value: demoDefaultBasePort, Usage: "first port of the demo's range (it uses base+1 to base+43)"},
			&cli.StringFlag{Name: "data", Value: "demo-data", Usage: "directory for every process's data"},
			&cli.BoolFlag{Name: "reset", Usage: "delete the data directory first and seed anew"},
		},
		Action: func(c *cli.Context) error {
			d := &demoMain{
				BasePort: c.Int("base-port"),
				DataDir:  c.String("data"),
				Reset:    c.Bool("reset"),
				Out:      c.App.Writer,
			}
			if err := d.Run(c.Context); err != nil {
				d.Close()
				return err
			}
			fmt.Fprintln(d.Out, "\nThe federation is running. Press Ctrl-C to stop it.")
			<-c.Context.Done()
			fmt.Fprintln(d.Out, "Stopping…")
			return d.Close()
		},
	}
}

// demoMain runs a whole federation in one process. Tests use it the same way
// the command does: Run, use the URLs in Info, Close.
type demoMain struct {
	BasePort int
	DataDir  string
	Reset    bool
	Out      io.Writer // progress and the summary; io.Discard when nil

	Info demoInfo // filled by Run

	logFile *os.File
	logger  *slog.Logger
	members []*consensus.Member
	closers []func() error       // in start order; Close runs them in reverse
	nodes   map[string]*nodeMain // by country code, once started
	outMu   sync.Mutex           // the nodes start side by side and report progress
}

// demoInfo is what demo.json holds: every process, its URL and its logins.
type demoInfo struct {
	AdminToken string        `json:"admin_token"`
	Processes  []demoProcess `json:"processes"`
}

type demoProcess struct {
	Process    string `json:"process"` // e.g. "registry r1", "node IT"
	Role       string `json:"role"`    // registry, agency officer, teacher
	Country    string `json:"country,omitempty"`
	URL        string `json:"url"`
	Username   string `json:"username,omitempty"`
	Password   string `json:"password,omitempty"`
	AdminToken string `json:"admin_token,omitempty"`
}

func (d *demoMain) progress(format string, args ...any) {
	d.outMu.Lock()
	defer d.outMu.Unlock()
	if d.Out != nil {
		fmt.Fprintf(d.Out, format+"\n", args...)
	}
}

func (d *demoMain) registryHTTP(i int) string {
	return fmt.Sprintf("127.0.0.1:%d", d.BasePort+1+i)
}

func (d *demoMain) registryURLs() []string {
	urls := make([]string, demoRegistryMembers)
	for i := range urls {
		urls[i] = "http://" + d.registryHTTP(i)
	}
	return urls
}

// Run starts the registry members and the nodes, seeds what is missing and
// writes demo.json. It returns once everything answers.
func (d *demoMain) Run(ctx context.Context) error {
	start := time.Now()
	if d.Out == nil {
		d.Out = io.Discard
	}
	if d.Reset {
		d.progress("Deleting %s (--reset)…", d.DataDir)
		if err := os.RemoveAll(d.DataDir); err != nil {
			return fmt.Errorf("reset: %w", err)
		}
	}
	if err := os.MkdirAll(d.DataDir, 0o750); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	var err error
	d.logFile, err = os.OpenFile(filepath.Join(d.DataDir, "demo.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	d.logger = slog.New(slog.NewTextHandler(d.logFile, &slog.HandlerOptions{Level: slog.LevelInfo}))
	d.progress("Logs go to %s", d.logFile.Name())

	token, err := d.adminToken()
	if err != nil {
		return err
	}
	d.Info.AdminToken = token

	if err := d.startRegistry(ctx, token); err != nil {
		return err
	}
	if err := d.seedRegistry(ctx, token); err != nil {
		return err
	}
	if err := d.startNodes(ctx, token); err != nil {
		return err
	}
	if err := d.seedTwinSpace(ctx); err != nil {
		return fmt.Errorf("the demo project's TwinSpace: %w", err)
	}
	if err := d.seedEvents(ctx); err != nil {
		return fmt.Errorf("the demo's events: %w", err)
	}
	if err := d.seedWall(ctx); err != nil {
		return fmt.Errorf("the demo's wall posts: %w", err)
	}
	if err := d.writeInfo(); err != nil {
		return err
	}
	d.printSummary(time.Since(start))
	return nil
}

// adminToken returns the CSS admin token of this demo, made at the first run
// and kept in the data directory.
func (d *demoMain) adminToken() (string, error) {
	path := filepath.Join(d.DataDir, "admin-token")
	if raw, err := os.ReadFile(path); err == nil && len(raw) > 0 {
		return string(raw), nil
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := hex.EncodeToString(b)
	if err := os.WriteFile(path, []byte(token), 0o600); err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	return token, nil
}

func (d *demoMain) startRegistry(ctx context.Context, token string) error {
	peers := make([]consensus.Peer, demoRegistryMembers)
	for i := range peers {
		peers[i] = consensus.Peer{
			ID:       fmt.Sprintf("r%d", i+1),
			RaftAddr: fmt.Sprintf("127.0.0.1:%d", d.BasePort+11+i),
			HTTPURL:  "http://" + d.registryHTTP(i),
		}
	}
	for i, p := range peers {
		d.progress("Starting registry member %s on %s (Raft %s)…", p.ID, p.HTTPURL, p.RaftAddr)
		reg := prometheus.NewRegistry()
		ms, err := serveMetrics(fmt.Sprintf("127.0.0.1:%d", d.BasePort+41+i), reg)
		if err != nil {
			return fmt.Errorf("registry member %s: %w", p.ID, err)
		}
		d.closers = append(d.closers, ms.Close)
		m, err := consensus.Open(ctx, consensus.Config{
			NodeID:     p.ID,
			DataDir:    filepath.Join(d.DataDir, "registry", p.ID),
			RaftAddr:   p.RaftAddr,
			HTTPAddr:   d.registryHTTP(i),
			Bootstrap:  true, // only acts on an empty data directory
			Peers:      peers,
			AdminToken: token,
			Raft:       consensus.DefaultRaftTuning(),
			Logger:     d.logger.With("process", "registry "+p.ID),
			Metrics:    reg,

			MetricsElsewhere: true,
		})
		if err != nil {
			return fmt.Errorf("registry member %s: %w", p.ID, err)
		}
		d.members = append(d.members, m)
		d.closers = append(d.closers, m.Close)
		d.Info.Processes = append(d.Info.Processes, demoProcess{
			Process: "registry " + p.ID, Role: "registry member", URL: p.HTTPURL, AdminToken: token,
		})
	}
	return nil
}

// seedRegistry waits for the countries, then records each demo node and
// imports its schools when they are not there yet.
func (d *demoMain) seedRegistry(ctx context.Context, token string) error {
	cl, err := consensus.OpenClient(ctx, consensus.ClientConfig{
		Members: d.registryURLs(), AdminToken: token, Logger: d.logger,
	})
	if err != nil {
		return fmt.Errorf("registry client: %w", err)
	}
	defer cl.Close()

	d.progress("Waiting for the registry to elect a leader and seed the 46 countries…")
	if err := waitFor(ctx, 30*time.Second, func() error {
		list, err := cl.Countries(ctx)
		if err == nil && len(list) < len(twinfed.SeedCountries()) {
			err = fmt.Errorf("%d countries so far", len(list))
		}
		return err
	}); err != nil {
		return fmt.Errorf("the registry did not come up: %w", err)
	}
	for _, dc := range demoCountries {
		// A write that timed out during an election may have been applied:
		// each try first counts what is there, and a duplicate national
		// number can only be this demo's own earlier import.
		err := retryUnavailable(ctx, func() error {
			_, total, err := cl.FindSchools(ctx, twinfed.SchoolFilter{Country: dc.Code, Limit: 1})
			if err != nil || total >= demoSchoolsPerCountry {
				return err
			}
			d.progress("Importing %d schools for %s…", demoSchoolsPerCountry, dc.Code)
			_, err = cl.ImportSchools(ctx, demoSchools(dc))
			if twinfed.ErrorCode(err) == twinfed.ECONFLICT {
				return nil
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("import schools of %s: %w", dc.Code, err)
		}
	}
	return nil
}

// retryUnavailable calls fn again while it fails with EUNAVAILABLE (no
// leader during an election, a member restarting), for up to a minute.
func retryUnavailable(ctx context.Context, fn func() error) error {
	var last error
	err := waitFor(ctx, time.Minute, func() error {
		last = fn()
		if twinfed.ErrorCode(last) == twinfed.EUNAVAILABLE {
			return last
		}
		return nil
	})
	if err != nil {
		return err
	}
	return last
}

// waitFor calls fn until it returns nil or the timeout passes.
func waitFor(ctx context.Context, timeout time.Duration, fn func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := fn()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (d *demoMain) writeInfo() error {
	raw, err := json.MarshalIndent(d.Info, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(d.DataDir, "demo.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		return fmt.Errorf("demo.json: %w", err)
	}
	return nil
}

func (d *demoMain) printSummary(took time.Duration) {
	d.progress("\nTwinfed demo ready in %s. Logins are also in %s.\n", took.Round(100*time.Millisecond), filepath.Join(d.DataDir, "demo.json"))
	for _, p := range d.Info.Processes {
		line := fmt.Sprintf("  %-22s %-16s %s", p.Process, p.Role, p.URL)
		if p.Username != "" {
			line += fmt.Sprintf("   login %s / %s", p.Username, p.Password)
		}
		d.progress("%s", line)
	}
	d.progress("\n  CSS admin token: %s", d.Info.AdminToken)
}

// Close stops every part in reverse order of start.
func (d *demoMain) Close() error {
	var errs []error
	for i := len(d.closers) - 1; i >= 0; i-- {
		if err := d.closers[i](); err != nil {
			errs = append(errs, err)
		}
	}
	d.closers = nil
	if d.logFile != nil {
		d.logFile.Close()
		d.logFile = nil
	}
	return errors.Join(errs...)
}
