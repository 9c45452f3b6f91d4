package twinfed

import "net/url"

// URLHost returns the host[:port] of a URL, or "" when it does not parse.
func URLHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}
