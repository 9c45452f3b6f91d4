package signing

// RFC 9421 HTTP Message Signatures, the subset the fediverse uses: one
// signature over derived components (@method, @target-uri, @authority,
// @path, @query, @request-target, @scheme) and header fields, with
// Content-Digest (RFC 9530) for the body; Ed25519, RSASSA-PKCS1-v1_5 SHA-256
// and RSASSA-PSS SHA-512 as the RFC's registry names them. No module
// approved for this project does it (go-fed/httpsig is draft-cavage only),
// and the part needed is small.

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/twinfed/twinfed"
)

// RFC 9421 algorithm names (section 6.2.2).
const (
	AlgEd25519      = "ed25519"
	AlgRSAv15SHA256 = "rsa-v1_5-sha256"
	AlgRSAPSSSHA512 = "rsa-pss-sha512"
)

// Signature schemes, as Verified.Scheme reports them.
const (
	SchemeCavage  = "draft-cavage"
	SchemeRFC9421 = "rfc9421"
)

// ReasonRFC9421 is the refusal reason of an RFC 9421 signature whose form
// this server does not accept (an unknown algorithm, component parameters).
const ReasonRFC9421 = "unsupported_signature"

// messageLabel is the label of the signatures this server makes.
const messageLabel = "sig1"

// SignMessage signs r with an RFC 9421 HTTP Message Signature as keyID:
// ("@method" "@target-uri" "@authority" "content-digest") with created,
// keyid and alg parameters, Content-Digest (sha-256) over body when r has
// one. Date is set too, for servers that log it. Sign a fresh request for
// every retry.
func (s *Signer) SignMessage(r *http.Request, keyID string, body []byte) error {
	alg, err := messageAlgorithm(s.Key)
	if err != nil {
		return err
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	t := now()
	r.Header.Del("Signature")
	r.Header.Del("Signature-Input")
	r.Header.Del("Digest")
	r.Header.Set("Date", t.UTC().Format(http.TimeFormat))
	components := []string{"@method", "@target-uri", "@authority"}
	if body != nil || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		sum := sha256.Sum256(body)
		r.Header.Set("Content-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":")
		components = append(components, "content-digest")
	}
	params := "(" + quoteAll(components) + ");created=" + strconv.FormatInt(t.Unix(), 10) +
		";keyid=" + sfString(keyID) + ";alg=" + sfString(alg)
	base, err := signatureBase(r, components, params, "")
	if err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	sig, err := signBase(s.Key, alg, []byte(base))
	if err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	r.Header.Set("Signature-Input", messageLabel+"="+params)
	r.Header.Set("Signature", messageLabel+"=:"+base64.StdEncoding.EncodeToString(sig)+":")
	return nil
}

// messageAlgorithm is the RFC 9421 algorithm a key signs with: RSA keys
// sign RSASSA-PKCS1-v1_5 SHA-256, which every server that verifies RFC 9421
// with an actor's RSA key accepts.
func messageAlgorithm(k *Key) (string, error) {
	switch k.Algorithm {
	case twinfed.KeyEd25519:
		return AlgEd25519, nil
	case twinfed.KeyRSA:
		return AlgRSAv15SHA256, nil
	}
	return "", fmt.Errorf("signing: unknown key algorithm %q", k.Algorithm)
}

func signBase(k *Key, alg string, base []byte) ([]byte, error) {
	switch alg {
	case AlgEd25519:
		return k.Private.Sign(rand.Reader, base, crypto.Hash(0))
	case AlgRSAv15SHA256:
		sum := sha256.Sum256(base)
		return k.Private.Sign(rand.Reader, sum[:], crypto.SHA256)
	case AlgRSAPSSSHA512:
		sum := sha512.Sum512(base)
		return k.Private.Sign(rand.Reader, sum[:], &rsa.PSSOptions{SaltLength: 64, Hash: crypto.SHA512})
	}
	return nil, fmt.Errorf("unknown algorithm %q", alg)
}

// verifyBase checks sig over base with pub. alg may be empty (the key
// decides; for RSA both RFC algorithms are tried).
func verifyBase(pub crypto.PublicKey, alg string, base, sig []byte) bool {
	switch p := pub.(type) {
	case ed25519.PublicKey:
		return (alg == "" || alg == AlgEd25519) && ed25519.Verify(p, base, sig)
	case *rsa.PublicKey:
		if alg == "" || alg == AlgRSAv15SHA256 {
			sum := sha256.Sum256(base)
			if rsa.VerifyPKCS1v15(p, crypto.SHA256, sum[:], sig) == nil {
				return true
			}
		}
		if alg == "" || alg == AlgRSAPSSSHA512 {
			sum := sha512.Sum512(base)
			if rsa.VerifyPSS(p, crypto.SHA512, sum[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}) == nil {
				return true
			}
		}
	}
	return false
}

// signatureBase builds the signature base of RFC 9421 section 2.5 for the
// covered components (identifiers without quotes) and the serialized
// signature parameters. target is the request's absolute URI as the sender
// addressed it; r.URL's when empty.
func signatureBase(r *http.Request, components []string, params, target string) (string, error) {
	var b strings.Builder
	for _, c := range components {
		v, err := componentValue(r, c, target)
		if err != nil {
			return "", err
		}
		b.WriteString(sfString(c))
		b.WriteString(": ")
		b.WriteString(v)
		b.WriteByte('\n')
	}
	b.WriteString(`"@signature-params": `)
	b.WriteString(params)
	return b.String(), nil
}

func componentValue(r *http.Request, c, target string) (string, error) {
	u := r.URL
	if target != "" {
		if tu, err := url.Parse(target); err == nil {
			u = tu
		}
	}
	switch c {
	case "@method":
		return strings.ToUpper(r.Method), nil
	case "@target-uri":
		if target != "" {
			return target, nil
		}
		return u.String(), nil
	case "@authority":
		h := r.Host
		if h == "" {
			h = u.Host
		}
		if target != "" {
			h = u.Host
		}
		return strings.ToLower(h), nil
	case "@scheme":
		return strings.ToLower(u.Scheme), nil
	case "@request-target":
		return u.RequestURI(), nil
	case "@path":
		if p := u.EscapedPath(); p != "" {
			return p, nil
		}
		return "/", nil
	case "@query":
		return "?" + u.RawQuery, nil
	}
	if strings.HasPrefix(c, "@") {
		return "", fmt.Errorf("the component %q is not supported", c)
	}
	if c == "host" {
		// Go keeps the Host header in r.Host (a server's request) or takes
		// it from the URL (a client's): never in r.Header. Fedify, among
		// others, signs it.
		if r.Host != "" {
			return r.Host, nil
		}
		return r.URL.Host, nil
	}
	vals := r.Header.Values(c)
	if len(vals) == 0 {
		return "", fmt.Errorf("the signature covers the %q header, which the request does not have", c)
	}
	for i, v := range vals {
		vals[i] = strings.TrimSpace(v)
	}
	return strings.Join(vals, ", "), nil
}

// verifyMessage checks an RFC 9421 signature (Signature-Input and
// Signature): the covered components, created/expires within the skew, the
// Content-Digest against body, then the signature against each key the
// registry lists for the keyid's host.
func (v *Verifier) verifyMessage(r *http.Request, body []byte, now time.Time, skew time.Duration) (*Verified, error) {
	inputs, err := parseDictionary(r.Header.Get("Signature-Input"))
	if err != nil || len(inputs) == 0 {
		return nil, reject(ReasonMalformed, "the Signature-Input header is not an RFC 9421 dictionary: %v", errOr(err, "it is empty"))
	}
	sigs, err := parseDictionary(r.Header.Get("Signature"))
	if err != nil {
		return nil, reject(ReasonMalformed, "the Signature header is not an RFC 9421 dictionary: %v", err)
	}
	in := inputs[0]
	if in.list == nil {
		return nil, reject(ReasonMalformed, "the Signature-Input value %q is not an inner list of components", in.name)
	}
	var sig []byte
	for _, s := range sigs {
		if s.name == in.name {
			sig = s.bytes
		}
	}
	if sig == nil {
		return nil, reject(ReasonMalformed, "the Signature header has no byte sequence labelled %q, the label of Signature-Input", in.name)
	}

	var covered []string
	for _, it := range in.list {
		if len(it.params) > 0 {
			return nil, reject(ReasonRFC9421, "the component %q has parameters (;%s), which this server does not support", it.value, it.params[0].name)
		}
		covered = append(covered, it.value)
	}
	hasBody := len(body) > 0 || (r.Method != http.MethodGet && r.Method != http.MethodHead)
	target := contains(covered, "@target-uri") || (contains(covered, "@authority") && (contains(covered, "@path") || contains(covered, "@request-target")))
	if !contains(covered, "@method") || !target || (hasBody && !contains(covered, "content-digest")) {
		need := `"@method", "@target-uri" (or "@authority" and "@path")`
		if hasBody {
			need += ` and "content-digest"`
		}
		return nil, reject(ReasonHeaders, "the RFC 9421 signature must cover %s; it covers %s", need, quoteAll(covered))
	}

	p := in.paramMap()
	keyID, _ := p["keyid"].(string)
	alg, _ := p["alg"].(string)
	switch alg {
	case "", AlgEd25519, AlgRSAv15SHA256, AlgRSAPSSSHA512:
	default:
		return nil, reject(ReasonRFC9421, "the signature algorithm %q is not supported; use ed25519, rsa-v1_5-sha256 or rsa-pss-sha512", alg)
	}
	created, hasCreated := p["created"].(int64)
	switch {
	case hasCreated:
		if d := now.Sub(time.Unix(created, 0)); d > skew || d < -skew {
			return nil, reject(ReasonStale, "the signature was created %s away from this server's clock; at most %s is accepted", d.Round(time.Second), skew)
		}
	case contains(covered, "date"):
		if err := checkDate(r.Header.Get("Date"), now, skew); err != nil {
			return nil, err
		}
	default:
		return nil, reject(ReasonStale, "the RFC 9421 signature has no created parameter and does not cover date")
	}
	if exp, ok := p["expires"].(int64); ok && now.After(time.Unix(exp, 0)) {
		return nil, reject(ReasonStale, "the signature expired %s ago", now.Sub(time.Unix(exp, 0)).Round(time.Second))
	}
	if hasBody {
		if err := checkContentDigest(r.Header.Get("Content-Digest"), body); err != nil {
			return nil, err
		}
	}

	host, country, keys, err := v.nodeKeys(r.Context(), "keyid", keyID)
	if err != nil {
		return nil, err
	}
	base, err := signatureBase(r, covered, in.raw, v.targetURI(r))
	if err != nil {
		return nil, reject(ReasonHeaders, "%v", err)
	}
	for _, k := range keys {
		pub, err := v.publicKey(k.PublicPEM)
		if err != nil {
			continue
		}
		if verifyBase(pub, alg, []byte(base), sig) {
			return &Verified{Country: country, Host: host, KeyID: keyID, NodeKey: k.ID, Scheme: SchemeRFC9421, Headers: covered}, nil
		}
	}
	return nil, reject(ReasonBadSig, "the RFC 9421 signature does not verify with any key the registry lists for %s", host)
}

// targetURI is the request's absolute URI as its sender addressed it: the
// receiver's base URL (BaseURL) and the request target as received.
func (v *Verifier) targetURI(r *http.Request) string {
	uri := r.RequestURI
	if uri == "" {
		uri = r.URL.RequestURI()
	}
	if v.BaseURL != "" {
		return strings.TrimRight(v.BaseURL, "/") + uri
	}
	if r.URL.IsAbs() {
		return r.URL.String()
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + uri
}

func errOr(err error, s string) any {
	if err != nil {
		return err
	}
	return s
}

func checkDate(h string, now time.Time, skew time.Duration) error {
	date, err := http.ParseTime(h)
	if err != nil {
		return reject(ReasonStale, "the Date header is missing or not an HTTP date")
	}
	if d := now.Sub(date); d > skew || d < -skew {
		return reject(ReasonStale, "the Date header is %s away from this server's clock; at most %s is accepted", d.Round(time.Second), skew)
	}
	return nil
}

// checkContentDigest checks an RFC 9530 Content-Digest (sha-256 or
// sha-512) against body.
func checkContentDigest(header string, body []byte) error {
	if header == "" {
		return reject(ReasonDigest, "the Content-Digest header is missing")
	}
	d, err := parseDictionary(header)
	if err != nil {
		return reject(ReasonDigest, "the Content-Digest header is malformed: %v", err)
	}
	for _, m := range d {
		var sum []byte
		switch m.name {
		case "sha-256":
			s := sha256.Sum256(body)
			sum = s[:]
		case "sha-512":
			s := sha512.Sum512(body)
			sum = s[:]
		default:
			continue
		}
		if m.bytes == nil || subtle.ConstantTimeCompare(m.bytes, sum) != 1 {
			return reject(ReasonDigest, "the Content-Digest header (%s) does not match the body", m.name)
		}
		return nil
	}
	return reject(ReasonDigest, "the Content-Digest header has no sha-256 or sha-512 value")
}

func quoteAll(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = sfString(s)
	}
	return strings.Join(q, " ")
}

// sfString serializes a structured-field string (RFC 8941 section 4.1.6).
func sfString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// sfParam is a parameter of a structured-field item: value is a string,
// an int64, a bool or a []byte.
type sfParam struct {
	name  string
	value any
}

// sfItem is a bare item (a string or token) with its parameters.
type sfItem struct {
	value  string
	params []sfParam
}

// sfMember is a dictionary member: an inner list or a byte sequence, with
// its parameters and its text as sent (the signature parameters are signed
// as serialized).
type sfMember struct {
	name   string
	list   []sfItem
	bytes  []byte
	params []sfParam
	raw    string
}

func (m sfMember) paramMap() map[string]any {
	out := map[string]any{}
	for _, p := range m.params {
		out[p.name] = p.value
	}
	return out
}

// parseDictionary parses the subset of an RFC 8941 dictionary that
// signatures and digests use: members that are inner lists of strings or
// tokens, or byte sequences, each with parameters.
func parseDictionary(s string) ([]sfMember, error) {
	p := &sfParser{s: s}
	var out []sfMember
	p.skipSpace()
	for !p.done() {
		name, err := p.key()
		if err != nil {
			return nil, err
		}
		m := sfMember{name: name}
		if p.peek() != '=' {
			return nil, fmt.Errorf("member %q has no value", name)
		}
		p.i++
		start := p.i
		switch p.peek() {
		case '(':
			if m.list, err = p.innerList(); err != nil {
				return nil, err
			}
		case ':':
			if m.bytes, err = p.byteSeq(); err != nil {
				return nil, err
			}
		default:
			if _, err := p.bareItem(); err != nil {
				return nil, err
			}
		}
		if m.params, err = p.params(); err != nil {
			return nil, err
		}
		m.raw = s[start:p.i]
		out = append(out, m)
		p.skipSpace()
		if p.done() {
			break
		}
		if p.peek() != ',' {
			return nil, fmt.Errorf("expected a comma after member %q", name)
		}
		p.i++
		p.skipSpace()
		if p.done() {
			return nil, errors.New("trailing comma")
		}
	}
	return out, nil
}

type sfParser struct {
	s string
	i int
}

func (p *sfParser) done() bool { return p.i >= len(p.s) }
func (p *sfParser) peek() byte {
	if p.done() {
		return 0
	}
	return p.s[p.i]
}
func (p *sfParser) skipSpace() {
	for !p.done() && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *sfParser) key() (string, error) {
	start := p.i
	for !p.done() {
		c := p.s[p.i]
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' || c == '*' {
			p.i++
			continue
		}
		break
	}
	if p.i == start || !(p.s[start] >= 'a' && p.s[start] <= 'z' || p.s[start] == '*') {
		return "", fmt.Errorf("expected a lowercase key at offset %d", start)
	}
	return p.s[start:p.i], nil
}

func (p *sfParser) innerList() ([]sfItem, error) {
	p.i++ // (
	list := []sfItem{}
	for {
		for p.peek() == ' ' {
			p.i++
		}
		if p.done() {
			return nil, errors.New("unterminated inner list")
		}
		if p.peek() == ')' {
			p.i++
			return list, nil
		}
		v, err := p.bareItem()
		if err != nil {
			return nil, err
		}
		sv, ok := v.(string)
		if !ok {
			return nil, errors.New("inner list items must be strings")
		}
		it := sfItem{value: sv}
		if it.params, err = p.params(); err != nil {
			return nil, err
		}
		list = append(list, it)
		if c := p.peek(); c != ' ' && c != ')' {
			return nil, errors.New("expected a space or ) in an inner list")
		}
	}
}

func (p *sfParser) params() ([]sfParam, error) {
	var out []sfParam
	for p.peek() == ';' {
		p.i++
		p.skipSpace()
		name, err := p.key()
		if err != nil {
			return nil, err
		}
		var v any = true
		if p.peek() == '=' {
			p.i++
			if v, err = p.bareItem(); err != nil {
				return nil, err
			}
		}
		out = append(out, sfParam{name: name, value: v})
	}
	return out, nil
}

// bareItem parses a string, token, integer, byte sequence or boolean.
func (p *sfParser) bareItem() (any, error) {
	c := p.peek()
	switch {
	case c == '"':
		p.i++
		var b strings.Builder
		for !p.done() {
			c := p.s[p.i]
			p.i++
			switch {
			case c == '\\':
				if p.done() || (p.s[p.i] != '"' && p.s[p.i] != '\\') {
					return nil, errors.New("bad escape in a string")
				}
				b.WriteByte(p.s[p.i])
				p.i++
			case c == '"':
				return b.String(), nil
			case c < 0x20 || c > 0x7e:
				return nil, errors.New("a string may hold printable ASCII only")
			default:
				b.WriteByte(c)
			}
		}
		return nil, errors.New("unterminated string")
	case c == ':':
		return p.byteSeq()
	case c == '?':
		if p.i+1 < len(p.s) && (p.s[p.i+1] == '0' || p.s[p.i+1] == '1') {
			p.i += 2
			return p.s[p.i-1] == '1', nil
		}
		return nil, errors.New("bad boolean")
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.i
		p.i++
		for !p.done() && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		n, err := strconv.ParseInt(p.s[start:p.i], 10, 64)
		if err != nil || p.i-start > 16 {
			return nil, fmt.Errorf("bad integer %q", p.s[start:p.i])
		}
		return n, nil
	case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '*':
		start := p.i
		for !p.done() && !strings.ContainsRune(" ;,()=\"", rune(p.s[p.i])) {
			p.i++
		}
		return p.s[start:p.i], nil
	}
	return nil, fmt.Errorf("unexpected %q at offset %d", c, p.i)
}

func (p *sfParser) byteSeq() ([]byte, error) {
	p.i++ // :
	end := strings.IndexByte(p.s[p.i:], ':')
	if end < 0 {
		return nil, errors.New("unterminated byte sequence")
	}
	b, err := base64.StdEncoding.DecodeString(p.s[p.i : p.i+end])
	if err != nil {
		return nil, errors.New("a byte sequence is not base64")
	}
	p.i += end + 1
	return b, nil
}
