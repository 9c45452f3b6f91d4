package node_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/nodetest"
	"github.com/twinfed/twinfed/node/store"
)

const backupToken = "backup-drill-token-0123456789abcdefghij"

// TestBackup_RestoreDrill is the restore drill of issue 21: a node serves
// writes (members registering, one after another) while an agency
// administrator downloads its backup over the API; the backup is restored
// into a new directory and a node started on it. Every write acknowledged
// before the backup began is there, with the node's key file; the backup
// is refused to a member and to a request without the token; and a
// restore into a directory that holds data is refused.
func TestBackup_RestoreDrill(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "node.key"), []byte("-----BEGIN PRIVATE KEY-----\ntest\n-----END PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The node's second key (federation/signing) sits beside node.key.
	if err := os.WriteFile(filepath.Join(dir, "node.key.rsa"), []byte("-----BEGIN RSA PRIVATE KEY-----\ntest\n-----END RSA PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	n := nodetest.MustOpenNode(t, nodetest.Options{Dir: dir, Token: backupToken})
	// A TwinSpace's file in the node's blob store: it is in the backup too.
	file := []byte("%PDF-1.4 the pupils' water survey")
	ref, err := n.TwinSpaces().Materials.Blobs().Put(context.Background(), bytes.NewReader(file), 1<<20)
	if err != nil {
		t.Fatal(err)
	}

	// Traffic: registrations, each acknowledged (returned) at a time.
	var mu sync.Mutex
	acked := map[string]time.Time{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			user := fmt.Sprintf("drill%d", i)
			seedTeacher(t, n, user, "Drill")
			mu.Lock()
			acked[user] = time.Now()
			mu.Unlock()
		}
	}()
	eventually(t, 10*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(acked) >= 20 }, "20 registrations before the backup")

	get := func(auth string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, n.URL()+"/api/v1/agency/backup", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	for _, auth := range []string{"", "Bearer not-the-token-0123456789abcdefghijklmn"} {
		if resp := get(auth); resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden {
			resp.Body.Close()
			t.Fatalf("backup with Authorization %q: %d, want 401 or 403", auth, resp.StatusCode)
		} else {
			resp.Body.Close()
		}
	}
	member, _ := apiSession(t, n.URL(), "drill0", "correct horse 1")
	if code := member.API("GET", "/api/v1/agency/backup", nil, "", nil); code != http.StatusForbidden {
		t.Fatalf("a member's backup: %d, want 403", code)
	}

	began := time.Now()
	resp := get("Bearer " + backupToken)
	archive := filepath.Join(t.TempDir(), "backup.zip")
	f, _ := os.Create(archive)
	_, err = io.Copy(f, resp.Body)
	resp.Body.Close()
	f.Close()
	if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("backup: %d %s %v", resp.StatusCode, resp.Header.Get("Content-Type"), err)
	}
	time.Sleep(50 * time.Millisecond) // writes go on after the backup too
	close(stop)
	wg.Wait()

	var before []string
	mu.Lock()
	for user, at := range acked {
		if at.Before(began) {
			before = append(before, user)
		}
	}
	total := len(acked)
	mu.Unlock()

	restored := filepath.Join(t.TempDir(), "restored")
	m, err := store.RestoreArchive(archive, restored, store.Options{Migrations: node.Migrations()})
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	if m.Country != "IT" || m.Format != store.FormatVersion {
		t.Errorf("manifest: %+v", m)
	}
	for _, key := range []string{"node.key", "node.key.rsa"} {
		if raw, err := os.ReadFile(filepath.Join(restored, key)); err != nil || !strings.Contains(string(raw), "PRIVATE KEY") {
			t.Errorf("the node's %s was not restored: %v", key, err)
		}
	}
	if raw, err := os.ReadFile(filepath.Join(restored, "blobs", ref.Hash[:2], ref.Hash[2:4], ref.Hash)); err != nil || !bytes.Equal(raw, file) {
		t.Errorf("the blob store's file was not restored: %v", err)
	}
	if _, err := store.RestoreArchive(archive, restored, store.Options{}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("a restore over existing data: %v, want a refusal", err)
	}

	r := nodetest.MustOpenNode(t, nodetest.Options{Dir: restored})
	ctx := context.Background()
	for _, user := range before {
		if _, err := r.Accounts().Member(ctx, user); err != nil {
			t.Errorf("%s, acknowledged before the backup began, is missing after the restore: %v", user, err)
		}
	}
	if b := nodetest.Login(t, r, "drill0", "correct horse 1"); b == nil {
		t.Error("drill0 cannot log in on the restored node")
	}
	t.Logf("%d registrations acknowledged, %d of them before the backup began: all restored", total, len(before))
}
