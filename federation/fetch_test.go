package federation_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/federation"
	"github.com/twinfed/twinfed/federation/signing"
)

// withBackfill serves, next to the federation's routes, /backfill (behind
// RequireSigned: it answers with the signer's host and the body it was
// given), /missing (404) and /broken (500).
func withBackfill(n *node) func(http.Handler) http.Handler {
	return func(fed http.Handler) http.Handler {
		mux := http.NewServeMux()
		mux.Handle("/", fed)
		mux.Handle("/backfill", n.Fed.RequireSigned(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			host, ok := federation.SignerHost(r.Context())
			if !ok {
				http.Error(w, "no signer in the context", http.StatusInternalServerError)
				return
			}
			body, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", federation.ContentTypeActivity)
			io.WriteString(w, "signer="+host+" accept="+r.Header.Get("Accept")+" body="+string(body))
		})))
		mux.HandleFunc("/missing", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
		mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "disk on fire", http.StatusInternalServerError)
		})
		return mux
	}
}

// TestGet_Signed fetches from another node with the node's own key, over
// real HTTP: the guarded handler sees the fetching node as the signer; a
// 404, a 500, a refusal and a host outside the federation come back as
// domain errors with a clear message.
func TestGet_Signed(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 1)
	nodes := mustReserveNodes(t, cluster, "IT", "FR")
	it, fr := nodes[0], nodes[1]
	fr.Wrap = withBackfill(fr)
	it.mustStart(t)
	fr.mustStart(t)
	ctx := context.Background()

	body, err := it.Fed.Get(ctx, fr.Base+"/backfill")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if want := "signer=" + it.Host + " accept=" + federation.ContentTypeActivity + " body="; string(body) != want {
		t.Fatalf("got %q, want %q", body, want)
	}

	for _, tc := range []struct {
		name, url, code, inMessage string
	}{
		{"not found", fr.Base + "/missing", twinfed.ENOTFOUND, "404"},
		{"server error", fr.Base + "/broken", twinfed.EUNAVAILABLE, "disk on fire"},
		{"not a node of the federation", "http://127.0.0.1:1/backfill", twinfed.EINVALID, "not a node of this federation"},
		{"not a URL", "backfill", twinfed.EINVALID, "not an absolute http(s) URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := it.Fed.Get(ctx, tc.url)
			if twinfed.ErrorCode(err) != tc.code || !strings.Contains(twinfed.ErrorMessage(err), tc.inMessage) {
				t.Fatalf("got %s %q, want %s containing %q", twinfed.ErrorCode(err), twinfed.ErrorMessage(err), tc.code, tc.inMessage)
			}
		})
	}

	t.Run("a node refusing our signature", func(t *testing.T) {
		// ES signs with a key the registry does not list for it.
		es := mustReserveNodes(t, cluster, "ES")[0]
		forged, err := signing.GenerateKey("forged", twinfed.KeyEd25519)
		if err != nil {
			t.Fatal(err)
		}
		es.Key = forged
		es.mustStart(t)
		consensustest.Eventually(t, 30*time.Second, func() bool {
			_, _, err := fr.Registry.KeysForHost(ctx, es.Host)
			return err == nil
		}, "FR's registry cache does not know ES")
		_, err = es.Fed.Get(ctx, fr.Base+"/backfill")
		if twinfed.ErrorCode(err) != twinfed.EUNAUTHORIZED || !strings.Contains(twinfed.ErrorMessage(err), "does not verify") {
			t.Fatalf("got %s %q, want %s saying the signature does not verify", twinfed.ErrorCode(err), twinfed.ErrorMessage(err), twinfed.EUNAUTHORIZED)
		}
	})
}

func signedGet(tb testing.TB, s *signing.Signer, url, keyID string) *http.Response {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept", federation.ContentTypeActivity)
	if s != nil {
		if err := s.Sign(req, keyID, nil); err != nil {
			tb.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { resp.Body.Close() })
	return resp
}

// TestRequireSigned checks each refusal of the guard over real HTTP with
// real keys: the status, a message saying what was wrong, the metric by
// reason, and that the guarded handler never ran.
func TestRequireSigned(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 1)
	nodes := mustReserveNodes(t, cluster, "IT", "FR")
	it, fr := nodes[0], nodes[1]
	fr.Wrap = withBackfill(fr)
	it.mustStart(t)
	fr.mustStart(t)
	forger, err := signing.GenerateKey("forged", twinfed.KeyEd25519)
	if err != nil {
		t.Fatal(err)
	}
	itKeyID := twinfed.KeyID(twinfed.AgencyURL(it.Base))
	url := fr.Base + "/backfill"

	for _, tc := range []struct {
		name      string
		do        func() *http.Response
		reason    string
		inMessage string
	}{
		{"unsigned", func() *http.Response { return signedGet(t, nil, url, "") },
			signing.ReasonMissing, "not signed"},
		{"forged: IT's keyId, another key", func() *http.Response { return signedGet(t, &signing.Signer{Key: forger}, url, itKeyID) },
			signing.ReasonBadSig, "does not verify"},
		{"stale date", func() *http.Response {
			return signedGet(t, &signing.Signer{Key: it.Key, Now: func() time.Time { return time.Now().Add(-6 * time.Minute) }}, url, itKeyID)
		}, signing.ReasonStale, "away from this server's clock"},
		{"unknown node", func() *http.Response {
			return signedGet(t, &signing.Signer{Key: forger}, url, "http://127.0.0.1:1/agency#main-key")
		}, signing.ReasonUnknownNode, "not a node of this federation"},
		{"mismatched digest on a POST", func() *http.Response {
			return signedPost(t, &signing.Signer{Key: it.Key}, url, itKeyID, []byte(`{"page":1}`), []byte(`{"page":2}`))
		}, signing.ReasonDigest, "does not match the body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := metricValue(t, fr.Metrics, "twinfed_federation_inbox_refusals_total", map[string]string{"reason": tc.reason})
			resp := tc.do()
			msg, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d (%s), want 401", resp.StatusCode, msg)
			}
			if !strings.Contains(string(msg), tc.inMessage) || strings.Contains(string(msg), "signer=") {
				t.Fatalf("message %q, want one containing %q (and the handler must not run)", msg, tc.inMessage)
			}
			if after := metricValue(t, fr.Metrics, "twinfed_federation_inbox_refusals_total", map[string]string{"reason": tc.reason}); after != before+1 {
				t.Fatalf("refusals{reason=%s} went from %v to %v, want +1", tc.reason, before, after)
			}
		})
	}

	t.Run("a signed POST passes with its body", func(t *testing.T) {
		resp := signedPost(t, &signing.Signer{Key: it.Key}, url, itKeyID, []byte(`{"page":1}`), nil)
		defer resp.Body.Close()
		msg, _ := io.ReadAll(resp.Body)
		if want := "signer=" + it.Host + " accept= body={\"page\":1}"; resp.StatusCode != http.StatusOK || string(msg) != want {
			t.Fatalf("%d %q, want 200 %q", resp.StatusCode, msg, want)
		}
	})
}

// TestGet_NotServedBacksOff: a node that answers 404 under /directory (it
// does not serve the backfill) is not asked there again until its backoff
// has passed, other paths of the node still are, a 404 that says only the
// record is missing (twinfed.HeaderNotFound) starts no backoff, and the
// federation status shows it.
func TestGet_NotServedBacksOff(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 1)
	nodes := mustReserveNodes(t, cluster, "IT", "FR")
	it, fr := nodes[0], nodes[1]
	var mu sync.Mutex
	asked := map[string]int{}
	fr.Wrap = func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			asked[r.URL.Path]++
			mu.Unlock()
			if strings.HasPrefix(r.URL.Path, "/records/") {
				w.Header().Set(twinfed.HeaderNotFound, "record")
			}
			http.NotFound(w, r)
		})
	}
	it.mustStart(t)
	fr.mustStart(t)
	ctx := context.Background()

	_, err := it.Fed.Get(ctx, fr.Base+"/directory/profiles?after=")
	if twinfed.ErrorCode(err) != twinfed.ENOTFOUND || !strings.Contains(err.Error(), "404") {
		t.Fatalf("first: %v", err)
	}
	_, err = it.Fed.Get(ctx, fr.Base+"/directory/projects?after=")
	if twinfed.ErrorCode(err) != twinfed.ENOTFOUND || !strings.Contains(err.Error(), "does not serve /directory") || !strings.Contains(err.Error(), "not asked again before") {
		t.Fatalf("second: %v", err)
	}
	if _, err := it.Fed.Get(ctx, fr.Base+"/other"); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		t.Fatalf("other path: %v", err)
	}
	// A 404 saying that only the record is missing starts no backoff.
	for range 2 {
		if _, err := it.Fed.Get(ctx, fr.Base+"/records/gone?id=1"); twinfed.ErrorCode(err) != twinfed.ENOTFOUND || strings.Contains(err.Error(), "not asked again") {
			t.Fatalf("a missing record: %v", err)
		}
	}
	mu.Lock()
	if asked["/directory/profiles"] != 1 || asked["/directory/projects"] != 0 || asked["/other"] != 1 || asked["/records/gone"] != 2 {
		t.Fatalf("requests: %v", asked)
	}
	mu.Unlock()
	var st *federation.DestinationStatus
	for _, s := range it.Fed.Status() {
		if s.Destination == fr.Host {
			st = &s
		}
	}
	if st == nil || len(st.NotServed) != 2 || st.NotServed[0].Prefix != "/directory" || st.NotServed[0].Failures != 1 ||
		st.NotServed[0].Until.Sub(st.NotServed[0].Since) != time.Minute {
		t.Fatalf("status: %+v", st)
	}
}

// TestGetStream_Signed streams a file larger than Get takes from another
// node, signed as Get signs; a file that is gone is ENOTFOUND and does
// not stop the next fetch under the same path.
func TestGetStream_Signed(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 1)
	nodes := mustReserveNodes(t, cluster, "IT", "FR")
	it, fr := nodes[0], nodes[1]
	const size = federation.MaxGetBody + 1<<20
	fr.Wrap = func(fed http.Handler) http.Handler {
		mux := http.NewServeMux()
		mux.Handle("/", fed)
		mux.Handle("/files/big", fr.Fed.RequireSigned(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if host, _ := federation.SignerHost(r.Context()); host != it.Host {
				http.Error(w, "signed by "+host, http.StatusForbidden)
				return
			}
			w.Header().Set("Content-Length", fmt.Sprint(size))
			io.Copy(w, io.LimitReader(zeros{}, size))
		})))
		mux.HandleFunc("/files/gone", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
		return mux
	}
	it.mustStart(t)
	fr.mustStart(t)
	ctx := context.Background()
	for range 2 {
		if _, _, err := it.Fed.GetStream(ctx, fr.Base+"/files/gone"); twinfed.ErrorCode(err) != twinfed.ENOTFOUND || !strings.Contains(twinfed.ErrorMessage(err), "404") {
			t.Fatalf("GetStream of a missing file: %v, want ENOTFOUND", err)
		}
	}
	body, n, err := it.Fed.GetStream(ctx, fr.Base+"/files/big")
	if err != nil {
		t.Fatalf("GetStream: %v", err)
	}
	got, err := io.Copy(io.Discard, body)
	body.Close()
	if err != nil || got != size || n != size {
		t.Fatalf("streamed %d bytes (Content-Length %d), %v; want %d", got, n, err, size)
	}
	if _, _, err := it.Fed.GetStream(ctx, "http://127.0.0.1:1/files/big"); twinfed.ErrorCode(err) != twinfed.EINVALID {
		t.Fatalf("GetStream outside the federation: %v, want EINVALID", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
