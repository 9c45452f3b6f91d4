package config

import "time"

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
	AdminToken string        `toml:"admin_token"` // bearer token of CSS operators
	HoldWrites time.Duration `toml:"hold_writes"` // how long a write waits for a leader during an election
	Log        Log           `toml:"log"`
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
	}
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
	if c.HoldWrites < 0 {
		p.Addf("hold_writes", "must not be negative")
	}
	c.Log.validate(&p, "log")
	return p.Err()
}
