package config

import (
	"net"
	"strings"
	"time"
)

// Registry configures one member of the registry cluster (`twinfed registry serve`).
type Registry struct {
	NodeID     string        `toml:"node_id"`     // Raft server id, unique in the cluster
	DataDir    string        `toml:"data_dir"`    // Badger log, stable store, FSM state and snapshots
	RaftAddr   string        `toml:"raft_addr"`   // Raft TCP bind address, host:port
	RaftAdvert string        `toml:"raft_advert"` // address other members dial; defaults to raft_addr
	HTTPAddr   string        `toml:"http_addr"`   // HTTP API bind address
	HTTPAdvert string        `toml:"http_advert"` // URL other members and clients use; defaults to http://http_addr
	Bootstrap  bool          `toml:"bootstrap"`   // form a new cluster from this member and Peers (once, on empty data)
	Peers      []string      `toml:"peers"`       // id=raftaddr=httpURL of the founding members, for bootstrap
	Join       []string      `toml:"join"`        // API URLs of running members to join through, on empty data
	AdminToken string        `toml:"admin_token"` // bearer token of CSS operators; also authenticates writes forwarded between members
	HoldWrites time.Duration `toml:"hold_writes"` // how long a write waits for a leader during an election
	Raft       RegistryRaft  `toml:"raft"`
	TLS        RegistryTLS   `toml:"tls"` // mutual TLS for Raft and the API; empty: plain TCP
	Log        Log           `toml:"log"`

	// MetricsAddr is where /metrics is served (Prometheus), apart from the
	// API's http_addr; empty: on http_addr.
	MetricsAddr string `toml:"metrics_addr"`

	// Backup schedules backups of the state to a directory ([backup]);
	// off while its dir is empty.
	Backup RegistryBackup `toml:"backup"`
}

// RegistryRaft holds Raft's timing knobs; zero keeps the built-in default.
type RegistryRaft struct {
	HeartbeatTimeout time.Duration `toml:"heartbeat_timeout"` // default 1s
	ElectionTimeout  time.Duration `toml:"election_timeout"`  // default 1s
	// LeaderLeaseTimeout: a leader that has not heard from a majority for
	// this long steps down. Default 500ms; at most heartbeat_timeout.
	LeaderLeaseTimeout time.Duration `toml:"leader_lease_timeout"`
	SnapshotThreshold  uint64        `toml:"snapshot_threshold"` // entries between snapshots; default 8192
	SnapshotInterval   time.Duration `toml:"snapshot_interval"`  // how often to check the threshold; default 2m
	TrailingLogs       uint64        `toml:"trailing_logs"`      // entries kept after a snapshot; default 10240
}

// RegistryPeer is one parsed entry of Registry.Peers.
type RegistryPeer struct {
	ID       string
	RaftAddr string
	HTTPURL  string
}

// DefaultRegistry returns a registry member configuration that runs alone on
// loopback.
func DefaultRegistry() Registry {
	return Registry{
		NodeID:     "r1",
		DataDir:    "registry-data",
		RaftAddr:   "127.0.0.1:7000",
		HTTPAddr:   "127.0.0.1:7100",
		HoldWrites: 5 * time.Second,
		Log:        Log{Level: "info", Format: "text"},
		Backup:     DefaultRegistryBackup(),

		MetricsAddr: "127.0.0.1:9465",
	}
}

// PeerList parses Peers ("id=raftaddr=httpURL", httpURL optional).
func (c *Registry) PeerList() ([]RegistryPeer, error) {
	var p Problems
	out := c.peerList(&p)
	return out, p.Err()
}

func (c *Registry) peerList(p *Problems) []RegistryPeer {
	var out []RegistryPeer
	seen := map[string]bool{}
	for i, s := range c.Peers {
		parts := strings.SplitN(s, "=", 3)
		key := "peers[" + itoa(i) + "]"
		if len(parts) < 2 || parts[0] == "" {
			p.Addf(key, "%q is not id=raftaddr=httpURL (for example r2=10.0.0.2:7000=http://10.0.0.2:7100)", s)
			continue
		}
		if seen[parts[0]] {
			p.Addf(key, "the id %q is listed twice", parts[0])
		}
		seen[parts[0]] = true
		checkAddr(p, key, parts[1])
		peer := RegistryPeer{ID: parts[0], RaftAddr: parts[1]}
		if len(parts) == 3 {
			checkBaseURL(p, key, parts[2])
			peer.HTTPURL = parts[2]
		}
		out = append(out, peer)
	}
	return out
}

// Validate checks every key and reports all problems at once.
func (c *Registry) Validate() error {
	var p Problems
	if c.NodeID == "" {
		p.Addf("node_id", "is empty; give each member a unique name such as r1")
	}
	if c.DataDir == "" {
		p.Addf("data_dir", "is empty; give a directory for the member's data")
	}
	checkAddr(&p, "raft_addr", c.RaftAddr)
	if c.RaftAdvert != "" {
		checkAddr(&p, "raft_advert", c.RaftAdvert)
	}
	checkAddr(&p, "http_addr", c.HTTPAddr)
	if c.HTTPAdvert != "" {
		checkBaseURL(&p, "http_advert", c.HTTPAdvert)
	}
	if c.MetricsAddr != "" {
		checkAddr(&p, "metrics_addr", c.MetricsAddr)
		if _, port, _ := net.SplitHostPort(c.MetricsAddr); port != "0" && (c.MetricsAddr == c.HTTPAddr || c.MetricsAddr == c.RaftAddr) {
			p.Addf("metrics_addr", "is the same as http_addr or raft_addr; give metrics their own address (or leave it empty to serve them on http_addr)")
		}
	}
	if c.HoldWrites < 0 {
		p.Addf("hold_writes", "must not be negative")
	}
	c.peerList(&p)
	for i, u := range c.Join {
		checkBaseURL(&p, "join["+itoa(i)+"]", u)
	}
	if c.Bootstrap && len(c.Join) > 0 {
		p.Addf("join", "a member either bootstraps a new cluster or joins one, not both; drop bootstrap or join")
	}
	if (len(c.Peers) > 0 || len(c.Join) > 0) && len(c.AdminToken) < 16 {
		p.Addf("admin_token", "must be at least 16 characters in a cluster of several members: members forward writes to the leader with it")
	}
	if c.Raft.HeartbeatTimeout < 0 || c.Raft.ElectionTimeout < 0 || c.Raft.LeaderLeaseTimeout < 0 || c.Raft.SnapshotInterval < 0 {
		p.Addf("raft", "timeouts and intervals must not be negative")
	}
	if c.Raft.HeartbeatTimeout > 0 && c.Raft.HeartbeatTimeout < 50*time.Millisecond {
		p.Addf("raft.heartbeat_timeout", "must be at least 50ms")
	}
	if lease := c.Raft.LeaderLeaseTimeout; lease > 0 {
		heartbeat := c.Raft.HeartbeatTimeout
		if heartbeat == 0 {
			heartbeat = time.Second // consensus.DefaultRaftTuning
		}
		if lease < 50*time.Millisecond || lease > heartbeat {
			p.Addf("raft.leader_lease_timeout", "must be between 50ms and heartbeat_timeout (%s)", heartbeat)
		}
	}
	c.TLS.validate(&p, "tls", c)
	c.Log.validate(&p, "log")
	c.Backup.validate(&p, "backup", c.DataDir)
	return p.Err()
}
