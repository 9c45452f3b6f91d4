package consensus_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/federation/signing"
)

// TestClient_CountryCache checks the client's decoded countries: a caller
// changing what it got changes nothing for the next reader, every change
// of the record reaches Country, CountryByHost and KeysForHost, and so
// does a record put back as it was before.
func TestClient_CountryCache(t *testing.T) {
	c := consensustest.MustOpenCluster(t, 1)
	ctx := context.Background()
	k1, _ := MustNodeKey(t)
	k2, err := signing.GenerateKey("k2", twinfed.KeyEd25519)
	if err != nil {
		t.Fatal(err)
	}
	c.MustRegisterNode(t, "IT", "https://it.example", k1.NodeKey())
	cl := c.MustClient(t, "IT", nil, "")
	want, err := cl.Country(ctx, "IT")
	if err != nil {
		t.Fatal(err)
	}
	check := func(host string, key twinfed.NodeKey) {
		t.Helper()
		for range 3 { // a decoding, then the cache twice
			byCode, err := cl.Country(ctx, "IT")
			if err != nil {
				t.Fatal(err)
			}
			byHost, err := cl.CountryByHost(ctx, host)
			if err != nil {
				t.Fatal(err)
			}
			for _, co := range []*twinfed.Country{byCode, byHost} {
				if co.NodeURL != "https://"+host || len(co.Keys) != 1 || !sameKey(co.Keys[0], key) {
					t.Fatalf("IT is %+v, want the node at %s with key %s", co, host, key.ID)
				}
				co.Name, co.Keys[0].PublicPEM, co.Keys = "changed", "changed", append(co.Keys, twinfed.NodeKey{ID: "added"})
			}
			if _, keys, err := cl.KeysForHost(ctx, host); err != nil || len(keys) != 1 || !sameKey(keys[0], key) {
				t.Fatalf("the keys for %s: %+v, %v; want %s", host, keys, err, key.ID)
			}
		}
	}
	check("it.example", k1.NodeKey())
	if again, _ := cl.Country(ctx, "IT"); !reflect.DeepEqual(again, want) {
		t.Fatalf("read again: %+v, want %+v", again, want)
	}
	c.MustRegisterNode(t, "IT", "https://it2.example", k2.NodeKey())
	c.MustCatchUp(t, cl)
	check("it2.example", k2.NodeKey())
	c.MustRegisterNode(t, "IT", "https://it.example", k1.NodeKey())
	c.MustCatchUp(t, cl)
	check("it.example", k1.NodeKey())
}

// sameKey reports whether a and b are the same key (the registry adds the
// time it was added).
func sameKey(a, b twinfed.NodeKey) bool { return a.ID == b.ID && a.PublicPEM == b.PublicPEM }
