package consensus_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus"
	"github.com/twinfed/twinfed/consensus/consensustest"
)

// A cache that was away while more changes were made than the feed keeps
// is told so (410) and reloads the whole registry.
func TestClient_CacheBehindTheFeedWindowReloads(t *testing.T) {
	c := consensustest.MustOpenClusterWith(t, 3, func(_ int, cfg *consensus.Config) { cfg.FeedWindow = 16 })
	ctx := context.Background()
	dir := t.TempDir()
	open := func() *consensus.Client {
		cl, err := consensus.OpenClient(ctx, consensus.ClientConfig{Members: c.URLs, AdminToken: c.AdminToken, CacheDir: dir,
			Logger: consensustest.Logger(), FeedWait: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		return cl
	}
	cl := open()
	first := c.MustImportSchools(t, school("IT", "Scuola Prima", "P1"))[0]
	c.MustCatchUp(t, cl)
	away := cl.Index()
	cl.Close()

	// While the cache is away: an update, a national number freed, and
	// well over twice the window of changed keys, so that the floor has
	// passed the cache's index however the entries were batched (the feed
	// prunes to half the window once it holds more than the window).
	admin := c.AdminClient(t)
	const french = 40
	for i := range french {
		if _, err := admin.PutSchool(ctx, &twinfed.School{Country: "FR", LegalName: fmt.Sprintf("École %d", i), Level: twinfed.LevelPrimary}); err != nil {
			t.Fatal(err)
		}
	}
	first.LegalName, first.NationalNumber = "Scuola Rinominata", ""
	if _, err := admin.PutSchool(ctx, &first); err != nil {
		t.Fatal(err)
	}
	// The first member may be a follower that has not applied the last
	// writes yet.
	c.MustWaitConverged(t)
	resp, err := http.Get(fmt.Sprintf("%s/v1/changes?since=%d&wait=0s", c.URLs[0], away))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusGone || resp.Header.Get("X-Registry-Feed-Floor") == "" {
		t.Fatalf("a reader at index %d, behind the window: %s", away, resp.Status)
	}

	cl = open()
	defer cl.Close()
	c.MustCatchUp(t, cl)
	if got, err := cl.School(ctx, first.ID); err != nil || got.LegalName != "Scuola Rinominata" {
		t.Fatalf("the reloaded cache has %+v, %v", got, err)
	}
	if list, n, err := cl.FindSchools(ctx, twinfed.SchoolFilter{Country: "FR", Limit: 100}); err != nil || n != french || len(list) != french {
		t.Fatalf("the reloaded cache finds %d French schools: %v", n, err)
	}
	if list, _, _ := cl.FindSchools(ctx, twinfed.SchoolFilter{Country: "IT", NationalNumber: "P1"}); len(list) != 0 {
		t.Fatal("the reloaded cache still indexes the freed national number")
	}
}

// A node's cache keeps its own index of national numbers, from the schools
// the feed brings: a number found, moved to another school, freed.
func TestClient_CacheFindsSchoolsByNationalNumber(t *testing.T) {
	c := consensustest.MustOpenCluster(t, 1)
	ctx := context.Background()
	cl, err := consensus.OpenClient(ctx, consensus.ClientConfig{Members: c.URLs, AdminToken: c.AdminToken, CacheDir: t.TempDir(),
		Logger: consensustest.Logger(), FeedWait: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	find := func(number string) []string {
		t.Helper()
		list, _, err := cl.FindSchools(ctx, twinfed.SchoolFilter{Country: "IT", NationalNumber: number})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, s := range list {
			names = append(names, s.LegalName)
		}
		return names
	}
	a := c.MustImportSchools(t, school("IT", "Scuola A", "P7"))[0]
	c.MustCatchUp(t, cl)
	if got := find("P7"); len(got) != 1 || got[0] != "Scuola A" {
		t.Fatalf("P7 finds %q", got)
	}
	// The number moves from A to a new school B, in two writes the cache
	// may take in one change set.
	admin := c.AdminClient(t)
	a.NationalNumber = "P8"
	if _, err := admin.PutSchool(ctx, &a); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PutSchool(ctx, &twinfed.School{Country: "IT", LegalName: "Scuola B", NationalNumber: "P7", Level: twinfed.LevelPrimary}); err != nil {
		t.Fatal(err)
	}
	c.MustCatchUp(t, cl)
	if got := find("P7"); len(got) != 1 || got[0] != "Scuola B" {
		t.Fatalf("after the move, P7 finds %q", got)
	}
	if got := find("P8"); len(got) != 1 || got[0] != "Scuola A" {
		t.Fatalf("after the move, P8 finds %q", got)
	}
	a.NationalNumber = ""
	if _, err := admin.PutSchool(ctx, &a); err != nil {
		t.Fatal(err)
	}
	c.MustCatchUp(t, cl)
	if got := find("P8"); len(got) != 0 {
		t.Fatalf("a freed number finds %q", got)
	}
}
