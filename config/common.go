package config

import (
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Log configures log/slog output.
type Log struct {
	Level  string `toml:"level"`  // debug, info, warn, error
	Format string `toml:"format"` // text or json
}

func (l Log) validate(p *Problems, prefix string) {
	switch l.Level {
	case "debug", "info", "warn", "error":
	default:
		p.Addf(prefix+".level", "%q is not a level; use debug, info, warn or error", l.Level)
	}
	switch l.Format {
	case "text", "json":
	default:
		p.Addf(prefix+".format", "%q is not a format; use text or json", l.Format)
	}
}

// checkAddr records a problem when addr is not host:port.
func checkAddr(p *Problems, key, addr string) {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		p.Addf(key, "%q is not host:port (for example 127.0.0.1:8080 or :8080)", addr)
	}
}

// checkBaseURL records a problem when raw is not an absolute http(s) URL
// without a path.
func checkBaseURL(p *Problems, key, raw string) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.Addf(key, "%q is not an absolute URL such as https://it.twinfed.example", raw)
		return
	}
	if strings.Trim(u.Path, "/") != "" || u.RawQuery != "" {
		p.Addf(key, "%q must be a base URL with no path or query", raw)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
