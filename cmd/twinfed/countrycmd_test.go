package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
)

// TestCountryCommand_KeyRotation walks the key rotation of README's
// operations section through the CLI against a real registry.
func TestCountryCommand_KeyRotation(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 1)
	dir := t.TempDir()
	run := func(args ...string) (twinfed.Country, error) {
		t.Helper()
		var out, errOut bytes.Buffer
		base := []string{"twinfed"}
		err := newApp(&out, &errOut).RunContext(context.Background(), append(base, args...))
		var co twinfed.Country
		if err == nil && out.Len() > 0 {
			if jerr := json.Unmarshal(out.Bytes(), &co); jerr != nil {
				t.Fatalf("%v: output %q: %v", args, out.String(), jerr)
			}
		}
		return co, err
	}
	m, tok := "--member="+cluster.URLs[0], "--token="+cluster.AdminToken
	oldKey, newKey := filepath.Join(dir, "node.key"), filepath.Join(dir, "node.key.next")
	if _, err := run("key", "generate", "--out", oldKey); err != nil {
		t.Fatal(err)
	}
	if _, err := run("key", "generate", "--out", oldKey); err == nil {
		t.Fatal("key generate overwrote an existing key file")
	}
	co, err := run("country", "set-node", m, tok, "--url", "https://it.example", "--agency", "Indire", "IT")
	if err != nil || co.NodeURL != "https://it.example" || co.Agency != "Indire" {
		t.Fatalf("set-node: %+v %v", co, err)
	}
	if co, err = run("country", "add-key", m, tok, "--key", oldKey, "IT"); err != nil || len(co.Keys) != 1 {
		t.Fatalf("add-key: %+v %v", co, err)
	}
	old := co.Keys[0].ID
	if _, err := run("country", "add-key", m, tok, "--key", oldKey, "IT"); err == nil {
		t.Fatal("the same key was added twice")
	}
	// Rotation: the new key is listed beside the old, then the old goes.
	generated, err := readKeyFile(oldKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run("key", "generate", "--out", newKey); err != nil {
		t.Fatal(err)
	}
	nk, _ := readKeyFile(newKey)
	if nk.ID == generated.ID {
		t.Fatalf("two keys share the id %s", nk.ID)
	}
	if co, err = run("country", "add-key", m, tok, "--key", newKey, "IT"); err != nil || len(co.Keys) != 2 {
		t.Fatalf("add the new key: %+v %v", co, err)
	}
	if co, err = run("country", "remove-key", m, tok, "--key-id", old, "IT"); err != nil || len(co.Keys) != 1 || co.Keys[0].ID != nk.ID {
		t.Fatalf("remove the old key: %+v %v", co, err)
	}
	if _, err := run("country", "set-node", "--member="+cluster.URLs[0], "--token=wrong-token-wrong-token", "--url", "https://evil.example", "IT"); err == nil {
		t.Fatal("a wrong admin token changed the registry")
	}
	if co, _ = run("country", "show", m, "IT"); co.NodeURL != "https://it.example" {
		t.Fatalf("after a refused write: %+v", co)
	}
}
