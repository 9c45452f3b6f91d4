// Package ratelimit is the web kit's per-client-address limits: token
// buckets by limit name and client (an IPv6 client by its /64), refilled
// evenly, forgotten once full again. It is a kit of node/web's (which
// wraps handlers with it: web.Kit.Limited), with no other dependency.
package ratelimit

import (
	"math"
	"net/netip"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Rate is a per-client-address limit: N requests, refilled evenly over
// Per (a token bucket of N). N == 0: no limit.
type Rate struct {
	N   int
	Per time.Duration
}

// Limiter holds one token bucket per client (an IPv6 client counts by its
// /64, which one subscriber usually holds whole) for each named limit.
type Limiter struct {
	rates   map[string]Rate
	now     func() time.Time
	refused *prometheus.CounterVec // Refused

	mu      sync.Mutex
	buckets map[string]map[string]*bucket
	sweep   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// New returns the limits rates (by name), on the clock now.
func New(rates map[string]Rate, now func() time.Time) *Limiter {
	return &Limiter{rates: rates, now: now, buckets: map[string]map[string]*bucket{},
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "twinfed_node_rate_limited_total",
			Help: "Requests refused with 429 because their client address went over a limit, by limit.",
		}, []string{"limit"})}
}

// Take spends one token of name for client; when none is left it returns
// false and how long until one is.
func (l *Limiter) Take(name, client string) (bool, time.Duration) {
	rate, ok := l.rates[name]
	if !ok || rate.N <= 0 || rate.Per <= 0 {
		return true, 0
	}
	client = clientBucket(client)
	every := rate.Per.Seconds() / float64(rate.N)
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.gc(now)
	m := l.buckets[name]
	if m == nil {
		m = map[string]*bucket{}
		l.buckets[name] = m
	}
	b := m[client]
	if b == nil {
		b = &bucket{tokens: float64(rate.N), at: now}
		m[client] = b
	}
	b.tokens = math.Min(float64(rate.N), b.tokens+now.Sub(b.at).Seconds()/every)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	l.refused.WithLabelValues(name).Inc()
	return false, time.Duration((1 - b.tokens) * every * float64(time.Second))
}

// gc drops, once a minute, the buckets that are full again: a client that
// stopped costs no memory.
func (l *Limiter) gc(now time.Time) {
	if now.Sub(l.sweep) < time.Minute {
		return
	}
	l.sweep = now
	for name, m := range l.buckets {
		rate := l.rates[name]
		for c, b := range m {
			if now.Sub(b.at) >= rate.Per {
				delete(m, c)
			}
		}
	}
}

func clientBucket(client string) string {
	a, err := netip.ParseAddr(client)
	if err != nil || a.Is4() || a.Is4In6() {
		return client
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// Refused is the counter of requests refused, by limit, for the node's
// metrics.
func (l *Limiter) Refused() prometheus.Collector { return l.refused }
