package federation

// Signed GETs between nodes: Get fetches a document from another node with
// a request signed by this node's key, RequireSigned guards a handler so
// that only nodes of the federation (as the registry lists them) may read
// it. Backfill of the directory uses both.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/federation/signing"
)

// MaxGetBody is the largest body Get reads; a directory page of a few
// hundred public profiles is well under it.
const MaxGetBody = 16 << 20

// Get fetches rawURL, which must be on a node of the federation, with a GET
// signed by this node's key as its agency actor (keyId
// <base>/agency#main-key, over (request-target) host date digest; with the
// RSA key for a server that is not a Twinfed node) and
// Accept: application/activity+json. It returns the body of a 2xx answer.
//
// Errors are *twinfed.Error: EINVALID for a URL that is not absolute
// http(s) or whose host the registry does not list (nothing is sent);
// EUNAVAILABLE when the node cannot be reached, times out, or answers 5xx
// or 429 (try again later); ENOTFOUND for 404 or 410; EUNAUTHORIZED when it
// refused our signature (401; its registry cache may not know our key yet);
// EFORBIDDEN for 403; ETOOLARGE for a body over MaxGetBody; EINVALID for
// any other answer. The message names the URL and, for a refusal, what the
// node said.
func (o *Outbox) Get(ctx context.Context, rawURL string) ([]byte, error) {
	u, req, err := o.signedGet(ctx, rawURL, ContentTypeActivity)
	if err != nil {
		return nil, err
	}
	area := notServedKey(u)
	if ns, ok := o.notServedAt(area); ok {
		return nil, twinfed.Errorf(twinfed.ENOTFOUND, "%s does not serve %s (it answered %s); not asked again before %s",
			u.Host, ns.prefix, ns.status, ns.until.UTC().Format(time.RFC3339))
	}
	resp, err := o.client.Do(req)
	if err != nil {
		return nil, twinfed.Errorf(twinfed.EUNAVAILABLE, "cannot fetch %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxGetBody+1))
	if err != nil {
		return nil, twinfed.Errorf(twinfed.EUNAVAILABLE, "cannot fetch %s: reading the answer: %v", rawURL, err)
	}
	o.servedAnswer(area, u, resp)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if len(body) > MaxGetBody {
			return nil, twinfed.Errorf(twinfed.ETOOLARGE, "cannot fetch %s: the answer is over %d bytes", rawURL, MaxGetBody)
		}
		return body, nil
	}
	return nil, refusal(u, rawURL, resp, body)
}

// GetStream fetches rawURL with a signed GET as Get does, for a file too
// large to hold in memory (a TwinSpace's material): it returns the body
// of a 2xx answer unread, for the caller to read (bounding it) and close,
// and its Content-Length (-1 when unknown). Only ctx bounds the transfer
// (a file takes what the network takes); the answer's headers must come
// within Settings.DeliveryTimeout. A 404 does not start Get's not-served
// backoff: a file that is gone says nothing of whether a node serves
// files. The errors are Get's (ETOOLARGE aside).
func (o *Outbox) GetStream(ctx context.Context, rawURL string) (io.ReadCloser, int64, error) {
	u, req, err := o.signedGet(ctx, rawURL, "*/*")
	if err != nil {
		return nil, 0, err
	}
	// Headers within the delivery timeout, then as long as ctx allows.
	hctx, cancel := context.WithCancel(ctx)
	req = req.WithContext(hctx)
	timer := time.AfterFunc(o.set.DeliveryTimeout, cancel)
	resp, err := o.streamClient().Do(req)
	headersIn := timer.Stop()
	if err != nil {
		cancel()
		return nil, 0, twinfed.Errorf(twinfed.EUNAVAILABLE, "cannot fetch %s: %v", rawURL, err)
	}
	if !headersIn {
		resp.Body.Close()
		cancel()
		return nil, 0, twinfed.Errorf(twinfed.EUNAVAILABLE, "cannot fetch %s: no answer within %s", rawURL, o.set.DeliveryTimeout)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return cancelOnClose{resp.Body, cancel}, resp.ContentLength, nil
	}
	defer cancel()
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	return nil, 0, refusal(u, rawURL, resp, body)
}

// streamClient is the federation's client without its overall time limit.
func (o *Outbox) streamClient() *http.Client {
	c := *o.client
	c.Timeout = 0
	return &c
}

// cancelOnClose ends a stream's context when the stream is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// signedGet checks that rawURL is on a node the registry lists and builds
// the GET to it, signed by this node as its agency actor.
func (o *Outbox) signedGet(ctx context.Context, rawURL, accept string) (*url.URL, *http.Request, error) {
	u, err := mustURL(rawURL)
	if err != nil {
		return nil, nil, twinfed.Errorf(twinfed.EINVALID, "cannot fetch %q: not an absolute http(s) URL", rawURL)
	}
	_, keys, err := o.keys.KeysForHost(ctx, u.Host)
	if err != nil {
		if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			return nil, nil, twinfed.Errorf(twinfed.EINVALID, "cannot fetch %s: %s is not a node of this federation", rawURL, u.Host)
		}
		return nil, nil, twinfed.Errorf(twinfed.EUNAVAILABLE, "cannot fetch %s: the registry is unavailable: %v", rawURL, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, nil, twinfed.Errorf(twinfed.EINVALID, "cannot fetch %q: %v", rawURL, err)
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", "twinfed/"+o.cfg.Version+" (+"+o.base+")")
	s := schemeFast
	if !isTwinfed(keys) {
		s = schemeCavageRSA // a fediverse server registered for a country
	}
	if err := o.sign(req, s, twinfed.AgencyURL(o.base), nil); err != nil {
		return nil, nil, fmt.Errorf("federation: sign GET %s: %w", rawURL, err)
	}
	return u, req, nil
}

// refusal is the domain error of a GET's answer other than 2xx.
func refusal(u *url.URL, rawURL string, resp *http.Response, body []byte) error {
	said := strings.TrimSpace(string(body))
	if len(said) > 300 {
		said = said[:300] + "…"
	}
	code := twinfed.EINVALID
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		code = twinfed.ENOTFOUND
	case resp.StatusCode == http.StatusUnauthorized:
		code = twinfed.EUNAUTHORIZED
	case resp.StatusCode == http.StatusForbidden:
		code = twinfed.EFORBIDDEN
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		code = twinfed.EUNAVAILABLE
	}
	return twinfed.Errorf(code, "%s answered %s to GET %s: %s", u.Host, resp.Status, rawURL, said)
}

// A node that answers 404 or 410 for a part of its URL space (the first
// path segment: /directory for the directory backfill) may not serve it at
// all, being another version or another server: Get does not ask it again
// for that part before a backoff, from notServedBase doubling to
// notServedMax, has passed, and Status shows it. Any 2xx answer there
// ends it.
const (
	notServedBase = time.Minute
	notServedMax  = 6 * time.Hour
)

// notServed is a part of a node's URL space that answered 404 or 410.
type notServed struct {
	host, prefix string
	status       string // the answer, e.g. "404 Not Found"
	failures     int
	since, until time.Time
}

// notServedKey is the host and first path segment of u.
func notServedKey(u *url.URL) string {
	seg, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	return u.Host + " /" + seg
}

// notServedAt returns the backoff of area if it is still running.
func (o *Outbox) notServedAt(area string) (notServed, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	ns, ok := o.notServed[area]
	if !ok || !o.now().Before(ns.until) {
		return notServed{}, false
	}
	return *ns, true
}

// servedAnswer records what a node answered for area: a 404 or 410 starts
// or doubles its backoff (unless it says that only the record is missing:
// twinfed.HeaderNotFound), a 2xx ends it.
func (o *Outbox) servedAnswer(area string, u *url.URL, resp *http.Response) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		delete(o.notServed, area)
	case resp.Header.Get(twinfed.HeaderNotFound) != "":
		// a record missing on a route the node serves: nothing learnt of
		// the route
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		if o.notServed == nil {
			o.notServed = map[string]*notServed{}
		}
		ns, ok := o.notServed[area]
		now := o.now()
		if !ok {
			_, prefix, _ := strings.Cut(area, " ")
			ns = &notServed{host: u.Host, prefix: prefix, since: now}
			o.notServed[area] = ns
		}
		ns.failures++
		ns.status = resp.Status
		d := notServedBase << min(ns.failures-1, 20)
		ns.until = now.Add(min(d, notServedMax))
	}
}

// signerKey is the context key of the verified signer's host.
type signerKey struct{}

// SignerHost returns the host of the node whose signature RequireSigned
// verified for this request (its keyId's host, a node the registry lists).
func SignerHost(ctx context.Context) (string, bool) {
	h, ok := ctx.Value(signerKey{}).(string)
	return h, ok && h != ""
}

// SignerHost returns the host of the node whose signature RequireSigned
// verified for the request of ctx: node.SignatureChecker asks it.
func (o *Outbox) SignerHost(ctx context.Context) (string, bool) { return SignerHost(ctx) }

// RequireSigned lets a request through to next only when it carries an HTTP
// signature that verifies as the inbox's do: a Date within 5 minutes, a
// Digest matching the body (read up to Settings.MaxInboxBody and restored
// for next), the signature over (request-target) host date digest, a keyId
// on a node the registry lists, verified with a key registered for that
// node, nothing fetched. next finds the signer's host with SignerHost.
//
// A refused request gets 401 (413 for a body over the limit) with a one-line
// plain-text reason, and is counted in
// twinfed_federation_inbox_refusals_total by reason; 503 when the registry
// cannot answer.
func (o *Outbox) RequireSigned(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := signing.ReadBody(r, o.set.MaxInboxBody)
		if err != nil {
			o.refuse(w, ReasonTooLarge, err)
			return
		}
		v, err := o.verifier.Verify(r, body)
		if err != nil {
			if reason := signing.Reason(err); reason != "" {
				o.refuse(w, reason, err)
				return
			}
			o.log.Error("federation: signed request: verify", "err", err)
			writeError(w, twinfed.Errorf(twinfed.EUNAVAILABLE, "the registry is unavailable; try again later"))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), signerKey{}, v.Host)))
	})
}
