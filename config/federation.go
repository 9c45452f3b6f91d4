package config

import "time"

// Federation configures a node's ActivityPub side: its signing key and its
// delivery queue.
type Federation struct {
	KeyAlgorithm string        `toml:"key_algorithm"` // ed25519 (default) or rsa
	RetryWindow  time.Duration `toml:"retry_window"`  // after this, a delivery is parked
	Workers      int           `toml:"workers"`       // delivery workers
	InboxWorkers int           `toml:"inbox_workers"` // inbox processing workers
}

// DefaultFederation returns the federation defaults.
func DefaultFederation() Federation {
	return Federation{
		KeyAlgorithm: "ed25519",
		RetryWindow:  48 * time.Hour,
		Workers:      8,
		InboxWorkers: 4,
	}
}

func (f Federation) validate(p *Problems, prefix string) {
	switch f.KeyAlgorithm {
	case "ed25519", "rsa":
	default:
		p.Addf(prefix+".key_algorithm", "%q is not supported; use ed25519 or rsa", f.KeyAlgorithm)
	}
	if f.RetryWindow < time.Minute {
		p.Addf(prefix+".retry_window", "%s is too short; use at least 1m (48h is the default)", f.RetryWindow)
	}
	if f.Workers < 1 {
		p.Addf(prefix+".workers", "must be at least 1")
	}
	if f.InboxWorkers < 1 {
		p.Addf(prefix+".inbox_workers", "must be at least 1")
	}
}
