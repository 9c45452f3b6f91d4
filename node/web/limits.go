package web

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web/ratelimit"
)

// Rate is a per-client-address limit (ratelimit.Rate).
type Rate = ratelimit.Rate

// The limits the kit knows by name: features wrap their handlers with
// Limited(name, …); LimitAPI covers every /api/v1 request.
const (
	LimitLogin    = "login"
	LimitRegister = "register"
	LimitReset    = "reset"
	LimitResend   = "resend"
	LimitAPI      = "api"
)

type clientKey struct{}

// ClientIP is the address the request came from, without its port: the
// connection's address, or, when that is a trusted reverse proxy, the
// nearest address of X-Forwarded-For that is not (Config.TrustedProxies).
func ClientIP(r *http.Request) string {
	if a, ok := r.Context().Value(clientKey{}).(string); ok {
		return a
	}
	return remoteHost(r)
}

func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// clientAddr works out the client's address once per request.
func (k *Kit) clientAddr(r *http.Request) string {
	host := remoteHost(r)
	if len(k.cfg.TrustedProxies) == 0 {
		return host
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !k.trusted(addr) {
		return host
	}
	// Walk X-Forwarded-For from the nearest hop back: the first address
	// not of a trusted proxy is the client (what is left of it may be
	// forged by the client itself).
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return addr.String() // a malformed hop: trust nothing beyond the proxy
		}
		if !k.trusted(a) {
			return a.Unmap().String()
		}
		addr = a
	}
	return addr.Unmap().String()
}

func (k *Kit) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range k.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// tooMany is a RateLimited error for a client over a limit.
type tooMany struct{ wait time.Duration }

func (e tooMany) Error() string          { return "too many requests from this address" }
func (e tooMany) RetryIn() time.Duration { return e.wait }

// Limited wraps h with the per-client-address limit name for requests
// that change something (every method but GET and HEAD): beyond it the
// client gets 429 with Retry-After, as a page or as JSON under /api/.
func (k *Kit) Limited(name string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if ok, wait := k.limits.Take(name, ClientIP(r)); !ok {
				k.refuseTooMany(w, r, wait)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

func (k *Kit) refuseTooMany(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		APIFail(w, tooMany{wait})
		return
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
	k.statusPage(w, k.loaded(r), http.StatusTooManyRequests, twinfed.Errorf(twinfed.EINVALID, "Too many requests from your address. Wait a little and try again."))
}

// serveLimited is the kit's front door: it records the client's address,
// refuses cross-origin state-changing requests from browsers (the
// standard library's protection, beside the CSRF token), marks HTTPS
// responses with HSTS, and counts /api/v1 requests against LimitAPI.
func (k *Kit) serveLimited(w http.ResponseWriter, r *http.Request, next http.Handler) {
	r = r.WithContext(context.WithValue(r.Context(), clientKey{}, k.clientAddr(r)))
	if k.cfg.HTTPS {
		w.Header().Set("Strict-Transport-Security", "max-age=31536000")
	}
	if strings.HasPrefix(r.URL.Path, "/api/v1/") {
		if ok, wait := k.limits.Take(LimitAPI, ClientIP(r)); !ok {
			k.refuseTooMany(w, r, wait)
			return
		}
	}
	k.crossOrigin.Handler(next).ServeHTTP(w, r)
}

// loaded is r with its request state (session, language): the limits
// refuse before the page's wrapper has loaded it.
func (k *Kit) loaded(r *http.Request) *http.Request {
	if _, ok := r.Context().Value(ctxKey{}).(*RequestState); ok {
		return r
	}
	return k.load(r)
}
