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

func postKeyed(t *testing.T, url, key string, body []byte) (int, consensus.WriteResult, []byte) {
	t.Helper()
	// A 503 (no leader, or the leader changed while the write was in
	// flight) tells the client to send the same write again, with the same
	// key: what a client does, and what the key is for.
	deadline := time.Now().Add(60 * time.Second)
	for {
		status, res, data := postKeyedOnce(t, url, key, body)
		if status != http.StatusServiceUnavailable || time.Now().After(deadline) {
			return status, res, data
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func postKeyedOnce(t *testing.T, url, key string, body []byte) (int, consensus.WriteResult, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+consensustest.AdminToken)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set(consensus.HeaderIdempotencyKey, key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var res consensus.WriteResult
	_ = json.Unmarshal(data, &res)
	return resp.StatusCode, res, data
}

func countSchools(t *testing.T, cl *consensus.Client, name string) int {
	t.Helper()
	_, n, err := cl.FindSchools(context.Background(), twinfed.SchoolFilter{Query: name})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestIdempotency_RepeatedWriteAnswersTheFirstResult(t *testing.T) {
	c := consensustest.MustOpenCluster(t, 3)
	lead := c.MustLeader(t)
	follower := c.URLs[(lead+1)%3] // forwarded to the leader
	body := mustJSON(twinfed.School{Country: "ES", LegalName: "Colegio Cervantes", Level: twinfed.LevelPrimary})

	status, first, data := postKeyed(t, follower+"/v1/schools", "retry-me-1", body)
	// (Replayed may be true here if a leader change made postKeyed send it
	// twice: the point is that every later answer is this one.)
	if status != 200 || first.School == nil {
		t.Fatalf("first write: %d %s", status, data)
	}
	c.MustWaitConverged(t)
	before := stateOf(t, c.URLs[lead])
	for _, base := range c.URLs {
		status, again, data := postKeyed(t, base+"/v1/schools", "retry-me-1", body)
		if status != 200 || !again.Replayed || again.Index != first.Index || again.School.ID != first.School.ID {
			t.Fatalf("repeat through %s: %d %s; first was index %d id %s", base, status, data, first.Index, first.School.ID)
		}
	}
	if after := stateOf(t, c.URLs[lead]); after != before {
		t.Fatal("a repeated write changed the state")
	}

	// Imports: each chunk carries the id, so a repeated import adds nothing.
	list := []twinfed.School{school("ES", "Instituto Goya", "ES-G1"), school("ES", "Instituto Lorca", "ES-L1")}
	status, imp, data := postKeyed(t, follower+"/v1/schools/import", "import-1", mustJSON(list))
	if status != 200 || imp.Count != 2 {
		t.Fatalf("import: %d %s", status, data)
	}
	status, imp2, data := postKeyed(t, c.URLs[lead]+"/v1/schools/import", "import-1", mustJSON(list))
	if status != 200 || !imp2.Replayed || imp2.Index != imp.Index || len(imp2.IDs) != 2 || imp2.IDs[0] != imp.IDs[0] {
		t.Fatalf("repeated import: %d %s (first %+v)", status, data, imp)
	}

	// A bad id is refused and changes nothing.
	if status, _, data := postKeyed(t, follower+"/v1/schools", "has space", body); status != 400 {
		t.Fatalf("bad Idempotency-Key: %d %s", status, data)
	}
	if n := countSchools(t, c.AdminClient(t), "Colegio Cervantes"); n != 1 {
		t.Fatalf("%d schools named Colegio Cervantes, want 1", n)
	}
}

// lossyProxy forwards requests to a member but answers the first write to
// each path with 503, as if the answer had been lost after the write was
// applied. It hides the leader's address so that the client comes back.
type lossyProxy struct {
	target string
	mu     sync.Mutex
	lost   map[string]consensus.WriteResult // path → the answer the client never saw
}

func (p *lossyProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req, _ := http.NewRequest(r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(body))
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	p.mu.Lock()
	_, seen := p.lost[r.URL.Path]
	if r.Method != http.MethodGet && !seen && resp.StatusCode == 200 {
		var res consensus.WriteResult
		_ = json.Unmarshal(data, &res)
		p.lost[r.URL.Path] = res
		p.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"error":{"code":"unavailable","message":"the answer was lost"}}`)
		return
	}
	p.mu.Unlock()
	for k, vs := range resp.Header {
		if k != "X-Registry-Leader" {
			w.Header()[k] = vs
		}
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(data)
}

func TestIdempotency_ClientRetriesAWriteWhoseAnswerWasLost(t *testing.T) {
	c := consensustest.MustOpenCluster(t, 3)
	p := &lossyProxy{target: c.URLs[0], lost: map[string]consensus.WriteResult{}}
	srv := httptest.NewServer(p)
	defer srv.Close()
	cl, err := consensus.OpenClient(context.Background(), consensus.ClientConfig{Members: []string{srv.URL}, AdminToken: c.AdminToken, Logger: consensustest.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()

	s, err := cl.PutSchool(context.Background(), &twinfed.School{Country: "PT", LegalName: "Escola Camões", Level: twinfed.LevelPrimary})
	if err != nil {
		t.Fatalf("the client did not retry the write: %v", err)
	}
	lost := p.lost["/v1/schools"]
	if lost.School == nil || s.ID != lost.School.ID {
		t.Fatalf("the retry answered %+v, the lost first answer was %+v", s, lost)
	}
	res, err := cl.Import(context.Background(), []twinfed.School{school("PT", "Escola Pessoa", "PT-P1")})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if lostImp := p.lost["/v1/schools/import"]; res.Index != lostImp.Index || len(res.IDs) != 1 || res.IDs[0] != lostImp.IDs[0] {
		t.Fatalf("the retried import answered %+v, the lost first answer was %+v", res, lostImp)
	}
	for _, name := range []string{"Escola Camões", "Escola Pessoa"} {
		if n := countSchools(t, cl, name); n != 1 {
			t.Fatalf("%d schools named %s, want 1", n, name)
		}
	}
}

// TestIdempotency_ReplayedNodeWriteIsAppliedOnce sends a node's signed
// write again, byte for byte (as the network or an eavesdropper may,
// within the Date window), to every member: each answers the first result
// and no second school appears. The request id is covered by the
// signature (changing it breaks the signature) and belongs to the node
// (another node's write with the same id is its own).
func TestIdempotency_ReplayedNodeWriteIsAppliedOnce(t *testing.T) {
	c := consensustest.MustOpenCluster(t, 3)
	itKey, itSigner := MustNodeKey(t)
	frKey, frSigner := MustNodeKey(t)
	c.MustRegisterNode(t, "IT", "https://it.example", itKey.NodeKey())
	c.MustRegisterNode(t, "FR", "https://fr.example", frKey.NodeKey())
	c.MustWaitConverged(t)
	lead := c.MustLeader(t)
	follower := c.URLs[(lead+1)%3]

	signed := func(s *signing.Signer, host string, v any) (http.Header, []byte) {
		body := mustJSON(v)
		req, _ := http.NewRequest(http.MethodPost, follower+"/v1/schools", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(consensus.HeaderIdempotencyKey, "school-write-1")
		if err := s.Sign(req, "https://"+host+"/agency#main-key", body); err != nil {
			t.Fatal(err)
		}
		return req.Header, body
	}
	send := func(base string, h http.Header, body []byte) (int, consensus.WriteResult, []byte) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			req, _ := http.NewRequest(http.MethodPost, base+"/v1/schools", bytes.NewReader(body))
			req.Header = h.Clone()
			req.Host = strings.TrimPrefix(follower, "http://") // the signed host
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var res consensus.WriteResult
			_ = json.Unmarshal(data, &res)
			if resp.StatusCode != http.StatusServiceUnavailable || time.Now().After(deadline) {
				return resp.StatusCode, res, data
			}
			time.Sleep(200 * time.Millisecond)
		}
	}

	h, body := signed(itSigner, "it.example", school("IT", "Scuola Replicata", ""))
	status, first, data := send(follower, h, body)
	if status != 200 || first.School == nil {
		t.Fatalf("first write: %d %s", status, data)
	}
	for _, base := range append(c.URLs, follower) {
		status, again, data := send(base, h, body)
		if status != 200 || !again.Replayed || again.Index != first.Index || again.School == nil || again.School.ID != first.School.ID {
			t.Fatalf("replay through %s: %d %s; first was index %d id %s", base, status, data, first.Index, first.School.ID)
		}
	}
	if n := countSchools(t, c.AdminClient(t), "Scuola Replicata"); n != 1 {
		t.Fatalf("%d schools named Scuola Replicata after the replays, want 1", n)
	}

	// Another request id on the same signed request: the signature no
	// longer verifies.
	forged := h.Clone()
	forged.Set(consensus.HeaderIdempotencyKey, "school-write-2")
	if status, _, data := send(follower, forged, body); status != http.StatusUnauthorized {
		t.Fatalf("a replay under another request id: %d %s", status, data)
	}
	// FR's write with the same request id is FR's own.
	h, body = signed(frSigner, "fr.example", school("FR", "École Distincte", ""))
	if status, res, data := send(follower, h, body); status != 200 || res.Replayed || res.School == nil || res.School.Country != "FR" {
		t.Fatalf("FR's write with IT's request id: %d %s", status, data)
	}
	if n := countSchools(t, c.AdminClient(t), "Scuola Replicata"); n != 1 {
		t.Fatalf("%d schools named Scuola Replicata, want 1", n)
	}
}

// TestIdempotency_WindowOutlastsTheDateWindow: a node's signed write is
// accepted for 2 × signing.MaxSkew after it was first applied (its Date
// may be MaxSkew ahead of the first member's clock and MaxSkew behind the
// last's); the state must remember its request id at least that long.
func TestIdempotency_WindowOutlastsTheDateWindow(t *testing.T) {
	if consensus.IdempotencyWindow <= 2*signing.MaxSkew {
		t.Fatalf("IdempotencyWindow %s does not outlast the signatures' Date window of ±%s", consensus.IdempotencyWindow, signing.MaxSkew)
	}
}

// TestForward_ConcurrentWritesThroughAFollower: writes that reach a
// follower at once are forwarded to the leader in shared batches; each one
// is applied once and answered with its own result.
func TestForward_ConcurrentWritesThroughAFollower(t *testing.T) {
	c := consensustest.MustOpenCluster(t, 3)
	c.MustWaitSeeded(t)
	follower := c.URLs[(c.MustLeader(t)+1)%3]
	const n = 200
	type answer struct {
		status int
		res    consensus.WriteResult
	}
	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := mustJSON(twinfed.School{Country: "SI", LegalName: fmt.Sprintf("Šola %d", i), Level: twinfed.LevelPrimary})
			status, res, _ := postKeyed(t, follower+"/v1/schools", fmt.Sprintf("batch-%d", i), body)
			answers[i] = answer{status, res}
		}()
	}
	wg.Wait()
	ids := map[string]bool{}
	for i, a := range answers {
		if a.status != 200 || a.res.School == nil || a.res.School.LegalName != fmt.Sprintf("Šola %d", i) {
			t.Fatalf("write %d: %d %+v", i, a.status, a.res)
		}
		if ids[a.res.School.ID] {
			t.Fatalf("two writes answered school %s", a.res.School.ID)
		}
		ids[a.res.School.ID] = true
	}
	c.MustWaitConverged(t)
	if got := countSchools(t, c.AdminClient(t), "Šola"); got != n {
		t.Fatalf("%d schools stored, want %d", got, n)
	}
}
