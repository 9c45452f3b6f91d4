package federation_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/federation"
	"github.com/twinfed/twinfed/federation/signing"
)

// TestInbox_RFC9421 sends a node's inbox RFC 9421 HTTP Message Signatures:
// Ed25519 and RSA keys the registry lists are accepted and the activity
// applied; forged, stale and incomplete ones are refused with a message
// that names the real problem (never draft-cavage's headers).
func TestInbox_RFC9421(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 1)
	nodes := mustOpenNodes(t, cluster, "IT", "FR")
	it, fr := nodes[0], nodes[1]
	rsaKey, err := signing.GenerateKey("k-rsa", twinfed.KeyRSA)
	if err != nil {
		t.Fatal(err)
	}
	cluster.MustRegisterNode(t, "IT", it.Base, it.Key.NodeKey(), rsaKey.NodeKey())
	maria, claire := it.actor("maria"), fr.actor("claire")
	follow := func(id string) []byte {
		return mustEncode(t, &twinfed.Activity{ID: twinfed.ActivityURL(it.Base, id), Type: twinfed.ActivityFollow, Actor: maria, To: []string{claire}, Object: claire})
	}
	post := func(s *signing.Signer, body []byte, mutate func(*http.Request)) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, twinfed.SharedInboxURL(fr.Base), bytes.NewReader(body))
		req.Header.Set("Content-Type", federation.ContentTypeActivity)
		if err := s.SignMessage(req, twinfed.KeyID(maria), body); err != nil {
			t.Fatal(err)
		}
		if mutate != nil {
			mutate(req)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		msg, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(msg)
	}
	// The registry client of FR learns IT's RSA key from the change feed.
	eventually(t, 30*time.Second, func() bool {
		code, _ := post(&signing.Signer{Key: rsaKey}, follow("rsa"), nil)
		return code == http.StatusAccepted
	}, "an RFC 9421 RSA signature was not accepted")
	if code, msg := post(&signing.Signer{Key: it.Key}, follow("ed25519"), nil); code != http.StatusAccepted {
		t.Fatalf("Ed25519: %d %s", code, msg)
	}
	eventually(t, 10*time.Second, func() bool { return fr.Rec.countApplied() == 2 }, "the signed activities were not applied")

	intruder, _ := signing.GenerateKey("x", twinfed.KeyEd25519)
	for _, tc := range []struct {
		name   string
		signer *signing.Signer
		mutate func(*http.Request)
		reason string
		says   string
	}{
		{"wrong key", &signing.Signer{Key: intruder}, nil, signing.ReasonBadSig, "does not verify with any key the registry lists"},
		{"stale", &signing.Signer{Key: it.Key, Now: func() time.Time { return time.Now().Add(-10 * time.Minute) }}, nil, signing.ReasonStale, "created"},
		{"body not covered", &signing.Signer{Key: it.Key}, func(r *http.Request) {
			r.Header.Set("Signature-Input", strings.Replace(r.Header.Get("Signature-Input"), ` "content-digest"`, "", 1))
		}, signing.ReasonHeaders, `must cover "@method", "@target-uri" (or "@authority" and "@path") and "content-digest"`},
		{"body changed", &signing.Signer{Key: it.Key}, func(r *http.Request) {
			b := strings.Replace(string(follow("changed")), "Follow", "Undo\u0020\u0020", 1)
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader(b)), int64(len(b))
		}, signing.ReasonDigest, "Content-Digest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := metricValue(t, fr.Metrics, "twinfed_federation_inbox_refusals_total", map[string]string{"reason": tc.reason})
			code, msg := post(tc.signer, follow("changed"), tc.mutate)
			if code != http.StatusUnauthorized || !strings.Contains(msg, tc.says) || strings.Contains(msg, "(request-target)") {
				t.Fatalf("%d %q, want 401 saying %q", code, msg, tc.says)
			}
			if got := metricValue(t, fr.Metrics, "twinfed_federation_inbox_refusals_total", map[string]string{"reason": tc.reason}); got != before+1 {
				t.Fatalf("refusals{reason=%s} = %v, want %v", tc.reason, got, before+1)
			}
		})
	}
	if n := fr.Rec.countApplied(); n != 2 {
		t.Fatalf("%d activities applied, want the 2 good ones", n)
	}
}
