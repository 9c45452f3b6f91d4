// Package signing makes and checks the HTTP signatures of server-to-server
// requests, draft-cavage (as most of the fediverse uses them) and RFC 9421
// HTTP Message Signatures (rfc9421.go), with the node keys the registry
// lists as the only trust root. A node holds two keys (KeyPair): Ed25519,
// which Twinfed nodes verify fast, and RSA-2048, which every fediverse
// server verifies.
//
// A draft-cavage request is signed over (request-target), host, date and
// digest with go-fed/httpsig v1.1.0. The verifier checks, in order: a Date within the allowed skew, a Digest that
// matches the body (httpsig does not check it), the signature's form and its
// covered headers, the keyId's host against the registry's nodes, and the
// signature against each key registered for that node (several during a key
// rotation). No key is ever fetched from the network.
//
// It is its own package, apart from the ActivityPub code, so that the registry
// can check node-signed writes without linking go-fed/activity.
package signing

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-fed/httpsig"
	"github.com/twinfed/twinfed"
)

// MaxSkew is how far a request's Date may be from the receiver's clock.
const MaxSkew = 5 * time.Minute

// Key is a node's signing key pair.
type Key struct {
	ID        string // the registry key id, e.g. "2026-11-22"
	Algorithm string // twinfed.KeyEd25519 or twinfed.KeyRSA
	Private   crypto.Signer
}

// GenerateKey makes a new key pair: Ed25519, or RSA-2048 for peers that need it.
func GenerateKey(id, algorithm string) (*Key, error) {
	switch algorithm {
	case twinfed.KeyEd25519:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		return &Key{ID: id, Algorithm: algorithm, Private: priv}, nil
	case twinfed.KeyRSA:
		priv, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, err
		}
		return &Key{ID: id, Algorithm: algorithm, Private: priv}, nil
	default:
		return nil, fmt.Errorf("signing: unknown key algorithm %q (use ed25519 or rsa)", algorithm)
	}
}

// LoadOrCreateKey reads the key pair stored at path (PKCS#8 PEM with the key
// id in a header), or creates one with the given algorithm and stores it with
// mode 0600.
func LoadOrCreateKey(path, algorithm string) (*Key, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		k, err := GenerateKey(newKeyID(), algorithm)
		if err != nil {
			return nil, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(k.Private)
		if err != nil {
			return nil, fmt.Errorf("signing: encode key: %w", err)
		}
		block := &pem.Block{Type: "PRIVATE KEY", Headers: map[string]string{"Key-Id": k.ID}, Bytes: der}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("signing: %w", err)
		}
		if err := writeFileSync(path, pem.EncodeToMemory(block), 0o600); err != nil {
			return nil, fmt.Errorf("signing: store key: %w", err)
		}
		return k, nil
	}
	if err != nil {
		return nil, fmt.Errorf("signing: read key: %w", err)
	}
	return ParsePrivatePEM(raw)
}

// KeyPair is a node's two keys: Ed25519, which Twinfed nodes verify fast,
// and RSA-2048, which every fediverse server verifies. The registry lists
// both for the node's country; actor documents publish both.
type KeyPair struct {
	Primary *Key // the key in the key file, which also signs registry writes
	Ed25519 *Key
	RSA     *Key
}

// LoadOrCreateKeys reads or creates the node's key file at path (with
// algorithm, the configuration's key_algorithm, when it is created) and the
// key of the other algorithm beside it, at path + ".rsa" or path +
// ".ed25519", created on first start. A data dir made before nodes had two
// keys keeps its key file as it is and gains the second key.
func LoadOrCreateKeys(path, algorithm string) (*KeyPair, error) {
	primary, err := LoadOrCreateKey(path, algorithm)
	if err != nil {
		return nil, err
	}
	other := twinfed.KeyRSA
	if primary.Algorithm == twinfed.KeyRSA {
		other = twinfed.KeyEd25519
	}
	second, err := LoadOrCreateKey(path+"."+other, other)
	if err != nil {
		return nil, err
	}
	if second.Algorithm != other {
		return nil, fmt.Errorf("signing: %s.%s holds a %s key, not %s", path, other, second.Algorithm, other)
	}
	if second.ID == primary.ID {
		return nil, fmt.Errorf("signing: %s and %s.%s have the same key id %q", path, path, other, primary.ID)
	}
	kp := &KeyPair{Primary: primary}
	for _, k := range []*Key{primary, second} {
		if k.Algorithm == twinfed.KeyEd25519 {
			kp.Ed25519 = k
		} else {
			kp.RSA = k
		}
	}
	return kp, nil
}

// NodeKeys returns both public keys as the registry records them, the
// primary first.
func (p *KeyPair) NodeKeys() []twinfed.NodeKey {
	out := []twinfed.NodeKey{p.Primary.NodeKey()}
	for _, k := range []*Key{p.Ed25519, p.RSA} {
		if k != nil && k != p.Primary {
			out = append(out, k.NodeKey())
		}
	}
	return out
}

// NewKeyPair returns a pair of fresh keys (tests, tools).
func NewKeyPair() (*KeyPair, error) {
	ed, err := GenerateKey(newKeyID(), twinfed.KeyEd25519)
	if err != nil {
		return nil, err
	}
	rk, err := GenerateKey(newKeyID()+"-rsa", twinfed.KeyRSA)
	if err != nil {
		return nil, err
	}
	return &KeyPair{Primary: ed, Ed25519: ed, RSA: rk}, nil
}

// newKeyID returns a key id that sorts by creation time and is unique even
// for keys made in the same second (a rotation makes two in a row).
func newKeyID() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%x", time.Now().UTC().Format("20060102T150405Z"), b)
}

// ParsePrivatePEM decodes a key written by LoadOrCreateKey.
func ParsePrivatePEM(raw []byte) (*Key, error) {
	block, _ := pem.Decode(raw)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("signing: not a PEM private key")
	}
	priv, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("signing: parse key: %w", err)
	}
	k := &Key{ID: block.Headers["Key-Id"]}
	switch p := priv.(type) {
	case ed25519.PrivateKey:
		k.Algorithm, k.Private = twinfed.KeyEd25519, p
	case *rsa.PrivateKey:
		k.Algorithm, k.Private = twinfed.KeyRSA, p
	default:
		return nil, fmt.Errorf("signing: unsupported key type %T", priv)
	}
	if k.ID == "" {
		k.ID = "main"
	}
	return k, nil
}

func writeFileSync(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// PublicPEM returns the public key in PKIX PEM, as the registry and actor
// documents publish it.
func (k *Key) PublicPEM() string {
	der, err := x509.MarshalPKIXPublicKey(k.Private.Public())
	if err != nil {
		panic("signing: marshal public key: " + err.Error()) // only ed25519 and rsa keys exist
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// NodeKey returns the public half as the registry records it.
func (k *Key) NodeKey() twinfed.NodeKey {
	return twinfed.NodeKey{ID: k.ID, Algorithm: k.Algorithm, PublicPEM: k.PublicPEM()}
}

// ParsePublicPEM decodes a PKIX PEM public key (Ed25519 or RSA).
func ParsePublicPEM(s string) (crypto.PublicKey, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("not a PEM public key")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	switch pub.(type) {
	case ed25519.PublicKey, *rsa.PublicKey:
		return pub, nil
	default:
		return nil, fmt.Errorf("unsupported public key type %T", pub)
	}
}

func httpsigAlgorithm(alg string) (httpsig.Algorithm, error) {
	switch alg {
	case twinfed.KeyEd25519:
		return httpsig.ED25519, nil
	case twinfed.KeyRSA:
		return httpsig.RSA_SHA256, nil
	}
	return "", fmt.Errorf("unknown key algorithm %q", alg)
}

// signedHeaders is what every request signs; a request that carries an
// Idempotency-Key signs it too (signedHeadersKeyed), so that no one can
// replay a signed write under another key.
var (
	signedHeaders      = []string{httpsig.RequestTarget, "host", "date", "digest"}
	signedHeadersKeyed = []string{httpsig.RequestTarget, "host", "date", "digest", "idempotency-key"}
)

// Signer signs outgoing requests with a node's key. It is safe for
// concurrent use.
type Signer struct {
	Key *Key
	Now func() time.Time // the clock; time.Now when nil
}

// Sign sets Date, Host, Digest and Signature on r, signing as keyID (for an
// activity, "<actor URL>#main-key"). body is the exact request body (nil for
// a GET). Sign a fresh request for every retry: the Date must be current.
func (s *Signer) Sign(r *http.Request, keyID string, body []byte) error {
	alg, err := httpsigAlgorithm(s.Key.Algorithm)
	if err != nil {
		return err
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	// httpsig signers keep no state between calls but are not documented as
	// safe for concurrent use, so each request gets its own.
	headers := signedHeaders
	if r.Header.Get("Idempotency-Key") != "" {
		headers = signedHeadersKeyed
	}
	signer, _, err := httpsig.NewSigner([]httpsig.Algorithm{alg}, httpsig.DigestSha256, headers, httpsig.Signature, 0)
	if err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	r.Header.Del("Digest")
	r.Header.Set("Date", now().UTC().Format(http.TimeFormat))
	r.Header.Set("Host", r.URL.Host)
	if r.Host != "" {
		r.Header.Set("Host", r.Host)
	}
	if body == nil {
		body = []byte{}
	}
	if err := signer.SignRequest(s.Key.Private, keyID, r, body); err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	return nil
}

// Rejection reasons, as the refusal metrics label them.
const (
	ReasonMissing     = "missing_signature"
	ReasonMalformed   = "malformed_signature"
	ReasonHeaders     = "unsigned_headers"
	ReasonStale       = "stale_date"
	ReasonDigest      = "digest_mismatch"
	ReasonUnknownNode = "unknown_node"
	ReasonBadSig      = "bad_signature"
	ReasonUnknownKey  = "unknown_key" // the open edge: the key id's document publishes no usable key
)

// Error is a refused signature. It carries a reason for metrics and wraps a
// domain error (EUNAUTHORIZED) whose message is safe to send back.
type Error struct {
	Reason string
	Err    *twinfed.Error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Refusal returns a refused signature (EUNAUTHORIZED) with reason, for a
// KeyIDSource that cannot give the key it was asked for.
func Refusal(reason, format string, args ...any) *Error { return reject(reason, format, args...) }

func reject(reason, format string, args ...any) *Error {
	return &Error{Reason: reason, Err: twinfed.Errorf(twinfed.EUNAUTHORIZED, format, args...)}
}

// Reason returns the rejection reason of err, or "" when err is not a
// signature refusal.
func Reason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// KeySource gives the keys the registry lists for the node at a host.
// It returns an ENOTFOUND error when no node has that host.
type KeySource interface {
	KeysForHost(ctx context.Context, host string) (country string, keys []twinfed.NodeKey, err error)
}

// KeyIDSource is a KeySource that can also find the keys of a key id
// whose host the registry does not list: the federation's one open edge,
// where a fediverse server's key is the one its actor document publishes.
// The Verifier asks KeysForKeyID, when its Keys implement it, instead of
// KeysForHost. A refusal it returns as an *Error is passed on as it is.
type KeyIDSource interface {
	KeysForKeyID(ctx context.Context, keyID string) (country string, keys []twinfed.NodeKey, err error)
}

// Verified describes a request whose signature checked out.
type Verified struct {
	Country string // the signing node's country
	Host    string // the signing node's host (the keyId's host)
	KeyID   string // the keyId as sent, e.g. https://it.example/users/maria#main-key
	NodeKey string // the registry id of the key that verified it
	Scheme  string // SchemeCavage or SchemeRFC9421
	// Headers are the names (lower case) of the headers the signature
	// covers, (request-target) included.
	Headers []string
}

// Verifier checks signed requests against the registry's keys. It is safe
// for concurrent use.
type Verifier struct {
	Keys    KeySource
	Now     func() time.Time // the clock; time.Now when nil
	MaxSkew time.Duration    // MaxSkew when 0
	// BaseURL is the receiver's own base URL, from which an RFC 9421
	// signature's @target-uri is rebuilt (the request's Host and TLS state
	// when empty; behind a proxy they are not what the sender addressed).
	BaseURL string

	parsed sync.Map // PEM → crypto.PublicKey: parsing costs more than verifying
}

// publicKey parses a registered key once.
func (v *Verifier) publicKey(pemText string) (crypto.PublicKey, error) {
	if k, ok := v.parsed.Load(pemText); ok {
		return k, nil
	}
	k, err := ParsePublicPEM(pemText)
	if err != nil {
		return nil, err
	}
	v.parsed.Store(pemText, k)
	return k, nil
}

// ReadBody reads at most limit bytes of r's body and restores it, so that a
// handler can verify then decode. It returns an ETOOLARGE error past limit.
// A body whose length the request gives (within limit) is read into a
// buffer of that size at once rather than one grown as it is read (a
// registry batch is tens of kilobytes, an import megabytes).
func ReadBody(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	if n := r.ContentLength; n > 0 && n <= limit {
		body := make([]byte, n)
		// The server's body ends at Content-Length: a shorter one is an
		// error.
		if _, err := io.ReadFull(r.Body, body); err != nil {
			return nil, twinfed.Errorf(twinfed.EINVALID, "could not read the request body")
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		return body, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, twinfed.Errorf(twinfed.EINVALID, "could not read the request body")
	}
	if int64(len(body)) > limit {
		return nil, twinfed.Errorf(twinfed.ETOOLARGE, "the request body is over %d bytes", limit)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

// Verify checks r, whose body has already been read into body. It returns a
// *Error (EUNAUTHORIZED) saying what was wrong, or the signer's identity.
//
// Both schemes are accepted: an RFC 9421 HTTP Message Signature (a
// Signature-Input header) and a draft-cavage one (Signature alone).
func (v *Verifier) Verify(r *http.Request, body []byte) (*Verified, error) {
	sigHeader := r.Header.Get("Signature")
	if sigHeader == "" {
		return nil, reject(ReasonMissing, "the request is not signed: a Signature header (draft-cavage, or RFC 9421 with Signature-Input) is required")
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	skew := v.MaxSkew
	if skew == 0 {
		skew = MaxSkew
	}
	if r.Header.Get("Signature-Input") != "" {
		return v.verifyMessage(r, body, now(), skew)
	}
	params := parseSignatureParams(sigHeader)
	if params["keyId"] == "" && strings.Contains(sigHeader, "=:") {
		return nil, reject(ReasonMalformed, "the Signature header looks like RFC 9421 but there is no Signature-Input header")
	}
	covered := strings.Fields(strings.ToLower(params["headers"]))
	if len(covered) == 0 {
		covered = []string{"date"} // the draft's default
	}
	required := []string{httpsig.RequestTarget, "host", "date"}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		required = append(required, "digest")
	}
	for _, h := range required {
		if !contains(covered, h) {
			return nil, reject(ReasonHeaders, "the draft-cavage signature must cover %s; it covers %q", strings.Join(required, " "), strings.Join(covered, " "))
		}
	}

	if err := checkDate(r.Header.Get("Date"), now(), skew); err != nil {
		return nil, err
	}

	if contains(covered, "digest") || len(body) > 0 {
		if err := checkDigest(r.Header.Get("Digest"), body); err != nil {
			return nil, err
		}
	}

	hv, err := httpsig.NewVerifier(r)
	if err != nil {
		return nil, reject(ReasonMalformed, "the Signature header is malformed")
	}
	keyID := hv.KeyId()
	host, country, keys, err := v.nodeKeys(r.Context(), "keyId", keyID)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		pub, err := v.publicKey(k.PublicPEM)
		if err != nil {
			continue
		}
		alg, err := httpsigAlgorithm(k.Algorithm)
		if err != nil {
			continue
		}
		if hv.Verify(pub, alg) == nil {
			return &Verified{Country: country, Host: host, KeyID: keyID, NodeKey: k.ID, Scheme: SchemeCavage, Headers: covered}, nil
		}
	}
	return nil, reject(ReasonBadSig, "the signature does not verify with any key the registry lists for %s", host)
}

func checkDigest(header string, body []byte) error {
	if header == "" {
		return reject(ReasonDigest, "the Digest header is missing")
	}
	sum := sha256.Sum256(body)
	want := base64.StdEncoding.EncodeToString(sum[:])
	for _, part := range strings.Split(header, ",") {
		alg, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.EqualFold(alg, "SHA-256") {
			if val == want {
				return nil
			}
			return reject(ReasonDigest, "the Digest header does not match the body")
		}
	}
	return reject(ReasonDigest, "the Digest header has no SHA-256 value")
}

// parseSignatureParams splits `keyId="…",headers="…",…` into a map.
func parseSignatureParams(h string) map[string]string {
	out := map[string]string{}
	for len(h) > 0 {
		k, rest, ok := strings.Cut(h, "=")
		if !ok {
			break
		}
		k = strings.TrimSpace(strings.TrimLeft(k, ", "))
		var v string
		if strings.HasPrefix(rest, `"`) {
			end := strings.Index(rest[1:], `"`)
			if end < 0 {
				break
			}
			v, h = rest[1:1+end], rest[2+end:]
		} else {
			v, h, _ = strings.Cut(rest, ",")
		}
		out[k] = v
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// PublicMultibase returns the public key as a Multikey's publicKeyMultibase
// (FEP-521a): base58btc ("z") of the multicodec-prefixed key, ed25519-pub
// (0xed) with the raw 32 bytes, rsa-pub (0x1205) with the PKCS#1 DER.
func (k *Key) PublicMultibase() string {
	var raw []byte
	switch pub := k.Private.Public().(type) {
	case ed25519.PublicKey:
		raw = append([]byte{0xed, 0x01}, pub...)
	case *rsa.PublicKey:
		raw = append([]byte{0x85, 0x24}, x509.MarshalPKCS1PublicKey(pub)...)
	default:
		panic(fmt.Sprintf("signing: unsupported key type %T", pub)) // only ed25519 and rsa keys exist
	}
	return "z" + base58(raw)
}

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// base58 encodes b in the Bitcoin alphabet (base58btc).
func base58(b []byte) string {
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	digits := []byte{} // little-endian base-58 digits
	for _, c := range b[zeros:] {
		carry := int(c)
		for i := range digits {
			carry += int(digits[i]) << 8
			digits[i] = byte(carry % 58)
			carry /= 58
		}
		for carry > 0 {
			digits = append(digits, byte(carry%58))
			carry /= 58
		}
	}
	out := make([]byte, 0, zeros+len(digits))
	for range zeros {
		out = append(out, '1')
	}
	for i := len(digits) - 1; i >= 0; i-- {
		out = append(out, base58Alphabet[digits[i]])
	}
	return string(out)
}

// nodeKeys returns the host of keyID (a key's URL; param names the
// signature parameter that carried it, for the refusal) and the country
// and keys the registry lists for that host, or the refusal: not a URL,
// not a node of this federation.
func (v *Verifier) nodeKeys(ctx context.Context, param, keyID string) (host, country string, keys []twinfed.NodeKey, err error) {
	ku, err := url.Parse(keyID)
	if err != nil || ku.Host == "" {
		return "", "", nil, reject(ReasonMalformed, "the %s %q is not a URL", param, keyID)
	}
	if ks, ok := v.Keys.(KeyIDSource); ok {
		country, keys, err = ks.KeysForKeyID(ctx, keyID)
	} else {
		country, keys, err = v.Keys.KeysForHost(ctx, ku.Host)
	}
	var refusal *Error
	if errors.As(err, &refusal) {
		return "", "", nil, refusal
	}
	if err != nil {
		if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			return "", "", nil, reject(ReasonUnknownNode, "%s is not a node of this federation", ku.Host)
		}
		return "", "", nil, err
	}
	return ku.Host, country, keys, nil
}
