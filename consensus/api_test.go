package consensus_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/federation/signing"
)

type apiReq struct {
	method, path string
	body         []byte
	// "admin", "IT" (signed by the IT node), "IT-wrongkey", "IT-otherhost",
	// "IT-nokey" (no Idempotency-Key), "IT-uncovered" (an Idempotency-Key
	// the signature does not cover), "bad-token", ""
	auth string
}

// requestKey is the Idempotency-Key of a test request: the same for the
// same request, so that sending it again after a 503 applies it once.
func requestKey(r apiReq) string {
	sum := sha256.Sum256([]byte(r.method + " " + r.path + " " + r.auth + " " + string(r.body)))
	return hex.EncodeToString(sum[:16])
}

type nodeKeys struct {
	it, rogue *signing.Signer
}

func do(t *testing.T, base string, keys nodeKeys, r apiReq) (int, consensus.APIError, http.Header) {
	t.Helper()
	return doReq(t, base, keys, r, false)
}

func doOnce(t *testing.T, base string, keys nodeKeys, r apiReq) (int, consensus.APIError, http.Header) {
	t.Helper()
	return doReq(t, base, keys, r, true)
}

func doReq(t *testing.T, base string, keys nodeKeys, r apiReq, retried bool) (int, consensus.APIError, http.Header) {
	t.Helper()
	req, err := http.NewRequest(r.method, base+r.path, bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	switch r.auth {
	case "admin":
		req.Header.Set("Authorization", "Bearer "+consensustest.AdminToken)
	case "bad-token":
		req.Header.Set("Authorization", "Bearer nope")
	case "IT":
		req.Header.Set(consensus.HeaderIdempotencyKey, requestKey(r))
		err = keys.it.Sign(req, "https://it.example/agency#main-key", r.body)
	case "IT-nokey":
		err = keys.it.Sign(req, "https://it.example/agency#main-key", r.body)
	case "IT-uncovered":
		err = keys.it.Sign(req, "https://it.example/agency#main-key", r.body)
		req.Header.Set(consensus.HeaderIdempotencyKey, requestKey(r))
	case "IT-wrongkey":
		req.Header.Set(consensus.HeaderIdempotencyKey, requestKey(r))
		err = keys.rogue.Sign(req, "https://it.example/agency#main-key", r.body)
	case "IT-otherhost":
		req.Header.Set(consensus.HeaderIdempotencyKey, requestKey(r))
		err = keys.it.Sign(req, "https://evil.example/agency#main-key", r.body)
	}
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusServiceUnavailable && !retried {
		// A leader change on a starved machine: these requests change
		// nothing whatever happened, so ask again once the cluster settles.
		var st int
		var ae consensus.APIError
		var h http.Header
		consensustest.Eventually(t, 60*time.Second, func() bool {
			st, ae, h = doOnce(t, base, keys, r)
			return st != http.StatusServiceUnavailable
		}, "the registry stayed unavailable")
		return st, ae, h
	}
	var ae consensus.APIError
	_ = json.Unmarshal(data, &ae)
	return resp.StatusCode, ae, resp.Header
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// stateOf returns every country and school as a consistent read sees them.
func stateOf(t *testing.T, base string) string {
	t.Helper()
	var sb strings.Builder
	for _, p := range []string{"/v1/countries?consistency=consistent", "/v1/schools?limit=200&consistency=consistent"} {
		consensustest.Eventually(t, 60*time.Second, func() bool {
			resp, err := http.Get(base + p)
			if err != nil {
				return false
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return false
			}
			b, _ := io.ReadAll(resp.Body)
			sb.Write(b)
			return true
		}, "no consistent read")
	}
	return sb.String()
}

func TestAPI_BadInputChangesNothing(t *testing.T) {
	c := consensustest.MustOpenCluster(t, 3)
	itKey, itSigner := MustNodeKey(t)
	_, rogue := MustNodeKey(t)
	c.MustRegisterNode(t, "IT", "https://it.example", itKey.NodeKey())
	existing := c.MustImportSchools(t, school("IT", "Liceo Dante", "FIPS0001"))[0]
	// The follower the requests go to authenticates from its own state: let
	// it apply the node's registration first.
	c.MustWaitConverged(t)
	keys := nodeKeys{it: itSigner, rogue: rogue}
	// Talk to a follower, so that forwarding is on the path too.
	base := c.URLs[(c.MustLeader(t)+1)%3]
	valid := school("IT", "Scuola Nuova", "")

	tests := []struct {
		name   string
		req    apiReq
		status int
		says   string // part of the message
	}{
		{"malformed body", apiReq{"POST", "/v1/schools", []byte(`{"country": "IT",`), "IT"}, 400, "not valid JSON"},
		{"unknown field", apiReq{"POST", "/v1/schools", []byte(`{"country":"IT","legal_name":"x","level":"primary","colour":"red"}`), "IT"}, 400, "colour"},
		{"wrong type", apiReq{"POST", "/v1/schools", []byte(`{"country":"IT","legal_name":7}`), "IT"}, 400, "legal_name"},
		{"missing name", apiReq{"POST", "/v1/schools", mustJSON(twinfed.School{Country: "IT", Level: twinfed.LevelPrimary}), "IT"}, 400, "not valid"},
		{"bad level", apiReq{"POST", "/v1/schools", mustJSON(twinfed.School{Country: "IT", LegalName: "x", Level: "college"}), "IT"}, 400, "not valid"},
		{"unknown country", apiReq{"POST", "/v1/schools", mustJSON(school("ZZ", "Nowhere School", "")), "admin"}, 400, "unknown country"},
		{"duplicate national number", apiReq{"POST", "/v1/schools", mustJSON(school("IT", "Copia", "FIPS0001")), "IT"}, 409, "already school " + existing.ID},
		{"write for another country", apiReq{"POST", "/v1/schools", mustJSON(school("FR", "Lycée", "")), "IT"}, 403, "only its own country"},
		{"update another country's school", apiReq{"PUT", "/v1/schools/" + existing.ID, mustJSON(school("FR", "Lycée", "")), "IT"}, 403, ""},
		{"NQL for another country", apiReq{"POST", "/v1/labels/national", mustJSON(twinfed.QualityLabel{ProjectID: "https://it.example/p/1", Country: "FR", SchoolYear: "2025-2026", Score: 20}), "IT"}, 403, ""},
		{"NQL score out of range", apiReq{"POST", "/v1/labels/national", mustJSON(twinfed.QualityLabel{ProjectID: "https://it.example/p/1", Country: "IT", SchoolYear: "2025-2026", Score: 31}), "IT"}, 400, ""},
		{"node changes a country", apiReq{"PUT", "/v1/countries/IT", mustJSON(twinfed.Country{Code: "IT", Active: true}), "IT"}, 403, "CSS operators"},
		{"node imports", apiReq{"POST", "/v1/schools/import", mustJSON([]twinfed.School{valid}), "IT"}, 403, ""},
		{"unsigned node write", apiReq{"POST", "/v1/schools", mustJSON(valid), ""}, 401, "not signed"},
		{"node write without a request id", apiReq{"POST", "/v1/schools", mustJSON(valid), "IT-nokey"}, 400, "Idempotency-Key"},
		{"request id not signed", apiReq{"POST", "/v1/schools", mustJSON(valid), "IT-uncovered"}, 401, "must cover the Idempotency-Key"},
		{"signed with an unlisted key", apiReq{"POST", "/v1/schools", mustJSON(valid), "IT-wrongkey"}, 401, "does not verify"},
		{"keyId of an unknown host", apiReq{"POST", "/v1/schools", mustJSON(valid), "IT-otherhost"}, 401, "not a node"},
		{"bad admin token", apiReq{"POST", "/v1/schools", mustJSON(valid), "bad-token"}, 401, "admin token"},
		{"oversized body", apiReq{"POST", "/v1/schools", bytes.Repeat([]byte(" "), 1<<20+10), "admin"}, 413, "over"},
		{"unknown country in URL", apiReq{"PUT", "/v1/countries/ZZ", mustJSON(twinfed.Country{Active: true}), "admin"}, 404, "unknown country"},
		{"bad node URL", apiReq{"PUT", "/v1/countries/FR", mustJSON(twinfed.Country{NodeURL: "ftp://fr", Active: true}), "admin"}, 400, "not valid"},
		{"bad consistency", apiReq{"GET", "/v1/schools?consistency=eventual", nil, ""}, 400, "stale or consistent"},
		{"bad page size", apiReq{"GET", "/v1/schools?limit=100000", nil, ""}, 400, "between 1 and 200"},
	}
	before := stateOf(t, c.URLs[0])
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, ae, _ := do(t, base, keys, tt.req)
			if status != tt.status {
				t.Fatalf("status %d, want %d (%+v)", status, tt.status, ae.Error)
			}
			if !strings.Contains(ae.Error.Message+" "+strings.Join(mapValues(ae.Error.Fields), " "), tt.says) {
				t.Fatalf("message %q (fields %v) does not say %q", ae.Error.Message, ae.Error.Fields, tt.says)
			}
		})
	}
	if after := stateOf(t, c.URLs[0]); after != before {
		t.Fatal("refused requests changed the registry")
	}

	// And the same node may write its own country's records.
	status, ae, h := do(t, base, keys, apiReq{"POST", "/v1/schools", mustJSON(valid), "IT"})
	if status != 200 || h.Get("X-Registry-Index") == "" {
		t.Fatalf("a valid signed write: %d %+v", status, ae)
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func TestAPI_UnknownCommandInTheLogIsSkipped(t *testing.T) {
	c := consensustest.MustOpenCluster(t, 3)
	var err error
	consensustest.Eventually(t, 60*time.Second, func() bool {
		_, err = c.Members[c.MustLeader(t)].Apply(context.Background(), []byte{250, '{', '}'})
		return twinfed.ErrorCode(err) != twinfed.EUNAVAILABLE
	}, "no leader took the entry")
	if twinfed.ErrorCode(err) != twinfed.EINVALID || !strings.Contains(err.Error(), "unknown command type") {
		t.Fatalf("unknown command: %v", err)
	}
	// Every member applied past it and goes on.
	s := c.MustImportSchools(t, school("PL", "Szkoła", ""))[0]
	c.MustWaitConverged(t)
	for i := range c.Members {
		if !memberHas(c, i, []string{s.ID}) {
			t.Fatalf("member %d stopped at the unknown entry", i+1)
		}
	}
}

func TestAPI_ReadsCarryIndexAndContact(t *testing.T) {
	c := consensustest.MustOpenCluster(t, 3)
	lead := c.MustLeader(t)
	f := c.URLs[(lead+1)%3]
	for _, tt := range []struct {
		url  string
		cons string
	}{{f, "stale"}, {f, "consistent"}, {c.URLs[lead], "consistent"}} {
		var resp *http.Response
		consensustest.Eventually(t, 60*time.Second, func() bool {
			var err error
			resp, err = http.Get(tt.url + "/v1/countries/IT?consistency=" + tt.cons)
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode != http.StatusServiceUnavailable
		}, "no answer")
		if resp.StatusCode != 200 || resp.Header.Get("X-Registry-Index") == "" || resp.Header.Get("X-Registry-Index") == "0" {
			t.Fatalf("%s read: %s, index %q", tt.cons, resp.Status, resp.Header.Get("X-Registry-Index"))
		}
		if tt.cons == "stale" && resp.Header.Get("X-Registry-Last-Contact") == "" {
			t.Fatal("a stale read has no X-Registry-Last-Contact")
		}
	}
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		resp, err := http.Get(f + p)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %s", p, resp.Status)
		}
		if p == "/metrics" && !bytes.Contains(body, []byte("twinfed_registry_raft_state")) {
			t.Fatal("metrics lack the raft state")
		}
	}
	// Every metric the issue lists, on a follower that forwarded a read
	// (gauges of sizes appear at the first update, within a second).
	want := []string{"raft_state", "raft_term", "raft_commit_index", "raft_applied_index", "fsm_index", "leader_changes_total",
		"apply_seconds_bucket", "forwarded_total{kind=\"read\"}", "reads_total{consistency=\"consistent\"}", "reads_total{consistency=\"stale\"}",
		"snapshot_seconds_count", "snapshot_bytes", "log_bytes", "badger_bytes{db=\"state\",part=\"lsm\"}", "unknown_commands_total"}
	var missing []string
	consensustest.Eventually(t, 30*time.Second, func() bool {
		resp, err := http.Get(f + "/metrics")
		if err != nil {
			return false
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		missing = missing[:0]
		for _, name := range want {
			if !bytes.Contains(body, []byte("twinfed_registry_"+name)) {
				missing = append(missing, name)
			}
		}
		return len(missing) == 0
	}, "metrics missing")
}

func TestClient_SearchLabelsAndCache(t *testing.T) {
	c := consensustest.MustOpenCluster(t, 3)
	itKey, itSigner := MustNodeKey(t)
	frKey, frSigner := MustNodeKey(t)
	c.MustRegisterNode(t, "IT", "https://it.example", itKey.NodeKey())
	c.MustRegisterNode(t, "FR", "https://fr.example", frKey.NodeKey())
	var list []twinfed.School
	for i, city := range []string{"Roma", "Roma", "Milano", "Roma", "Torino"} {
		s := school("IT", "Istituto "+city, "")
		s.City = city
		s.NationalNumber = "RM" + string(rune('A'+i))
		list = append(list, s)
	}
	list = append(list, school("FR", "Lycée Hugo", "0750001A"))
	c.MustImportSchools(t, list...)
	it := c.MustClient(t, "IT", itSigner, "https://it.example/agency#main-key")
	fr := c.MustClient(t, "FR", frSigner, "https://fr.example/agency#main-key")
	plain, err := consensus.OpenClient(context.Background(), consensus.ClientConfig{Members: c.URLs})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	ctx := context.Background()
	tests := []struct {
		name  string
		f     twinfed.SchoolFilter
		total int
		page  int
	}{
		{"country", twinfed.SchoolFilter{Country: "IT"}, 5, 5},
		{"city", twinfed.SchoolFilter{Country: "IT", City: "roma"}, 3, 3},
		{"name words", twinfed.SchoolFilter{Query: "istituto TORINO"}, 1, 1},
		{"national number", twinfed.SchoolFilter{Country: "FR", NationalNumber: "0750001A"}, 1, 1},
		{"page", twinfed.SchoolFilter{Country: "IT", Offset: 3, Limit: 1}, 5, 1},
		{"beyond the end", twinfed.SchoolFilter{Country: "IT", Offset: 10}, 5, 0},
	}
	for _, tt := range tests {
		for name, cl := range map[string]*consensus.Client{"cache": it, "http": plain} {
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				got, total, err := cl.FindSchools(ctx, tt.f)
				if err != nil || total != tt.total || len(got) != tt.page {
					t.Fatalf("got %d of %d (%v), want %d of %d", len(got), total, err, tt.page, tt.total)
				}
			})
		}
	}

	// Labels: NQLs from two countries make a project eligible; the CSS awards.
	p := "https://it.example/projects/42"
	if err := it.RecordQualityLabel(ctx, twinfed.QualityLabel{ProjectID: p, Country: "IT", SchoolYear: "2025-2026", Score: 26}); err != nil {
		t.Fatal(err)
	}
	if err := fr.RecordQualityLabel(ctx, twinfed.QualityLabel{ProjectID: p, Country: "FR", SchoolYear: "2025-2026", Score: 24}); err != nil {
		t.Fatal(err)
	}
	n, e, err := fr.ProjectLabels(ctx, p)
	if err != nil || len(n) != 2 || e == nil || e.Status != twinfed.EQLEligible {
		t.Fatalf("labels: %v %+v %v", n, e, err)
	}
	if got, err := c.AdminClient(t).ConfirmEuropeanLabels(ctx, "2025-2026"); err != nil || got != 1 {
		t.Fatalf("confirm: %d %v", got, err)
	}
	c.MustCatchUp(t, it)
	if _, e, _ := it.ProjectLabels(ctx, p); e == nil || e.Status != twinfed.EQLAwarded {
		t.Fatalf("after confirmation: %+v", e)
	}

	// Key rotation: the old and the new key both verify, the registry is not asked.
	newKey, _ := signing.GenerateKey("k2", twinfed.KeyEd25519)
	c.MustRegisterNode(t, "IT", "https://it.example", itKey.NodeKey(), newKey.NodeKey())
	c.MustCatchUp(t, fr)
	if _, keys, err := fr.KeysForHost(ctx, "it.example"); err != nil || len(keys) != 2 {
		t.Fatalf("keys during rotation: %v %v", keys, err)
	}
}

func TestClient_CacheAnswersWhileRegistryIsDown(t *testing.T) {
	c := consensustest.MustOpenCluster(t, 3)
	itKey, itSigner := MustNodeKey(t)
	c.MustRegisterNode(t, "IT", "https://it.example", itKey.NodeKey())
	cl := c.MustClient(t, "IT", itSigner, "https://it.example/agency#main-key")
	ctx := context.Background()
	s, err := cl.PutSchool(ctx, &twinfed.School{Country: "IT", LegalName: "Scuola Cache", Level: twinfed.LevelPrimary})
	if err != nil {
		t.Fatal(err)
	}
	for i := range c.Members {
		c.Stop(i)
	}
	if got, err := cl.School(ctx, s.ID); err != nil || got.LegalName != "Scuola Cache" {
		t.Fatalf("school while the registry is down: %v", err)
	}
	if country, _, err := cl.KeysForHost(ctx, "it.example"); err != nil || country != "IT" {
		t.Fatalf("keys while the registry is down: %v", err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	_, err = cl.PutSchool(wctx, &twinfed.School{Country: "IT", LegalName: "Not now", Level: twinfed.LevelPrimary})
	cancel()
	if twinfed.ErrorCode(err) != twinfed.EUNAVAILABLE {
		t.Fatalf("write while the registry is down: %v", err)
	}
	for i := range c.Members {
		c.MustRestart(t, i)
	}
	c.MustWaitConverged(t)
	later := c.MustImportSchools(t, school("IT", "Scuola Dopo", ""))[0]
	consensustest.Eventually(t, 60*time.Second, func() bool {
		_, err := cl.School(ctx, later.ID)
		return err == nil
	}, "the cache did not catch up after the registry came back")
}

// TestAPI_ConditionalPutCountry: a PUT of a whole country record that
// names the version it read (If-Match) is refused with 409 once another
// change came in between, and changes nothing.
func TestAPI_ConditionalPutCountry(t *testing.T) {
	c := consensustest.MustOpenCluster(t, 3)
	c.MustWaitSeeded(t)
	cl := c.AdminClient(t)
	ctx := context.Background()
	base := c.URLs[(c.MustLeader(t)+1)%3]
	read, err := cl.ConsistentCountry(ctx, "PL")
	if err != nil {
		t.Fatal(err)
	}
	put := func(co twinfed.Country, version uint64) (int, []byte) {
		req, _ := http.NewRequest(http.MethodPut, base+"/v1/countries/PL", bytes.NewReader(mustJSON(co)))
		req.Header.Set("Authorization", "Bearer "+consensustest.AdminToken)
		req.Header.Set("If-Match", fmt.Sprintf("%q", strconv.FormatUint(version, 10)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, data
	}
	// Another operator's change lands between the read and the write.
	between, err := cl.SetCountryNode(ctx, "PL", "https://pl.example", "FRSE")
	if err != nil {
		t.Fatal(err)
	}
	if read.Version == 0 || between.Version <= read.Version {
		t.Fatalf("the version did not move: %d then %d", read.Version, between.Version)
	}
	stale := *read
	stale.Agency = "stale copy"
	if status, data := put(stale, read.Version); status != http.StatusConflict || !strings.Contains(string(data), "changed since it was read") {
		t.Fatalf("a stale conditional PUT: %d %s", status, data)
	}
	now, err := cl.ConsistentCountry(ctx, "PL")
	if err != nil {
		t.Fatal(err)
	}
	if now.NodeURL != "https://pl.example" || now.Agency != "FRSE" {
		t.Fatalf("the refused PUT changed the record: %+v", now)
	}
	fresh := *now
	fresh.Agency = "FRSE (Warszawa)"
	if status, data := put(fresh, now.Version); status != http.StatusOK {
		t.Fatalf("a conditional PUT of the current version: %d %s", status, data)
	}
	// The client's form: ReplaceCountry with the version read.
	if _, err := cl.ReplaceCountry(ctx, stale, read.Version); twinfed.ErrorCode(err) != twinfed.ECONFLICT {
		t.Fatalf("ReplaceCountry of a stale copy: %v, want a conflict", err)
	}
	cur, err := cl.ConsistentCountry(ctx, "PL")
	if err != nil {
		t.Fatal(err)
	}
	cur.Agency = "FRSE"
	if got, err := cl.ReplaceCountry(ctx, *cur, cur.Version); err != nil || got.Agency != "FRSE" || got.Version <= cur.Version {
		t.Fatalf("ReplaceCountry of the current copy: %+v %v", got, err)
	}
}

// TestAPI_RemovedKeyStopsVerifying: a member keeps the keys that verified
// node writes in memory; once the removal of a key (or a country leaving)
// is applied on a member, that member refuses the key at once, and a key
// added later verifies.
func TestAPI_RemovedKeyStopsVerifying(t *testing.T) {
	c := consensustest.MustOpenCluster(t, 3)
	itKey, itSigner := MustNodeKey(t)
	c.MustRegisterNode(t, "IT", "https://it.example", itKey.NodeKey())
	c.MustWaitConverged(t)
	base := c.URLs[(c.MustLeader(t)+1)%3]
	keys := nodeKeys{it: itSigner}
	write := func(name string) int {
		t.Helper()
		status, _, _ := do(t, base, keys, apiReq{"POST", "/v1/schools", mustJSON(school("IT", name, "")), "IT"})
		return status
	}
	if st := write("Scuola Uno"); st != 200 {
		t.Fatalf("a write with a listed key: %d", st)
	}
	cl := c.AdminClient(t)
	ctx := context.Background()
	newKey, newSigner := MustNodeKey(t)
	nk := newKey.NodeKey()
	nk.ID = "k2"
	if _, err := cl.AddCountryKey(ctx, "IT", nk); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.RemoveCountryKey(ctx, "IT", itKey.ID); err != nil {
		t.Fatal(err)
	}
	c.MustWaitConverged(t)
	if st := write("Scuola Due"); st != http.StatusUnauthorized {
		t.Fatalf("a write with a removed key: %d, want 401", st)
	}
	keys.it = newSigner
	if st := write("Scuola Tre"); st != 200 {
		t.Fatalf("a write with the added key: %d", st)
	}
	if _, err := cl.SetCountryActive(ctx, "IT", false); err != nil {
		t.Fatal(err)
	}
	c.MustWaitConverged(t)
	if st := write("Scuola Quattro"); st != http.StatusUnauthorized {
		t.Fatalf("a write by a country that left: %d, want 401", st)
	}
}
