package consensus

import (
	"context"
	"crypto/subtle"
	"net/http"
	"slices"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/federation/signing"
)

// caller is who sent a write: a CSS operator (Admin) or a national node
// (Country, proven by its HTTP signature).
type caller struct {
	Admin   bool
	Country string
	// RequestID is the write's request id as the state remembers it: the
	// Idempotency-Key as sent for an operator; for a node (which must send
	// one, covered by its signature) prefixed with its country, so that
	// no node can answer, or block, another node's request id.
	RequestID string
}

// stateKeys is a signing.KeySource over a Badger state (the FSM's or a
// client cache's).
type stateKeys struct{ db func() *badger.DB }

var _ signing.KeySource = stateKeys{}

// KeysForHost returns the country whose node has host and its keys;
// ENOTFOUND when no active country's node has it.
func (s stateKeys) KeysForHost(_ context.Context, host string) (string, []twinfed.NodeKey, error) {
	var c *twinfed.Country
	err := s.db().View(func(txn *badger.Txn) error {
		var err error
		c, err = readCountryByHost(txn, host)
		return err
	})
	if err != nil {
		return "", nil, err
	}
	return activeKeys(c)
}

// fsmKeys is the member's signing.KeySource: the FSM's state, through a
// cache of the keys of the hosts that signed (FSM.hostKeys), so that a
// node's write does not read and decode its country's record each time.
type fsmKeys struct{ f *FSM }

var _ signing.KeySource = fsmKeys{}

// hostKeys is what the cache keeps of a node's host.
type hostKeys struct {
	gen     uint64 // FSM.keysGen when it was read
	country *twinfed.Country
}

// KeysForHost is stateKeys.KeysForHost, from the cache while no country
// or host changed since the entry was read.
func (k fsmKeys) KeysForHost(ctx context.Context, host string) (string, []twinfed.NodeKey, error) {
	gen := k.f.keysGen.Load()
	if e, ok := k.f.hostKeys.Load(host); ok && e.(*hostKeys).gen == gen {
		return activeKeys(e.(*hostKeys).country)
	}
	var c *twinfed.Country
	err := k.f.View(func(txn *badger.Txn) error {
		var err error
		c, err = readCountryByHost(txn, host)
		return err
	})
	if err != nil {
		return "", nil, err
	}
	// Only hosts of registered nodes are kept: the cache stays as small
	// as the federation, whatever hosts requests name.
	k.f.hostKeys.Store(host, &hostKeys{gen: gen, country: c})
	return activeKeys(c)
}

func activeKeys(c *twinfed.Country) (string, []twinfed.NodeKey, error) {
	if !c.Active {
		return "", nil, twinfed.Errorf(twinfed.ENOTFOUND, "%s no longer takes part in the programme", c.Code)
	}
	return c.Code, c.Keys, nil
}

func (m *Member) isAdmin(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && m.cfg.AdminToken != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(m.cfg.AdminToken)) == 1
}

// authenticate identifies the sender of a write whose body has been read:
// the admin token, or an HTTP signature made with a key the registry lists
// for the keyId's host (which must be its country's node).
//
// A node's write must carry an Idempotency-Key that its signature covers:
// the same signed request sent again (by the network, or by anyone who saw
// it, within the Date window) is then applied once.
func (m *Member) authenticate(r *http.Request, body []byte) (caller, error) {
	id, err := requestID(r)
	if err != nil {
		return caller{}, err
	}
	if m.isAdmin(r) {
		return caller{Admin: true, RequestID: id}, nil
	}
	if r.Header.Get("Authorization") != "" && r.Header.Get("Signature") == "" {
		m.metrics.authRefusals.WithLabelValues("bad_token").Inc()
		return caller{}, twinfed.Errorf(twinfed.EUNAUTHORIZED, "the bearer token is not the registry's admin token")
	}
	ver, err := m.verifier.Verify(r, body)
	if err != nil {
		reason := signing.Reason(err)
		if reason == "" {
			reason = "error"
		}
		m.metrics.authRefusals.WithLabelValues(reason).Inc()
		return caller{}, err
	}
	if id == "" {
		m.metrics.authRefusals.WithLabelValues("missing_idempotency_key").Inc()
		return caller{}, twinfed.Errorf(twinfed.EINVALID, "a node's write must carry an %s header (a new random id per write, the same when the write is sent again), covered by its signature", HeaderIdempotencyKey)
	}
	if !slices.Contains(ver.Headers, strings.ToLower(HeaderIdempotencyKey)) {
		m.metrics.authRefusals.WithLabelValues(signing.ReasonHeaders).Inc()
		return caller{}, twinfed.Errorf(twinfed.EUNAUTHORIZED, "the signature must cover the %s header; it covers %q", HeaderIdempotencyKey, strings.Join(ver.Headers, " "))
	}
	c := caller{Country: ver.Country}
	c.RequestID = c.requestID(id)
	return c, nil
}

// requestID is the request id the state remembers for a write c sent
// with key (see caller.RequestID).
func (c caller) requestID(key string) string {
	if c.Admin {
		return key
	}
	return "node/" + c.Country + "/" + key
}

// mayWrite checks that c may write data of country.
func (c caller) mayWrite(country string) error {
	if c.Admin {
		return nil
	}
	if country != c.Country {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "the node of %s may write only its own country's records, not those of %q", c.Country, country)
	}
	return nil
}

func (c caller) by() string {
	if c.Admin {
		return ""
	}
	return c.Country
}

func requireAdmin(c caller, what string) error {
	if !c.Admin {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "only CSS operators (admin token) may %s", what)
	}
	return nil
}
