package signing

import (
	"crypto/ed25519"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/twinfed/twinfed"
)

// The test key and request of RFC 9421 appendix B.1.4 and B.2.
const (
	rfcEd25519Private = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
-----END PRIVATE KEY-----
`
	rfcEd25519Public = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=
-----END PUBLIC KEY-----
`
	rfcBody = `{"hello": "world"}`
)

func rfcRequest(t *testing.T) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, "http://example.com/foo?param=Value&Pet=dog", strings.NewReader(rfcBody))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Date", "Tue, 20 Apr 2021 02:07:55 GMT")
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Content-Digest", "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:")
	r.Header.Set("Content-Length", "18")
	return r
}

// TestSignatureBase_RFC9421B26 checks the signature base and the Ed25519
// signature of RFC 9421 appendix B.2.6 (Ed25519 is deterministic, so the
// signature must be the RFC's to the byte), and the Content-Digest of B.2.
func TestSignatureBase_RFC9421B26(t *testing.T) {
	r := rfcRequest(t)
	in, err := parseDictionary(`sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"`)
	if err != nil || len(in) != 1 {
		t.Fatalf("parse Signature-Input: %v %v", in, err)
	}
	var covered []string
	for _, it := range in[0].list {
		covered = append(covered, it.value)
	}
	base, err := signatureBase(r, covered, in[0].raw, "")
	if err != nil {
		t.Fatal(err)
	}
	want := `"date": Tue, 20 Apr 2021 02:07:55 GMT
"@method": POST
"@path": /foo
"@authority": example.com
"content-type": application/json
"content-length": 18
"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"`
	if base != want {
		t.Fatalf("signature base:\n%s\nwant:\n%s", base, want)
	}
	priv, err := ParsePrivatePEM([]byte(rfcEd25519Private))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := signBase(priv, AlgEd25519, []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	const wantSig = "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw=="
	if got := base64.StdEncoding.EncodeToString(sig); got != wantSig {
		t.Errorf("signature %s, want the RFC's %s", got, wantSig)
	}
	pub, err := ParsePublicPEM(rfcEd25519Public)
	if err != nil {
		t.Fatal(err)
	}
	if !pub.(ed25519.PublicKey).Equal(priv.Private.Public()) {
		t.Fatal("the RFC's public key is not the private key's")
	}
	rfcSig, _ := base64.StdEncoding.DecodeString(wantSig)
	if !verifyBase(pub, "", []byte(base), rfcSig) || !verifyBase(pub, AlgEd25519, []byte(base), rfcSig) {
		t.Error("the RFC's signature does not verify")
	}
	if verifyBase(pub, AlgRSAv15SHA256, []byte(base), rfcSig) {
		t.Error("an Ed25519 signature verified as rsa-v1_5-sha256")
	}
	if verifyBase(pub, "", []byte(base+"x"), rfcSig) {
		t.Error("a changed base verified")
	}
	if err := checkContentDigest(r.Header.Get("Content-Digest"), []byte(rfcBody)); err != nil {
		t.Errorf("the RFC's Content-Digest: %v", err)
	}
	if err := checkContentDigest(r.Header.Get("Content-Digest"), []byte(`{"hello": "World"}`)); Reason(err) != ReasonDigest {
		t.Errorf("a changed body: %v", err)
	}
}

func TestParseDictionary(t *testing.T) {
	for _, bad := range []string{`sig1`, `sig1=(`, `sig1=("a"`, `sig1=:!!:`, `Sig=1`, `a=1,`, `a="\q"`} {
		if _, err := parseDictionary(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	d, err := parseDictionary(`sig1=("@method" "@target-uri");created=1;keyid="k\"1";alg="ed25519", sig2=:AAE=:;x=?1`)
	if err != nil {
		t.Fatal(err)
	}
	if len(d) != 2 || len(d[0].list) != 2 || d[0].paramMap()["keyid"] != `k"1` || d[0].paramMap()["created"] != int64(1) ||
		string(d[1].bytes) != "\x00\x01" || d[1].paramMap()["x"] != true {
		t.Fatalf("%+v", d)
	}
	if d[0].raw != `("@method" "@target-uri");created=1;keyid="k\"1";alg="ed25519"` {
		t.Errorf("raw %q", d[0].raw)
	}
}

func TestLoadOrCreateKeys_KeepsExistingKey(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/node.key"
	old, err := LoadOrCreateKey(path, twinfed.KeyRSA) // a data dir from before two keys
	if err != nil {
		t.Fatal(err)
	}
	kp, err := LoadOrCreateKeys(path, twinfed.KeyEd25519)
	if err != nil {
		t.Fatal(err)
	}
	if kp.Primary.ID != old.ID || kp.RSA != kp.Primary || kp.Ed25519 == nil || kp.Ed25519.ID == old.ID {
		t.Fatalf("pair %+v from old key %s", kp, old.ID)
	}
	again, err := LoadOrCreateKeys(path, twinfed.KeyEd25519)
	if err != nil {
		t.Fatal(err)
	}
	if again.Ed25519.PublicPEM() != kp.Ed25519.PublicPEM() || again.RSA.PublicPEM() != kp.RSA.PublicPEM() {
		t.Error("the keys changed on the second start")
	}
	if n := len(again.NodeKeys()); n != 2 {
		t.Errorf("%d node keys", n)
	}
}

func TestBase58(t *testing.T) {
	for in, want := range map[string]string{"": "", "\x00\x00\x01": "112", "Hello World!": "2NEpo7TZRRrLZSi2U", "\x00\xff": "15Q"} {
		if got := base58([]byte(in)); got != want {
			t.Errorf("base58(%q) = %q, want %q", in, got, want)
		}
	}
	k, err := ParsePrivatePEM([]byte(rfcEd25519Private))
	if err != nil {
		t.Fatal(err)
	}
	if mb := k.PublicMultibase(); !strings.HasPrefix(mb, "z6Mk") {
		t.Errorf("an Ed25519 Multikey starts with z6Mk; got %s", mb)
	}
}

// TestVerifyBase_RSA checks both RSA algorithms of RFC 9421 section 3.3
// and that alg decides which one is tried.
func TestVerifyBase_RSA(t *testing.T) {
	k, err := GenerateKey("r", twinfed.KeyRSA)
	if err != nil {
		t.Fatal(err)
	}
	base := []byte(`"@method": POST` + "\n" + `"@signature-params": ("@method");created=1`)
	for _, alg := range []string{AlgRSAv15SHA256, AlgRSAPSSSHA512} {
		sig, err := signBase(k, alg, base)
		if err != nil {
			t.Fatal(err)
		}
		pub := k.Private.Public()
		if !verifyBase(pub, alg, base, sig) || !verifyBase(pub, "", base, sig) {
			t.Errorf("%s: the signature does not verify", alg)
		}
		other := AlgRSAPSSSHA512
		if alg == other {
			other = AlgRSAv15SHA256
		}
		if verifyBase(pub, other, base, sig) || verifyBase(pub, AlgEd25519, base, sig) {
			t.Errorf("%s: verified under another algorithm", alg)
		}
	}
}

// TestSignatureBase_HostHeader: a signature may cover the Host header
// (Fedify's do), which Go keeps outside r.Header: the client's request
// takes it from its URL, the server's from r.Host.
func TestSignatureBase_HostHeader(t *testing.T) {
	r := rfcRequest(t)
	base, err := signatureBase(r, []string{"host", "@authority"}, "(\"host\" \"@authority\")", "")
	if err != nil || !strings.HasPrefix(base, "\"host\": example.com\n") {
		t.Fatalf("the client's base: %q %v", base, err)
	}
	r.Host = "example.com:8443" // as a server reads the Host header
	base, err = signatureBase(r, []string{"host"}, "(\"host\")", "")
	if err != nil || !strings.HasPrefix(base, "\"host\": example.com:8443\n") {
		t.Fatalf("the server's base: %q %v", base, err)
	}
}
