package signing_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/federation/signing"
)

// fuzzKey is a fixed key so that the seed corpus in testdata/fuzz holds
// requests that verify.
func fuzzKey() *signing.Key {
	seed := sha256.Sum256([]byte("twinfed fuzz key"))
	return &signing.Key{ID: "fuzz", Algorithm: twinfed.KeyEd25519, Private: ed25519.NewKeyFromSeed(seed[:])}
}

var fuzzNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

const fuzzHost = "it.example"

// FuzzVerify feeds the verifier arbitrary Signature, Date and Digest
// headers, paths and bodies. It must never panic, and it may accept a
// request only when the Digest matches the body and the keyId is on the
// registered host.
func FuzzVerify(f *testing.F) {
	key := fuzzKey()
	body := []byte(`{"type":"Follow"}`)
	req, _ := http.NewRequest(http.MethodPost, "http://"+fuzzHost+"/inbox", bytes.NewReader(body))
	(&signing.Signer{Key: key, Now: func() time.Time { return fuzzNow }}).Sign(req, "http://"+fuzzHost+"/users/maria#main-key", body)
	f.Add(req.Header.Get("Signature"), req.Header.Get("Date"), req.Header.Get("Digest"), "/inbox", body)
	f.Add(`keyId="http://evil.example/a#k",algorithm="hs2019",headers="(request-target) host date digest",signature="AAAA"`, req.Header.Get("Date"), req.Header.Get("Digest"), "/inbox", body)
	f.Add(`keyId="x",headers="date"`, "", "", "/", []byte{})

	v := &signing.Verifier{Keys: hostKeys{fuzzHost: {key.NodeKey()}}, Now: func() time.Time { return fuzzNow }}
	f.Fuzz(func(t *testing.T, sig, date, digest, path string, body []byte) {
		u, err := url.Parse("http://" + fuzzHost + path)
		if err != nil || !strings.HasPrefix(path, "/") {
			return
		}
		r := &http.Request{Method: http.MethodPost, URL: u, Host: fuzzHost, Header: http.Header{}}
		r.Header.Set("Signature", sig)
		r.Header.Set("Date", date)
		r.Header.Set("Digest", digest)
		r.Header.Set("Host", fuzzHost)
		got, err := v.Verify(r, body)
		if err != nil {
			if signing.Reason(err) == "" {
				t.Fatalf("refusal without a reason: %v", err)
			}
			return
		}
		sum := sha256.Sum256(body)
		if !strings.Contains(digest, base64.StdEncoding.EncodeToString(sum[:])) {
			t.Fatalf("accepted a Digest %q that does not match the body", digest)
		}
		if got.Host != fuzzHost {
			t.Fatalf("accepted keyId host %q", got.Host)
		}
	})
}

// FuzzVerifyMessage feeds the RFC 9421 verifier arbitrary Signature-Input,
// Signature and Content-Digest headers, paths and bodies. It must never
// panic, must refuse with a reason, and may accept a request only when the
// Content-Digest matches the body and the keyid is on the registered host.
func FuzzVerifyMessage(f *testing.F) {
	key := fuzzKey()
	body := []byte(`{"type":"Follow"}`)
	req, _ := http.NewRequest(http.MethodPost, "http://"+fuzzHost+"/inbox", bytes.NewReader(body))
	(&signing.Signer{Key: key, Now: func() time.Time { return fuzzNow }}).SignMessage(req, "http://"+fuzzHost+"/users/maria#main-key", body)
	f.Add(req.Header.Get("Signature-Input"), req.Header.Get("Signature"), req.Header.Get("Content-Digest"), "/inbox", body)
	f.Add(`sig1=("@method" "@path" "@query-param";name="a");created=1`, `sig1=:AAAA:`, `sha-512=:AAAA:`, "/inbox?a=1", body)
	f.Add(`a=(), b=("x" "y");keyid="http://evil.example/k";alg="ed25519"`, `b=:AA==:, a=?1`, "", "/", []byte{})

	v := &signing.Verifier{Keys: hostKeys{fuzzHost: {key.NodeKey()}}, Now: func() time.Time { return fuzzNow }}
	f.Fuzz(func(t *testing.T, input, sig, digest, path string, body []byte) {
		u, err := url.Parse("http://" + fuzzHost + path)
		if err != nil || !strings.HasPrefix(path, "/") || input == "" || sig == "" {
			return
		}
		r := &http.Request{Method: http.MethodPost, URL: u, Host: fuzzHost, Header: http.Header{}, RequestURI: path}
		r.Header.Set("Signature-Input", input)
		r.Header.Set("Signature", sig)
		r.Header.Set("Content-Digest", digest)
		got, err := v.Verify(r, body)
		if err != nil {
			if signing.Reason(err) == "" {
				t.Fatalf("refusal without a reason: %v", err)
			}
			return
		}
		sum := sha256.Sum256(body)
		if !strings.Contains(digest, base64.StdEncoding.EncodeToString(sum[:])) {
			t.Fatalf("accepted a Content-Digest %q that does not match the body", digest)
		}
		if got.Host != fuzzHost || got.Scheme != signing.SchemeRFC9421 {
			t.Fatalf("accepted %+v", got)
		}
	})
}
