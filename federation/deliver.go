package federation

// What a delivery is signed with and where it is posted.
//
// Schemes: a destination whose registry record lists an Ed25519 key is a
// Twinfed node and gets draft-cavage signed with the node's key file (the
// fast path: Ed25519 by default). Any other destination (a fediverse server
// registered for a country) first gets an RFC 9421 signature with the RSA
// key; on 401 the same attempt falls back once to draft-cavage with the RSA
// key, which Mastodon and most of the fediverse verify. The scheme a server
// accepted is remembered per host in memory: after a restart it costs one
// extra request per such server to learn it again, where persisting it
// would add a Badger write to the delivery path, and a server that starts
// verifying RFC 9421 is noticed after a restart.
//
// Inboxes: the activity is posted to endpoints.sharedInbox, or else the
// inbox, of the recipient's actor document, fetched with a signed GET and
// cached for inboxTTL (a host's shared inbox serves all its actors); the
// URL must be on the destination's host. A Twinfed node whose actor cannot
// be fetched gets its shared inbox, <host>/inbox, which every node serves.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
)

// scheme is how a delivery is signed.
type scheme int

const (
	schemeFast      scheme = iota // draft-cavage with the key file: Twinfed nodes
	schemeMessage                 // RFC 9421 with the RSA key
	schemeCavageRSA               // draft-cavage with the RSA key
)

func (s scheme) String() string {
	switch s {
	case schemeMessage:
		return "rfc9421"
	case schemeCavageRSA:
		return "draft-cavage-rsa"
	}
	return "draft-cavage"
}

// errGone is a recipient that answered 410 Gone: its account was deleted.
var errGone = errors.New("gone")

// inboxTTL is how long an actor's inbox, as its document names it, is
// reused without fetching the document again.
const inboxTTL = time.Hour

type cachedInbox struct {
	url string
	at  time.Time
}

// isTwinfed reports whether the registry's keys for a host are a Twinfed
// node's: every node registers an Ed25519 key.
func isTwinfed(keys []twinfed.NodeKey) bool {
	for _, k := range keys {
		if k.Algorithm == twinfed.KeyEd25519 {
			return true
		}
	}
	return false
}

// schemeFor returns the scheme to try first for host.
func (o *Outbox) schemeFor(host string, keys []twinfed.NodeKey) scheme {
	if isTwinfed(keys) {
		return schemeFast
	}
	if s, ok := o.schemes.Load(host); ok {
		return s.(scheme)
	}
	return schemeMessage
}

// sign signs req as keyID's actor with scheme s.
func (o *Outbox) sign(req *http.Request, s scheme, actor string, body []byte) error {
	switch s {
	case schemeMessage:
		return o.rsa.SignMessage(req, twinfed.KeyID(actor), body)
	case schemeCavageRSA:
		return o.rsa.Sign(req, twinfed.KeyID(actor), body)
	}
	return o.signer.Sign(req, twinfed.KeyID(actor), body)
}

// deliver posts qi's body to its destination: the inbox its recipient's
// actor names, signed by the destination's scheme, falling back once from
// RFC 9421 to draft-cavage RSA on 401.
func (o *Outbox) deliver(ctx context.Context, qi *queueItem, keys []twinfed.NodeKey) attemptResult {
	s := o.schemeFor(qi.Dest, keys)
	inbox, err := o.inboxFor(ctx, qi, s == schemeFast)
	if err != nil {
		if errors.Is(err, errGone) {
			return attemptResult{err: err.Error(), permanent: true, gone: true}
		}
		return attemptResult{err: err.Error()}
	}
	res, status := o.post(ctx, qi, inbox, s)
	if status == http.StatusUnauthorized && s == schemeMessage {
		s = schemeCavageRSA
		res, _ = o.post(ctx, qi, inbox, s)
	}
	if res.ok && s != schemeFast {
		o.schemes.Store(qi.Dest, s)
	}
	return res
}

// post signs a fresh request with scheme s and sends it.
func (o *Outbox) post(ctx context.Context, qi *queueItem, inbox string, s scheme) (attemptResult, int) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, inbox, bytes.NewReader(qi.body))
	if err != nil {
		return attemptResult{permanent: true, err: err.Error()}, 0
	}
	req.Header.Set("Content-Type", ContentTypeActivity)
	req.Header.Set("Accept", ContentTypeActivity)
	req.Header.Set("User-Agent", "twinfed/"+o.cfg.Version+" (+"+o.base+")")
	if err := o.sign(req, s, qi.Actor, qi.body); err != nil {
		return attemptResult{permanent: true, err: err.Error()}, 0
	}
	start := time.Now()
	resp, err := o.client.Do(req)
	o.m.deliveryLatency.Observe(time.Since(start).Seconds())
	if err != nil {
		return attemptResult{err: err.Error()}, 0
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return attemptResult{ok: true}, resp.StatusCode
	}
	said := fmt.Sprintf("%s answered %d", qi.Dest, resp.StatusCode)
	if s != schemeFast {
		said += " to a " + s.String() + " signature"
	}
	res := attemptResult{err: said + ": " + strings.TrimSpace(string(msg))}
	switch resp.StatusCode {
	case http.StatusGone:
		res.permanent, res.gone = true, true
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		res.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), o.now())
	case http.StatusRequestTimeout, http.StatusUnauthorized:
		// 401: the destination's registry cache may not know our key yet.
	default:
		if resp.StatusCode >= 400 && resp.StatusCode < 500 {
			res.permanent = true
		}
	}
	return res, resp.StatusCode
}

// inboxFor returns where to post qi: the shared inbox learnt for its host,
// or the inbox of its recipient on that host as the recipient's actor
// document names it. twinfedPeer allows the fallback to the node's shared
// inbox when the document cannot be had.
func (o *Outbox) inboxFor(ctx context.Context, qi *queueItem, twinfedPeer bool) (string, error) {
	now := o.now()
	fresh := func(key string) (string, bool) {
		if e, ok := o.inboxes.Load(key); ok {
			c := e.(cachedInbox)
			if d := now.Sub(c.at); d >= 0 && d < inboxTTL {
				return c.url, true
			}
		}
		return "", false
	}
	if u, ok := fresh(qi.Dest); ok {
		return u, nil
	}
	recipient, err := o.recipientOn(qi)
	if err != nil || recipient == "" {
		if twinfedPeer {
			return qi.Inbox, nil
		}
		return "", fmt.Errorf("no recipient of %s on %s: %v", qi.ActivityID, qi.Dest, err)
	}
	if u, ok := fresh(recipient); ok {
		return u, nil
	}
	inbox, shared, err := o.fetchInbox(ctx, recipient, twinfedPeer)
	if err != nil {
		if !twinfedPeer {
			return "", err
		}
		// Every node serves its shared inbox: use it, and do not fetch
		// for each delivery while its actors cannot be had.
		inbox, shared = qi.Inbox, true
		o.log.Debug("federation: recipient's inbox unknown; using the shared inbox", "recipient", recipient, "err", err)
	}
	if shared {
		o.inboxes.Store(qi.Dest, cachedInbox{url: inbox, at: now})
	} else {
		o.inboxes.Store(recipient, cachedInbox{url: inbox, at: now})
	}
	return inbox, nil
}

// recipientOn returns the first recipient of qi's activity on its
// destination's host.
func (o *Outbox) recipientOn(qi *queueItem) (string, error) {
	var to []string
	err := o.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(prefixAct + qi.ActivityID))
		if err != nil {
			return err
		}
		return item.Value(func(b []byte) error {
			_, to, err = decodeOutRecord(b)
			return err
		})
	})
	if err != nil {
		return "", err
	}
	for _, r := range to {
		if twinfed.URLHost(r) == qi.Dest {
			return r, nil
		}
	}
	return "", errors.New("none")
}

// fetchInbox fetches an actor document and returns its shared inbox (shared
// true) or its inbox, which must be on the actor's host.
func (o *Outbox) fetchInbox(ctx context.Context, actor string, twinfedPeer bool) (string, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, actor, nil)
	if err != nil {
		return "", false, fmt.Errorf("recipient %q: %v", actor, err)
	}
	req.Header.Set("Accept", ContentTypeActivity)
	req.Header.Set("User-Agent", "twinfed/"+o.cfg.Version+" (+"+o.base+")")
	s := schemeFast
	if !twinfedPeer {
		s = schemeCavageRSA // what servers with authorized fetch verify
	}
	if err := o.sign(req, s, twinfed.AgencyURL(o.base), nil); err != nil {
		return "", false, err
	}
	resp, err := o.client.Do(req)
	if err != nil {
		return "", false, fmt.Errorf("fetch the actor %s: %v", actor, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", false, fmt.Errorf("fetch the actor %s: %v", actor, err)
	}
	if resp.StatusCode == http.StatusGone {
		return "", false, fmt.Errorf("fetch the actor %s: answered %s: %w", actor, resp.Status, errGone)
	}
	if resp.StatusCode != http.StatusOK {
		return "", false, fmt.Errorf("fetch the actor %s: answered %s", actor, resp.Status)
	}
	var doc struct {
		Inbox     string `json:"inbox"`
		Endpoints struct {
			SharedInbox string `json:"sharedInbox"`
			BatchInbox  string `json:"twinfed:batchInbox"`
		} `json:"endpoints"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", false, fmt.Errorf("the actor %s is not a JSON document: %v", actor, err)
	}
	host := twinfed.URLHost(actor)
	if twinfedPeer {
		o.learnBatchInbox(host, doc.Endpoints.BatchInbox)
	}
	if u := doc.Endpoints.SharedInbox; u != "" && twinfed.URLHost(u) == host {
		return u, true, nil
	}
	if u := doc.Inbox; u != "" && twinfed.URLHost(u) == host {
		return u, false, nil
	}
	return "", false, fmt.Errorf("the actor %s names no inbox on %s", actor, host)
}
