package main

// The registry command: `twinfed registry serve` runs one member of the
// registry cluster; the other subcommands are operator tools that call a
// member's HTTP API (join, leave, peers, snapshot, restore, import-schools).
//
// To run members in process (the demo does), call startRegistry with a
// config.Registry, or consensus.Open with a consensus.Config directly;
// registryMain is the wiring `serve` uses (Run, then Close).

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/twinfed/twinfed/config"
	"github.com/twinfed/twinfed/consensus"
	"github.com/twinfed/twinfed/node/blob"
	"github.com/urfave/cli/v2"
)

// registryConsensusConfig turns a member's configuration into the
// consensus package's.
func registryConsensusConfig(cfg config.Registry, logger *slog.Logger, reg *prometheus.Registry) (consensus.Config, error) {
	peers, err := cfg.PeerList()
	if err != nil {
		return consensus.Config{}, err
	}
	out := consensus.Config{
		NodeID: cfg.NodeID, DataDir: cfg.DataDir,
		RaftAddr: cfg.RaftAddr, RaftAdvert: cfg.RaftAdvert,
		HTTPAddr: cfg.HTTPAddr, HTTPAdvert: cfg.HTTPAdvert,
		Bootstrap: cfg.Bootstrap, Join: cfg.Join,
		AdminToken: cfg.AdminToken, HoldWrites: cfg.HoldWrites,
		Raft: consensus.RaftTuning{
			HeartbeatTimeout: cfg.Raft.HeartbeatTimeout, ElectionTimeout: cfg.Raft.ElectionTimeout,
			LeaderLeaseTimeout: cfg.Raft.LeaderLeaseTimeout,
			SnapshotThreshold:  cfg.Raft.SnapshotThreshold, SnapshotInterval: cfg.Raft.SnapshotInterval,
			TrailingLogs: cfg.Raft.TrailingLogs,
		},
		Backup: consensus.BackupConfig{Dir: cfg.Backup.Dir, Every: cfg.Backup.Every, Keep: cfg.Backup.Keep},
		Logger: logger, Metrics: reg,
	}
	if out.TLS, err = registryMemberTLS(cfg.TLS, logger); err != nil {
		return consensus.Config{}, err
	}
	for _, p := range peers {
		out.Peers = append(out.Peers, consensus.Peer{ID: p.ID, RaftAddr: p.RaftAddr, HTTPURL: p.HTTPURL})
	}
	return out, nil
}

// startRegistry starts one registry member from its configuration, with
// its own Prometheus registry (served on the member's /metrics).
func startRegistry(ctx context.Context, cfg config.Registry, logger *slog.Logger) (*consensus.Member, error) {
	reg := prometheus.NewRegistry()
	ccfg, err := registryConsensusConfig(cfg, logger, reg)
	if err != nil {
		return nil, err
	}
	if ccfg.Backup.Remote, err = backupRemote(ctx, cfg); err != nil {
		return nil, err
	}
	return consensus.Open(ctx, ccfg)
}

var _ consensus.BackupStore = (*blob.Bucket)(nil)

// backupRemote opens the bucket of [backup.s3] (nil when it is not set),
// checking that it exists, so that a member with a wrong bucket or keys
// fails to start rather than alerting hours later.
func backupRemote(ctx context.Context, cfg config.Registry) (consensus.BackupStore, error) {
	bc := cfg.Backup
	if bc.Dir == "" || !bc.S3.On() {
		return nil, nil
	}
	secret, err := bc.S3.Secret(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("registry: backup.s3.secret_key_file: %w", err)
	}
	b, err := blob.OpenBucket(ctx, s3Config(bc.S3, secret))
	if err != nil {
		return nil, fmt.Errorf("registry: backup.s3: %w", err)
	}
	return b, nil
}

// registryMain is `twinfed registry serve`: Run starts the member, Close
// stops it (HTTP, Raft, then Badger, inside consensus.Member.Close).
type registryMain struct {
	Config config.Registry
	Logger *slog.Logger

	member  *consensus.Member
	metrics *metricsServer // nil when /metrics is served on http_addr
}

// Run starts the member and returns once it serves. /metrics is on
// metrics_addr when it is set, and then not on the API's address.
func (m *registryMain) Run(ctx context.Context) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	ccfg, err := registryConsensusConfig(m.Config, m.Logger, reg)
	if err != nil {
		return err
	}
	if ccfg.Backup.Remote, err = backupRemote(ctx, m.Config); err != nil {
		return err
	}
	if m.Config.MetricsAddr != "" {
		if m.metrics, err = serveMetrics(m.Config.MetricsAddr, reg); err != nil {
			return fmt.Errorf("registry: %w", err)
		}
		ccfg.MetricsElsewhere = true
	}
	m.member, err = consensus.Open(ctx, ccfg)
	return err
}

// MetricsAddr returns the address /metrics is served on, "" when it is
// served on the API's address.
func (m *registryMain) MetricsAddr() string {
	if m.metrics == nil {
		return ""
	}
	return m.metrics.Addr()
}

// Close stops /metrics, then the member.
func (m *registryMain) Close() error {
	if m.metrics != nil {
		_ = m.metrics.Close()
	}
	if m.member == nil {
		return nil
	}
	return m.member.Close()
}

// registryClientFlags are the flags of every command that talks to the
// registry's API: --member (repeat) and --token, with extra flags after.
func registryClientFlags(extra ...cli.Flag) []cli.Flag {
	return append([]cli.Flag{
		&cli.StringSliceFlag{Name: "member", Aliases: []string{"m"}, Value: cli.NewStringSlice("http://127.0.0.1:7100"),
			EnvVars: []string{"TWINFED_REGISTRY_MEMBERS"}, Usage: "API URL of a registry member (repeat to try several)"},
		&cli.StringFlag{Name: "token", EnvVars: []string{"TWINFED_ADMIN_TOKEN"}, Usage: "the registry's admin token"},
		&cli.StringFlag{Name: "tls-ca", EnvVars: []string{"TWINFED_REGISTRY_CA"}, Usage: "PEM file of the registry's CA, for https:// members (the system's roots when empty)"},
		&cli.StringFlag{Name: "tls-cert", EnvVars: []string{"TWINFED_REGISTRY_CERT"}, Usage: "PEM file of the operator's client certificate (needed with --token on a TLS registry)"},
		&cli.StringFlag{Name: "tls-key", EnvVars: []string{"TWINFED_REGISTRY_KEY"}, Usage: "PEM file of the client certificate's key"},
	}, extra...)
}

// registryFlagsTLS is the TLS configuration of the flags --tls-ca, --tls-cert
// and --tls-key; nil when none is given.
func registryFlagsTLS(c *cli.Context) (*tls.Config, error) {
	return registryClientTLS(c.String("tls-ca"), c.String("tls-cert"), c.String("tls-key"), slog.New(slog.DiscardHandler))
}

// withRegistry opens a registry client with the flags of
// registryClientFlags and calls fn with it and a 30-second deadline; an
// error of fn that is not already a cli.Exit exits with status 1.
func withRegistry(c *cli.Context, fn func(ctx context.Context, cl *consensus.Client) error) error {
	conf, err := registryFlagsTLS(c)
	if err != nil {
		return cli.Exit(err.Error(), 1)
	}
	cl, err := consensus.OpenClient(c.Context, consensus.ClientConfig{Members: c.StringSlice("member"), AdminToken: c.String("token"), TLS: conf})
	if err != nil {
		return cli.Exit(err.Error(), 1)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(c.Context, 30*time.Second)
	defer cancel()
	err = fn(ctx, cl)
	var exit cli.ExitCoder
	if err != nil && !errors.As(err, &exit) {
		return cli.Exit(err.Error(), 1)
	}
	return err
}

func registryCommand() *cli.Command {
	return &cli.Command{
		Name:  "registry",
		Usage: "run a registry member, or operate the registry cluster",
		Subcommands: []*cli.Command{
			{
				Name:  "serve",
				Usage: "run one member of the registry cluster",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Usage: "TOML configuration file"},
					&cli.StringFlag{Name: "node-id", Usage: "Raft server id (node_id)"},
					&cli.StringFlag{Name: "data", Usage: "data directory (data_dir)"},
					&cli.StringFlag{Name: "raft-addr", Usage: "Raft bind address (raft_addr)"},
					&cli.StringFlag{Name: "http-addr", Usage: "HTTP API bind address (http_addr)"},
					&cli.BoolFlag{Name: "bootstrap", Usage: "form a new cluster with the configured peers (first start only)"},
					&cli.StringSliceFlag{Name: "peer", Usage: "founding member id=raftaddr=httpURL (repeat)"},
					&cli.StringSliceFlag{Name: "join", Usage: "API URL of a running member to join through (first start only)"},
				},
				Action: func(c *cli.Context) error {
					cfg := config.DefaultRegistry()
					if err := config.Load(c.String("config"), &cfg); err != nil {
						return cli.Exit(err.Error(), 2)
					}
					if c.IsSet("node-id") {
						cfg.NodeID = c.String("node-id")
					}
					if c.IsSet("data") {
						cfg.DataDir = c.String("data")
					}
					if c.IsSet("raft-addr") {
						cfg.RaftAddr = c.String("raft-addr")
					}
					if c.IsSet("http-addr") {
						cfg.HTTPAddr = c.String("http-addr")
					}
					if c.IsSet("bootstrap") {
						cfg.Bootstrap = c.Bool("bootstrap")
					}
					if c.IsSet("peer") {
						cfg.Peers = c.StringSlice("peer")
					}
					if c.IsSet("join") {
						cfg.Join = c.StringSlice("join")
					}
					if err := cfg.Validate(); err != nil {
						return cli.Exit("twinfed registry: "+err.Error(), 2)
					}
					defer cpuProfileOnSignal(c.App.ErrWriter)()
					defer snapshotOnSignal(c.App.ErrWriter)()
					rm := &registryMain{Config: cfg, Logger: newLogger(c.App.ErrWriter, cfg.Log)}
					if err := rm.Run(c.Context); err != nil {
						rm.Close()
						return err
					}
					fmt.Fprintf(c.App.Writer, "registry member %s serving on %s\n", cfg.NodeID, rm.member.URL())
					if a := rm.MetricsAddr(); a != "" {
						fmt.Fprintf(c.App.Writer, "metrics on http://%s/metrics\n", a)
					}
					<-c.Context.Done()
					return rm.Close()
				},
			},
			{
				Name:  "join",
				Usage: "add a member to the cluster (as a voter)",
				Flags: registryClientFlags(
					&cli.StringFlag{Name: "id", Required: true, Usage: "the new member's node id"},
					&cli.StringFlag{Name: "raft-addr", Required: true, Usage: "the new member's Raft address"},
					&cli.StringFlag{Name: "http-url", Required: true, Usage: "the new member's API URL"},
				),
				Action: func(c *cli.Context) error {
					body, _ := json.Marshal(consensus.MemberInfo{ID: c.String("id"), RaftAddr: c.String("raft-addr"), HTTPURL: c.String("http-url")})
					return adminCall(c, http.MethodPost, "/v1/cluster/join", body, "application/json", c.App.Writer)
				},
			},
			{
				Name:  "leave",
				Usage: "remove a member from the cluster",
				Flags: registryClientFlags(&cli.StringFlag{Name: "id", Required: true, Usage: "the member's node id"}),
				Action: func(c *cli.Context) error {
					body, _ := json.Marshal(consensus.MemberInfo{ID: c.String("id")})
					return adminCall(c, http.MethodPost, "/v1/cluster/leave", body, "application/json", c.App.Writer)
				},
			},
			{
				Name:  "peers",
				Usage: "list the cluster's members and the leader",
				Flags: registryClientFlags(),
				Action: func(c *cli.Context) error {
					var buf bytes.Buffer
					if err := adminCall(c, http.MethodGet, "/v1/cluster/peers", nil, "", &buf); err != nil {
						return err
					}
					var peers []consensus.PeerStatus
					if err := json.Unmarshal(buf.Bytes(), &peers); err != nil {
						return err
					}
					tw := tabwriter.NewWriter(c.App.Writer, 2, 4, 2, ' ', 0)
					fmt.Fprintln(tw, "ID\tRAFT\tAPI\tSUFFRAGE\tLEADER")
					for _, p := range peers {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\n", p.ID, p.RaftAddr, p.HTTPURL, p.Suffrage, p.Leader)
					}
					return tw.Flush()
				},
			},
			{
				Name:  "snapshot",
				Usage: "take a Raft snapshot on a member; with --out, also save a backup of its state",
				Flags: registryClientFlags(&cli.StringFlag{Name: "out", Usage: "file to write the backup to"}),
				Action: func(c *cli.Context) error {
					if err := adminCall(c, http.MethodPost, "/v1/cluster/snapshot", nil, "", c.App.Writer); err != nil {
						return err
					}
					if out := c.String("out"); out != "" {
						var buf bytes.Buffer
						if err := adminCall(c, http.MethodGet, "/v1/cluster/backup?consistency=consistent", nil, "", &buf); err != nil {
							return err
						}
						if err := os.WriteFile(out, buf.Bytes(), 0o600); err != nil {
							return err
						}
						fmt.Fprintf(c.App.Writer, "backup written to %s (%d bytes)\n", out, buf.Len())
					}
					return nil
				},
			},
			{
				Name:  "restore",
				Usage: "replace the whole cluster's state with a backup made by snapshot --out",
				Flags: registryClientFlags(&cli.StringFlag{Name: "in", Required: true, Usage: "backup file"}),
				Action: func(c *cli.Context) error {
					data, err := os.ReadFile(c.String("in"))
					if err != nil {
						return err
					}
					return adminCall(c, http.MethodPost, "/v1/cluster/restore", data, "application/octet-stream", c.App.Writer)
				},
			},
			{
				Name:  "import-schools",
				Usage: "import schools from a CSV file (header: country, legal_name, public_name, city, region, national_number, level, institution, status, course_years)",
				Flags: registryClientFlags(&cli.StringFlag{Name: "file", Aliases: []string{"f"}, Required: true, Usage: "CSV file"}),
				Action: func(c *cli.Context) error {
					data, err := os.ReadFile(c.String("file"))
					if err != nil {
						return err
					}
					var buf bytes.Buffer
					if err := adminCall(c, http.MethodPost, "/v1/schools/import", data, "text/csv", &buf); err != nil {
						return err
					}
					var res consensus.WriteResult
					_ = json.Unmarshal(buf.Bytes(), &res)
					fmt.Fprintf(c.App.Writer, "imported %d schools (registry index %d)\n", res.Count, res.Index)
					return nil
				},
			},
		},
	}
}

// adminCall sends one request to the first member that answers and copies
// a successful answer to out. While the registry answers 503 (an election,
// a restore that lost its leader) it sends the request again for up to
// 30s: every operation here may be repeated, and writes carry one
// Idempotency-Key across attempts.
func adminCall(c *cli.Context, method, path string, body []byte, contentType string, out io.Writer) error {
	conf, err := registryFlagsTLS(c)
	if err != nil {
		return cli.Exit(err.Error(), 1)
	}
	client := &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{TLSClientConfig: conf, Proxy: http.ProxyFromEnvironment}}
	var key [16]byte
	_, _ = rand.Read(key[:])
	deadline := time.Now().Add(30 * time.Second)
	var lastErr error
	for {
		for _, base := range c.StringSlice("member") {
			req, err := http.NewRequestWithContext(c.Context, method, strings.TrimRight(base, "/")+path, bytes.NewReader(body))
			if err != nil {
				return err
			}
			if contentType != "" {
				req.Header.Set("Content-Type", contentType)
			}
			if tok := c.String("token"); tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			if method != http.MethodGet {
				req.Header.Set(consensus.HeaderIdempotencyKey, hex.EncodeToString(key[:]))
			}
			resp, err := client.Do(req)
			if err != nil {
				lastErr = err
				continue
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				_, err = out.Write(data)
				return err
			}
			msg := string(bytes.TrimSpace(data))
			var ae consensus.APIError
			if json.Unmarshal(data, &ae) == nil && ae.Error.Message != "" {
				msg = ae.Error.Message
			}
			lastErr = fmt.Errorf("%s: %s", resp.Status, msg)
			if resp.StatusCode != http.StatusServiceUnavailable {
				return cli.Exit("twinfed registry: "+lastErr.Error(), 1)
			}
		}
		if time.Now().After(deadline) || c.Context.Err() != nil {
			return cli.Exit(fmt.Sprintf("twinfed registry: no member could do it: %v", lastErr), 1)
		}
		select {
		case <-c.Context.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}
