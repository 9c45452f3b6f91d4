package web

import (
	"context"
	"net/http"
)

// signerKey is the context key of the host of the node that signed a
// server-to-server request.
type signerKey struct{}

// WithSigner returns ctx carrying host, the node whose HTTP signature was
// verified for the request (RequireSigned sets it).
func WithSigner(ctx context.Context, host string) context.Context {
	return context.WithValue(ctx, signerKey{}, host)
}

// Signer returns the host of the node that signed the request of ctx:
// false for a request that no signature check let through.
func Signer(ctx context.Context) (string, bool) {
	h, ok := ctx.Value(signerKey{}).(string)
	return h, ok && h != ""
}

// SignatureChecker guards a handler with the HTTP-signature check of
// server-to-server requests. The federation's outbox implements it.
type SignatureChecker interface {
	// RequireSigned serves next only for a request signed by a node the
	// registry lists, answering 401 (or 503: registry unavailable) otherwise.
	RequireSigned(next http.Handler) http.Handler
	// SignerHost returns the host of the node whose signature
	// RequireSigned verified for the request of ctx.
	SignerHost(ctx context.Context) (string, bool)
}

// RequireSigned returns the wrapper of the routes only other nodes use:
// c's signature check, and the signing node's host put in the request's
// context for Signer (the wall posts' backfill gives a node only its
// readers' posts).
func RequireSigned(c SignatureChecker) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return c.RequireSigned(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if host, ok := c.SignerHost(r.Context()); ok {
				r = r.WithContext(WithSigner(r.Context(), host))
			}
			next.ServeHTTP(w, r)
		}))
	}
}
