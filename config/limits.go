package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Limits configures what protects a node on the internet from abuse: the
// client addresses it trusts to name the real client (a reverse proxy),
// the number of password hashes it computes at once, and how many
// requests of each kind one client address may make.
type Limits struct {
	// TrustedProxies are the addresses or networks (CIDR) of reverse
	// proxies in front of the node. A request from one of them is taken
	// to come from the address its X-Forwarded-For header names (the
	// nearest address not itself a trusted proxy); from anywhere else the
	// header is ignored. Empty: no proxy, the connection's address counts.
	TrustedProxies []string `toml:"trusted_proxies"`
	// HashConcurrency is how many argon2id computations (log-ins,
	// registrations, password changes) run at once; each takes
	// accounts.argon_memory_kib of memory, so this bounds that memory.
	HashConcurrency int `toml:"hash_concurrency"`
	// HashQueue is how many more may wait for a turn; beyond it, and
	// after HashWait, the request is refused with 503 and Retry-After.
	HashQueue int           `toml:"hash_queue"`
	HashWait  time.Duration `toml:"hash_wait"`

	// Rates per client address, each "N/duration" (N requests, refilled
	// evenly over the duration; "0/1m" turns that limit off).
	Login    string `toml:"login"`    // log-in attempts (pages and API)
	Register string `toml:"register"` // registration forms submitted
	Reset    string `toml:"reset"`    // password-reset requests
	Resend   string `toml:"resend"`   // requests for a new confirmation link
	API      string `toml:"api"`      // JSON API requests (/api/v1)
	// MailsPerAddress is how many password-reset or confirmation mails
	// one e-mail address receives per hour at most, whoever asks.
	MailsPerAddress int `toml:"mails_per_address"`
}

// DefaultLimits returns limits for a node serving a country's teachers:
// 4 hashes at once (256 MiB with the default argon2id memory), a queue of
// 64 waiting at most 10 s, and per-address rates that a person never
// meets but a script does at once.
func DefaultLimits() Limits {
	return Limits{
		HashConcurrency: 4,
		HashQueue:       64,
		HashWait:        10 * time.Second,
		Login:           "20/1m",
		Register:        "10/1h",
		Reset:           "5/1h",
		Resend:          "5/1h",
		API:             "600/1m",
		MailsPerAddress: 3,
	}
}

// Rate is a parsed "N/duration": N requests per Per.
type Rate struct {
	N   int
	Per time.Duration
}

// Off reports whether the rate sets no limit.
func (r Rate) Off() bool { return r.N == 0 }

// ParseRate parses "N/duration", e.g. "20/1m".
func ParseRate(s string) (Rate, error) {
	n, per, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Rate{}, fmt.Errorf("%q is not a rate; write N/duration, e.g. 20/1m", s)
	}
	count, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil || count < 0 {
		return Rate{}, fmt.Errorf("%q is not a rate: %q is not a count of requests", s, n)
	}
	d, err := time.ParseDuration(strings.TrimSpace(per))
	if err != nil || d < time.Second {
		return Rate{}, fmt.Errorf("%q is not a rate: %q is not a duration of at least 1s such as 1m or 1h", s, per)
	}
	return Rate{N: count, Per: d}, nil
}

// Prefixes parses TrustedProxies (a bare address is a one-address network).
func (l Limits) Prefixes() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range l.TrustedProxies {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a network such as 10.0.0.0/8", s)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// Rates returns the parsed per-address rates by limit name (login,
// register, reset, resend, api); a bad one is reported by validate.
func (l Limits) Rates() map[string]Rate {
	out := map[string]Rate{}
	for name, s := range l.rateFields() {
		if r, err := ParseRate(s); err == nil {
			out[name] = r
		}
	}
	return out
}

func (l Limits) rateFields() map[string]string {
	return map[string]string{"login": l.Login, "register": l.Register, "reset": l.Reset, "resend": l.Resend, "api": l.API}
}

func (l Limits) validate(p *Problems, prefix string) {
	for i, s := range l.TrustedProxies {
		if _, err := (Limits{TrustedProxies: []string{s}}).Prefixes(); err != nil {
			p.Addf(prefix+".trusted_proxies["+itoa(i)+"]", "%s", err)
		}
	}
	if l.HashConcurrency < 1 {
		p.Addf(prefix+".hash_concurrency", "must be at least 1 (4 is the default)")
	}
	if l.HashQueue < 0 {
		p.Addf(prefix+".hash_queue", "must be 0 or more (64 is the default)")
	}
	if l.HashWait < 100*time.Millisecond {
		p.Addf(prefix+".hash_wait", "%s is too short; use at least 100ms (10s is the default)", l.HashWait)
	}
	for _, name := range []string{"login", "register", "reset", "resend", "api"} {
		if _, err := ParseRate(l.rateFields()[name]); err != nil {
			p.Addf(prefix+"."+name, "%s", err)
		}
	}
	if l.MailsPerAddress < 1 {
		p.Addf(prefix+".mails_per_address", "must be at least 1 (3 is the default)")
	}
}
