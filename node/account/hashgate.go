package account

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// hashGate bounds the argon2id computations running at once. Each takes
// the hash's memory (64 MiB by default), so without a bound a burst of
// log-ins with made-up usernames takes the node's memory with it; with it,
// memory is at most Concurrency × that. Beyond the slots, up to Queue
// requests wait their turn for at most Wait; the others are refused at
// once with ErrBusy (503 and Retry-After), which costs nothing.
type hashGate struct {
	slots   chan struct{}
	queue   int64
	wait    time.Duration
	waiting atomic.Int64

	running prometheus.GaugeFunc
	queued  prometheus.GaugeFunc
	refused prometheus.Counter
}

func newHashGate(concurrency, queue int, wait time.Duration) *hashGate {
	g := &hashGate{slots: make(chan struct{}, concurrency), queue: int64(queue), wait: wait}
	g.running = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "twinfed_node_password_hashes_running",
		Help: "argon2id computations running now (at most limits.hash_concurrency)."}, func() float64 { return float64(len(g.slots)) })
	g.queued = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "twinfed_node_password_hashes_waiting",
		Help: "Requests waiting for an argon2id slot (at most limits.hash_queue)."}, func() float64 { return float64(g.waiting.Load()) })
	g.refused = prometheus.NewCounter(prometheus.CounterOpts{Name: "twinfed_node_password_hashes_refused_total",
		Help: "Requests refused with 503 because every argon2id slot and the queue were full."})
	return g
}

func (g *hashGate) collectors() []prometheus.Collector {
	return []prometheus.Collector{g.running, g.queued, g.refused}
}

// do runs f in a slot, waiting for one if the queue has room.
func (g *hashGate) do(ctx context.Context, f func()) error {
	select {
	case g.slots <- struct{}{}:
	default:
		if g.waiting.Add(1) > g.queue {
			g.waiting.Add(-1)
			g.refused.Inc()
			return &ErrBusy{RetryAfter: g.wait}
		}
		t := time.NewTimer(g.wait)
		select {
		case g.slots <- struct{}{}:
			g.waiting.Add(-1)
			t.Stop()
		case <-t.C:
			g.waiting.Add(-1)
			g.refused.Inc()
			return &ErrBusy{RetryAfter: g.wait}
		case <-ctx.Done():
			g.waiting.Add(-1)
			t.Stop()
			return &ErrBusy{RetryAfter: g.wait}
		}
	}
	defer func() { <-g.slots }()
	f()
	return nil
}

// ErrBusy is returned when every password-hash slot and the queue are
// full: the pages and the API answer 503 with Retry-After.
type ErrBusy struct{ RetryAfter time.Duration }

var errBusy = twinfed.Errorf(twinfed.EUNAVAILABLE, "The node is busy checking passwords. Try again in a few seconds.")

// Error says what happened.
func (e *ErrBusy) Error() string { return errBusy.Error() }

// Unwrap makes the error's code EUNAVAILABLE and its message errBusy's.
func (e *ErrBusy) Unwrap() error { return errBusy }

// RetryIn is how long to wait before trying again.
func (e *ErrBusy) RetryIn() time.Duration { return e.RetryAfter }

var _ web.RateLimited = (*ErrBusy)(nil)

// hashPassword hashes password in a slot of the gate.
func (s *Service) hashPassword(ctx context.Context, password string) (hash string, err error) {
	if gerr := s.hashes.do(ctx, func() { hash, err = hashPassword(s.cfg.Hash, password) }); gerr != nil {
		return "", gerr
	}
	return hash, err
}

// checkPassword checks password against encoded in a slot of the gate.
func (s *Service) checkPassword(ctx context.Context, encoded, password string) (ok bool, err error) {
	err = s.hashes.do(ctx, func() { ok = checkPassword(encoded, password) })
	return ok, err
}

// mailAllowed counts a confirmation or reset mail to email against the
// per-address quota (MailsPerAddress an hour), whoever asks for it.
func (s *Service) mailAllowed(email string) bool {
	key := NormEmail(email)
	if ok, _ := s.mailQuota.allowed(key); !ok {
		return false
	}
	s.mailQuota.fail(key)
	return true
}

// Passwords hashes and checks passwords with the accounts' argon2id
// parameters, in the accounts' bounded gate: the node's other accounts
// (node/pupil's pupils and visitors) share the one bound on the memory
// the hashes take.
type Passwords struct{ s *Service }

// Passwords returns the accounts' password hashing, for the node's other
// accounts.
func (s *Service) Passwords() Passwords { return Passwords{s} }

// Hash returns password's argon2id hash (PHC string); *ErrBusy when the
// gate is full.
func (p Passwords) Hash(ctx context.Context, password string) (string, error) {
	return p.s.hashPassword(ctx, password)
}

// Check reports whether password matches the encoded hash; *ErrBusy when
// the gate is full.
func (p Passwords) Check(ctx context.Context, encoded, password string) (bool, error) {
	return p.s.checkPassword(ctx, encoded, password)
}

// LoginLimiter counts failed logins per key (a username and a client
// address) in a sliding window: the member login's limit, for the node's
// other logins.
type LoginLimiter struct{ l *limiter }

// NewLoginLimiter allows max failures per key in window.
func NewLoginLimiter(max int, window time.Duration, now func() time.Time) *LoginLimiter {
	return &LoginLimiter{newLimiter(max, window, now)}
}

// Allowed reports whether key may try again, and otherwise how long to
// wait.
func (l *LoginLimiter) Allowed(key string) (bool, time.Duration) { return l.l.allowed(key) }

// Fail counts a failed attempt of key.
func (l *LoginLimiter) Fail(key string) { l.l.fail(key) }

// Reset forgets key's failures (after a successful login).
func (l *LoginLimiter) Reset(key string) { l.l.reset(key) }

// LoginLimits returns the member login's limit: failures per key and
// their window (Config.LoginAttempts, LoginWindow).
func (s *Service) LoginLimits() (int, time.Duration) { return s.cfg.LoginAttempts, s.cfg.LoginWindow }
