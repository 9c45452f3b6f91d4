package consensus_test

import (
	"context"
	"fmt"
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
