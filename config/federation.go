package config

import (
	"strings"
	"time"
)

// Federation configures a node's ActivityPub side: its signing key, its
// delivery queue and its inbox.
type Federation struct {
	// KeyAlgorithm is the algorithm of node.key when it is created:
	// ed25519 (default) or rsa. That key signs registry writes and
	// deliveries to Twinfed nodes; the node's key of the other algorithm,
	// beside it, is created too (the RSA one signs to other fediverse
	// servers). An existing node.key is kept whatever this says.
	KeyAlgorithm string        `toml:"key_algorithm"`
	RetryWindow  time.Duration `toml:"retry_window"`  // after this, a delivery is parked
	Workers      int           `toml:"workers"`       // delivery workers (concurrent requests, all destinations; as many to one)
	InboxWorkers int           `toml:"inbox_workers"` // inbox processing workers (activities applied at once)

	RetryBase        time.Duration `toml:"retry_base"`        // first retry delay; doubles each attempt, with jitter
	RetryMax         time.Duration `toml:"retry_max"`         // longest delay between two attempts
	BreakerThreshold int           `toml:"breaker_threshold"` // consecutive failures that open a destination's circuit
	BreakerCooldown  time.Duration `toml:"breaker_cooldown"`  // how long an open circuit waits before one trial request
	DeliveryTimeout  time.Duration `toml:"delivery_timeout"`  // timeout of one delivery request
	MaxInboxBody     int64         `toml:"max_inbox_body"`    // largest activity the inbox accepts, in bytes
	Rescan           time.Duration `toml:"rescan"`            // safety-net rescan of the queue; deliveries never wait for it

	// BlockedDomains are fediverse servers (host names; a domain blocks
	// its subdomains too) the agency refuses at the open edge: they may
	// not fetch the public diaries nor follow them, and their followers
	// are dropped. The agency's back office adds more at run time.
	BlockedDomains []string `toml:"blocked_domains"`
	// OpenEdgePrivate lets the open edge fetch a server's actor document
	// from a loopback, private or link-local address. Off: a request that
	// names such a key is refused, so that no one outside can make the
	// node reach its own network. For tests and closed networks only.
	OpenEdgePrivate bool `toml:"open_edge_private"`
}

// DefaultFederation returns the federation defaults.
func DefaultFederation() Federation {
	return Federation{
		KeyAlgorithm:     "ed25519",
		RetryWindow:      48 * time.Hour,
		Workers:          64,
		InboxWorkers:     64,
		RetryBase:        10 * time.Second,
		RetryMax:         time.Hour,
		BreakerThreshold: 5,
		BreakerCooldown:  30 * time.Second,
		DeliveryTimeout:  30 * time.Second,
		MaxInboxBody:     1 << 20,
		Rescan:           time.Minute,
	}
}

// Validate reports the problems of f with keys under prefix; it is what the
// node's Validate calls, exported so that tests and tools can check a
// federation section alone.
func (f Federation) Validate(prefix string) error {
	var p Problems
	f.validate(&p, prefix)
	return p.Err()
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
	if f.RetryBase < 100*time.Millisecond {
		p.Addf(prefix+".retry_base", "%s is too short; use at least 100ms (10s is the default)", f.RetryBase)
	}
	if f.RetryMax < f.RetryBase {
		p.Addf(prefix+".retry_max", "%s is shorter than retry_base (%s); use at least that", f.RetryMax, f.RetryBase)
	}
	if f.BreakerThreshold < 1 {
		p.Addf(prefix+".breaker_threshold", "must be at least 1 (5 is the default)")
	}
	if f.BreakerCooldown < time.Second {
		p.Addf(prefix+".breaker_cooldown", "%s is too short; use at least 1s (30s is the default)", f.BreakerCooldown)
	}
	if f.DeliveryTimeout < time.Second {
		p.Addf(prefix+".delivery_timeout", "%s is too short; use at least 1s (30s is the default)", f.DeliveryTimeout)
	}
	if f.MaxInboxBody < 4096 {
		p.Addf(prefix+".max_inbox_body", "%d bytes is too small; use at least 4096 (1048576 is the default)", f.MaxInboxBody)
	}
	if f.Rescan < time.Second {
		p.Addf(prefix+".rescan", "%s is too short; use at least 1s (1m is the default)", f.Rescan)
	}
	for _, d := range f.BlockedDomains {
		if !ValidDomain(d) {
			p.Addf(prefix+".blocked_domains", "%q is not a host name; write a domain like social.example (lower case, no scheme, port or path)", d)
		}
	}
}

// ValidDomain reports whether d is a host name as a domain block names it:
// lower-case labels of letters, digits and hyphens joined by dots, no
// scheme, port or path.
func ValidDomain(d string) bool {
	if d == "" || len(d) > 253 || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
