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

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/federation"
	"github.com/twinfed/twinfed/federation/signing"
)

// batchPost posts a batch body to base's batch inbox, signed by s as keyID.
func batchPost(tb testing.TB, s *signing.Signer, base, keyID, contentType string, body []byte) (int, []byte) {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/inbox/batch", bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if err := s.Sign(req, keyID, body); err != nil {
		tb.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, answer
}

// batchOf is a batch body of the given activity documents.
func batchOf(items ...[]byte) []byte {
	return []byte(`{"items":[` + string(bytes.Join(items, []byte(","))) + `]}`)
}

type batchAnswer struct {
	Results []struct {
		ID     string `json:"id"`
		Status int    `json:"status"`
		Error  string `json:"error"`
	} `json:"results"`
}

// posts counts the POSTs a node receives, by path.
type posts struct {
	mu     sync.Mutex
	byPath map[string]int
}

func (p *posts) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			p.mu.Lock()
			if p.byPath == nil {
				p.byPath = map[string]int{}
			}
			p.byPath[r.URL.Path]++
			p.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	})
}

func (p *posts) count(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.byPath[path]
}

// TestBatch_AppliedInOrder: once IT has seen FR advertise its batch
// inbox, 50 updates of one profile and 50 follows queued at once go to FR
// in a few batch requests, each applied once, the updates in the order
// sent.
func TestBatch_AppliedInOrder(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 1)
	nodes := mustReserveNodes(t, cluster, "IT", "FR")
	it, fr := nodes[0], nodes[1]
	seen := &posts{}
	fr.Wrap = seen.wrap
	it.mustStart(t)
	fr.mustStart(t)
	claire := &twinfed.Profile{ID: fr.actor("claire"), Username: "claire", Country: "FR", Name: "Claire Martin"}
	fr.Rec.putProfile(t, claire)

	resp, body := get(t, claire.ID, federation.ContentTypeActivity)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"twinfed:batchInbox":"`+fr.Base+`/inbox/batch"`) {
		t.Fatalf("claire's actor document should advertise the batch inbox: %d %s", resp.StatusCode, body)
	}
	// The first delivery fetches claire's actor document: IT learns the
	// batch inbox there.
	it.send(t, it.follow("first", "maria", claire.ID))
	eventually(t, 10*time.Second, func() bool { return fr.Rec.countApplied() == 1 }, "the first follow was not applied")

	maria := it.actor("maria")
	var want, all []string
	var acts []*twinfed.Activity
	for i := range 50 {
		u := &twinfed.Activity{ID: twinfed.ActivityURL(it.Base, fmt.Sprintf("upd-%d", i)), Type: twinfed.ActivityUpdate, Actor: maria,
			To: []string{claire.ID}, Object: maria, Profile: &twinfed.Profile{ID: maria, Username: "maria", Name: fmt.Sprintf("Maria v%d", i)}}
		f := it.follow(fmt.Sprintf("f-%d", i), fmt.Sprintf("m%d", i), claire.ID)
		want = append(want, u.ID)
		all = append(all, u.ID, f.ID)
		acts = append(acts, u, f)
	}
	it.send(t, acts...)
	eventually(t, 20*time.Second, func() bool { return fr.Rec.countApplied() == 101 }, "FR applied %d of 101", fr.Rec.countApplied())
	eventually(t, 10*time.Second, func() bool { return it.Out.Status()[0].Depth == 0 }, "IT's queue did not drain")

	var got []string
	for _, id := range fr.Rec.order() {
		if strings.Contains(id, "/upd-") {
			got = append(got, id)
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("updates applied out of order:\n got %v\nwant %v", got, want)
	}
	calls := fr.Rec.calls(t)
	for _, id := range all {
		if calls[id] != 1 {
			t.Fatalf("%s was handed to the handler %d times, want once", id, calls[id])
		}
	}
	batches, singles := seen.count("/inbox/batch"), seen.count("/inbox")
	if batches == 0 || batches+singles > 20 {
		t.Fatalf("100 activities took %d batch and %d single requests (after the first): want a few batches", batches, singles-1)
	}
	if n := metricValue(t, it.Metrics, "twinfed_federation_batch_size", nil); n != float64(batches) {
		t.Fatalf("batch size histogram counted %v batches, FR received %d", n, batches)
	}
	if n := metricValue(t, it.Metrics, "twinfed_federation_deliveries_total", map[string]string{"outcome": federation.OutcomeDelivered}); n != 101 {
		t.Fatalf("%v deliveries counted, want one per activity (101)", n)
	}
	t.Logf("100 activities in %d batch requests and %d single ones", batches, singles-1)
}

// TestBatch_ForgedItem: a batch whose second activity's actor is on
// another node's host gets 403 for that item, with the reason, and the
// others are applied.
func TestBatch_ForgedItem(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 1)
	nodes := mustOpenNodes(t, cluster, "IT", "FR", "ES")
	it, fr, es := nodes[0], nodes[1], nodes[2]
	claire := fr.actor("claire")
	good1 := mustEncode(t, it.follow("g1", "maria", claire))
	forged := mustEncode(t, &twinfed.Activity{ID: twinfed.ActivityURL(es.Base, "x"), Type: twinfed.ActivityFollow, Actor: es.actor("pablo"), To: []string{claire}, Object: claire})
	// An Accept by a member (critical, as an agency's decision is): in a
	// batch it is applied without a proof, which a batch cannot give.
	good2 := mustEncode(t, &twinfed.Activity{ID: twinfed.ActivityURL(it.Base, "g2"), Type: twinfed.ActivityAccept, Actor: it.actor("luca"),
		To: []string{claire}, Object: twinfed.ActivityURL(fr.Base, "follow-1")})
	status, answer := batchPost(t, &signing.Signer{Key: it.Key}, fr.Base, twinfed.KeyID(twinfed.AgencyURL(it.Base)), federation.ContentTypeBatch, batchOf(good1, forged, good2))
	if status != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", status, answer)
	}
	var a batchAnswer
	if err := json.Unmarshal(answer, &a); err != nil || len(a.Results) != 3 {
		t.Fatalf("answer %s: want three results (%v)", answer, err)
	}
	if a.Results[0].Status != 202 || a.Results[2].Status != 202 {
		t.Fatalf("the genuine items: %+v", a.Results)
	}
	if r := a.Results[1]; r.Status != 403 || !strings.Contains(r.Error, "not under the signing node") || r.ID != twinfed.ActivityURL(es.Base, "x") {
		t.Fatalf("the forged item: %+v, want 403 saying it is not under the signing node", r)
	}
	eventually(t, 10*time.Second, func() bool { return fr.Rec.countApplied() == 2 }, "FR applied %d of the 2 genuine items", fr.Rec.countApplied())
	applied := fr.Rec.applied(t)
	if applied[twinfed.ActivityURL(es.Base, "x")] != nil {
		t.Fatal("the forged activity was applied")
	}
	fr.Rec.mu.Lock()
	proof := fr.Rec.proofs[twinfed.ActivityURL(it.Base, "g2")]
	fr.Rec.mu.Unlock()
	if applied[twinfed.ActivityURL(it.Base, "g2")] == nil || proof != "" {
		t.Fatalf("the batched Accept was applied with the proof %q, want none", proof)
	}
	if got := metricValue(t, fr.Metrics, "twinfed_federation_inbox_refusals_total", map[string]string{"reason": federation.ReasonCrossOrigin}); got != 1 {
		t.Fatalf("cross_origin refusals = %v, want 1", got)
	}
	if _, err := fr.Fed.Received(twinfed.ActivityURL(es.Base, "x")); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		t.Fatalf("the forged activity was stored: %v", err)
	}
}

// TestBatch_Malformed: a batch FR cannot take as a whole is refused with a
// 4xx saying what is wrong, and nothing of it is stored, not even its
// well-formed items.
func TestBatch_Malformed(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 1)
	nodes := mustOpenNodes(t, cluster, "IT", "FR")
	it, fr := nodes[0], nodes[1]
	claire := fr.actor("claire")
	good := mustEncode(t, it.follow("g", "maria", claire))
	var many [][]byte
	for i := range 65 {
		many = append(many, mustEncode(t, it.follow(fmt.Sprintf("m%d", i), "maria", claire)))
	}
	agency := twinfed.KeyID(twinfed.AgencyURL(it.Base))
	cases := []struct {
		name, contentType string
		body              []byte
		status            int
		says              string
	}{
		{"not JSON", federation.ContentTypeBatch, []byte(`{"items":[` + string(good) + `,`), 400, "not a JSON object"},
		{"no items", federation.ContentTypeBatch, []byte(`{"activities":[` + string(good) + `]}`), 400, `no "items" array`},
		{"items not an array", federation.ContentTypeBatch, []byte(`{"items":` + string(good) + `}`), 400, "not a JSON object"},
		{"empty", federation.ContentTypeBatch, []byte(`{"items":[]}`), 400, "no items"},
		{"too many", federation.ContentTypeBatch, batchOf(many...), 400, "65 items; at most 64"},
		{"wrong type", federation.ContentTypeActivity, batchOf(good), 400, federation.ContentTypeBatch},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, answer := batchPost(t, &signing.Signer{Key: it.Key}, fr.Base, agency, tc.contentType, tc.body)
			if status != tc.status || !strings.Contains(string(answer), tc.says) || len(answer) > 400 {
				t.Fatalf("status %d %q, want %d saying %q", status, answer, tc.status, tc.says)
			}
		})
	}
	// Unsigned, or signed by a key that is not IT's: 401, as a single POST.
	intruder, _ := signing.GenerateKey("x", twinfed.KeyEd25519)
	if status, answer := batchPost(t, &signing.Signer{Key: intruder}, fr.Base, agency, federation.ContentTypeBatch, batchOf(good)); status != 401 {
		t.Fatalf("badly signed batch: %d %s", status, answer)
	}
	for _, id := range []string{twinfed.ActivityURL(it.Base, "g"), twinfed.ActivityURL(it.Base, "m0")} {
		if _, err := fr.Fed.Received(id); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
			t.Fatalf("%s was stored from a refused batch: %v", id, err)
		}
	}
	if got := metricValue(t, fr.Metrics, "twinfed_federation_inbox_total", nil); got != 0 {
		t.Fatalf("%v incoming activities counted", got)
	}
	// The same good item in a well-formed batch is taken: the refusals
	// above are the envelope's.
	if status, answer := batchPost(t, &signing.Signer{Key: it.Key}, fr.Base, agency, federation.ContentTypeBatch, batchOf(good)); status != 200 || !strings.Contains(string(answer), `"status":202`) {
		t.Fatalf("well-formed batch: %d %s", status, answer)
	}
}

// TestBatch_ReceiverRestart: FR acknowledges a batch whose activities its
// handler cannot apply yet, then stops; after the restart it applies every
// one of them, once.
func TestBatch_ReceiverRestart(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 1)
	nodes := mustOpenNodes(t, cluster, "IT", "FR")
	it, fr := nodes[0], nodes[1]
	fr.Rec.mu.Lock()
	fr.Rec.failures = 1 << 30 // the handler fails: nothing is applied before the stop
	fr.Rec.mu.Unlock()
	claire := fr.actor("claire")
	var items [][]byte
	var ids []string
	for i := range 10 {
		a := it.follow(fmt.Sprintf("r%d", i), fmt.Sprintf("m%d", i), claire)
		items = append(items, mustEncode(t, a))
		ids = append(ids, a.ID)
	}
	status, answer := batchPost(t, &signing.Signer{Key: it.Key}, fr.Base, twinfed.KeyID(twinfed.AgencyURL(it.Base)), federation.ContentTypeBatch, batchOf(items...))
	if status != 200 || strings.Count(string(answer), `"status":202`) != 10 {
		t.Fatalf("%d %s", status, answer)
	}
	if n := fr.Rec.countApplied(); n != 0 {
		t.Fatalf("%d applied before the restart", n)
	}
	fr.stop()
	fr.mustStart(t)
	eventually(t, 20*time.Second, func() bool { return fr.Rec.countApplied() == 10 }, "FR applied %d of 10 after the restart", fr.Rec.countApplied())
	calls := fr.Rec.calls(t)
	for _, id := range ids {
		if calls[id] != 1 {
			t.Fatalf("%s handed over %d times after the restart, want once", id, calls[id])
		}
	}
}

// standIn is a destination registered as a Twinfed node (an Ed25519 key)
// that serves an actor document, advertising a batch inbox or not, and
// answers each batch item as refuse says.
type standIn struct {
	base      string
	advertise bool
	verify    *signing.Verifier
	refuse    func(a *twinfed.Activity) string // a reason to refuse it, or ""

	mu      sync.Mutex
	singles int
	batches []int // items per batch
	took    []string
	tookOne map[string]bool // the ids that came in a single request
	fail    int             // answer 503 to this many batches first
}

func (s *standIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		ep := map[string]string{"sharedInbox": s.base + "/inbox"}
		if s.advertise {
			ep["twinfed:batchInbox"] = s.base + "/inbox/batch"
		}
		w.Header().Set("Content-Type", federation.ContentTypeActivity)
		json.NewEncoder(w).Encode(map[string]any{"id": s.base + r.URL.Path, "type": "Person", "inbox": s.base + r.URL.Path + "/inbox", "endpoints": ep})
		return
	}
	body, _ := io.ReadAll(r.Body)
	if _, err := s.verify.Verify(r, body); err != nil {
		http.Error(w, err.Error(), 401)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.URL.Path != "/inbox/batch" {
		s.singles++
		a, _ := federation.DecodeActivity(body)
		if why := s.refuse(a); why != "" {
			http.Error(w, why, 403)
			return
		}
		s.took = append(s.took, a.ID)
		if s.tookOne == nil {
			s.tookOne = map[string]bool{}
		}
		s.tookOne[a.ID] = true
		w.WriteHeader(202)
		return
	}
	var env struct{ Items []json.RawMessage }
	json.Unmarshal(body, &env)
	s.batches = append(s.batches, len(env.Items))
	if s.fail > 0 {
		s.fail--
		http.Error(w, "test: down for a moment", 503)
		return
	}
	var res []map[string]any
	for _, raw := range env.Items {
		a, _ := federation.DecodeActivity(raw)
		if why := s.refuse(a); why != "" {
			res = append(res, map[string]any{"id": a.ID, "status": 403, "error": why})
			continue
		}
		s.took = append(s.took, a.ID)
		res = append(res, map[string]any{"id": a.ID, "status": 202})
	}
	json.NewEncoder(w).Encode(map[string]any{"results": res})
}

// mustStandIn serves a stand-in for a registered country's node.
func mustStandIn(t *testing.T, n *node, advertise bool, refuse func(*twinfed.Activity) string) *standIn {
	s := &standIn{base: n.Base, advertise: advertise, refuse: refuse,
		verify: &signing.Verifier{Keys: n.Registry, BaseURL: n.Base}}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(n.ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// TestBatch_Sender: to a Twinfed node that advertises a batch inbox, a
// burst goes in batches, and an item the destination refuses is parked
// with its reason while the others are delivered; to one that does not
// advertise it, every activity goes in its own request.
func TestBatch_Sender(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 1)
	nodes := mustReserveNodes(t, cluster, "IT", "FR", "ES")
	it, fr, es := nodes[0], nodes[1], nodes[2]
	it.mustStart(t)
	refuse := func(a *twinfed.Activity) string {
		if strings.Contains(a.ID, "bad-") {
			return "test: this one is refused"
		}
		return ""
	}
	batching := mustStandIn(t, fr, true, refuse)
	single := mustStandIn(t, es, false, refuse)

	for _, dest := range []*node{fr, es} {
		it.send(t, it.follow("first-"+dest.Country, "maria", dest.actor("claire")))
	}
	eventually(t, 10*time.Second, func() bool {
		for _, s := range it.Out.Status() {
			if s.Depth > 0 {
				return false
			}
		}
		return true
	}, "the first deliveries were not made")
	var acts []*twinfed.Activity
	for _, dest := range []*node{fr, es} {
		for i := range 30 {
			id := fmt.Sprintf("%s-%d", dest.Country, i)
			if i == 10 {
				id = "bad-" + dest.Country
			}
			acts = append(acts, it.follow(id, fmt.Sprintf("m%d", i), dest.actor("claire")))
		}
	}
	// An agency's decision goes alone: its receiver keeps the request as
	// its proof.
	decision := &twinfed.Activity{ID: twinfed.ActivityURL(it.Base, "decision"), Type: twinfed.ActivityAccept, Actor: twinfed.AgencyURL(it.Base),
		To: []string{fr.actor("claire")}, Object: twinfed.ActivityURL(fr.Base, "join-1")}
	acts = append(acts[:15], append([]*twinfed.Activity{decision}, acts[15:]...)...)
	it.send(t, acts...)
	drained := func() bool {
		for _, s := range it.Out.Status() {
			if s.Depth > 0 || s.Parked != 1 {
				return false
			}
		}
		return true
	}
	for deadline := time.Now().Add(20 * time.Second); !drained(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("IT's queues did not drain to one parked item each: %+v", it.Out.Status())
		}
	}
	for i, s := range []*standIn{batching, single} {
		s.mu.Lock()
		defer s.mu.Unlock()
		if want := 30 + 1 - i; len(s.took) != want {
			t.Fatalf("%s took %d activities, want %d", s.base, len(s.took), want)
		}
	}
	for _, st := range it.Out.Status() {
		if want := st.Destination == fr.Host; st.Batches != want {
			t.Fatalf("status of %s: batches %v, want %v", st.Destination, st.Batches, want)
		}
	}
	if !batching.tookOne[decision.ID] {
		t.Fatal("the agency's decision travelled in a batch")
	}
	if len(single.batches) != 0 || single.singles != 31 {
		t.Fatalf("the node that did not advertise batches got %d batches and %d single requests, want 0 and 31", len(single.batches), single.singles)
	}
	if len(batching.batches) == 0 || batching.singles+len(batching.batches) > 10 {
		t.Fatalf("the node that advertised batches got %d batches %v and %d single requests", len(batching.batches), batching.batches, batching.singles)
	}
	parked, err := it.Out.Parked(fr.Host)
	if err != nil || len(parked) != 1 || parked[0].ActivityID != twinfed.ActivityURL(it.Base, "bad-FR") || !strings.Contains(parked[0].Reason, "test: this one is refused") {
		t.Fatalf("parked on FR: %+v %v, want bad-FR with the destination's reason", parked, err)
	}
}

// TestBatch_WholeRetry: a batch answered 503 as a whole is retried, every
// item of it, and each is then delivered once.
func TestBatch_WholeRetry(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 1)
	nodes := mustReserveNodes(t, cluster, "IT", "FR")
	it, fr := nodes[0], nodes[1]
	it.mustStart(t)
	s := mustStandIn(t, fr, true, func(*twinfed.Activity) string { return "" })
	it.send(t, it.follow("first", "maria", fr.actor("claire")))
	eventually(t, 10*time.Second, func() bool { return it.Out.Status()[0].Depth == 0 }, "the first delivery was not made")
	s.mu.Lock()
	s.fail = 1
	s.mu.Unlock()
	var acts []*twinfed.Activity
	for i := range 20 {
		acts = append(acts, it.follow(fmt.Sprintf("f-%d", i), fmt.Sprintf("m%d", i), fr.actor("claire")))
	}
	it.send(t, acts...)
	eventually(t, 20*time.Second, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.took) == 21
	}, "FR did not take the 20 activities after its 503")
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]int{}
	for _, id := range s.took {
		seen[id]++
	}
	for _, a := range acts {
		if seen[a.ID] != 1 {
			t.Fatalf("%s taken %d times, want once", a.ID, seen[a.ID])
		}
	}
	if len(s.batches) < 2 || s.batches[0] < 2 {
		t.Fatalf("batches %v: want the refused batch, then the retry", s.batches)
	}
	if n := metricValue(t, it.Metrics, "twinfed_federation_deliveries_total", map[string]string{"outcome": federation.OutcomeRetry}); n < float64(s.batches[0]) {
		t.Fatalf("%v retries counted, want one per item of the refused batch (%d)", n, s.batches[0])
	}
}
