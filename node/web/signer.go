package web

import "context"

// signerKey is the context key of the host of the node that signed a
// server-to-server request.
type signerKey struct{}

// WithSigner returns ctx carrying host, the node whose HTTP signature was
// verified for the request (the node's Signed wrapper sets it).
func WithSigner(ctx context.Context, host string) context.Context {
	return context.WithValue(ctx, signerKey{}, host)
}

// Signer returns the host of the node that signed the request of ctx:
// false for a request that no signature check let through.
func Signer(ctx context.Context) (string, bool) {
	h, ok := ctx.Value(signerKey{}).(string)
	return h, ok && h != ""
}
