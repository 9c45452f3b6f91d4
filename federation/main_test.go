package federation_test

import (
	"bufio"
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/federation"
	"github.com/twinfed/twinfed/federation/signing"
)

// envSender makes the test binary run as a sending node (see senderMain)
// instead of running tests: the SIGKILL test needs the sender in its own
// process.
const envSender = "TWINFED_FEDTEST_SENDER"

func TestMain(m *testing.M) {
	if os.Getenv(envSender) != "" {
		os.Exit(senderMain())
	}
	os.Exit(m.Run())
}

// senderMain is a sending node: Badger in $DIR, the key in $DIR/node.key,
// the registry at $MEMBERS. With $TOTAL > 0 it enqueues that many Follows to
// $DEST and prints QUEUED; otherwise it resumes and prints RESUMED. Then it
// delivers until it is killed.
func senderMain() int {
	env := func(k string) string { return os.Getenv("TWINFED_FEDTEST_" + k) }
	fail := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, "sender: "+format+"\n", args...)
		return 2
	}
	dir, base, dest := env("DIR"), env("BASE"), env("DEST")
	total, _ := strconv.Atoi(env("TOTAL"))
	index, _ := strconv.ParseUint(env("INDEX"), 10, 64)
	raw, err := os.ReadFile(filepath.Join(dir, "node.key"))
	if err != nil {
		return fail("%v", err)
	}
	key, err := signing.ParsePrivatePEM(raw)
	if err != nil {
		return fail("%v", err)
	}
	ctx := context.Background()
	reg, err := consensus.OpenClient(ctx, consensus.ClientConfig{
		Members: strings.Split(env("MEMBERS"), ","), Country: "IT", CacheDir: filepath.Join(dir, "registry"),
		Logger: testLogger(), FeedWait: 5 * time.Second,
	})
	if err != nil {
		return fail("registry: %v", err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := reg.WaitIndex(wctx, index); err != nil {
		return fail("registry cache: %v", err)
	}
	db, err := badger.Open(badger.DefaultOptions(filepath.Join(dir, "db")).WithLogger(nil).WithMemTableSize(16 << 20))
	if err != nil {
		return fail("badger: %v", err)
	}
	out, err := federation.NewOutbox(federation.OutboxConfig{
		BaseURL: base, Key: key, DB: db, Keys: reg,
		Settings: testSettings(), Logger: testLogger(), Metrics: prometheus.NewRegistry(),
	})
	if err != nil {
		return fail("federation: %v", err)
	}
	out.Start(ctx)
	if total > 0 {
		for i := 0; i < total; i += 100 {
			err := out.Update(func(txn *badger.Txn) error {
				for j := i; j < min(i+100, total); j++ {
					a := &twinfed.Activity{
						ID: twinfed.ActivityURL(base, fmt.Sprintf("k-%05d", j)), Type: twinfed.ActivityFollow,
						Actor: twinfed.ActorURL(base, fmt.Sprintf("m%d", j%23)), To: []string{twinfed.ActorURL(dest, "claire")},
						Object: twinfed.ActorURL(dest, "claire"),
					}
					if err := out.Enqueue(txn, a); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return fail("enqueue: %v", err)
			}
		}
		fmt.Println("QUEUED")
	} else {
		fmt.Println("RESUMED")
	}
	select {} // deliver until killed
}

// startSender runs senderMain in a child process and waits for its ready line.
func startSender(tb testing.TB, env []string, ready string) *exec.Cmd {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
	}()
	select {
	case l := <-lines:
		if l != ready {
			tb.Fatalf("sender said %q, want %q", l, ready)
		}
	case <-time.After(60 * time.Second):
		tb.Fatalf("sender not %s after 60s", ready)
	}
	return cmd
}

// closedGate answers 503 while closed is set.
type closedGate struct{ closed atomic.Bool }

func (g *closedGate) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && g.closed.Load() {
			http.Error(w, "closed for the test", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// TestDelivery_SenderKilledResumes fills a sending node's queue while the
// destination refuses (503), lets deliveries start, SIGKILLs the sender
// mid-delivery, restarts it on the same data: every activity arrives, and
// each is applied exactly once.
func TestDelivery_SenderKilledResumes(t *testing.T) {
	const total = 2000
	cluster := consensustest.MustOpenCluster(t, 1)
	nodes := mustReserveNodes(t, cluster, "IT", "FR")
	it, fr := nodes[0], nodes[1]
	it.ln.Close() // the sender only sends
	gate := &closedGate{}
	gate.closed.Store(true)
	fr.Wrap = gate.wrap
	fr.mustStart(t)

	dir := t.TempDir()
	der, err := x509.MarshalPKCS8PrivateKey(it.Key.Private)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Headers: map[string]string{"Key-Id": it.Key.ID}, Bytes: der})
	if err := os.WriteFile(filepath.Join(dir, "node.key"), keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{
		envSender + "=1",
		"TWINFED_FEDTEST_DIR=" + dir,
		"TWINFED_FEDTEST_BASE=" + it.Base,
		"TWINFED_FEDTEST_DEST=" + fr.Base,
		"TWINFED_FEDTEST_MEMBERS=" + strings.Join(cluster.URLs, ","),
		"TWINFED_FEDTEST_INDEX=" + strconv.FormatUint(cluster.Leader().AppliedIndex(), 10),
	}
	sender := startSender(t, append(env, "TWINFED_FEDTEST_TOTAL="+strconv.Itoa(total)), "QUEUED")
	if n := fr.Rec.countApplied(); n != 0 {
		t.Fatalf("%d applied while the gate was closed", n)
	}
	gate.closed.Store(false)
	eventually(t, 60*time.Second, func() bool { return fr.Rec.countApplied() >= 100 }, "deliveries did not start")
	if err := sender.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	sender.Wait()
	atKill := fr.Rec.countApplied()
	t.Logf("sender killed with %d of %d applied", atKill, total)
	if atKill >= total {
		t.Fatalf("the queue drained before the kill; the test proves nothing")
	}

	startSender(t, append(env, "TWINFED_FEDTEST_TOTAL=0"), "RESUMED")
	eventually(t, 120*time.Second, func() bool { return fr.Rec.countApplied() >= total }, "only %d of %d applied after the restart", fr.Rec.countApplied(), total)
	applied, calls := fr.Rec.applied(t), fr.Rec.calls(t)
	if len(applied) != total {
		t.Fatalf("applied %d, want %d", len(applied), total)
	}
	for j := range total {
		id := twinfed.ActivityURL(it.Base, fmt.Sprintf("k-%05d", j))
		if applied[id] == nil {
			t.Fatalf("%s lost", id)
		}
		if calls[id] != 1 {
			t.Fatalf("%s handed to the handler %d times", id, calls[id])
		}
	}
	t.Logf("replays (re-deliveries of activities delivered just before the kill): %v",
		metricValue(t, fr.Metrics, "twinfed_federation_inbox_total", map[string]string{"outcome": federation.InboxReplay}))
}
