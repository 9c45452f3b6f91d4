package consensus_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/federation/signing"
)

// MustNodeKey returns a fresh Ed25519 node key and its signer.
func MustNodeKey(tb testing.TB) (*signing.Key, *signing.Signer) {
	tb.Helper()
	k, err := signing.GenerateKey("k1", twinfed.KeyEd25519)
	if err != nil {
		tb.Fatal(err)
	}
	return k, &signing.Signer{Key: k}
}

func school(country, name, number string) twinfed.School {
	return twinfed.School{Country: country, LegalName: name, City: "Firenze", NationalNumber: number,
		Level: twinfed.LevelPrimary, Institution: twinfed.InstitutionState}
}

func TestCluster_ElectsReplicatesAndServesNodes(t *testing.T) {
	c := consensustest.MustOpenCluster(t, 3)
	key, signer := MustNodeKey(t)
	c.MustRegisterNode(t, "IT", "https://it.example", key.NodeKey())
	cl := c.MustClient(t, "IT", signer, twinfed.KeyID(twinfed.AgencyURL("https://it.example")))
	ctx := context.Background()

	countries, err := cl.Countries(ctx)
	if err != nil || len(countries) != 46 {
		t.Fatalf("countries: %d, %v", len(countries), err)
	}
	s := school("IT", "Istituto Comprensivo Dante", "FIIC80000X")
	got, err := cl.PutSchool(ctx, &s)
	if err != nil {
		t.Fatalf("put school: %v", err)
	}
	if got.ID == "" || got.Status != twinfed.SchoolProposed {
		t.Fatalf("stored school: %+v", got)
	}
	// The client reads its own write from its cache.
	back, err := cl.School(ctx, got.ID)
	if err != nil || back.LegalName != s.LegalName {
		t.Fatalf("read back: %+v %v", back, err)
	}
	country, keys, err := cl.KeysForHost(ctx, "it.example")
	if err != nil || country != "IT" || len(keys) != 1 {
		t.Fatalf("keys for host: %s %v %v", country, keys, err)
	}
	// Every member has it.
	for i, u := range c.URLs {
		mc, err := consensus.OpenClient(ctx, consensus.ClientConfig{Members: []string{u}})
		if err != nil {
			t.Fatal(err)
		}
		consensustest.Eventually(t, 10*time.Second, func() bool {
			_, err := mc.School(ctx, got.ID)
			return err == nil
		}, fmt.Sprintf("member %d never had the school", i+1))
		mc.Close()
	}
}

// applySchools writes n schools through the leader's Go apply path, 32 at
// a time, and returns their ids.
func applySchools(t *testing.T, c *consensustest.Cluster, n int, prefix string) []string {
	t.Helper()
	ids := make([]string, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			cmd, _ := consensus.EncodeCommand(consensus.CmdPutSchool, consensus.PutSchoolCommand{
				School: twinfed.School{Country: "FR", LegalName: fmt.Sprintf("%s %d", prefix, i), Level: twinfed.LevelPrimary}, At: time.Now()})
			// Leader changes under load may leave a write's outcome
			// unknown: the request id lets it be sent again safely.
			cmd = consensus.KeyedCommand(fmt.Sprintf("%s-%d", prefix, i), time.Now(), cmd)
			var res *consensus.ApplyResult
			var err error
			if !consensustest.WaitFor(60*time.Second, func() bool {
				m := c.Leader()
				if m == nil {
					return false
				}
				res, err = m.Apply(context.Background(), cmd)
				return err == nil
			}) {
				errs <- fmt.Errorf("no write after 60s: %v", err)
				return
			}
			ids[i] = res.School.ID
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("apply: %v", err)
	}
	return ids
}

// memberHas reports whether member i's state has every school (stale read
// on that member).
func memberHas(c *consensustest.Cluster, i int, ids []string) bool {
	cl, err := consensus.OpenClient(context.Background(), consensus.ClientConfig{Members: []string{c.URLs[i]}})
	if err != nil {
		return false
	}
	defer cl.Close()
	for _, id := range ids {
		if _, err := cl.School(context.Background(), id); err != nil {
			return false
		}
	}
	return true
}

func TestCluster_SurvivesLossOfLeaderAndOfAnyMember(t *testing.T) {
	c := consensustest.MustOpenCluster(t, 3)
	admin := c.AdminClient(t)
	ctx := context.Background()
	put := func(name string) *twinfed.School {
		t.Helper()
		s, err := admin.PutSchool(ctx, &twinfed.School{Country: "ES", LegalName: name, Level: twinfed.LevelPrimary})
		if err != nil {
			t.Fatalf("write %q: %v", name, err)
		}
		return s
	}
	var ids []string
	ids = append(ids, put("before").ID)

	// Lose the leader: a new one is elected and takes writes.
	old := c.MustLeader(t)
	c.Stop(old)
	// Wait for the election first: on a loaded machine it can outlast the
	// write's own retries.
	if now := c.MustLeader(t); now == old {
		t.Fatal("the stopped member still leads")
	}
	ids = append(ids, put("without the old leader").ID)
	c.MustRestart(t, old)
	c.MustWaitConverged(t)
	consensustest.Eventually(t, 30*time.Second, func() bool { return memberHas(c, old, ids) }, "the old leader did not catch up")

	// Lose each member in turn.
	for i := range c.Members {
		c.Stop(i)
		ids = append(ids, put(fmt.Sprintf("without member %d", i+1)).ID)
		c.MustRestart(t, i)
		c.MustWaitConverged(t)
	}
	for i := range c.Members {
		consensustest.Eventually(t, 30*time.Second, func() bool { return memberHas(c, i, ids) }, fmt.Sprintf("member %d lacks writes", i+1))
	}
}

func TestCluster_RestartedMemberCatchesUpFromLogAndSnapshot(t *testing.T) {
	c := consensustest.MustOpenCluster(t, 3)
	lead := c.MustLeader(t)
	f := (lead + 1) % 3

	// A few writes: the member catches up from the leader's log.
	c.Stop(f)
	ids := applySchools(t, c, 50, "from the log")
	c.MustRestart(t, f)
	consensustest.Eventually(t, 30*time.Second, func() bool { return memberHas(c, f, ids) }, "no catch-up from the log")

	// Many writes: the leader snapshots and compacts its log past what the
	// member has (SnapshotThreshold 1024, TrailingLogs 256), so the member
	// needs the snapshot.
	c.Stop(f)
	more := applySchools(t, c, 1500, "from the snapshot")
	consensustest.Eventually(t, 60*time.Second, func() bool {
		l := c.Leader()
		return l != nil && l.Stats()["last_snapshot_index"] != "0"
	}, "the leader never took a snapshot")
	c.MustRestart(t, f)
	consensustest.Eventually(t, 60*time.Second, func() bool { return memberHas(c, f, append(ids, more...)) }, "no catch-up from the snapshot")
	if s := c.Members[f].Stats()["last_snapshot_index"]; s == "0" {
		t.Fatalf("the restarted member has no snapshot: stats %v", c.Members[f].Stats())
	}
}

// A write sent to a member while the cluster has no leader is held until
// one is elected and applied then: one plain HTTP request, no retry by the
// caller. Two of three members are stopped (no quorum: no election can
// succeed) before the write is sent, and one is restarted while it waits.
func TestCluster_WriteDuringElectionIsHeld(t *testing.T) {
	c := consensustest.MustOpenClusterWith(t, 3, func(i int, cfg *consensus.Config) {
		cfg.HoldWrites = 60 * time.Second // a loaded machine's restart and election must not outlast the hold
	})
	old := c.MustLeader(t)
	f, other := (old+1)%3, (old+2)%3
	c.Stop(old)
	c.Stop(other)

	body, _ := json.Marshal(twinfed.School{Country: "IT", LegalName: "Scuola durante l'elezione", Level: twinfed.LevelPrimary})
	req, _ := http.NewRequest(http.MethodPost, c.URLs[f]+"/v1/schools", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+consensustest.AdminToken)
	req.Header.Set("Content-Type", "application/json")
	type answer struct {
		status int
		body   []byte
		err    error
	}
	done := make(chan answer, 1)
	go func() {
		resp, err := (&http.Client{Timeout: 90 * time.Second}).Do(req)
		if err != nil {
			done <- answer{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- answer{status: resp.StatusCode, body: b}
	}()
	// The member alone knows it has no leader; the write is waiting.
	consensustest.Eventually(t, 30*time.Second, func() bool { id, _ := c.Members[f].Leader(); return id == "" }, "the lone member still names a leader")
	select {
	case a := <-done:
		t.Fatalf("the write was answered without a leader: %d %s %v", a.status, a.body, a.err)
	default:
	}

	c.MustRestart(t, other)
	a := <-done
	if a.err != nil || a.status != http.StatusOK {
		t.Fatalf("a write held through the election: %d %s %v, want 200 once a leader is elected", a.status, a.body, a.err)
	}
	var got consensus.WriteResult
	if err := json.Unmarshal(a.body, &got); err != nil || got.Index == 0 || got.School == nil {
		t.Fatalf("answer %s: want the write's index and school (%v)", a.body, err)
	}
	consensustest.Eventually(t, 30*time.Second, func() bool { return memberHas(c, other, []string{got.School.ID}) },
		fmt.Sprintf("member %d never had the held write %s", other+1, got.School.ID))
}
