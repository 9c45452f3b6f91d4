package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
)

// runCountry runs `twinfed country …` as written (flags wherever they
// stand) and decodes the record it prints.
func runCountry(t *testing.T, args ...string) (twinfed.Country, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := runApp(context.Background(), &out, &errOut, append([]string{"twinfed", "country"}, args...))
	var co twinfed.Country
	if err == nil {
		if jerr := json.Unmarshal(out.Bytes(), &co); jerr != nil {
			t.Fatalf("%v: output %q: %v", args, out.String(), jerr)
		}
	}
	return co, err
}

// mustPublicKeyFile writes the public half of a new key as PEM (what an
// agency sends the CSS) and returns the file and the key.
func mustPublicKeyFile(t *testing.T, dir, id, algorithm string) (string, crypto.PublicKey) {
	t.Helper()
	var pub crypto.PublicKey
	if algorithm == twinfed.KeyRSA {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		pub = &k.PublicKey
	} else {
		p, _, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		pub = p
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, id+".pub.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, pub
}

func keyIDs(co twinfed.Country) []string {
	var ids []string
	for _, k := range co.Keys {
		ids = append(ids, k.ID)
	}
	slices.Sort(ids)
	return ids
}

// TestCountryCommand_NoLostUpdateThroughAFollower runs the issue's
// sequences back to back through a follower: remove-key then add-key,
// two add-keys, set-node then add-key. Each change must stay.
func TestCountryCommand_NoLostUpdateThroughAFollower(t *testing.T) {
	c := consensustest.MustOpenCluster(t, 3)
	c.MustWaitSeeded(t)
	follower := c.URLs[(c.MustLeader(t)+1)%3]
	m, tok := "--member="+follower, "--token="+c.AdminToken
	dir := t.TempDir()
	k1, _ := mustPublicKeyFile(t, dir, "k1", twinfed.KeyEd25519)
	k2, _ := mustPublicKeyFile(t, dir, "k2", twinfed.KeyEd25519)
	k3, _ := mustPublicKeyFile(t, dir, "k3", twinfed.KeyRSA)

	if _, err := runCountry(t, "set-node", "IT", "--url", "https://it.example", m, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := runCountry(t, "add-key", "IT", "--key", k1, "--key-id", "k1", m, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := runCountry(t, "add-key", "IT", "--key", k2, "--key-id", "k2", m, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := runCountry(t, "remove-key", "IT", "--key-id", "k1", m, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := runCountry(t, "add-key", "IT", "--key", k3, "--key-id", "k3", m, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := runCountry(t, "set-node", "IT", "--url", "https://new-it.example", m, tok); err != nil {
		t.Fatal(err)
	}
	co, err := runCountry(t, "show", "IT", m)
	if err != nil {
		t.Fatal(err)
	}
	if got := keyIDs(co); !slices.Equal(got, []string{"k2", "k3"}) || co.NodeURL != "https://new-it.example" {
		t.Fatalf("after remove k1, add k3, set-node: keys %v, node %s; want [k2 k3] and https://new-it.example", got, co.NodeURL)
	}
	if co.Keys[slices.IndexFunc(co.Keys, func(k twinfed.NodeKey) bool { return k.ID == "k3" })].Algorithm != twinfed.KeyRSA {
		t.Fatalf("k3 is an RSA key: %+v", co.Keys)
	}
	if _, err := runCountry(t, "remove-key", "IT", "--key-id", "k1", m, tok); err == nil || !strings.Contains(err.Error(), "no key k1") {
		t.Fatalf("removing a removed key: %v", err)
	}
}

// TestCountryCommand_ConcurrentOperatorsLoseNothing has operators on all
// three members change one country at once: each adds its own keys and
// removes some of them, one also moves the node. Every change is kept and
// no removed key comes back.
func TestCountryCommand_ConcurrentOperatorsLoseNothing(t *testing.T) {
	c := consensustest.MustOpenCluster(t, 3)
	c.MustWaitSeeded(t)
	dir := t.TempDir()
	if _, err := runCountry(t, "set-node", "FR", "--url", "https://fr-0.example", "--member="+c.URLs[0], "--token="+c.AdminToken); err != nil {
		t.Fatal(err)
	}
	const operators, rounds = 6, 4
	type key struct{ id, file string }
	keys := make([][]key, operators)
	for o := range operators {
		for r := range rounds {
			id := fmt.Sprintf("op%d-k%d", o, r)
			alg := twinfed.KeyEd25519
			if o == 0 && r == 0 {
				alg = twinfed.KeyRSA // keys of both algorithms side by side
			}
			f, _ := mustPublicKeyFile(t, dir, id, alg)
			keys[o] = append(keys[o], key{id, f})
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, operators*rounds*3)
	for o := range operators {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, tok := "--member="+c.URLs[o%3], "--token="+c.AdminToken
			for r, k := range keys[o] {
				if _, err := runCountry(t, "add-key", "FR", "--key", k.file, "--key-id", k.id, m, tok); err != nil {
					errs <- fmt.Errorf("operator %d add %s: %w", o, k.id, err)
				}
				if r%2 == 1 { // remove the key of the round before
					if _, err := runCountry(t, "remove-key", "FR", "--key-id", keys[o][r-1].id, m, tok); err != nil {
						errs <- fmt.Errorf("operator %d remove %s: %w", o, keys[o][r-1].id, err)
					}
				}
				if o == 1 {
					if _, err := runCountry(t, "set-node", "FR", "--url", fmt.Sprintf("https://fr-%d.example", r+1), m, tok); err != nil {
						errs <- fmt.Errorf("operator 1 set-node: %w", err)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var want []string
	for o := range operators {
		for r, k := range keys[o] {
			if r%2 == 1 {
				want = append(want, k.id) // the even rounds' keys were removed
			}
		}
	}
	slices.Sort(want)
	for _, base := range c.URLs {
		co, err := runCountry(t, "show", "FR", "--member="+base)
		if err != nil {
			t.Fatal(err)
		}
		if got := keyIDs(co); !slices.Equal(got, want) {
			t.Fatalf("via %s: keys %v, want %v", base, got, want)
		}
		if co.NodeURL != fmt.Sprintf("https://fr-%d.example", rounds) || !co.Active {
			t.Fatalf("via %s: node %s active %v, want https://fr-%d.example", base, co.NodeURL, co.Active, rounds)
		}
	}
}

// TestCountryCommand_AddKeyTakesPublicKeys: add-key takes a PEM public
// key, a JWK (Ed25519 and RSA), `twinfed key show`'s JSON and a node's
// private key file (whose public half alone reaches the registry), and
// refuses what is not a key, changing nothing.
func TestCountryCommand_AddKeyTakesPublicKeys(t *testing.T) {
	c := consensustest.MustOpenCluster(t, 1)
	c.MustWaitSeeded(t)
	m, tok := "--member="+c.URLs[0], "--token="+c.AdminToken
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if _, err := runCountry(t, "set-node", "ES", "--url", "https://es.example", m, tok); err != nil {
		t.Fatal(err)
	}

	b64 := base64.RawURLEncoding.EncodeToString
	_, edPub := mustPublicKeyFile(t, dir, "unused-ed", twinfed.KeyEd25519)
	_, rsaPub := mustPublicKeyFile(t, dir, "unused-rsa", twinfed.KeyRSA)
	rp := rsaPub.(*rsa.PublicKey)
	pemFile, _ := mustPublicKeyFile(t, dir, "pem", twinfed.KeyEd25519)
	pemFile2, _ := mustPublicKeyFile(t, dir, "pem2", twinfed.KeyRSA)
	nodeKeyFile := filepath.Join(dir, "node.key")
	var shown bytes.Buffer
	if err := runApp(context.Background(), &shown, &shown, []string{"twinfed", "key", "generate", "--out", nodeKeyFile}); err != nil {
		t.Fatal(err)
	}
	var generated twinfed.NodeKey
	if err := json.Unmarshal(shown.Bytes(), &generated); err != nil {
		t.Fatal(err)
	}
	showFile := filepath.Join(dir, "key-show.json")
	shownKey, _ := mustPublicKeyFile(t, dir, "shown", twinfed.KeyEd25519)
	shownPEM, _ := os.ReadFile(shownKey)
	write("key-show.json", string(mustJSONBytes(t, twinfed.NodeKey{ID: "shown", Algorithm: twinfed.KeyEd25519, PublicPEM: string(shownPEM)})))

	tests := []struct {
		name, file, id string
		wantID, alg    string
	}{
		{"PEM public key with --key-id", pemFile, "pem-1", "pem-1", twinfed.KeyEd25519},
		{"RSA PEM public key without id", pemFile2, "", "", twinfed.KeyRSA},
		{"Ed25519 JWK", write("ed.jwk", fmt.Sprintf(`{"kty":"OKP","crv":"Ed25519","kid":"jwk-ed","x":%q}`, b64(edPub.(ed25519.PublicKey)))), "", "jwk-ed", twinfed.KeyEd25519},
		{"RSA JWK", write("rsa.jwk", fmt.Sprintf(`{"kty":"RSA","kid":"jwk-rsa","n":%q,"e":%q}`, b64(rp.N.Bytes()), b64(big.NewInt(int64(rp.E)).Bytes()))), "", "jwk-rsa", twinfed.KeyRSA},
		{"twinfed key show JSON", showFile, "", "shown", twinfed.KeyEd25519},
		{"the node's private key file", nodeKeyFile, "", generated.ID, twinfed.KeyEd25519},
	}
	m2 := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"add-key", "ES", "--key", tt.file, m, tok}
			if tt.id != "" {
				args = append(args, "--key-id", tt.id)
			}
			if tt.wantID == "" { // the fingerprint
				raw, _ := os.ReadFile(tt.file)
				ks, err := parsePublicKeys(raw, "")
				if err != nil {
					t.Fatal(err)
				}
				tt.wantID = ks[0].ID
			}
			co, err := runCountry(t, args...)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(co.Keys, func(k twinfed.NodeKey) bool { return k.ID == tt.wantID })
			if i < 0 || co.Keys[i].Algorithm != tt.alg {
				t.Fatalf("keys %+v: no %s key %s", co.Keys, tt.alg, tt.wantID)
			}
			if strings.Contains(co.Keys[i].PublicPEM, "PRIVATE") {
				t.Fatal("a private key reached the registry")
			}
			m2[tt.wantID] = true
		})
	}

	before, err := runCountry(t, "show", "ES", m)
	if err != nil {
		t.Fatal(err)
	}
	bad := []struct{ name, content, says string }{
		{"not a key", "hello", "no key found"},
		{"a certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "CERTIFICATE"},
		{"JWK of another curve", `{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}`, "kty \"EC\""},
		{"JWK with a short x", `{"kty":"OKP","crv":"Ed25519","x":"AAAA"}`, "32"},
		{"broken JSON", `{"kty":`, "not valid JSON"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runCountry(t, "add-key", "ES", "--key", write("bad", tt.content), m, tok)
			if err == nil || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("error %v does not say %q", err, tt.says)
			}
		})
	}
	if _, err := runCountry(t, "add-key", "ES", "--key", pemFile, "--key-id", "pem-1", m, tok); err == nil || !strings.Contains(err.Error(), "already lists key pem-1") {
		t.Fatalf("the same key id twice: %v", err)
	}
	after, err := runCountry(t, "show", "ES", m)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keyIDs(before), keyIDs(after)) || after.Version != before.Version {
		t.Fatalf("refused add-keys changed the record: %v (version %d) -> %v (version %d)", keyIDs(before), before.Version, keyIDs(after), after.Version)
	}
	if len(m2) != len(tests) {
		t.Fatalf("keys added: %v", m2)
	}
}

func mustJSONBytes(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
