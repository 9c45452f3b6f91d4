package node_test

import (
	"context"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/directory"
	"github.com/twinfed/twinfed/node/project"
	"github.com/twinfed/twinfed/node/store"
)

// A data directory written by an earlier version of the node is kept in
// testdata/ and opened by this one: what members stored before an upgrade
// must read the same after it. TestDataDir_Write wrote it (see its doc);
// write a new one beside it (never over it) when the stored format
// changes, and keep the old ones.

// dataDirV1 was written by the node as of commit 2a35610 (6 Dec 2026), before it was
// split into feature packages.
const dataDirV1 = "testdata/datadir-v1"

// dataDirBase is the fixed public URL of the node that wrote the data
// directory: actor and project ids carry it.
const dataDirBase = "http://it.fixture.twinfed.test"

// openDataDirNode opens a node on dir at dataDirBase; prover, when not
// nil, is its outbox and proof signer.
func openDataDirNode(tb testing.TB, dir string, prover *localOnlyProver) *node.Node {
	tb.Helper()
	o := node.Options{
		Dir: dir, Addr: "127.0.0.1:0", BaseURL: dataDirBase,
		Service: node.Config{Country: "IT", AgencyName: "Indire", Policy: twinfed.ItalianEligibility(), Hash: testHash, LoginAttempts: 3, LoginWindow: time.Minute},
		Server:  node.ServerConfig{Languages: []string{"it", "en"}},
		Metrics: prometheus.NewRegistry(),
	}
	if prover != nil {
		o.Outbox, o.Prover = prover, prover
	}
	n, err := node.Open(context.Background(), o)
	if err != nil {
		tb.Fatalf("open node on %s: %v", dir, err)
	}
	tb.Cleanup(func() { n.Close() })
	return n
}

// TestDataDir_Write writes the data directory that TestDataDir_ReadsV1
// reads, when TWINFED_WRITE_DATADIR names an empty directory (it is skipped
// otherwise): three teachers of one node, contacts, a follow, messages, an
// approved project with a TwinSpace post, the agency's staff.
func TestDataDir_Write(t *testing.T) {
	dir := os.Getenv("TWINFED_WRITE_DATADIR")
	if dir == "" {
		t.Skip("TWINFED_WRITE_DATADIR is not set")
	}
	writeDataDir(t, openDataDirNode(t, dir, &localOnlyProver{TB: t, Base: dataDirBase}))
}

func writeDataDir(t *testing.T, n *node.Node) {
	ctx := context.Background()
	anna, annaURL := seedTeacher(t, n, "anna", "Anna")
	bruno, brunoURL := seedTeacher(t, n, "bruno", "Bruno")
	carla, _ := seedTeacher(t, n, "carla", "Carla")
	seedStaff(t, n, "officer", twinfed.RoleAgencyOfficer)
	p := nationalProject(t, n, anna, annaURL, brunoURL)
	if _, err := n.TwinSpaces().Core.PostUpdate(ctx, bruno, p.ID, "Our first recordings are in.", false); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Social().SendMessage(ctx, anna, brunoURL, "Ciao Bruno, see you in the TwinSpace."); err != nil {
		t.Fatal(err)
	}
	if err := n.Social().FollowMember(ctx, carla, annaURL); err != nil {
		t.Fatal(err)
	}
}

// TestDataDir_ReadsV1 opens a copy of dataDirV1 and reads everything it
// holds through the service and the web UI.
func TestDataDir_ReadsV1(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(dataDirV1)); err != nil {
		t.Fatal(err)
	}
	// Badger refuses files it cannot write.
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil {
			mode := os.FileMode(0o600)
			if d.IsDir() {
				mode = 0o700
			}
			err = os.Chmod(p, mode)
		}
		return err
	})
	n := openDataDirNode(t, dir, nil)
	// The v1 store recorded no format version: Open migrated it.
	if v, err := store.Format(n.Store().DB()); v != store.FormatVersion || err != nil {
		t.Errorf("the v1 store's format after Open: %d %v, want %d", v, err, store.FormatVersion)
	}
	ctx := context.Background()
	anna := &twinfed.Principal{Username: "anna", Role: twinfed.RoleMember, Status: twinfed.StatusValidated}
	bruno := &twinfed.Principal{Username: "bruno", Role: twinfed.RoleMember, Status: twinfed.StatusValidated}
	annaURL, brunoURL, carlaURL := dataDirBase+"/users/anna", dataDirBase+"/users/bruno", dataDirBase+"/users/carla"

	m, err := n.Accounts().Member(ctx, "anna")
	if err != nil || m.Email != "anna@scuola.it" || m.Status != twinfed.StatusValidated || len(m.Schools) != 1 || m.Schools[0].SchoolID != "it-anna" {
		t.Fatalf("member anna: %+v %v", m, err)
	}
	if ok, err := n.Social().IsContact(ctx, "anna", brunoURL); !ok || err != nil {
		t.Fatalf("anna and bruno are no longer contacts: %v %v", ok, err)
	}
	if rel := n.Social().RelationTo(ctx, anna, carlaURL); rel == nil || !rel.Follower {
		t.Fatalf("carla's follow of anna: %+v", rel)
	}
	_, msgs, err := n.Social().ConversationWith(ctx, bruno, annaURL, 10)
	if err != nil || len(msgs) != 1 || !strings.Contains(msgs[0].Content, "see you in the TwinSpace") {
		t.Fatalf("bruno's conversation with anna: %+v %v", msgs, err)
	}
	mine, err := n.Projects().MyProjects(ctx, anna)
	if err != nil || len(mine.Approved) != 1 {
		t.Fatalf("anna's projects: %+v %v", mine, err)
	}
	proj := mine.Approved[0]
	if proj.State != twinfed.ProjectApproved || len(proj.Partners) != 2 || proj.Title != "Our town's rivers" {
		t.Fatalf("the project: %+v", proj)
	}
	v, err := n.TwinSpaces().Core.OpenView(ctx, anna, proj.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := n.TwinSpaces().Core.Board(ctx, v, 20)
	if err != nil || len(ts.Updates) != 1 || !strings.Contains(ts.Updates[0].Content, "first recordings") {
		t.Fatalf("the TwinSpace: %+v %v", ts, err)
	}
	if ns, err := n.Social().Notifications(ctx, bruno, 20); err != nil || len(ns) == 0 {
		t.Fatalf("bruno's notifications: %d %v", len(ns), err)
	}
	if pg, err := n.Directory().SearchDirectory(ctx, anna, directory.DirectoryQuery{Text: "bruno"}); err != nil || pg.Total != 1 {
		t.Fatalf("directory search for bruno: %+v %v", pg, err)
	}
	<-n.Projects().ProjectIndexBuilt()
	if pg, err := n.Projects().SearchProjects(ctx, anna, project.ProjectQuery{Text: "rivers"}); err != nil || pg.Total != 1 {
		t.Fatalf("project search for rivers: %+v %v", pg, err)
	}

	// The stored password hash still logs in, through the web form.
	b := newBrowser(t, "http://"+n.Addr())
	if code, _, _ := b.Form("/login", "/login", url.Values{"username": {"anna"}, "password": {"correct horse 1"}}); code != http.StatusSeeOther {
		t.Fatalf("login as anna: %d\n%s", code, b.Last)
	}
	if code, body := b.Get("/projects/view?id=" + url.QueryEscape(proj.ID)); code != http.StatusOK || !strings.Contains(body, "Our town") {
		t.Fatalf("the project's card: %d\n%s", code, body)
	}
	// Its subjects read as ids and show by name; its dates are written in
	// the reader's language.
	if !slices.Equal(m.Subjects, twinfed.SubjectList{"music"}) {
		t.Fatalf("anna's subjects: %q", m.Subjects)
	}
	if _, body, _ := b.GetLang("/users/anna", "it"); !strings.Contains(body, "Musica") || strings.Contains(body, "subject.") {
		t.Fatalf("anna's profile in Italian:\n%s", body)
	}
	if _, body, _ := b.GetLang("/projects/view?id="+url.QueryEscape(proj.ID), "it"); !strings.Contains(body, italianMonths[proj.Created.Month()-1]) || isoDate.MatchString(body) {
		t.Fatalf("the project's card in Italian:\n%s", body)
	}
}
