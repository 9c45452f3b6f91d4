package node_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/account"
)

const childEnv = "TWINFED_NODE_CRASH_CHILD"

// TestCrash_SIGKILL runs the node as a separate process, registers members
// concurrently over HTTP, kills the process with SIGKILL while requests are
// in flight, reopens the data directory and checks that every registration
// the node acknowledged (201) is there.
func TestCrash_SIGKILL(t *testing.T) {
	if dir := os.Getenv(childEnv); dir != "" {
		runCrashChild(t, dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrash_SIGKILL$", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			cmd.Process.Kill()
		}
		cmd.Wait()
	})
	base := ""
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "NODE_URL="); ok {
			base = u
			break
		}
	}
	if base == "" {
		t.Fatal("the child node did not start")
	}
	go func() {
		for sc.Scan() {
		}
	}()

	var mu sync.Mutex
	var acked []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second}
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				user := fmt.Sprintf("crash%d-%d", w, i)
				body := fmt.Sprintf(`{"first_name":"A","last_name":"B","email":"%s@scuola.it","email_confirm":"%s@scuola.it","username":"%s","password":"correct horse 1","password_confirm":"correct horse 1"}`, user, user, user)
				resp, err := client.Post(base+"/api/v1/registrations", "application/json", strings.NewReader(body))
				if err != nil {
					return // the node is gone
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusCreated {
					mu.Lock()
					acked = append(acked, user)
					mu.Unlock()
				}
			}
		}()
	}
	eventually(t, 60*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(acked) >= 80 }, "registrations were not acknowledged")
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed = true
	cmd.Wait()
	close(stop)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	n := MustOpenNode(t, nodeOpts{dir: dir})
	ctx := context.Background()
	for _, u := range acked {
		m, err := n.Accounts().Member(ctx, u)
		if err != nil || m.Status != twinfed.StatusUnconfirmed {
			t.Fatalf("acknowledged registration %s lost after SIGKILL: %v", u, err)
		}
	}
	t.Logf("%d acknowledged registrations survived SIGKILL", len(acked))
	// The restarted node keeps working: the same usernames are taken.
	if _, err := n.Accounts().PreRegister(ctx, account.PreRegistration{FirstName: "A", LastName: "B", Email: "new@scuola.it", EmailConfirm: "new@scuola.it", Username: acked[0], Password: "correct horse 1", PasswordConfirm: "correct horse 1"}); twinfed.ErrorCode(err) != twinfed.ECONFLICT {
		t.Fatalf("duplicate after restart: %v", err)
	}
}

// runCrashChild serves a node on dir until the parent kills it.
func runCrashChild(t *testing.T, dir string) {
	n, err := node.Open(context.Background(), node.Options{Dir: dir, Addr: "127.0.0.1:0",
		Service: node.Config{Country: "IT", Policy: twinfed.ItalianEligibility(), Hash: testHash}})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("NODE_URL=%s\n", n.URL())
	os.Stdout.Sync()
	json.NewEncoder(os.Stdout).Encode(map[string]string{"status": "serving"})
	<-make(chan struct{}) // until SIGKILL
}
