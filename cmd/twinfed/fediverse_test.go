package main

// A fediverse server that is not Twinfed, written here with its own RSA key
// and its own signature code (nothing of federation/signing), exchanges
// WebFinger, Follow and Accept with a real node in both directions, in two
// modes: one that verifies only draft-cavage RSA signatures, as Mastodon
// does, and one that verifies only RFC 9421 HTTP Message Signatures.

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/federation/signing"
)

const (
	modeCavage  = "draft-cavage-rsa"
	modeRFC9421 = "rfc9421"
)

// fediServer is the outside server: one actor, bob, with an inbox that
// verifies in its mode and answers a Follow with an Accept.
type fediServer struct {
	t    *testing.T
	mode string
	key  *rsa.PrivateKey
	srv  *httptest.Server
	base string
	c    *http.Client
	now  func() time.Time // the clock it signs with

	mu       sync.Mutex
	received []map[string]any // activities whose signature verified
	refused  []string         // why others were refused

	gone atomic.Bool // the account was deleted: 410 to everything
}

func startFediServer(t *testing.T, mode string) *fediServer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &fediServer{t: t, mode: mode, key: key, c: &http.Client{Timeout: 20 * time.Second}, now: time.Now}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/bob", f.serveActor)
	mux.HandleFunc("POST /users/bob/inbox", f.serveInbox)
	mux.HandleFunc("POST /inbox", f.serveInbox)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	f.base = f.srv.URL
	return f
}

func (f *fediServer) actor() string { return f.base + "/users/bob" }

func (f *fediServer) publicPEM() string {
	der, err := x509.MarshalPKIXPublicKey(&f.key.PublicKey)
	if err != nil {
		f.t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func (f *fediServer) serveActor(w http.ResponseWriter, r *http.Request) {
	if f.gone.Load() {
		http.Error(w, "gone", http.StatusGone)
		return
	}
	doc := map[string]any{
		"@context":          []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
		"id":                f.actor(),
		"type":              "Person",
		"preferredUsername": "bob",
		"inbox":             f.actor() + "/inbox",
		"publicKey":         map[string]any{"id": f.actor() + "#main-key", "owner": f.actor(), "publicKeyPem": f.publicPEM()},
	}
	if f.mode == modeCavage { // Mastodon publishes a shared inbox
		doc["endpoints"] = map[string]any{"sharedInbox": f.base + "/inbox"}
	}
	w.Header().Set("Content-Type", "application/activity+json")
	json.NewEncoder(w).Encode(doc)
}

func (f *fediServer) serveInbox(w http.ResponseWriter, r *http.Request) {
	if f.gone.Load() {
		http.Error(w, "gone", http.StatusGone)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	owner, err := f.verify(r, body)
	var a map[string]any
	if err == nil {
		if err = json.Unmarshal(body, &a); err == nil && a["actor"] != owner {
			err = fmt.Errorf("the key belongs to %s, the activity's actor is %v", owner, a["actor"])
		}
	}
	if err != nil {
		f.mu.Lock()
		f.refused = append(f.refused, err.Error())
		f.mu.Unlock()
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	f.mu.Lock()
	f.received = append(f.received, a)
	f.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
	if a["type"] == "Follow" && a["object"] == f.actor() {
		follower, _ := a["actor"].(string)
		go func() {
			accept := map[string]any{
				"@context": "https://www.w3.org/ns/activitystreams",
				"id":       f.base + "/activities/accept-" + strconv.FormatInt(time.Now().UnixNano(), 36),
				"type":     "Accept", "actor": f.actor(), "object": a["id"], "to": follower,
			}
			if code, msg := f.deliver(follower, accept); code != http.StatusAccepted {
				f.mu.Lock()
				f.refused = append(f.refused, fmt.Sprintf("our Accept was answered %d: %s", code, msg))
				f.mu.Unlock()
			}
		}()
	}
}

// fetchJSON GETs an ActivityStreams document.
func (f *fediServer) fetchJSON(u string) (map[string]any, error) {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Accept", "application/activity+json")
	resp, err := f.c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	var doc map[string]any
	return doc, json.NewDecoder(resp.Body).Decode(&doc)
}

// actorKey fetches the document of keyID and returns the key with that id
// (publicKey, or an assertionMethod Multikey) and its owner.
func (f *fediServer) actorKey(keyID string) (crypto.PublicKey, string, error) {
	doc, err := f.fetchJSON(strings.SplitN(keyID, "#", 2)[0])
	if err != nil {
		return nil, "", fmt.Errorf("fetch the key: %v", err)
	}
	if pk, ok := doc["publicKey"].(map[string]any); ok && pk["id"] == keyID {
		block, _ := pem.Decode([]byte(fmt.Sprint(pk["publicKeyPem"])))
		if block == nil {
			return nil, "", errors.New("publicKeyPem is not PEM")
		}
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		owner, _ := pk["owner"].(string)
		return pub, owner, err
	}
	for _, m := range asList(doc["assertionMethod"]) {
		mk, _ := m.(map[string]any)
		if mk["id"] == keyID {
			pub, err := decodeMultikey(fmt.Sprint(mk["publicKeyMultibase"]))
			owner, _ := mk["controller"].(string)
			return pub, owner, err
		}
	}
	return nil, "", fmt.Errorf("the actor document has no key %s", keyID)
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

// decodeMultikey reads a base58btc publicKeyMultibase: ed25519-pub or
// rsa-pub.
func decodeMultikey(mb string) (crypto.PublicKey, error) {
	if !strings.HasPrefix(mb, "z") {
		return nil, errors.New("not base58btc")
	}
	const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	n := new(big.Int)
	for _, c := range mb[1:] {
		i := strings.IndexRune(alphabet, c)
		if i < 0 {
			return nil, errors.New("not base58")
		}
		n.Mul(n, big.NewInt(58)).Add(n, big.NewInt(int64(i)))
	}
	raw := n.Bytes()
	switch {
	case len(raw) == 34 && raw[0] == 0xed && raw[1] == 0x01:
		return ed25519.PublicKey(raw[2:]), nil
	case len(raw) > 2 && raw[0] == 0x85 && raw[1] == 0x24:
		return x509.ParsePKCS1PublicKey(raw[2:])
	}
	return nil, fmt.Errorf("unknown multicodec % x", raw[:2])
}

// verify checks a request in the server's mode and returns the key's owner.
func (f *fediServer) verify(r *http.Request, body []byte) (string, error) {
	if f.mode == modeCavage {
		return f.verifyCavage(r, body)
	}
	return f.verifyRFC9421(r, body)
}

var cavageParam = regexp.MustCompile(`(\w+)="([^"]*)"`)

func (f *fediServer) verifyCavage(r *http.Request, body []byte) (string, error) {
	if r.Header.Get("Signature-Input") != "" {
		return "", errors.New("only draft-cavage signatures are verified here")
	}
	p := map[string]string{}
	for _, m := range cavageParam.FindAllStringSubmatch(r.Header.Get("Signature"), -1) {
		p[m[1]] = m[2]
	}
	headers := strings.Fields(p["headers"])
	if p["keyId"] == "" || p["signature"] == "" || strings.Join(headers, " ") != "(request-target) host date digest" {
		return "", fmt.Errorf("a draft-cavage signature over (request-target) host date digest is required; got %q", r.Header.Get("Signature"))
	}
	date, err := http.ParseTime(r.Header.Get("Date"))
	if err != nil || time.Since(date).Abs() > 5*time.Minute {
		return "", fmt.Errorf("stale or missing Date %q", r.Header.Get("Date"))
	}
	sum := sha256.Sum256(body)
	if r.Header.Get("Digest") != "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]) {
		return "", errors.New("the Digest does not match the body")
	}
	var lines []string
	for _, h := range headers {
		switch h {
		case "(request-target)":
			lines = append(lines, "(request-target): "+strings.ToLower(r.Method)+" "+r.URL.RequestURI())
		case "host":
			lines = append(lines, "host: "+r.Host)
		default:
			lines = append(lines, h+": "+r.Header.Get(h))
		}
	}
	pub, owner, err := f.actorKey(p["keyId"])
	if err != nil {
		return "", err
	}
	rk, ok := pub.(*rsa.PublicKey)
	if !ok {
		return "", fmt.Errorf("only RSA keys are verified here; %s is %T", p["keyId"], pub)
	}
	sig, _ := base64.StdEncoding.DecodeString(p["signature"])
	h := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	if err := rsa.VerifyPKCS1v15(rk, crypto.SHA256, h[:], sig); err != nil {
		return "", errors.New("the draft-cavage signature does not verify")
	}
	return owner, nil
}

var (
	sigInput   = regexp.MustCompile(`^([a-z0-9-]+)=\(([^)]*)\)(.*)$`)
	sigValue   = regexp.MustCompile(`([a-z0-9-]+)=:([A-Za-z0-9+/=]+):`)
	sigCreated = regexp.MustCompile(`;created=(\d+)`)
	sigKeyID   = regexp.MustCompile(`;keyid="([^"]+)"`)
	sigAlg     = regexp.MustCompile(`;alg="([^"]+)"`)
)

func (f *fediServer) verifyRFC9421(r *http.Request, body []byte) (string, error) {
	m := sigInput.FindStringSubmatch(r.Header.Get("Signature-Input"))
	if m == nil {
		return "", errors.New("only RFC 9421 signatures are verified here")
	}
	label, list, params := m[1], m[2], m[3]
	components := strings.Fields(strings.ReplaceAll(list, `"`, ""))
	if strings.Join(components, " ") != "@method @target-uri @authority content-digest" &&
		strings.Join(components, " ") != "@method @target-uri content-digest" {
		return "", fmt.Errorf("unexpected components %v", components)
	}
	cm := sigCreated.FindStringSubmatch(params)
	if cm == nil {
		return "", errors.New("no created parameter")
	}
	created, _ := strconv.ParseInt(cm[1], 10, 64)
	if time.Since(time.Unix(created, 0)).Abs() > 5*time.Minute {
		return "", errors.New("the signature is stale")
	}
	sum := sha256.Sum256(body)
	if r.Header.Get("Content-Digest") != "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":" {
		return "", errors.New("the Content-Digest does not match the body")
	}
	var sig []byte
	for _, v := range sigValue.FindAllStringSubmatch(r.Header.Get("Signature"), -1) {
		if v[1] == label {
			sig, _ = base64.StdEncoding.DecodeString(v[2])
		}
	}
	var b strings.Builder
	for _, c := range components {
		var v string
		switch c {
		case "@method":
			v = r.Method
		case "@target-uri":
			v = f.base + r.URL.RequestURI()
		case "@authority":
			v = r.Host
		default:
			v = r.Header.Get(c)
		}
		fmt.Fprintf(&b, "%q: %s\n", c, v)
	}
	fmt.Fprintf(&b, `"@signature-params": (%s)%s`, list, params)
	km := sigKeyID.FindStringSubmatch(params)
	if km == nil {
		return "", errors.New("no keyid")
	}
	pub, owner, err := f.actorKey(km[1])
	if err != nil {
		return "", err
	}
	alg := ""
	if am := sigAlg.FindStringSubmatch(params); am != nil {
		alg = am[1]
	}
	ok := false
	switch k := pub.(type) {
	case *rsa.PublicKey:
		h := sha256.Sum256([]byte(b.String()))
		ok = alg == "rsa-v1_5-sha256" && rsa.VerifyPKCS1v15(k, crypto.SHA256, h[:], sig) == nil
	case ed25519.PublicKey:
		ok = alg == "ed25519" && ed25519.Verify(k, []byte(b.String()), sig)
	}
	if !ok {
		return "", errors.New("the RFC 9421 signature does not verify")
	}
	return owner, nil
}

// deliver posts an activity to the inbox the recipient's actor names,
// signed in the server's mode, and returns the answer.
func (f *fediServer) deliver(recipient string, activity map[string]any) (int, string) {
	doc, err := f.fetchJSON(recipient)
	if err != nil {
		return 0, err.Error()
	}
	inbox, _ := doc["inbox"].(string)
	if ep, ok := doc["endpoints"].(map[string]any); ok && ep["sharedInbox"] != nil {
		inbox = fmt.Sprint(ep["sharedInbox"])
	}
	body, _ := json.Marshal(activity)
	return f.post(inbox, body, f.key, f.actor()+"#main-key")
}

// post signs body with key as keyID in the server's mode and posts it.
func (f *fediServer) post(inbox string, body []byte, key *rsa.PrivateKey, keyID string) (int, string) {
	req, _ := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/activity+json")
	sum := sha256.Sum256(body)
	now := f.now()
	if f.mode == modeCavage {
		req.Header.Set("Date", now.UTC().Format(http.TimeFormat))
		req.Header.Set("Digest", "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]))
		s := "(request-target): post " + req.URL.RequestURI() + "\nhost: " + req.URL.Host + "\ndate: " + req.Header.Get("Date") + "\ndigest: " + req.Header.Get("Digest")
		h := sha256.Sum256([]byte(s))
		sig, _ := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
		req.Header.Set("Signature", fmt.Sprintf(`keyId="%s",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="%s"`, keyID, base64.StdEncoding.EncodeToString(sig)))
	} else {
		req.Header.Set("Content-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":")
		params := fmt.Sprintf(`("@method" "@target-uri" "content-digest");created=%d;keyid="%s";alg="rsa-v1_5-sha256"`, now.Unix(), keyID)
		base := fmt.Sprintf("\"@method\": POST\n\"@target-uri\": %s\n\"content-digest\": %s\n\"@signature-params\": %s", inbox, req.Header.Get("Content-Digest"), params)
		h := sha256.Sum256([]byte(base))
		sig, _ := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
		req.Header.Set("Signature-Input", "sig1="+params)
		req.Header.Set("Signature", "sig1=:"+base64.StdEncoding.EncodeToString(sig)+":")
	}
	resp, err := f.c.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(msg))
}

// receivedOf returns the verified activities of a type.
func (f *fediServer) receivedOf(typ string) []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []map[string]any
	for _, a := range f.received {
		if a["type"] == typ {
			out = append(out, a)
		}
	}
	return out
}

func (f *fediServer) refusals() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.refused...)
}

// TestFediverse_FollowAcceptBothSchemes is issue 16's "done when": a
// fediverse server no one here wrote looks up a teacher, follows them and
// verifies the node's Accept, and is followed back, with draft-cavage RSA
// and with RFC 9421; each side refuses forged and stale requests.
func TestFediverse_FollowAcceptBothSchemes(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 1)
	node := startFedNode(t, cluster, "IT")
	maria := node.seedTeacher(t, "maria", "Maria", "Rossi", []string{"art"}, []int{10})
	host := twinfed.URLHost(node.base)

	for i, mode := range []string{modeCavage, modeRFC9421} {
		t.Run(mode, func(t *testing.T) {
			fedi := startFediServer(t, mode)
			country := []string{"FR", "ES"}[i]
			cluster.MustRegisterNode(t, country, fedi.base, twinfed.NodeKey{ID: "fedi-" + mode, Algorithm: twinfed.KeyRSA, PublicPEM: fedi.publicPEM()})
			consensustest.Eventually(t, 60*time.Second, func() bool {
				_, err := node.client.CountryByHost(t.Context(), twinfed.URLHost(fedi.base))
				return err == nil
			}, "the node's registry cache does not list the outside server")

			// WebFinger, then the actor document: the RSA key as
			// publicKey, both node keys as Multikeys, all owned by maria.
			wf, err := fedi.fetchJSON(node.base + "/.well-known/webfinger?resource=" + url.QueryEscape("acct:maria@"+host))
			if err != nil {
				t.Fatal(err)
			}
			var self string
			for _, l := range asList(wf["links"]) {
				if lm, _ := l.(map[string]any); lm["rel"] == "self" {
					self, _ = lm["href"].(string)
				}
			}
			if self != maria {
				t.Fatalf("WebFinger self link %q, want %s", self, maria)
			}
			pub, owner, err := fedi.actorKey(maria + "#main-key")
			if _, isRSA := pub.(*rsa.PublicKey); err != nil || !isRSA || owner != maria {
				t.Fatalf("publicKey: %T owned by %q: %v", pub, owner, err)
			}
			if !pub.(*rsa.PublicKey).Equal(node.keys.RSA.Private.Public()) {
				t.Fatal("publicKey is not the node's RSA key")
			}
			edPub, owner, err := fedi.actorKey(maria + "#ed25519-key")
			if err != nil || owner != maria || !node.keys.Ed25519.Private.Public().(ed25519.PublicKey).Equal(edPub) {
				t.Fatalf("the Ed25519 Multikey: %v owned by %q: %v", edPub, owner, err)
			}
			rsaMK, _, err := fedi.actorKey(maria + "#rsa-key")
			if err != nil || !node.keys.RSA.Private.Public().(*rsa.PublicKey).Equal(rsaMK) {
				t.Fatalf("the RSA Multikey: %v", err)
			}
			doc, _ := fedi.fetchJSON(maria)
			inbox := fmt.Sprint(doc["inbox"])

			// The outside server follows maria; the node's Accept verifies
			// in the server's mode.
			follow := map[string]any{
				"@context": "https://www.w3.org/ns/activitystreams",
				"id":       fedi.base + "/activities/follow-1", "type": "Follow",
				"actor": fedi.actor(), "object": maria,
			}
			body, _ := json.Marshal(follow)
			if code, msg := fedi.post(inbox, body, fedi.key, fedi.actor()+"#main-key"); code != http.StatusAccepted {
				t.Fatalf("the node answered our Follow %d: %s", code, msg)
			}
			consensustest.Eventually(t, 60*time.Second, func() bool { return len(fedi.receivedOf("Accept")) == 1 }, "no verified Accept from the node")
			acc := fedi.receivedOf("Accept")[0]
			if acc["actor"] != maria || acc["object"] != follow["id"] {
				t.Fatalf("Accept %v", acc)
			}

			// maria follows the outside server's bob; its Accept reaches
			// her node.
			s := node.login(t, "maria")
			if code, out := s.call("POST", "/api/v1/follows", map[string]string{"peer": fedi.actor()}); code != http.StatusOK {
				t.Fatalf("follow bob: %d %v", code, out)
			}
			consensustest.Eventually(t, 60*time.Second, func() bool {
				_, out := s.call("GET", "/api/v1/contacts", nil)
				for _, f := range list(out, "following") {
					if fm, _ := f.(map[string]any); fm["peer"] == fedi.actor() && fm["accepted"] == true {
						return true
					}
				}
				return false
			}, "maria's follow of bob was not accepted")
			if got := fedi.receivedOf("Follow"); len(got) != 1 || got[0]["actor"] != maria {
				t.Fatalf("Follows received: %v", got)
			}
			_, out := s.call("GET", "/api/v1/contacts", nil)
			found := false
			for _, f := range list(out, "followers") {
				if fm, _ := f.(map[string]any); fm["peer"] == fedi.actor() {
					found = true
				}
			}
			if !found {
				t.Fatalf("bob is not among maria's followers: %v", out)
			}

			// maria's collections (bob of each mode follows her): paged,
			// the followers' size to anyone,
			// their items to a node of the federation only.
			if doc["outbox"] != maria+"/outbox" || doc["followers"] != maria+"/followers" {
				t.Fatalf("actor collections: outbox %v followers %v", doc["outbox"], doc["followers"])
			}
			coll, err := fedi.fetchJSON(maria + "/followers")
			if err != nil || coll["type"] != "OrderedCollection" || coll["totalItems"] != float64(i+1) || coll["first"] != maria+"/followers?page=true" {
				t.Fatalf("followers: %v %v", coll, err)
			}
			page, err := fedi.fetchJSON(maria + "/followers?page=true")
			if err != nil || page["type"] != "OrderedCollectionPage" || page["partOf"] != maria+"/followers" || len(asList(page["orderedItems"])) != 0 {
				t.Fatalf("unsigned followers page: %v %v", page, err)
			}
			req, _ := http.NewRequest(http.MethodGet, maria+"/followers?page=true", nil)
			req.Header.Set("Accept", "application/activity+json")
			if err := (&signing.Signer{Key: node.keys.Primary}).Sign(req, twinfed.KeyID(twinfed.AgencyURL(node.base)), nil); err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			json.NewDecoder(resp.Body).Decode(&page)
			resp.Body.Close()
			if items := asList(page["orderedItems"]); len(items) != i+1 || !slices.Contains(items, any(fedi.actor())) {
				t.Fatalf("signed followers page: %v", page)
			}
			for _, c := range []string{maria + "/outbox", twinfed.AgencyURL(node.base) + "/followers", twinfed.AgencyURL(node.base) + "/outbox"} {
				if coll, err := fedi.fetchJSON(c); err != nil || coll["type"] != "OrderedCollection" || coll["totalItems"] != float64(0) {
					t.Fatalf("%s: %v %v", c, coll, err)
				}
			}

			// What the node sent was tried once in RFC 9421 and then
			// remembered: a draft-cavage-only server refused exactly one
			// request (the first), an RFC 9421 one none.
			wantRefused := map[string]int{modeCavage: 1, modeRFC9421: 0}[mode]
			if r := fedi.refusals(); len(r) != wantRefused {
				t.Fatalf("the outside server refused %d requests, want %d: %v", len(r), wantRefused, r)
			}

			// The outside server refuses forged requests as the node's.
			accept, _ := json.Marshal(map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": node.base + "/activities/forged", "type": "Accept", "actor": maria, "object": fedi.base + "/activities/x"})
			otherKey, _ := signing.GenerateKey("other", twinfed.KeyRSA)
			forged := []struct {
				name   string
				signer *signing.Signer
				mutate func(*http.Request)
			}{
				{"tampered body", &signing.Signer{Key: node.keys.RSA}, func(r *http.Request) {
					r.Body = io.NopCloser(strings.NewReader(strings.Replace(string(accept), "Accept", "Reject", 1)))
				}},
				{"stale date", &signing.Signer{Key: node.keys.RSA, Now: func() time.Time { return time.Now().Add(-10 * time.Minute) }}, nil},
				{"wrong key", &signing.Signer{Key: otherKey}, nil},
			}
			for _, fc := range forged {
				before := len(fedi.refusals())
				req, _ := http.NewRequest(http.MethodPost, fedi.actor()+"/inbox", bytes.NewReader(accept))
				sign := fc.signer.Sign
				if mode == modeRFC9421 {
					sign = fc.signer.SignMessage
				}
				if err := sign(req, maria+"#main-key", accept); err != nil {
					t.Fatal(err)
				}
				if fc.mutate != nil {
					fc.mutate(req)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusUnauthorized || len(fedi.refusals()) != before+1 {
					t.Errorf("%s: the outside server answered %d", fc.name, resp.StatusCode)
				}
			}

			// The node refuses the outside server's forged and stale
			// requests, saying why.
			unfollow, _ := json.Marshal(map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": fedi.base + "/activities/undo-1", "type": "Undo", "actor": fedi.actor(), "object": follow["id"]})
			wrongKey, _ := rsa.GenerateKey(rand.Reader, 2048)
			if code, msg := fedi.post(inbox, unfollow, wrongKey, fedi.actor()+"#main-key"); code != http.StatusUnauthorized || !strings.Contains(msg, "does not verify with any key the registry lists for "+twinfed.URLHost(fedi.base)) {
				t.Errorf("wrong key: the node answered %d %q", code, msg)
			}
			fedi.now = func() time.Time { return time.Now().Add(-10 * time.Minute) }
			code, msg := fedi.post(inbox, unfollow, fedi.key, fedi.actor()+"#main-key")
			fedi.now = time.Now
			if code != http.StatusUnauthorized || !strings.Contains(msg, "away from this server's clock") {
				t.Errorf("stale: the node answered %d %q", code, msg)
			}
		})
	}
}
