package twinfed

import (
	"net"
	"strings"
	"time"
)

// The federation's one open edge (ARCHITECTURE.md "Trust"): fediverse
// servers that the registry does not list may fetch public objects and
// follow a project's diary; an agency blocks the ones it does not want.

// DiaryFollower is a fediverse actor that follows a project's diary.
type DiaryFollower struct {
	Diary  string    `json:"diary"`  // the diary actor followed (DiaryURL)
	Actor  string    `json:"actor"`  // the follower's actor URL
	Follow string    `json:"follow"` // the id of its Follow
	Since  time.Time `json:"since"`
}

// DomainBlock is a fediverse domain an agency refuses at the open edge:
// its requests are refused and its followers dropped.
type DomainBlock struct {
	Domain string    `json:"domain"`
	Reason string    `json:"reason,omitempty"`
	By     string    `json:"by,omitempty"`          // the staff member who blocked it
	At     time.Time `json:"at,omitzero"`           // when
	Config bool      `json:"from_config,omitempty"` // listed in the node's configuration: lifted there only
}

// BlockCovers reports whether a block of domain covers the server at host
// (host[:port]): the domain itself and its subdomains.
func BlockCovers(domain, host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host, domain = strings.ToLower(host), strings.ToLower(domain)
	return domain != "" && (host == domain || strings.HasSuffix(host, "."+domain))
}
