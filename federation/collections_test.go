package federation_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/federation"
	"github.com/twinfed/twinfed/federation/signing"
)

// followersOf is the followers of one actor, in order.
type followersOf struct {
	actor string
	list  []string
}

func (f followersOf) FollowersPage(_ context.Context, actor, after string, limit int) ([]string, string, int, error) {
	if actor != f.actor {
		return nil, "", 0, nil
	}
	start := 0
	if after != "" {
		start = slices.Index(f.list, after) + 1
	}
	end := min(start+limit, len(f.list))
	next := ""
	if end < len(f.list) {
		next = f.list[end-1]
	}
	return f.list[start:end], next, len(f.list), nil
}

// TestCollections_Paged walks a followers collection of 120 page by page
// with signed GETs, as another node would: every follower once, in order,
// the last page without next; unsigned, the pages are empty.
func TestCollections_Paged(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 1)
	nodes := mustReserveNodes(t, cluster, "IT", "FR")
	it, fr := nodes[0], nodes[1]
	maria := &twinfed.Profile{ID: it.actor("maria"), Username: "maria", Country: "IT", Name: "Maria Rossi"}
	var followers []string
	for i := range 120 {
		followers = append(followers, fmt.Sprintf("%s/users/f%03d", fr.Base, i))
	}
	it.Followers = followersOf{actor: maria.ID, list: followers}
	it.mustStart(t)
	it.Rec.putProfile(t, maria)

	fetch := func(url string, signed bool) map[string]any {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Accept", federation.ContentTypeActivity)
		if signed {
			if err := (&signing.Signer{Key: fr.Key}).Sign(req, twinfed.KeyID(twinfed.AgencyURL(fr.Base)), nil); err != nil {
				t.Fatal(err)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var doc map[string]any
		if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&doc) != nil {
			t.Fatalf("GET %s: %s", url, resp.Status)
		}
		return doc
	}
	coll := fetch(maria.ID+"/followers", false)
	if coll["totalItems"] != float64(120) {
		t.Fatalf("collection %v", coll)
	}
	var got []string
	pages := 0
	for next, _ := coll["first"].(string); next != ""; pages++ {
		page := fetch(next, true)
		for _, it := range page["orderedItems"].([]any) {
			got = append(got, it.(string))
		}
		next, _ = page["next"].(string)
		if pages > 5 {
			t.Fatal("the pages do not end")
		}
	}
	if pages != 3 || !slices.Equal(got, followers) {
		t.Fatalf("%d pages, %d followers", pages, len(got))
	}
	if page := fetch(coll["first"].(string), false); len(page["orderedItems"].([]any)) != 0 {
		t.Fatalf("an unsigned page lists followers: %v", page)
	}
	resp, _ := get(t, it.actor("nobody")+"/followers", federation.ContentTypeActivity)
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("an unknown member's followers: %d", resp.StatusCode)
	}
}
