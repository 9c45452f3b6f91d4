package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/config"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/node/nodetest"
)

const testAdminToken = "cmd-test-agency-token-0123456789abcdef"

// TestNodeMain_EndToEnd runs a node through the same wiring as `twinfed
// node serve` (registry client, federation, store, HTTP) against a real
// registry cluster, registers a member through the API, and works the
// agency's queue with the `twinfed admin` CLI.
func TestNodeMain_EndToEnd(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 3)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	dir := t.TempDir()
	cfg := config.DefaultNode()
	cfg.Country, cfg.BaseURL, cfg.DataDir, cfg.HTTPAddr = "IT", base, dir, ln.Addr().String()
	cfg.Registry = cluster.URLs
	cfg.Agency.APIToken = testAdminToken
	cfg.MetricsAddr = "127.0.0.1:0"                                                             // its own listener, as in production
	cfg.Accounts.ArgonTime, cfg.Accounts.ArgonMemoryKiB, cfg.Accounts.ArgonThreads = 1, 1024, 1 // cheap, for tests only
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	m := &nodeMain{Config: cfg, Logger: consensustest.Logger(), Listener: ln}
	ctx := context.Background()
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	cluster.MustRegisterNode(t, "IT", base, m.NodeKey())

	// /metrics is on its own address, not on the public one; /readyz
	// answers once the registry cache has caught up.
	for _, tc := range []struct {
		url  string
		want int
	}{{base + "/metrics", http.StatusNotFound}, {"http://" + m.Node().MetricsAddr() + "/metrics", http.StatusOK}, {base + "/readyz", http.StatusOK}} {
		resp, err := http.Get(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want || (tc.want == 200 && strings.HasSuffix(tc.url, "/metrics") && !bytes.Contains(body, []byte("twinfed_node_password_hashes_running"))) {
			t.Errorf("GET %s: %d, want %d", tc.url, resp.StatusCode, tc.want)
		}
	}

	// A member registers through the JSON API, proposing a school.
	c := &http.Client{Timeout: 30 * time.Second}
	jar := newJar()
	call := func(method, path string, body any, csrf string) (int, map[string]any) {
		t.Helper()
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		jar.add(req)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		jar.keep(resp)
		var out map[string]any
		b, _ := io.ReadAll(resp.Body)
		_ = json.Unmarshal(b, &out)
		return resp.StatusCode, out
	}
	if code, out := call("POST", "/api/v1/registrations", map[string]string{"first_name": "Sara", "last_name": "Galli", "email": "sara@scuola.it", "email_confirm": "sara@scuola.it",
		"username": "sara", "password": "correct horse 1", "password_confirm": "correct horse 1"}, ""); code != 201 {
		t.Fatalf("register: %d %v", code, out)
	}
	token := spooledToken(t, filepath.Join(dir, "mail-spool"), "sara@scuola.it")
	code, out := call("POST", "/api/v1/registrations/confirm", map[string]string{"token": token}, "")
	if code != 200 {
		t.Fatalf("confirm: %d %v", code, out)
	}
	csrf := out["csrf_token"].(string)
	for _, s := range []struct {
		method, path string
		body         any
	}{
		{"PUT", "/api/v1/me/registration/school", map[string]any{"proposal": map[string]any{"legal_name": "Liceo Sara", "city": "Bari", "region": "Puglia", "level": "upper_secondary", "institution": "state", "national_number": "BAPS0099"}}},
		{"PUT", "/api/v1/me/registration/role", map[string]string{"role": "teacher"}},
		{"PUT", "/api/v1/me/registration/preferences", map[string]any{"languages": []string{"it"}, "pupil_ages": []int{16}, "subjects": []string{"history"}, "public": []string{"school"}}},
		{"POST", "/api/v1/me/registration/submit", nil},
	} {
		if code, out := call(s.method, s.path, s.body, csrf); code != 200 {
			t.Fatalf("%s %s: %d %v", s.method, s.path, code, out)
		}
	}

	// The agency works the queues with the CLI.
	admin := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		argv := append([]string{"twinfed", "admin", "--node", base, "--token", testAdminToken}, args...)
		if err := newApp(&stdout, &stderr).RunContext(ctx, argv); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr.String())
		}
		return stdout.String()
	}
	if out := admin("members"); !strings.Contains(out, "sara") || !strings.Contains(out, "Liceo Sara (proposed)") {
		t.Fatalf("members:\n%s", out)
	}
	out2 := admin("schools")
	id := regexp.MustCompile(`(?m)^([0-9a-f]{24})\s+Liceo Sara`).FindStringSubmatch(out2)
	if id == nil {
		t.Fatalf("schools:\n%s", out2)
	}
	// A registry write can come back "may or may not have been applied"
	// when leadership moves; the node's validation converges on a retry.
	consensustest.Eventually(t, 60*time.Second, func() bool {
		var stdout, stderr bytes.Buffer
		err := newApp(&stdout, &stderr).RunContext(ctx, []string{"twinfed", "admin", "--node", base, "--token", testAdminToken, "validate-school", id[1]})
		if err != nil {
			t.Logf("validate-school: %v (retrying)", err)
		}
		return err == nil
	}, "validate-school never succeeded")
	reg := cluster.AdminClient(t)
	consensustest.Eventually(t, 30*time.Second, func() bool {
		list, _, err := reg.FindSchools(ctx, twinfed.SchoolFilter{Country: "IT", NationalNumber: "BAPS0099"})
		return err == nil && len(list) == 1 && list[0].Status == twinfed.SchoolValidated
	}, "the school validated through the CLI is not in the registry")
	admin("validate-member", "sara")
	// The federation's queue, through the node's agency API.
	if out := admin("federation", "status", "--json"); !strings.HasPrefix(strings.TrimSpace(out), "[") {
		t.Fatalf("federation status:\n%s", out)
	}
	if out := admin("stats"); !strings.Contains(out, "validated") || !strings.Contains(out, "Puglia") {
		t.Fatalf("stats:\n%s", out)
	}
	if out := admin("export-csv"); !strings.HasPrefix(out, "username,") || !strings.Contains(out, "sara,Sara,Galli,sara@scuola.it,validated") {
		t.Fatalf("csv:\n%s", out)
	}
	// An online backup with the CLI, restored into a new directory with the
	// node's key (the node keeps serving meanwhile).
	archive, restored := filepath.Join(t.TempDir(), "it.zip"), filepath.Join(t.TempDir(), "it")
	for _, argv := range [][]string{
		{"twinfed", "node", "backup", "--node", base, "--token", testAdminToken, "--out", archive},
		{"twinfed", "node", "restore", "--from", archive, "--data-dir", restored},
	} {
		var stdout, stderr bytes.Buffer
		if err := newApp(&stdout, &stderr).RunContext(ctx, argv); err != nil {
			t.Fatalf("%v: %v\n%s", argv[1:3], err, stderr.String())
		}
	}
	if raw, err := os.ReadFile(filepath.Join(restored, "node.key")); err != nil || !bytes.Contains(raw, []byte("PRIVATE KEY")) {
		t.Fatalf("the restored data directory has no node.key: %v", err)
	}
	var stderr bytes.Buffer
	err = newApp(io.Discard, &stderr).RunContext(ctx, []string{"twinfed", "admin", "--node", base, "--token", "wrong-token", "stats"})
	if err == nil || !strings.Contains(err.Error(), "Log in first") {
		t.Fatalf("wrong token: %v", err)
	}

	// The federation is mounted: an ActivityPub client gets the actor.
	req, _ := http.NewRequest("GET", base+"/users/sara", nil)
	req.Header.Set("Accept", "application/activity+json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"preferredUsername":"sara"`) && !strings.Contains(string(body), `"preferredUsername": "sara"`) {
		t.Fatalf("actor: %d %s", resp.StatusCode, body)
	}
	if strings.Contains(string(body), "sara@scuola.it") {
		t.Fatal("the actor leaks the e-mail")
	}

	// NodeInfo counts the node's validated members: sara.
	resp, err = c.Get(base + "/nodeinfo/2.1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	var ni struct {
		Usage struct{ Users struct{ Total int } }
	}
	if err := json.Unmarshal(body, &ni); err != nil || resp.StatusCode != 200 || ni.Usage.Users.Total != 1 {
		t.Fatalf("nodeinfo: %d %s", resp.StatusCode, body)
	}
}

func spooledToken(t *testing.T, dir, to string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	re := regexp.MustCompile(`token=([A-Za-z0-9_-]+)`)
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		if strings.Contains(string(raw), "To: "+to) {
			if m := re.FindStringSubmatch(nodetest.ParseMail(t, raw).Text); m != nil {
				return m[1]
			}
		}
	}
	t.Fatalf("no mail to %s in %s", to, dir)
	return ""
}

// jar keeps the session cookie between API calls.
type cookieJar struct{ cookies map[string]*http.Cookie }

func newJar() *cookieJar { return &cookieJar{cookies: map[string]*http.Cookie{}} }

func (j *cookieJar) add(r *http.Request) {
	for _, c := range j.cookies {
		r.AddCookie(c)
	}
}

func (j *cookieJar) keep(resp *http.Response) {
	for _, c := range resp.Cookies() {
		j.cookies[c.Name] = c
	}
}
