package federation

// The federation's one open edge (ARCHITECTURE.md "Trust"). A server the
// registry does not list may GET public objects (a diary actor, its
// outbox, its Articles) and POST Follow and Undo{Follow} to a diary
// actor's inbox; nothing else. Its signature is verified with the key its
// own actor document publishes: fetched (signed as the agency, with a
// timeout and a size limit), cached for openKeyTTL, fetched again once
// when a signature does not verify with the cached key (a key rotation).
// The key's owner must live on the key id's host and be the activity's
// actor. The agency blocks servers by domain: the node's configuration
// ([federation] blocked_domains) and the agency's back office (Block,
// Unblock); a blocked domain's requests are refused with 403 and its
// followers dropped.

import (
	"context"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/config"
	"github.com/twinfed/twinfed/federation/signing"
)

// Badger keys of the open edge.
const (
	prefixOpenFollower = "fed/open/f/" // + diary actor + "\x00" + follower actor → twinfed.DiaryFollower (JSON)
	prefixOpenBlock    = "fed/open/b/" // + domain → twinfed.DomainBlock (JSON)
)

// Bounds of an actor document fetched for its key.
const (
	openKeyTTL        = time.Hour
	maxActorDocument  = 1 << 20
	actorFetchTimeout = 10 * time.Second
)

// Refusal reasons of the open edge, as the refusal metric labels them: a
// request from a blocked domain; an activity the open edge does not take.
const (
	ReasonBlocked = "blocked"
	ReasonNotOpen = "not_open"
)

// hostname is host without its port.
func hostname(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return host
}

// blockedBy returns the block that covers host (a domain blocks itself
// and its subdomains), or nil.
func (o *Outbox) blockedBy(host string) *twinfed.DomainBlock {
	h := strings.ToLower(hostname(host))
	if h == "" {
		return nil
	}
	for _, d := range o.set.BlockedDomains {
		if twinfed.BlockCovers(d, h) {
			return &twinfed.DomainBlock{Domain: d, Config: true}
		}
	}
	var found *twinfed.DomainBlock
	_ = o.db.View(func(txn *badger.Txn) error {
		// Every suffix of h that is a domain: h itself, then its parents.
		for d := h; d != ""; {
			if item, err := txn.Get([]byte(prefixOpenBlock + d)); err == nil {
				var b twinfed.DomainBlock
				if item.Value(func(v []byte) error { return json.Unmarshal(v, &b) }) == nil {
					found = &b
					return nil
				}
			}
			_, rest, ok := strings.Cut(d, ".")
			if !ok {
				break
			}
			d = rest
		}
		return nil
	})
	return found
}

// Blocked reports whether the agency blocks the server at host.
func (o *Outbox) Blocked(host string) bool { return o.blockedBy(host) != nil }

// Block refuses a fediverse domain at the open edge from now on and drops
// the diary followers on it. by is the staff member's username.
func (o *Outbox) Block(domain, reason, by string) error {
	domain = strings.ToLower(strings.TrimSpace(domain))
	reason = strings.TrimSpace(reason)
	if !config.ValidDomain(domain) {
		return &twinfed.Error{Code: twinfed.EINVALID, Message: "Write a domain like social.example: no scheme, port or path.", Fields: map[string]string{"domain": "Write a domain like social.example: no scheme, port or path."}}
	}
	if reason == "" || len(reason) > 500 {
		return &twinfed.Error{Code: twinfed.EINVALID, Message: "Say why the server is blocked, in at most 500 characters.", Fields: map[string]string{"reason": "Say why the server is blocked, in at most 500 characters."}}
	}
	rec, err := json.Marshal(twinfed.DomainBlock{Domain: domain, Reason: reason, By: by, At: o.now().UTC()})
	if err != nil {
		return err
	}
	return o.db.Update(func(txn *badger.Txn) error {
		if err := txn.Set([]byte(prefixOpenBlock+domain), rec); err != nil {
			return err
		}
		var drop [][]byte
		err := eachFollower(txn, "", func(k []byte, f *twinfed.DiaryFollower) error {
			if twinfed.BlockCovers(domain, twinfed.URLHost(f.Actor)) {
				drop = append(drop, k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range drop {
			if err := txn.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// dropConfigBlocked deletes the followers on the domains the node's
// configuration blocks (a domain added there since they followed).
func (o *Outbox) dropConfigBlocked() error {
	if len(o.set.BlockedDomains) == 0 {
		return nil
	}
	return o.db.Update(func(txn *badger.Txn) error {
		var drop [][]byte
		err := eachFollower(txn, "", func(k []byte, f *twinfed.DiaryFollower) error {
			for _, d := range o.set.BlockedDomains {
				if twinfed.BlockCovers(d, twinfed.URLHost(f.Actor)) {
					drop = append(drop, k)
					break
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range drop {
			if err := txn.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// Unblock lifts the agency's block of a domain (a block in the node's
// configuration stays until the configuration changes).
func (o *Outbox) Unblock(domain string) error {
	domain = strings.ToLower(strings.TrimSpace(domain))
	if slices.Contains(o.set.BlockedDomains, domain) {
		return twinfed.Errorf(twinfed.EINVALID, "%s is blocked in the node's configuration ([federation] blocked_domains); the operator unblocks it there.", domain)
	}
	return o.db.Update(func(txn *badger.Txn) error {
		if _, err := txn.Get([]byte(prefixOpenBlock + domain)); errors.Is(err, badger.ErrKeyNotFound) {
			return twinfed.Errorf(twinfed.ENOTFOUND, "%s is not blocked.", domain)
		}
		return txn.Delete([]byte(prefixOpenBlock + domain))
	})
}

// Blocks lists the blocked domains: the configuration's, then the
// agency's, by domain.
func (o *Outbox) Blocks() ([]twinfed.DomainBlock, error) {
	var out []twinfed.DomainBlock
	for _, d := range o.set.BlockedDomains {
		out = append(out, twinfed.DomainBlock{Domain: d, Config: true})
	}
	var stored []twinfed.DomainBlock
	err := o.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefixOpenBlock), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var b twinfed.DomainBlock
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &b) }); err != nil {
				return err
			}
			stored = append(stored, b)
		}
		return nil
	})
	sort.Slice(stored, func(i, j int) bool { return stored[i].Domain < stored[j].Domain })
	return append(out, stored...), err
}

// DiaryFollowers lists the followers of the node's diaries ("": of all),
// by diary then since when.
func (o *Outbox) DiaryFollowers(diary string) ([]twinfed.DiaryFollower, error) {
	var out []twinfed.DiaryFollower
	err := o.db.View(func(txn *badger.Txn) error {
		return eachFollower(txn, diary, func(_ []byte, f *twinfed.DiaryFollower) error {
			out = append(out, *f)
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Diary != out[j].Diary {
			return out[i].Diary < out[j].Diary
		}
		return out[i].Since.Before(out[j].Since)
	})
	return out, err
}

func followerKey(diary, actor string) []byte {
	return []byte(prefixOpenFollower + diary + "\x00" + actor)
}

// eachFollower calls fn for every follower of diary ("": of every diary).
func eachFollower(txn *badger.Txn, diary string, fn func(k []byte, f *twinfed.DiaryFollower) error) error {
	prefix := prefixOpenFollower
	if diary != "" {
		prefix += diary + "\x00"
	}
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix), PrefetchValues: true})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		var f twinfed.DiaryFollower
		if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &f) }); err != nil {
			return err
		}
		if err := fn(it.Item().KeyCopy(nil), &f); err != nil {
			return err
		}
	}
	return nil
}

// openKeys is the open edge's key source: the registry's keys for a node
// of the federation, else the key the key id's actor document publishes,
// fetched and cached.
type openKeys struct {
	o *Outbox

	once sync.Once
	c    *http.Client // client()

	mu sync.Mutex
	m  map[string]fetchedKey // key id → key
}

type fetchedKey struct {
	owner string
	pem   string
	alg   string
	at    time.Time
}

var _ signing.KeyIDSource = (*openKeys)(nil)

// fetchMark records whether a request's verification fetched a key (a
// fresh key need not be fetched again when the signature fails).
type fetchMark struct{ fetched bool }

type fetchMarkKey struct{}

func (k *openKeys) KeysForHost(ctx context.Context, host string) (string, []twinfed.NodeKey, error) {
	return k.o.keys.KeysForHost(ctx, host)
}

// KeysForKeyID returns the registry's keys for a node of the federation,
// or the key an outside server's actor document publishes under keyID.
func (k *openKeys) KeysForKeyID(ctx context.Context, keyID string) (string, []twinfed.NodeKey, error) {
	host := twinfed.URLHost(keyID)
	country, keys, err := k.o.keys.KeysForHost(ctx, host)
	if err == nil || twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		return country, keys, err
	}
	fk, err := k.get(ctx, keyID)
	if err != nil {
		return "", nil, err
	}
	return "", []twinfed.NodeKey{{ID: keyID, Algorithm: fk.alg, PublicPEM: fk.pem}}, nil
}

// owner returns the owner of a fetched key ("" for a key not fetched).
func (k *openKeys) owner(keyID string) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.m[keyID].owner
}

// forget drops a cached key so that the next request fetches it again.
func (k *openKeys) forget(keyID string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	_, ok := k.m[keyID]
	delete(k.m, keyID)
	return ok
}

// get returns keyID's key from the cache when fresh, else fetched.
func (k *openKeys) get(ctx context.Context, keyID string) (fetchedKey, error) {
	now := k.o.now()
	k.mu.Lock()
	fk, ok := k.m[keyID]
	k.mu.Unlock()
	if ok && now.Sub(fk.at) < openKeyTTL && now.Sub(fk.at) >= 0 {
		return fk, nil
	}
	fk, err := k.fetch(ctx, keyID)
	if err != nil {
		return fk, err
	}
	if m, ok := ctx.Value(fetchMarkKey{}).(*fetchMark); ok {
		m.fetched = true
	}
	fk.at = now
	k.mu.Lock()
	if len(k.m) > 10000 { // a bound on what outside servers make us hold
		k.m = map[string]fetchedKey{}
	}
	k.m[keyID] = fk
	k.mu.Unlock()
	return fk, nil
}

// errPrivateAddress refuses a connection the open edge must not make.
var errPrivateAddress = errors.New("a private network address")

// client is the HTTP client of the key fetches: the outbox's, but for
// its dialer, which refuses loopback, private, link-local and unspecified
// addresses unless [federation] open_edge_private allows them (an
// outside server must not make the node reach its own network).
func (k *openKeys) client() *http.Client {
	k.once.Do(func() {
		if k.o.set.OpenEdgePrivate {
			k.c = k.o.client
			return
		}
		d := &net.Dialer{Timeout: actorFetchTimeout, Control: func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			ip := net.ParseIP(host)
			if ip == nil || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsUnspecified() || ip.IsMulticast() {
				return errPrivateAddress
			}
			return nil
		}}
		k.c = &http.Client{Timeout: actorFetchTimeout, Transport: &http.Transport{DialContext: d.DialContext, Proxy: nil, MaxIdleConnsPerHost: 2, IdleConnTimeout: 90 * time.Second}}
	})
	return k.c
}

// fetch GETs the document of keyID (its URL without the fragment) and
// finds the key: the document's publicKey (one or a list) with that id, or
// the document itself when it is the key. The key's owner must live on
// the key id's host.
func (k *openKeys) fetch(ctx context.Context, keyID string) (fetchedKey, error) {
	u, err := url.Parse(keyID)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fetchedKey{}, signing.Refusal(signing.ReasonMalformed, "the keyId %q is not an http(s) URL", keyID)
	}
	u.Fragment = ""
	ctx, cancel := context.WithTimeout(ctx, actorFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fetchedKey{}, signing.Refusal(signing.ReasonMalformed, "the keyId %q is not a URL", keyID)
	}
	req.Header.Set("Accept", ContentTypeActivity)
	req.Header.Set("User-Agent", "twinfed/"+k.o.cfg.Version+" (+"+k.o.base+")")
	// Servers with authorized fetch answer only signed GETs.
	if err := k.o.sign(req, schemeCavageRSA, twinfed.AgencyURL(k.o.base), nil); err != nil {
		return fetchedKey{}, err
	}
	unknown := func(format string, args ...any) (fetchedKey, error) {
		return fetchedKey{}, signing.Refusal(signing.ReasonUnknownKey, "the key %s could not be had: "+format, append([]any{keyID}, args...)...)
	}
	resp, err := k.client().Do(req)
	if err != nil {
		if errors.Is(err, errPrivateAddress) {
			return unknown("%s is on a private network address", u.Host)
		}
		k.o.log.Info("federation: open edge: fetch a key", "key", keyID, "err", err)
		return unknown("the server did not answer")
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxActorDocument+1))
	if err != nil {
		return unknown("%v", err)
	}
	if len(body) > maxActorDocument {
		return unknown("its document is over %d bytes", maxActorDocument)
	}
	if resp.StatusCode != http.StatusOK {
		return unknown("%s answered %s", u.Host, resp.Status)
	}
	type keyDoc struct {
		ID           string `json:"id"`
		Owner        string `json:"owner"`
		PublicKeyPem string `json:"publicKeyPem"`
	}
	var doc struct {
		keyDoc
		PublicKey json.RawMessage `json:"publicKey"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return unknown("its document is not JSON")
	}
	var cands []keyDoc
	if doc.PublicKeyPem != "" {
		cands = append(cands, doc.keyDoc)
	}
	var one keyDoc
	var many []keyDoc
	if json.Unmarshal(doc.PublicKey, &one) == nil && one.ID != "" {
		cands = append(cands, one)
	} else if json.Unmarshal(doc.PublicKey, &many) == nil {
		cands = append(cands, many...)
	}
	for _, c := range cands {
		if c.ID != keyID || c.PublicKeyPem == "" {
			continue
		}
		if c.Owner == "" || twinfed.URLHost(c.Owner) != u.Host {
			return fetchedKey{}, signing.Refusal(signing.ReasonUnknownKey, "the key %s is owned by %q, not by an actor of %s", keyID, c.Owner, u.Host)
		}
		pub, err := signing.ParsePublicPEM(c.PublicKeyPem)
		if err != nil {
			return unknown("its publicKeyPem does not parse")
		}
		alg := ""
		switch pub.(type) {
		case *rsa.PublicKey:
			alg = twinfed.KeyRSA
		case ed25519.PublicKey:
			alg = twinfed.KeyEd25519
		default:
			return unknown("its key is of an unsupported type %T", pub)
		}
		return fetchedKey{owner: c.Owner, pem: c.PublicKeyPem, alg: alg}, nil
	}
	return unknown("the document at %s publishes no key with that id", u.String())
}

// claimedKeyHost is the host of the key id a request's signature names,
// before anything is verified (a blocked server is refused at once).
func claimedKeyHost(r *http.Request) string { return twinfed.URLHost(claimedKeyID(r)) }

// refuseBlocked answers 403 to a blocked server.
func (o *Outbox) refuseBlocked(w http.ResponseWriter, host string, b *twinfed.DomainBlock) {
	o.refuse(w, ReasonBlocked, twinfed.Errorf(twinfed.EFORBIDDEN, "%s is blocked by this node's agency (domain %s)", hostname(host), b.Domain))
}

// verifyOpen verifies an inbound request at the open edge: the registry's
// keys for a node of the federation, the key its actor document publishes
// for any other server, fetched again once if the cached one fails.
func (o *Outbox) verifyOpen(r *http.Request, body []byte) (*signing.Verified, error) {
	mark := &fetchMark{}
	r = r.WithContext(context.WithValue(r.Context(), fetchMarkKey{}, mark))
	v, err := o.openVerifier.Verify(r, body)
	if signing.Reason(err) == signing.ReasonBadSig && !mark.fetched {
		if keyID := claimedKeyID(r); keyID != "" && o.open.forget(keyID) {
			v, err = o.openVerifier.Verify(r, body)
		}
	}
	return v, err
}

// claimedKeyID is the key id a request's signature names.
func claimedKeyID(r *http.Request) string {
	for _, h := range []string{r.Header.Get("Signature-Input"), r.Header.Get("Signature")} {
		for _, name := range []string{`keyid="`, `keyId="`} {
			if _, rest, ok := strings.Cut(h, name); ok {
				if id, _, ok := strings.Cut(rest, `"`); ok {
					return id
				}
			}
		}
	}
	return ""
}

// openActivity is what a diary's inbox reads of an activity.
type openActivity struct {
	ID     string          `json:"id"`
	Type   string          `json:"type"`
	Actor  string          `json:"actor"`
	Object json.RawMessage `json:"object"`
}

// objectRef reads an activity's object: an id, or an object with an id
// (and, for a Follow, its actor and object).
func (a *openActivity) objectRef() (id string, inner *openActivity) {
	if json.Unmarshal(a.Object, &id) == nil {
		return id, nil
	}
	var o openActivity
	if json.Unmarshal(a.Object, &o) == nil {
		return o.ID, &o
	}
	return "", nil
}

// handleDiaryInbox is POST <project>/diary/inbox: Follow and Undo{Follow}
// from any fediverse server, verified with its published key.
func (f *Federation) handleDiaryInbox(w http.ResponseWriter, r *http.Request) {
	project := twinfed.ProjectURL(f.base, r.PathValue("id"))
	diary := twinfed.DiaryURL(project)
	if _, err := f.localDiary(r.Context(), project); err != nil {
		writeError(w, err)
		return
	}
	body, err := signing.ReadBody(r, f.set.MaxInboxBody)
	if err != nil {
		f.refuse(w, ReasonTooLarge, err)
		return
	}
	if host := claimedKeyHost(r); host != "" {
		if b := f.blockedBy(host); b != nil {
			f.refuseBlocked(w, host, b)
			return
		}
	}
	v, err := f.verifyOpen(r, body)
	if err != nil {
		reason := signing.Reason(err)
		if reason == "" {
			f.log.Error("federation: diary inbox: verify", "err", err)
			writeError(w, twinfed.Errorf(twinfed.EUNAVAILABLE, "the registry is unavailable; try again later"))
			return
		}
		f.refuse(w, reason, err)
		return
	}
	var a openActivity
	if err := json.Unmarshal(body, &a); err != nil || a.ID == "" || a.Actor == "" {
		f.refuse(w, ReasonInvalidActivity, twinfed.Errorf(twinfed.EINVALID, "the body is not an activity with an id and an actor"))
		return
	}
	if a.Type != string(twinfed.ActivityFollow) && a.Type != string(twinfed.ActivityUndo) {
		f.refuse(w, ReasonNotOpen, twinfed.Errorf(twinfed.EFORBIDDEN, "a diary's inbox accepts only Follow and Undo of a Follow; %q is refused", a.Type))
		return
	}
	if twinfed.URLHost(a.Actor) != v.Host || twinfed.URLHost(a.ID) != v.Host {
		f.refuse(w, ReasonCrossOrigin, twinfed.Errorf(twinfed.EFORBIDDEN, "the activity's actor %s and id %s must be on the signing server %s", a.Actor, a.ID, v.Host))
		return
	}
	if v.Country == "" {
		if owner := f.open.owner(v.KeyID); owner != a.Actor {
			f.refuse(w, ReasonCrossOrigin, twinfed.Errorf(twinfed.EFORBIDDEN, "the key %s belongs to %s, not to the activity's actor %s", v.KeyID, owner, a.Actor))
			return
		}
	}
	id, inner := a.objectRef()
	switch twinfed.ActivityType(a.Type) {
	case twinfed.ActivityFollow:
		if id != diary {
			f.refuse(w, ReasonInvalidActivity, twinfed.Errorf(twinfed.EINVALID, "the Follow's object must be this diary, %s", diary))
			return
		}
		err = f.followDiary(diary, a.Actor, a.ID)
	default:
		if inner != nil && (inner.Type != string(twinfed.ActivityFollow) || inner.Actor != "" && inner.Actor != a.Actor) {
			f.refuse(w, ReasonNotOpen, twinfed.Errorf(twinfed.EFORBIDDEN, "a diary's inbox accepts only Undo of the sender's own Follow"))
			return
		}
		err = f.unfollowDiary(diary, a.Actor, id)
	}
	if err != nil {
		f.log.Error("federation: diary inbox", "diary", diary, "actor", a.Actor, "err", err)
		writeError(w, err)
		return
	}
	f.m.inbox.WithLabelValues(InboxAccepted).Inc()
	w.WriteHeader(http.StatusAccepted)
}

// followDiary records a follower of a diary and answers its Follow with
// an Accept, in one transaction. A Follow already recorded is answered
// again (the follower may have missed the Accept), once per Follow id.
func (f *Federation) followDiary(diary, actor, followID string) error {
	rec, err := json.Marshal(twinfed.DiaryFollower{Diary: diary, Actor: actor, Follow: followID, Since: f.now().UTC()})
	if err != nil {
		return err
	}
	accept := &twinfed.Activity{ID: twinfed.ActivityURL(f.base, "diary-accept-"+shortHash(diary+"\x00"+followID)), Type: twinfed.ActivityAccept,
		Actor: diary, To: []string{actor}, Object: followID}
	body, err := encodeJSON(map[string]any{
		"@context": nsActivityStreams, "id": accept.ID, "type": "Accept", "actor": diary, "to": []string{actor},
		"object": map[string]any{"id": followID, "type": "Follow", "actor": actor, "object": diary},
	})
	if err != nil {
		return err
	}
	return f.Update(func(txn *badger.Txn) error {
		if err := txn.Set(followerKey(diary, actor), rec); err != nil {
			return err
		}
		err := f.enqueueBody(txn, accept, body, true)
		if twinfed.ErrorCode(err) == twinfed.ECONFLICT {
			return nil // this Follow was answered already
		}
		return err
	})
}

// unfollowDiary forgets a follower whose Undo names its Follow (by id, or
// any Follow of the diary when the id is not known).
func (f *Federation) unfollowDiary(diary, actor, followID string) error {
	return f.db.Update(func(txn *badger.Txn) error {
		item, err := txn.Get(followerKey(diary, actor))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		var rec twinfed.DiaryFollower
		if err := item.Value(func(v []byte) error { return json.Unmarshal(v, &rec) }); err != nil {
			return err
		}
		if followID != "" && rec.Follow != followID {
			return nil
		}
		return txn.Delete(followerKey(diary, actor))
	})
}

// dropGoneFollower forgets the follower a diary's delivery found gone
// (410: its account was deleted), so that nothing more is queued to it.
func (o *Outbox) dropGoneFollower(qi *queueItem) {
	recipient, err := o.recipientOn(qi)
	if err != nil {
		return
	}
	err = o.db.Update(func(txn *badger.Txn) error { return txn.Delete(followerKey(qi.Actor, recipient)) })
	if err != nil {
		o.log.Error("federation: forget a gone follower", "diary", qi.Actor, "follower", recipient, "err", err)
		return
	}
	o.log.Info("federation: a diary's follower is gone; forgotten", "diary", qi.Actor, "follower", recipient)
}

// isDiaryActor reports whether actor is a project's diary actor on this
// node: the one kind of actor that delivers outside the federation.
func (o *Outbox) isDiaryActor(actor string) bool {
	rest, ok := strings.CutPrefix(actor, o.base+"/projects/")
	if !ok {
		return false
	}
	id, tail, ok := strings.Cut(rest, "/")
	return ok && id != "" && tail == "diary"
}

// shortHash names an activity derived from s (idempotent ids).
func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:12])
}
