package config

// Node configures a national node (`twinfed node serve`).
type Node struct {
	Country    string     `toml:"country"`   // the node's country code, e.g. IT
	BaseURL    string     `toml:"base_url"`  // public base URL, e.g. https://it.twinfed.example; actor ids live under it
	DataDir    string     `toml:"data_dir"`  // Badger store, key pair, mail spool
	HTTPAddr   string     `toml:"http_addr"` // bind address of the web UI, JSON API and ActivityPub endpoints
	Languages  []string   `toml:"languages"` // UI languages offered, first is the default
	Registry   []string   `toml:"registry"`  // registry member URLs, tried in turn
	Federation Federation `toml:"federation"`
	Log        Log        `toml:"log"`
}

// DefaultNode returns a node configuration for a loopback demo of Italy.
func DefaultNode() Node {
	return Node{
		Country:    "IT",
		BaseURL:    "http://127.0.0.1:8080",
		DataDir:    "node-data",
		HTTPAddr:   "127.0.0.1:8080",
		Languages:  []string{"it", "en"},
		Registry:   []string{"http://127.0.0.1:7100"},
		Federation: DefaultFederation(),
		Log:        Log{Level: "info", Format: "text"},
	}
}

// Validate checks every key and reports all problems at once.
func (c *Node) Validate() error {
	var p Problems
	if len(c.Country) != 2 {
		p.Addf("country", "%q is not a two-letter country code such as IT", c.Country)
	}
	checkBaseURL(&p, "base_url", c.BaseURL)
	if c.DataDir == "" {
		p.Addf("data_dir", "is empty; give a directory for the node's data")
	}
	checkAddr(&p, "http_addr", c.HTTPAddr)
	if len(c.Languages) == 0 {
		p.Addf("languages", "is empty; list at least one language code such as en")
	}
	if len(c.Registry) == 0 {
		p.Addf("registry", "is empty; list the URLs of the registry members")
	}
	for i, u := range c.Registry {
		checkBaseURL(&p, "registry["+itoa(i)+"]", u)
	}
	c.Federation.validate(&p, "federation")
	c.Log.validate(&p, "log")
	return p.Err()
}
