package signing_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/federation/signing"
)

// hostKeys is a KeySource over a fixed map, standing in for the registry
// whose real client is tested in consensus.
type hostKeys map[string][]twinfed.NodeKey

func (h hostKeys) KeysForHost(_ context.Context, host string) (string, []twinfed.NodeKey, error) {
	keys, ok := h[host]
	if !ok {
		return "", nil, twinfed.Errorf(twinfed.ENOTFOUND, "no node")
	}
	return "IT", keys, nil
}

func mustKey(tb testing.TB, alg string) *signing.Key {
	tb.Helper()
	k, err := signing.GenerateKey("k1", alg)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func TestVerifier_Verify(t *testing.T) {
	good := mustKey(t, twinfed.KeyEd25519)
	rsaKey := mustKey(t, twinfed.KeyRSA)
	other := mustKey(t, twinfed.KeyEd25519)
	const sender = "it.example:8443"
	keys := hostKeys{sender: {other.NodeKey(), good.NodeKey(), rsaKey.NodeKey()}}

	type result struct {
		reason string
		ok     bool
	}
	results := make(chan result, 1)
	v := &signing.Verifier{Keys: keys}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_, err := v.Verify(r, body)
		results <- result{reason: signing.Reason(err), ok: err == nil}
	}))
	defer srv.Close()

	body := []byte(`{"type":"Follow"}`)
	cases := []struct {
		name   string
		key    *signing.Key
		keyID  string
		now    time.Time
		mutate func(r *http.Request)
		want   string // "" means accepted
	}{
		{name: "ed25519", key: good, keyID: "http://" + sender + "/users/maria#main-key"},
		{name: "rsa", key: rsaKey, keyID: "http://" + sender + "/users/maria#main-key"},
		{name: "unknown node", key: good, keyID: "http://evil.example/users/x#main-key", want: signing.ReasonUnknownNode},
		{name: "key not registered", key: mustKey(t, twinfed.KeyEd25519), keyID: "http://" + sender + "/a#main-key", want: signing.ReasonBadSig},
		{name: "stale date", key: good, keyID: "http://" + sender + "/a#main-key", now: time.Now().Add(-6 * time.Minute), want: signing.ReasonStale},
		{name: "future date", key: good, keyID: "http://" + sender + "/a#main-key", now: time.Now().Add(6 * time.Minute), want: signing.ReasonStale},
		{name: "tampered body", key: good, keyID: "http://" + sender + "/a#main-key", mutate: func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader(`{"type":"Delete"}`))
			r.ContentLength = int64(len(`{"type":"Delete"}`))
		}, want: signing.ReasonDigest},
		{name: "tampered digest and body", key: good, keyID: "http://" + sender + "/a#main-key", mutate: func(r *http.Request) {
			r.Header.Set("Digest", "SHA-256=RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o=")
		}, want: signing.ReasonDigest},
		{name: "unsigned", key: good, mutate: func(r *http.Request) { r.Header.Del("Signature") }, keyID: "http://" + sender + "/a#main-key", want: signing.ReasonMissing},
		{name: "changed path", key: good, keyID: "http://" + sender + "/a#main-key", mutate: func(r *http.Request) { r.URL.Path = "/other" }, want: signing.ReasonBadSig},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/inbox", bytes.NewReader(body))
			s := &signing.Signer{Key: tc.key}
			if !tc.now.IsZero() {
				s.Now = func() time.Time { return tc.now }
			}
			if err := s.Sign(req, tc.keyID, body); err != nil {
				t.Fatal(err)
			}
			if tc.mutate != nil {
				tc.mutate(req)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got := <-results
			if tc.want == "" && !got.ok {
				t.Fatalf("refused with %s, want accepted", got.reason)
			}
			if tc.want != "" && got.reason != tc.want {
				t.Fatalf("reason %q, want %q", got.reason, tc.want)
			}
		})
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	path := t.TempDir() + "/node.key"
	k1, err := signing.LoadOrCreateKey(path, twinfed.KeyEd25519)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := signing.LoadOrCreateKey(path, twinfed.KeyRSA)
	if err != nil {
		t.Fatal(err)
	}
	if k1.ID != k2.ID || k1.PublicPEM() != k2.PublicPEM() || k2.Algorithm != twinfed.KeyEd25519 {
		t.Fatalf("reloaded key differs: %+v vs %+v", k1, k2)
	}
}

func BenchmarkSigner_Sign(b *testing.B) {
	for _, alg := range []string{twinfed.KeyEd25519, twinfed.KeyRSA} {
		b.Run(alg, func(b *testing.B) {
			s := &signing.Signer{Key: mustKey(b, alg)}
			body := []byte(`{"type":"Follow"}`)
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodPost, "http://fr.example/inbox", bytes.NewReader(body))
				if err := s.Sign(req, "http://it.example/users/a#main-key", body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestVerifier_VerifyMessage checks RFC 9421 signatures: both key types
// accepted, and each refusal naming what was wrong.
func TestVerifier_VerifyMessage(t *testing.T) {
	good := mustKey(t, twinfed.KeyEd25519)
	rsaKey := mustKey(t, twinfed.KeyRSA)
	const sender = "it.example:8443"
	keys := hostKeys{sender: {good.NodeKey(), rsaKey.NodeKey()}}

	type result struct {
		v   *signing.Verified
		err error
	}
	results := make(chan result, 1)
	v := &signing.Verifier{Keys: keys}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got, err := v.Verify(r, body)
		results <- result{got, err}
	}))
	defer srv.Close()

	body := []byte(`{"type":"Follow"}`)
	keyID := "http://" + sender + "/users/maria#main-key"
	cases := []struct {
		name    string
		key     *signing.Key
		keyID   string
		now     time.Time
		mutate  func(r *http.Request)
		want    string // "" means accepted
		message string // a part of the refusal's message
	}{
		{name: "ed25519", key: good, keyID: keyID},
		{name: "rsa", key: rsaKey, keyID: keyID},
		{name: "unknown node", key: good, keyID: "http://evil.example/users/x#main-key", want: signing.ReasonUnknownNode, message: "evil.example is not a node"},
		{name: "key not registered", key: mustKey(t, twinfed.KeyEd25519), keyID: keyID, want: signing.ReasonBadSig, message: "RFC 9421 signature does not verify"},
		{name: "stale", key: good, keyID: keyID, now: time.Now().Add(-6 * time.Minute), want: signing.ReasonStale, message: "created"},
		{name: "future", key: good, keyID: keyID, now: time.Now().Add(6 * time.Minute), want: signing.ReasonStale},
		{name: "tampered body", key: good, keyID: keyID, mutate: func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader(`{"type":"Delete"}`))
			r.ContentLength = int64(len(`{"type":"Delete"}`))
		}, want: signing.ReasonDigest, message: "Content-Digest header (sha-256) does not match"},
		{name: "changed path", key: good, keyID: keyID, mutate: func(r *http.Request) { r.URL.Path = "/other" }, want: signing.ReasonBadSig},
		{name: "body not covered", key: good, keyID: keyID, mutate: func(r *http.Request) {
			r.Header.Set("Signature-Input", strings.Replace(r.Header.Get("Signature-Input"), ` "content-digest"`, "", 1))
		}, want: signing.ReasonHeaders, message: `must cover "@method", "@target-uri" (or "@authority" and "@path") and "content-digest"; it covers "@method" "@target-uri" "@authority"`},
		{name: "unknown algorithm", key: good, keyID: keyID, mutate: func(r *http.Request) {
			r.Header.Set("Signature-Input", strings.Replace(r.Header.Get("Signature-Input"), `alg="ed25519"`, `alg="hmac-sha256"`, 1))
		}, want: signing.ReasonRFC9421, message: `"hmac-sha256" is not supported`},
		{name: "no Signature-Input", key: good, keyID: keyID, mutate: func(r *http.Request) { r.Header.Del("Signature-Input") },
			want: signing.ReasonMalformed, message: "looks like RFC 9421 but there is no Signature-Input"},
		{name: "label mismatch", key: good, keyID: keyID, mutate: func(r *http.Request) {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), "sig1=", "other=", 1))
		}, want: signing.ReasonMalformed, message: `no byte sequence labelled "sig1"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/inbox", bytes.NewReader(body))
			s := &signing.Signer{Key: tc.key}
			if !tc.now.IsZero() {
				s.Now = func() time.Time { return tc.now }
			}
			if err := s.SignMessage(req, tc.keyID, body); err != nil {
				t.Fatal(err)
			}
			if tc.mutate != nil {
				tc.mutate(req)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got := <-results
			if tc.want == "" {
				if got.err != nil {
					t.Fatalf("refused: %v", got.err)
				}
				if got.v.Scheme != signing.SchemeRFC9421 || got.v.NodeKey != tc.key.ID {
					t.Fatalf("verified %+v", got.v)
				}
				return
			}
			if signing.Reason(got.err) != tc.want {
				t.Fatalf("reason %q (%v), want %q", signing.Reason(got.err), got.err, tc.want)
			}
			if !strings.Contains(got.err.Error(), tc.message) {
				t.Fatalf("message %q does not say %q", got.err, tc.message)
			}
		})
	}
}
