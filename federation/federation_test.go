package federation_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/federation"
	"github.com/twinfed/twinfed/federation/signing"
)

// metricValue sums the samples of a metric whose labels include want.
func metricValue(tb testing.TB, reg *prometheus.Registry, name string, want map[string]string) float64 {
	tb.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	total := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				total += m.Counter.GetValue()
			case m.Gauge != nil:
				total += m.Gauge.GetValue()
			case m.Histogram != nil:
				total += float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return total
}

func TestActors(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 1)
	it := mustOpenNodes(t, cluster, "IT")[0]
	maria := &twinfed.Profile{ID: it.actor("maria"), Username: "maria", Country: "IT", Name: "Maria Rossi", Description: "Science teacher", Subjects: []string{"science"}}
	it.Rec.putProfile(t, maria)

	t.Run("person as activity+json and ld+json", func(t *testing.T) {
		for _, accept := range []string{federation.ContentTypeActivity, federation.ContentTypeLD, "application/ld+json", "text/html;q=0.9, application/activity+json"} {
			resp, body := get(t, maria.ID, accept)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != federation.ContentTypeActivity {
				t.Fatalf("Accept %q: status %d, type %q", accept, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			var doc struct {
				Type      string `json:"type"`
				ID        string `json:"id"`
				Inbox     string `json:"inbox"`
				Name      string `json:"name"`
				Preferred string `json:"preferredUsername"`
				Endpoints struct {
					SharedInbox string `json:"sharedInbox"`
				} `json:"endpoints"`
				PublicKey struct {
					ID    string `json:"id"`
					Owner string `json:"owner"`
					PEM   string `json:"publicKeyPem"`
				} `json:"publicKey"`
			}
			if err := json.Unmarshal(body, &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Type != "Person" || doc.ID != maria.ID || doc.Name != "Maria Rossi" || doc.Preferred != "maria" ||
				doc.Inbox != maria.ID+"/inbox" || doc.Endpoints.SharedInbox != twinfed.SharedInboxURL(it.Base) {
				t.Fatalf("person document: %s", body)
			}
			if doc.PublicKey.ID != twinfed.KeyID(maria.ID) || doc.PublicKey.Owner != maria.ID || doc.PublicKey.PEM != it.Key.PublicPEM() {
				t.Fatalf("publicKey: %+v", doc.PublicKey)
			}
		}
	})
	t.Run("person as HTML for a browser", func(t *testing.T) {
		resp, body := get(t, maria.ID, "text/html,application/xhtml+xml")
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "Maria Rossi") {
			t.Fatalf("status %d type %q body %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	})
	t.Run("unknown member", func(t *testing.T) {
		resp, _ := get(t, it.actor("nobody"), federation.ContentTypeActivity)
		if resp.StatusCode != 404 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("agency service", func(t *testing.T) {
		resp, body := get(t, twinfed.AgencyURL(it.Base), federation.ContentTypeActivity)
		var doc map[string]any
		json.Unmarshal(body, &doc)
		if resp.StatusCode != 200 || doc["type"] != "Service" || doc["preferredUsername"] != "agency" || doc["publicKey"] == nil {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
	})
	t.Run("webfinger", func(t *testing.T) {
		cases := []struct{ resource, want string }{
			{"acct:maria@" + it.Host, maria.ID},
			{"acct:agency@" + it.Host, twinfed.AgencyURL(it.Base)},
			{maria.ID, maria.ID},
			{"acct:nobody@" + it.Host, ""},
			{"acct:maria@other.example", ""},
		}
		for _, tc := range cases {
			resp, body := get(t, it.Base+"/.well-known/webfinger?resource="+tc.resource, "")
			if tc.want == "" {
				if resp.StatusCode != 404 {
					t.Fatalf("%s: status %d, want 404", tc.resource, resp.StatusCode)
				}
				continue
			}
			var j struct {
				Subject string
				Links   []struct{ Rel, Type, Href string }
			}
			json.Unmarshal(body, &j)
			if resp.StatusCode != 200 || len(j.Links) == 0 || j.Links[0].Href != tc.want || j.Links[0].Type != federation.ContentTypeActivity {
				t.Fatalf("%s: status %d: %s", tc.resource, resp.StatusCode, body)
			}
		}
	})
	t.Run("nodeinfo", func(t *testing.T) {
		_, body := get(t, it.Base+"/.well-known/nodeinfo", "")
		var links struct{ Links []struct{ Rel, Href string } }
		json.Unmarshal(body, &links)
		if len(links.Links) != 1 || links.Links[0].Href != it.Base+"/nodeinfo/2.1" {
			t.Fatalf("links: %s", body)
		}
		_, body = get(t, links.Links[0].Href, "")
		var ni struct {
			Version           string
			Software          struct{ Name, Version string }
			Protocols         []string
			OpenRegistrations bool
		}
		json.Unmarshal(body, &ni)
		if ni.Version != "2.1" || ni.Software.Name != "twinfed" || len(ni.Protocols) != 1 || ni.Protocols[0] != "activitypub" ||
			ni.Software.Version != "0.0.0-dev+test" || !ni.OpenRegistrations {
			t.Fatalf("nodeinfo: %s", body)
		}
	})
}

func TestWantsActivityJSON(t *testing.T) {
	cases := []struct {
		accept string
		want   bool
	}{
		{"application/activity+json", true},
		{`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`, true},
		{"application/ld+json", true},
		{`application/ld+json; profile="https://example.com/other"`, false},
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", false},
		{"", false},
		{"application/activity+json;q=0", false},
	}
	for _, tc := range cases {
		r, _ := http.NewRequest("GET", "/users/maria", nil)
		r.Header.Set("Accept", tc.accept)
		if got := federation.WantsActivityJSON(r); got != tc.want {
			t.Errorf("Accept %q: got %v want %v", tc.accept, got, tc.want)
		}
	}
}

// signedPost builds a POST to url signed by key as keyID, with body sent
// (sentBody when not nil, to tamper with it after signing).
func signedPost(tb testing.TB, s *signing.Signer, url, keyID string, body, sentBody []byte) *http.Response {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", federation.ContentTypeActivity)
	if err := s.Sign(req, keyID, body); err != nil {
		tb.Fatal(err)
	}
	if sentBody != nil {
		req.Body = io.NopCloser(bytes.NewReader(sentBody))
		req.ContentLength = int64(len(sentBody))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	return resp
}

// TestInbox_Refusals checks each refusal case: the answer, the metric, and
// that nothing was stored or applied.
func TestInbox_Refusals(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 1)
	nodes := mustOpenNodes(t, cluster, "IT", "FR")
	it, fr := nodes[0], nodes[1]
	intruder, _ := signing.GenerateKey("x", twinfed.KeyEd25519)
	maria, claire := it.actor("maria"), fr.actor("claire")
	follow := func(id, actor string) []byte {
		b, err := federation.EncodeActivity(&twinfed.Activity{ID: id, Type: twinfed.ActivityFollow, Actor: actor, To: []string{claire}, Object: claire})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	good := follow(twinfed.ActivityURL(it.Base, "ok"), maria)
	stale := time.Now().Add(-10 * time.Minute)

	cases := []struct {
		name     string
		signer   *signing.Signer
		keyID    string
		body     []byte
		sent     []byte
		status   int
		reason   string
		inMesage string
	}{
		{name: "unknown sender", signer: &signing.Signer{Key: intruder}, keyID: "http://127.0.0.1:1/users/eve#main-key",
			body: follow("http://127.0.0.1:1/activities/1", "http://127.0.0.1:1/users/eve"), status: 401, reason: signing.ReasonUnknownNode, inMesage: "not a node"},
		{name: "bad signature", signer: &signing.Signer{Key: intruder}, keyID: twinfed.KeyID(maria),
			body: good, status: 401, reason: signing.ReasonBadSig, inMesage: "does not verify"},
		{name: "stale date", signer: &signing.Signer{Key: it.Key, Now: func() time.Time { return stale }}, keyID: twinfed.KeyID(maria),
			body: good, status: 401, reason: signing.ReasonStale, inMesage: "Date"},
		{name: "digest mismatch", signer: &signing.Signer{Key: it.Key}, keyID: twinfed.KeyID(maria),
			body: good, sent: follow(twinfed.ActivityURL(it.Base, "ok"), it.actor("mallory")), status: 401, reason: signing.ReasonDigest, inMesage: "Digest"},
		{name: "cross-origin actor", signer: &signing.Signer{Key: it.Key}, keyID: twinfed.KeyID(maria),
			body: follow(twinfed.ActivityURL(it.Base, "x1"), twinfed.ActorURL(fr.Base, "claire")), status: 403, reason: federation.ReasonCrossOrigin, inMesage: "not under the signing node"},
		{name: "cross-origin created object", signer: &signing.Signer{Key: it.Key}, keyID: twinfed.KeyID(maria),
			body: mustEncode(t, &twinfed.Activity{ID: twinfed.ActivityURL(it.Base, "x2"), Type: twinfed.ActivityCreate, Actor: maria, To: []string{claire},
				Note: &twinfed.Note{ID: fr.Base + "/notes/forged", From: maria, To: claire, Content: "hi"}}),
			status: 403, reason: federation.ReasonCrossOrigin, inMesage: "not under the signing node"},
		{name: "not an activity", signer: &signing.Signer{Key: it.Key}, keyID: twinfed.KeyID(maria),
			body: []byte(`{"type":"Block"}`), status: 400, reason: federation.ReasonInvalidActivity, inMesage: "not supported"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := metricValue(t, fr.Metrics, "twinfed_federation_inbox_refusals_total", map[string]string{"reason": tc.reason})
			resp := signedPost(t, tc.signer, twinfed.SharedInboxURL(fr.Base), tc.keyID, tc.body, tc.sent)
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d (%s)", resp.StatusCode, tc.status, msg)
			}
			if !strings.Contains(string(msg), tc.inMesage) || len(msg) > 300 {
				t.Fatalf("body %q should say briefly what was wrong (%q)", msg, tc.inMesage)
			}
			if got := metricValue(t, fr.Metrics, "twinfed_federation_inbox_refusals_total", map[string]string{"reason": tc.reason}); got != before+1 {
				t.Fatalf("refusals{reason=%s} = %v, want %v", tc.reason, got, before+1)
			}
		})
	}
	if got := metricValue(t, fr.Metrics, "twinfed_federation_inbox_total", map[string]string{"outcome": federation.InboxAccepted}); got != 0 {
		t.Fatalf("%v activities were accepted", got)
	}
	// The good request itself goes through, so the refusals above are not
	// an artefact of the setup.
	resp := signedPost(t, &signing.Signer{Key: it.Key}, twinfed.SharedInboxURL(fr.Base), twinfed.KeyID(maria), good, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("good request: status %d", resp.StatusCode)
	}
	eventually(t, 10*time.Second, func() bool { return fr.Rec.countApplied() == 1 }, "the good activity was not applied")
}

func mustEncode(tb testing.TB, a *twinfed.Activity) []byte {
	tb.Helper()
	b, err := federation.EncodeActivity(a)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// capture records the requests a handler receives, to replay them.
type capture struct {
	mu   sync.Mutex
	reqs []capturedRequest
}

type capturedRequest struct {
	path   string
	header http.Header
	body   []byte
}

func (c *capture) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			c.mu.Lock()
			c.reqs = append(c.reqs, capturedRequest{path: r.URL.Path, header: r.Header.Clone(), body: body})
			c.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	})
}

// TestDelivery_ContactRequestAndReplay sends a contact request from IT to
// FR and an Accept back, checks both sides applied them once, then replays
// the captured request byte for byte: 202, and nothing changes.
func TestDelivery_ContactRequestAndReplay(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 1)
	nodes := mustReserveNodes(t, cluster, "IT", "FR")
	it, fr := nodes[0], nodes[1]
	var cap capture
	fr.Wrap = cap.wrap
	it.mustStart(t)
	fr.mustStart(t)

	f := it.follow("follow-1", "maria", fr.actor("claire"))
	f.Contact = true
	it.send(t, f)
	eventually(t, 10*time.Second, func() bool { return fr.Rec.countApplied() == 1 }, "FR never applied the Follow")
	got := fr.Rec.applied(t)[f.ID]
	if got == nil || got.Type != twinfed.ActivityFollow || !got.Contact || got.Actor != f.Actor || got.Object != f.Object {
		t.Fatalf("FR applied %+v", got)
	}
	accept := &twinfed.Activity{ID: twinfed.ActivityURL(fr.Base, "accept-1"), Type: twinfed.ActivityAccept, Actor: fr.actor("claire"), To: []string{f.Actor}, Object: f.ID}
	fr.send(t, accept)
	eventually(t, 10*time.Second, func() bool { return it.Rec.countApplied() == 1 }, "IT never applied the Accept")

	cap.mu.Lock()
	captured := cap.reqs[0]
	cap.mu.Unlock()
	for range 3 {
		req, _ := http.NewRequest(http.MethodPost, fr.Base+captured.path, bytes.NewReader(captured.body))
		req.Header = captured.header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("replay: status %d, want 202", resp.StatusCode)
		}
	}
	if got := metricValue(t, fr.Metrics, "twinfed_federation_inbox_total", map[string]string{"outcome": federation.InboxReplay}); got != 3 {
		t.Fatalf("replays counted %v, want 3", got)
	}
	if calls := fr.Rec.calls(t); len(calls) != 1 || calls[f.ID] != 1 {
		t.Fatalf("handler calls after replay: %v, want exactly one for %s", calls, f.ID)
	}
	// The recipient node may fetch the activity by id with a signed GET;
	// anyone else may not.
	req, _ := http.NewRequest(http.MethodGet, f.ID, nil)
	(&signing.Signer{Key: fr.Key}).Sign(req, twinfed.KeyID(twinfed.AgencyURL(fr.Base)), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"Follow"`) {
		t.Fatalf("signed fetch: %d %s", resp.StatusCode, body)
	}
	if resp, _ := get(t, f.ID, federation.ContentTypeActivity); resp.StatusCode != 401 {
		t.Fatalf("unsigned fetch: status %d, want 401", resp.StatusCode)
	}
}

// TestInbox_HandlerErrors checks that a handler failure is retried and that
// EINVALID drops the activity, and neither blocks the rest.
func TestInbox_HandlerErrors(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 1)
	nodes := mustOpenNodes(t, cluster, "IT", "FR")
	it, fr := nodes[0], nodes[1]
	fr.Rec.mu.Lock()
	fr.Rec.failures = 3
	fr.Rec.mu.Unlock()
	bad := it.follow("bad", "maria", fr.actor("claire"))
	bad.Summary = "invalid"
	good := it.follow("good", "maria", fr.actor("claire"))
	it.send(t, good, bad)
	eventually(t, 10*time.Second, func() bool {
		return metricValue(t, fr.Metrics, "twinfed_federation_inbox_total", map[string]string{"outcome": federation.InboxDropped}) == 1 &&
			fr.Rec.countApplied() == 1
	}, "the good activity was not applied or the bad one not dropped")
	if got := metricValue(t, fr.Metrics, "twinfed_federation_inbox_total", map[string]string{"outcome": federation.InboxRetried}); got < 3 {
		t.Fatalf("retries %v, want at least 3", got)
	}
}

// TestDelivery_FIFOPerObject sends 50 successive updates of one profile
// interleaved with follows: the updates are applied in the order sent.
func TestDelivery_FIFOPerObject(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 1)
	nodes := mustOpenNodes(t, cluster, "IT", "FR")
	it, fr := nodes[0], nodes[1]
	maria := it.actor("maria")
	var want []string
	for i := range 50 {
		u := &twinfed.Activity{ID: twinfed.ActivityURL(it.Base, fmt.Sprintf("upd-%d", i)), Type: twinfed.ActivityUpdate, Actor: maria,
			To: []string{fr.actor("claire")}, Object: maria, Profile: &twinfed.Profile{ID: maria, Username: "maria", Name: fmt.Sprintf("Maria v%d", i)}}
		want = append(want, u.ID)
		it.send(t, u, it.follow(fmt.Sprintf("f-%d", i), fmt.Sprintf("m%d", i), fr.actor("claire")))
	}
	eventually(t, 20*time.Second, func() bool { return fr.Rec.countApplied() == 100 }, "not all applied")
	var got []string
	for _, id := range fr.Rec.order() {
		if strings.Contains(id, "/upd-") {
			got = append(got, id)
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("updates applied out of order:\n got %v\nwant %v", got, want)
	}
}

// TestInbox_ReplayChangesNothing sends one captured signed request eight
// times at once (they may share one group commit), then three more times
// after it was applied: one is accepted, every other is a 202 replay, the
// handler runs once, and the replays after the fact leave every stored byte
// of the receiving node (inbox record with its signature, processing
// state, handler data) as it was.
func TestInbox_ReplayChangesNothing(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 1)
	nodes := mustOpenNodes(t, cluster, "IT", "FR")
	it, fr := nodes[0], nodes[1]
	f := it.follow("replayed", "maria", fr.actor("claire"))
	body := mustEncode(t, f)
	req, _ := http.NewRequest(http.MethodPost, twinfed.SharedInboxURL(fr.Base), bytes.NewReader(body))
	req.Header.Set("Content-Type", federation.ContentTypeActivity)
	if err := (&signing.Signer{Key: it.Key}).Sign(req, twinfed.KeyID(f.Actor), body); err != nil {
		t.Fatal(err)
	}
	send := func() int {
		r, _ := http.NewRequest(http.MethodPost, req.URL.String(), bytes.NewReader(body))
		r.Header = req.Header.Clone()
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Error(err)
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s := send(); s != http.StatusAccepted {
				t.Errorf("status %d, want 202", s)
			}
		}()
	}
	wg.Wait()
	outcome := func(o string) float64 {
		return metricValue(t, fr.Metrics, "twinfed_federation_inbox_total", map[string]string{"outcome": o})
	}
	if a, r := outcome(federation.InboxAccepted), outcome(federation.InboxReplay); a != 1 || r != 7 {
		t.Fatalf("accepted %v, replays %v; want 1 and 7", a, r)
	}
	eventually(t, 10*time.Second, func() bool { return outcome(federation.InboxProcessed) == 1 }, "not processed")

	before := dump(t, fr.DB)
	for range 3 {
		if s := send(); s != http.StatusAccepted {
			t.Fatalf("late replay: status %d, want 202", s)
		}
	}
	if r := outcome(federation.InboxReplay); r != 10 {
		t.Fatalf("replays %v, want 10", r)
	}
	after := dump(t, fr.DB)
	if len(after) != len(before) {
		t.Fatalf("the replays changed the store: %d keys before, %d after", len(before), len(after))
	}
	for k, v := range before {
		if !bytes.Equal(after[k], v) {
			t.Fatalf("the replays changed %q", k)
		}
	}
	if calls := fr.Rec.calls(t); calls[f.ID] != 1 {
		t.Fatalf("handler called %d times, want once", calls[f.ID])
	}
}

// dump returns every key and value of db.
func dump(tb testing.TB, db *badger.DB) map[string][]byte {
	tb.Helper()
	out := map[string][]byte{}
	err := db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			out[string(it.Item().KeyCopy(nil))] = v
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
