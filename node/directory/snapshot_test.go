package directory_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/directory"
	"github.com/twinfed/twinfed/node/mail"
	"github.com/twinfed/twinfed/node/outbox"
	"github.com/twinfed/twinfed/node/store"
)

// logBuffer is a slog handler's output, safe for the indexer's goroutine.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startDirectory opens a directory on db with its data directory data,
// and waits until its index has caught up with the store.
func startDirectory(t *testing.T, db *store.Store, data string) (*directory.Service, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	dir, err := directory.New(directory.Config{BaseURL: base}, directory.Deps{Store: db, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := account.New(account.Config{Country: "IT", BaseURL: base}, account.Deps{Store: db, Mailer: &mail.Spool{Dir: t.TempDir()},
		Directory: dir, Activities: outbox.NewActivities(base, nil, nil)})
	if err != nil {
		t.Fatal(err)
	}
	dir.SetMembers(acc)
	if err := dir.Open(filepath.Join(data, "directory")); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); dir.DirectoryBacklog() != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the index did not catch up: backlog %d", dir.DirectoryBacklog())
		}
	}
	return dir, logs
}

func putProfiles(t *testing.T, db *store.Store, dir *directory.Service, from, to int, subject string) {
	t.Helper()
	err := db.Update(func(txn *badger.Txn) error {
		for i := from; i < to; i++ {
			p := &twinfed.Profile{ID: fmt.Sprintf("https://fr.example/users/t%d", i), Username: fmt.Sprintf("t%d", i), Country: "FR",
				Name: fmt.Sprintf("Teacher Number%d", i), Subjects: []string{subject}, Updated: time.Now().Add(time.Duration(i) * time.Second)}
			if err := dir.Put(txn, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	dir.Wake()
}

// found is the directory's answer to a search of subject: the total and
// the first page.
func found(t *testing.T, dir *directory.Service, subject string) (int, []string) {
	t.Helper()
	page, err := dir.SearchDirectory(context.Background(), &twinfed.Principal{Username: "v", Role: twinfed.RoleMember, Status: twinfed.StatusValidated},
		directory.DirectoryQuery{Subject: subject, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range page.Profiles {
		ids = append(ids, p.ID)
	}
	return page.Total, ids
}

// TestSnapshot_NextStartReadsIt stops a directory cleanly and starts it
// again on the same store: the index comes from the snapshot, answers as
// before, and takes the changes written after the stop; the snapshot is
// used once. A start whose store does not name the file (a crash, a
// restored backup) builds the index from the store.
func TestSnapshot_NextStartReadsIt(t *testing.T) {
	db, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	data := t.TempDir()
	dir, _ := startDirectory(t, db, data)
	putProfiles(t, db, dir, 0, 300, "music")
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if n, _ := found(t, dir, "music"); n == 300 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the profiles were not indexed")
		}
	}
	wantTotal, wantIDs := found(t, dir, "music")
	if err := dir.Close(); err != nil {
		t.Fatal(err)
	}
	snapshot := filepath.Join(data, "directory.snapshot")
	if _, err := os.Stat(snapshot); err != nil {
		t.Fatalf("no snapshot after a clean stop: %v", err)
	}
	// Written after the stop: a marker waits for the next start.
	putProfiles(t, db, dir, 300, 310, "art")

	dir, logs := startDirectory(t, db, data)
	if !strings.Contains(logs.String(), "index read from its snapshot") {
		t.Fatalf("the start did not read the snapshot:\n%s", logs)
	}
	if total, ids := found(t, dir, "music"); total != wantTotal || !slices.Equal(ids, wantIDs) {
		t.Fatalf("after the snapshot: %d %v, want %d %v", total, ids, wantTotal, wantIDs)
	}
	if total, _ := found(t, dir, "art"); total != 10 {
		t.Fatalf("changes after the stop: %d found, want 10", total)
	}
	if _, err := os.Stat(snapshot); !os.IsNotExist(err) {
		t.Fatalf("the snapshot was kept after its use: %v", err)
	}
	if err := dir.Close(); err != nil {
		t.Fatal(err)
	}

	// The store forgets the token (as after a crash, or a backup restored
	// beside a newer file): the file is not used.
	if err := db.Update(func(txn *badger.Txn) error { return txn.Delete([]byte(store.KeyDirSnapshot)) }); err != nil {
		t.Fatal(err)
	}
	dir, logs = startDirectory(t, db, data)
	defer dir.Close()
	if log := logs.String(); strings.Contains(log, "index read from its snapshot") || !strings.Contains(log, "index built") {
		t.Fatalf("a snapshot the store does not name was used:\n%s", log)
	}
	if total, _ := found(t, dir, "music"); total != wantTotal {
		t.Fatalf("after a build: %d found, want %d", total, wantTotal)
	}
	if total, _ := found(t, dir, "art"); total != 10 {
		t.Fatalf("after a build: %d art found, want 10", total)
	}
}
