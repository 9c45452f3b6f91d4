package consensus_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/federation/signing"
)

// signBatch returns the headers and body of a batch request to base signed
// by s as the node at host, with its own Idempotency-Key.
func signBatch(t *testing.T, s *signing.Signer, host, base string, writes []consensus.BatchWrite) (http.Header, []byte) {
	t.Helper()
	body := mustJSON(consensus.BatchRequest{Writes: writes})
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/batch", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(consensus.HeaderIdempotencyKey, fmt.Sprintf("batch-%d", time.Now().UnixNano()))
	if err := s.Sign(req, "https://"+host+"/agency#main-key", body); err != nil {
		t.Fatal(err)
	}
	return req.Header, body
}

// postBatch sends a signed batch to base, again while it answers 503.
func postBatch(t *testing.T, base string, h http.Header, body []byte) (int, consensus.BatchResult, []byte) {
	return postBatchAs(t, base, base, h, body)
}

// postBatchAs is postBatch for a request signed for signedBase (the
// signature covers the Host).
func postBatchAs(t *testing.T, base, signedBase string, h http.Header, body []byte) (int, consensus.BatchResult, []byte) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		req, _ := http.NewRequest(http.MethodPost, base+"/v1/batch", bytes.NewReader(body))
		req.Header = h.Clone()
		req.Host = strings.TrimPrefix(signedBase, "http://")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var res consensus.BatchResult
		_ = json.Unmarshal(data, &res)
		if resp.StatusCode != http.StatusServiceUnavailable || time.Now().After(deadline) {
			return resp.StatusCode, res, data
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func batchWrite(key, method, path string, v any) consensus.BatchWrite {
	return consensus.BatchWrite{Key: key, Method: method, Path: path, Body: mustJSON(v)}
}

// TestBatch_EachWriteIsCheckedAndAnsweredAlone sends a node's batch to a
// follower: valid writes are applied, each refused one answers its own
// reason (bad input, another country's record, a number already taken, a
// write a batch does not carry) and changes nothing, and the same batch
// (or the same keys in a new one) sent again applies nothing twice.
func TestBatch_EachWriteIsCheckedAndAnsweredAlone(t *testing.T) {
	c := consensustest.MustOpenCluster(t, 3)
	itKey, itSigner := MustNodeKey(t)
	c.MustRegisterNode(t, "IT", "https://it.example", itKey.NodeKey())
	c.MustWaitConverged(t)
	follower := c.URLs[(c.MustLeader(t)+1)%3]
	admin := c.AdminClient(t)
	existing, err := admin.PutSchool(context.Background(), &twinfed.School{Country: "IT", LegalName: "Scuola Esistente", NationalNumber: "RM0001", Level: twinfed.LevelPrimary})
	if err != nil {
		t.Fatal(err)
	}
	c.MustWaitConverged(t)

	updated := *existing
	updated.City = "Roma"
	writes := []consensus.BatchWrite{
		batchWrite("w0", "POST", "/v1/schools", school("IT", "Scuola Batch Uno", "")),
		batchWrite("w1", "POST", "/v1/schools", twinfed.School{Country: "IT", Level: twinfed.LevelPrimary}), // no legal name
		batchWrite("w2", "POST", "/v1/schools", school("FR", "École Étrangère", "")),                        // FR's record
		batchWrite("w3", "POST", "/v1/schools", school("IT", "Scuola Doppia", "RM0001")),                    // number taken
		batchWrite("w4", "PUT", "/v1/schools/"+existing.ID, updated),
		batchWrite("w5", "POST", "/v1/prizes", twinfed.PrizeEntry{}), // not batchable
		{Key: "", Method: "POST", Path: "/v1/schools", Body: mustJSON(school("IT", "Scuola Senza Chiave", ""))},
		batchWrite("w7", "POST", "/v1/labels/national", twinfed.QualityLabel{Country: "IT", SchoolYear: "2025-2026", ProjectID: "https://it.example/projects/p1", Score: 24}),
		batchWrite("w8", "POST", "/v1/schools", school("IT", "Scuola Batch Due", "")),
	}
	h, body := signBatch(t, itSigner, "it.example", follower, writes)
	status, first, data := postBatch(t, follower, h, body)
	if status != http.StatusOK || len(first.Results) != len(writes) || first.Index == 0 {
		t.Fatalf("batch: %d %s", status, data)
	}
	r := first.Results
	want := map[int]string{1: twinfed.EINVALID, 2: twinfed.EFORBIDDEN, 3: twinfed.ECONFLICT, 5: twinfed.EINVALID, 6: twinfed.EINVALID}
	for i, res := range r {
		if code, refused := want[i]; refused {
			if res.Error == nil || res.Error.Code != code {
				t.Errorf("write %d: %+v, want the refusal %s", i, res, code)
			}
			continue
		}
		if res.Error != nil || res.Index != first.Index {
			t.Errorf("write %d: %+v (%+v), want applied at index %d", i, res, res.Error, first.Index)
		}
	}
	if r[0].School == nil || r[0].School.LegalName != "Scuola Batch Uno" || r[8].School == nil || r[8].School.LegalName != "Scuola Batch Due" || r[0].School.ID == r[8].School.ID {
		t.Fatalf("created schools: %+v, %+v", r[0].School, r[8].School)
	}
	if r[4].School == nil || r[4].School.ID != existing.ID || r[4].School.City != "Roma" {
		t.Fatalf("updated school: %+v", r[4].School)
	}
	if !strings.Contains(r[2].Error.Message, "only its own country") || !strings.Contains(r[5].Error.Message, "cannot be sent in a batch") || r[6].Error.Fields["key"] == "" {
		t.Errorf("refusals do not say why: %q, %q, %+v", r[2].Error.Message, r[5].Error.Message, r[6].Error)
	}
	// The change feed carries every applied write of the entry, those
	// before a refused one too: a node's cache sees them.
	feed := c.MustClient(t, "IT", itSigner, twinfed.KeyID(twinfed.AgencyURL("https://it.example")))
	for _, i := range []int{0, 4, 8} {
		if s, err := feed.School(context.Background(), r[i].School.ID); err != nil || s.LegalName != r[i].School.LegalName || s.City != r[i].School.City {
			t.Errorf("the cache's copy of write %d: %+v %v", i, s, err)
		}
	}
	if r[3].Index != first.Index { // refused by the state, in the entry
		t.Errorf("the state's refusal has index %d, want %d", r[3].Index, first.Index)
	}

	// The same signed request again, to another member: every write
	// answers its first result; nothing is applied twice.
	for _, base := range c.URLs {
		status, again, data := postBatchAs(t, base, follower, h, body)
		if status != http.StatusOK || len(again.Results) != len(writes) {
			t.Fatalf("replay through %s: %d %s", base, status, data)
		}
		for _, i := range []int{0, 3, 4, 7, 8} {
			a, f := again.Results[i], first.Results[i]
			if !a.Replayed || a.Index != f.Index || (f.School != nil && (a.School == nil || a.School.ID != f.School.ID)) || (f.Error == nil) != (a.Error == nil) {
				t.Fatalf("replay through %s, write %d: %+v, first %+v", base, i, a, f)
			}
		}
	}
	// The same keys in a new request are the same writes.
	h2, body2 := signBatch(t, itSigner, "it.example", follower, []consensus.BatchWrite{writes[8], batchWrite("w9", "POST", "/v1/schools", school("IT", "Scuola Batch Tre", ""))})
	status, second, data := postBatch(t, follower, h2, body2)
	if status != http.StatusOK || !second.Results[0].Replayed || second.Results[0].School.ID != r[8].School.ID || second.Results[1].Replayed || second.Results[1].School == nil {
		t.Fatalf("a new batch with an applied key: %d %s", status, data)
	}
	c.MustWaitConverged(t)
	for name, want := range map[string]int{"Scuola Batch Uno": 1, "Scuola Batch Due": 1, "Scuola Batch Tre": 1, "Scuola Doppia": 0, "Étrangère": 0, "Scuola Senza Chiave": 0} {
		if n := countSchools(t, admin, name); n != want {
			t.Errorf("%d schools named %s, want %d", n, name, want)
		}
	}
	labels, _, err := admin.ProjectLabels(context.Background(), "https://it.example/projects/p1")
	if err != nil || len(labels) != 1 {
		t.Errorf("the batch's label: %v %v", labels, err)
	}
}

// TestBatch_BadRequestAppliesNothing: a forged or stale signature, or a
// batch over the limits, is refused as a whole with its reason.
func TestBatch_BadRequestAppliesNothing(t *testing.T) {
	c := consensustest.MustOpenCluster(t, 3)
	itKey, itSigner := MustNodeKey(t)
	c.MustRegisterNode(t, "IT", "https://it.example", itKey.NodeKey())
	c.MustWaitConverged(t)
	base := c.URLs[(c.MustLeader(t)+1)%3]
	writes := []consensus.BatchWrite{batchWrite("b0", "POST", "/v1/schools", school("IT", "Scuola Rifiutata", ""))}

	refused := func(what string, h http.Header, body []byte, status int, code, msg string) {
		t.Helper()
		got, _, data := postBatch(t, base, h, body)
		var ae consensus.APIError
		_ = json.Unmarshal(data, &ae)
		if got != status || ae.Error.Code != code || !strings.Contains(ae.Error.Message, msg) {
			t.Errorf("%s: %d %s, want %d %s mentioning %q", what, got, data, status, code, msg)
		}
	}
	// The body changed after signing: its digest no longer matches.
	h, body := signBatch(t, itSigner, "it.example", base, writes)
	forged := bytes.Replace(body, []byte("Scuola Rifiutata"), []byte("Scuola Falsata!"), 1)
	refused("a forged body", h, forged, http.StatusUnauthorized, twinfed.EUNAUTHORIZED, "igest")
	// Another key than the registered one.
	_, other := MustNodeKey(t)
	h, body = signBatch(t, other, "it.example", base, writes)
	refused("an unregistered key", h, body, http.StatusUnauthorized, twinfed.EUNAUTHORIZED, "")
	// A Date an hour old.
	stale := &signing.Signer{Key: itSigner.Key, Now: func() time.Time { return time.Now().Add(-time.Hour) }}
	h, body = signBatch(t, stale, "it.example", base, writes)
	refused("a stale signature", h, body, http.StatusUnauthorized, twinfed.EUNAUTHORIZED, "ate")
	// Too many writes, too many bytes, none.
	many := make([]consensus.BatchWrite, consensus.MaxBatchWrites+1)
	for i := range many {
		many[i] = batchWrite(fmt.Sprintf("m%d", i), "POST", "/v1/schools", school("IT", "Scuola Rifiutata", ""))
	}
	h, body = signBatch(t, itSigner, "it.example", base, many)
	refused("too many writes", h, body, http.StatusRequestEntityTooLarge, twinfed.ETOOLARGE, fmt.Sprintf("at most %d", consensus.MaxBatchWrites))
	big := school("IT", "Scuola Rifiutata", "")
	big.City = strings.Repeat("x", consensus.MaxBatchBody)
	h, body = signBatch(t, itSigner, "it.example", base, []consensus.BatchWrite{batchWrite("big", "POST", "/v1/schools", big)})
	refused("too many bytes", h, body, http.StatusRequestEntityTooLarge, twinfed.ETOOLARGE, "over")
	h, body = signBatch(t, itSigner, "it.example", base, nil)
	refused("no writes", h, body, http.StatusBadRequest, twinfed.EINVALID, "no writes")

	if n := countSchools(t, c.AdminClient(t), "Scuola"); n != 0 {
		t.Fatalf("%d schools stored by refused batches, want 0", n)
	}
}

// countingTransport counts a client's requests by method and path.
type countingTransport struct {
	mu sync.Mutex
	n  map[string]int
}

func (ct *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	ct.mu.Lock()
	ct.n[r.Method+" "+r.URL.Path]++
	ct.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (ct *countingTransport) count(k string) int {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	return ct.n[k]
}

// TestClient_CoalescesConcurrentWrites: a node's client sends the writes
// its callers make at once in shared batches; every caller gets its own
// result (its school, or its own refusal).
func TestClient_CoalescesConcurrentWrites(t *testing.T) {
	c := consensustest.MustOpenCluster(t, 3)
	itKey, itSigner := MustNodeKey(t)
	c.MustRegisterNode(t, "IT", "https://it.example", itKey.NodeKey())
	c.MustWaitConverged(t)
	ct := &countingTransport{n: map[string]int{}}
	follower := c.URLs[(c.MustLeader(t)+1)%3]
	cl, err := consensus.OpenClient(context.Background(), consensus.ClientConfig{Members: []string{follower}, Country: "IT",
		Signer: itSigner, KeyID: twinfed.KeyID(twinfed.AgencyURL("https://it.example")), HTTPClient: &http.Client{Transport: ct}})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	const n = 300
	schools := make([]*twinfed.School, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			country := "IT"
			if i%10 == 7 {
				country = "FR" // not IT's to write: refused, alone
			}
			schools[i], errs[i] = cl.PutSchool(context.Background(), &twinfed.School{Country: country, LegalName: fmt.Sprintf("Scuola Coalescente %d", i), Level: twinfed.LevelPrimary})
		}()
	}
	wg.Wait()
	ids := map[string]bool{}
	for i := range n {
		if i%10 == 7 {
			if twinfed.ErrorCode(errs[i]) != twinfed.EFORBIDDEN || schools[i] != nil {
				t.Fatalf("write %d for FR: %v %+v, want refused", i, errs[i], schools[i])
			}
			continue
		}
		if errs[i] != nil || schools[i] == nil || schools[i].LegalName != fmt.Sprintf("Scuola Coalescente %d", i) || ids[schools[i].ID] {
			t.Fatalf("write %d: %+v %v", i, schools[i], errs[i])
		}
		ids[schools[i].ID] = true
	}
	batches, singles := ct.count("POST /v1/batch"), ct.count("POST /v1/schools")
	t.Logf("%d writes in %d batch requests", n, batches)
	if singles != 0 || batches == 0 || batches > n/3 {
		t.Fatalf("%d batch requests and %d single ones for %d concurrent writes: not coalesced", batches, singles, n)
	}
	c.MustWaitConverged(t)
	if got := countSchools(t, c.AdminClient(t), "Scuola Coalescente"); got != n-n/10 {
		t.Fatalf("%d schools stored, want %d", got, n-n/10)
	}
	// A lone write goes at once, in a batch of one.
	if _, err := cl.PutSchool(context.Background(), &twinfed.School{Country: "IT", LegalName: "Scuola Sola", Level: twinfed.LevelPrimary}); err != nil {
		t.Fatal(err)
	}
	if got := ct.count("POST /v1/batch"); got != batches+1 {
		t.Fatalf("a lone write took %d requests", got-batches)
	}
}

// TestClient_WritesAloneToARegistryWithoutBatches: against a registry
// that has no batch endpoint (an older version), the client sends each
// write on its own, with the key it had.
func TestClient_WritesAloneToARegistryWithoutBatches(t *testing.T) {
	c := consensustest.MustOpenCluster(t, 1)
	itKey, itSigner := MustNodeKey(t)
	c.MustRegisterNode(t, "IT", "https://it.example", itKey.NodeKey())
	member := c.Members[0].Handler()
	old := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/batch" {
			http.NotFound(w, r)
			return
		}
		member.ServeHTTP(w, r)
	})
	hs := httptest.NewServer(old)
	defer hs.Close()
	srv := hs.URL
	cl, err := consensus.OpenClient(context.Background(), consensus.ClientConfig{Members: []string{srv}, Country: "IT",
		Signer: itSigner, KeyID: twinfed.KeyID(twinfed.AgencyURL("https://it.example"))})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for i := range 3 {
		if s, err := cl.PutSchool(context.Background(), &twinfed.School{Country: "IT", LegalName: fmt.Sprintf("Scuola Vecchia %d", i), Level: twinfed.LevelPrimary}); err != nil || s == nil {
			t.Fatalf("write %d to an older registry: %+v %v", i, s, err)
		}
	}
	if got := countSchools(t, c.AdminClient(t), "Scuola Vecchia"); got != 3 {
		t.Fatalf("%d schools stored, want 3", got)
	}
}

// TestBatch_LargeBatchThroughAFollower: a batch whose entry is over the
// size the follower's forwarded batches carry (64 KiB) goes to the leader
// on its own (POST /v1/internal/apply), and every write still gets its
// own result.
func TestBatch_LargeBatchThroughAFollower(t *testing.T) {
	c := consensustest.MustOpenCluster(t, 3)
	itKey, itSigner := MustNodeKey(t)
	c.MustRegisterNode(t, "IT", "https://it.example", itKey.NodeKey())
	c.MustWaitConverged(t)
	follower := c.URLs[(c.MustLeader(t)+1)%3]
	writes := make([]consensus.BatchWrite, consensus.MaxBatchWrites)
	for i := range writes {
		s := school("IT", fmt.Sprintf("Scuola Grande %d", i), "")
		s.City = strings.Repeat("Roma ", 39) // 195 bytes: the entry is about 75 KB
		if i == 100 {
			s.Country = "FR" // refused, alone
		}
		writes[i] = batchWrite(fmt.Sprintf("large-%d", i), "POST", "/v1/schools", s)
	}
	h, body := signBatch(t, itSigner, "it.example", follower, writes)
	status, res, data := postBatch(t, follower, h, body)
	if status != http.StatusOK || len(res.Results) != len(writes) {
		t.Fatalf("large batch: %d %.300s", status, data)
	}
	for i, r := range res.Results {
		if i == 100 {
			if r.Error == nil || r.Error.Code != twinfed.EFORBIDDEN {
				t.Fatalf("write 100 for FR: %+v", r)
			}
			continue
		}
		if r.Error != nil || r.School == nil || r.School.LegalName != fmt.Sprintf("Scuola Grande %d", i) || r.Index != res.Index {
			t.Fatalf("write %d: %+v %+v", i, r, r.Error)
		}
	}
	c.MustWaitConverged(t)
	if n := countSchools(t, c.AdminClient(t), "Scuola Grande"); n != len(writes)-1 {
		t.Fatalf("%d schools stored, want %d", n, len(writes)-1)
	}
}

// olderMember returns the record of a follower of c's leader l, as a
// member of an older version writes it (no Batches, no BatchRecords), and
// a function that writes a record through the leader, as a member
// records itself, and waits until the members converge.
func olderMember(t *testing.T, c *consensustest.Cluster, l int) (consensus.MemberInfo, func(consensus.MemberInfo)) {
	t.Helper()
	older := c.Members[(l+2)%3]
	peers, err := c.Members[l].Peers()
	if err != nil {
		t.Fatal(err)
	}
	var rec consensus.MemberInfo
	for _, p := range peers {
		if p.ID == older.ID() {
			rec = consensus.MemberInfo{ID: p.ID, RaftAddr: p.RaftAddr, HTTPURL: p.HTTPURL}
		}
	}
	return rec, func(mi consensus.MemberInfo) {
		t.Helper()
		cmd, _ := consensus.EncodeCommand(consensus.CmdSetMember, consensus.MemberCommand{Member: mi})
		if _, err := c.Members[l].Apply(context.Background(), cmd); err != nil {
			t.Fatal(err)
		}
		c.MustWaitConverged(t)
	}
}

// TestBatch_NotServedWhileAMemberIsOlder: while a voter's record does not
// say that it applies batches (a member of an older version, during a
// rolling upgrade), no member serves POST /v1/batch: the answer is 404, as
// from an older registry, and a node's client sends its writes alone,
// which every member applies. Once the record says so, batches are served
// again.
func TestBatch_NotServedWhileAMemberIsOlder(t *testing.T) {
	c := consensustest.MustOpenCluster(t, 3)
	itKey, itSigner := MustNodeKey(t)
	c.MustRegisterNode(t, "IT", "https://it.example", itKey.NodeKey())
	l := c.MustLeader(t)
	rec, setMember := olderMember(t, c, l)
	// As an older member records itself: no Batches. (The member's own
	// registration may still be running just after the start and write
	// its record back: write it again until it holds.)
	none := func() bool {
		for _, m := range c.Members {
			if m.ServesBatches() {
				return false
			}
		}
		return true
	}
	consensustest.Eventually(t, 20*time.Second, func() bool {
		setMember(rec)
		return consensustest.WaitFor(2*time.Second, none)
	}, "a member still serves batches")
	follower := c.URLs[(l+1)%3]
	h, body := signBatch(t, itSigner, "it.example", follower, []consensus.BatchWrite{batchWrite("w0", "POST", "/v1/schools", school("IT", "Scuola In Aggiornamento", ""))})
	if status, _, data := postBatch(t, follower, h, body); status != http.StatusNotFound || !strings.Contains(string(data), "every member") {
		t.Fatalf("a batch during the upgrade: %d %s", status, data)
	}
	ct := &countingTransport{n: map[string]int{}}
	cl, err := consensus.OpenClient(context.Background(), consensus.ClientConfig{Members: []string{follower}, Country: "IT",
		Signer: itSigner, KeyID: twinfed.KeyID(twinfed.AgencyURL("https://it.example")), HTTPClient: &http.Client{Transport: ct}})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for i := range 3 {
		if s, err := cl.PutSchool(context.Background(), &twinfed.School{Country: "IT", LegalName: fmt.Sprintf("Scuola Durante %d", i), Level: twinfed.LevelPrimary}); err != nil || s == nil {
			t.Fatalf("write %d during the upgrade: %+v %v", i, s, err)
		}
	}
	if ct.count("POST /v1/schools") != 3 || ct.count("POST /v1/batch") != 1 {
		t.Fatalf("requests: %v", ct.n)
	}
	c.MustWaitConverged(t)
	if got := countSchools(t, c.AdminClient(t), "Scuola Durante"); got != 3 {
		t.Fatalf("%d schools stored, want 3", got)
	}
	rec.Batches = true // the member upgraded
	setMember(rec)
	if status, res, data := postBatch(t, follower, h, body); status != http.StatusOK || len(res.Results) != 1 || res.Results[0].Error != nil {
		t.Fatalf("a batch after the upgrade: %d %s", status, data)
	}
}

// TestBatch_ResultRecordsOnlyOnceEveryVoterApplies: while a voter's record
// says it does not apply CmdBatchV2 entries (an older member during a
// rolling upgrade), no member proposes them (RecordsBatchResults), though
// batches are still served, as CmdBatch entries; once it says so, every
// member does.
func TestBatch_ResultRecordsOnlyOnceEveryVoterApplies(t *testing.T) {
	c := consensustest.MustOpenCluster(t, 3)
	itKey, itSigner := MustNodeKey(t)
	c.MustRegisterNode(t, "IT", "https://it.example", itKey.NodeKey())
	l := c.MustLeader(t)
	all := func(want bool) func() bool {
		return func() bool {
			for _, m := range c.Members {
				if m.RecordsBatchResults() != want {
					return false
				}
			}
			return true
		}
	}
	consensustest.Eventually(t, 20*time.Second, all(true), "the members do not all record batch results")
	rec, setMember := olderMember(t, c, l)
	rec.Batches = true
	consensustest.Eventually(t, 20*time.Second, func() bool {
		setMember(rec)
		return consensustest.WaitFor(3*time.Second, all(false))
	}, "a member still records batch results while a voter does not apply them")
	follower := c.URLs[(l+1)%3]
	h, body := signBatch(t, itSigner, "it.example", follower, []consensus.BatchWrite{batchWrite("r0", "POST", "/v1/schools", school("IT", "Scuola Prima Del Record", ""))})
	if status, res, data := postBatch(t, follower, h, body); status != http.StatusOK || len(res.Results) != 1 || res.Results[0].Error != nil {
		t.Fatalf("a batch while a voter is older: %d %s", status, data)
	}
	rec.BatchRecords = true // the member upgraded
	setMember(rec)
	consensustest.Eventually(t, 10*time.Second, all(true), "the members do not record batch results after the upgrade")
	// The write of the older form, sent again, answers its first result.
	if status, res, data := postBatch(t, follower, h, body); status != http.StatusOK || len(res.Results) != 1 || !res.Results[0].Replayed {
		t.Fatalf("a batch sent again after the upgrade: %d %s", status, data)
	}
}
