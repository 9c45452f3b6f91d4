package consensus_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus"
	"github.com/twinfed/twinfed/consensus/consensustest"
)

// childEnv names the variable that makes the test binary run one registry
// member (see TestMain) for the crash test.
const childEnv = "TWINFED_REGISTRY_CHILD"

type childConfig struct {
	NodeID  string           `json:"node_id"`
	DataDir string           `json:"data_dir"`
	Peers   []consensus.Peer `json:"peers"`
}

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(runChild(spec))
	}
	code := m.Run()
	removeBenchBinary()
	os.Exit(code)
}

// runChild runs a member on the listeners passed as fds 3 (Raft) and 4
// (HTTP) until it is killed or its stdin closes.
func runChild(spec string) int {
	var cc childConfig
	if err := json.Unmarshal([]byte(spec), &cc); err != nil {
		fmt.Fprintln(os.Stderr, "child config:", err)
		return 2
	}
	rln, err := net.FileListener(os.NewFile(3, "raft"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "raft listener:", err)
		return 2
	}
	hln, err := net.FileListener(os.NewFile(4, "http"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "http listener:", err)
		return 2
	}
	m, err := consensus.Open(context.Background(), consensus.Config{
		NodeID: cc.NodeID, DataDir: cc.DataDir, RaftListener: rln, HTTPListener: hln,
		RaftAddr: rln.Addr().String(), HTTPAddr: hln.Addr().String(),
		Bootstrap: true, Peers: cc.Peers, AdminToken: consensustest.AdminToken, HoldWrites: 5 * time.Second,
		Raft: consensustest.TestTuning(), Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		return 2
	}
	fmt.Println("READY")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // the parent closes stdin to stop us cleanly
	m.Close()
	return 0
}

type childMember struct {
	cfg      childConfig
	raftAddr string
	httpAddr string
	cmd      *exec.Cmd
	stdin    interface{ Close() error }
}

func (cm *childMember) start(t *testing.T, rln, hln net.Listener) {
	t.Helper()
	var err error
	if rln == nil {
		consensustest.Eventually(t, 10*time.Second, func() bool { rln, err = net.Listen("tcp", cm.raftAddr); return err == nil }, "raft port busy")
		consensustest.Eventually(t, 10*time.Second, func() bool { hln, err = net.Listen("tcp", cm.httpAddr); return err == nil }, "http port busy")
	}
	rf, err := rln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	hf, err := hln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	rln.Close()
	hln.Close()
	spec, _ := json.Marshal(cm.cfg)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(spec))
	cmd.ExtraFiles = []*os.File{rf, hf}
	logf, err := os.OpenFile(filepath.Join(filepath.Dir(cm.cfg.DataDir), cm.cfg.NodeID+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = logf
	out, _ := cmd.StdoutPipe()
	stdin, _ := cmd.StdinPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	rf.Close()
	hf.Close()
	logf.Close()
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "READY\n" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("member %s did not start (see %s.log)", cm.cfg.NodeID, cm.cfg.NodeID)
	}
	cm.cmd, cm.stdin = cmd, stdin
}

func (cm *childMember) kill() {
	if cm.cmd == nil {
		return
	}
	_ = cm.cmd.Process.Signal(syscall.SIGKILL)
	_ = cm.cmd.Wait()
	cm.cmd = nil
}

func (cm *childMember) url() string { return "http://" + cm.httpAddr }

// leaderOfChildren returns the index of the member the cluster says leads.
func leaderOfChildren(members []*childMember) int {
	for _, cm := range members {
		if cm.cmd == nil {
			continue
		}
		resp, err := http.Get(cm.url() + "/v1/cluster/peers")
		if err != nil {
			continue
		}
		var peers []consensus.PeerStatus
		_ = json.NewDecoder(resp.Body).Decode(&peers)
		resp.Body.Close()
		for _, p := range peers {
			if p.Leader {
				for j, o := range members {
					if o.cfg.NodeID == p.ID && o.cmd != nil {
						return j
					}
				}
			}
		}
	}
	return -1
}

// TestCrash_NoAcknowledgedWriteLostOnSIGKILL runs three members as separate
// processes, writes continuously, SIGKILLs the leader and later a
// follower (a minority each time), restarts them, and checks that every
// write that was acknowledged is there, on every member.
func TestCrash_NoAcknowledgedWriteLostOnSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process crash test")
	}
	dir := t.TempDir()
	members := make([]*childMember, 3)
	var rlns, hlns []net.Listener
	var peers []consensus.Peer
	for i := range members {
		rln, _ := net.Listen("tcp", "127.0.0.1:0")
		hln, _ := net.Listen("tcp", "127.0.0.1:0")
		rlns, hlns = append(rlns, rln), append(hlns, hln)
		id := fmt.Sprintf("r%d", i+1)
		peers = append(peers, consensus.Peer{ID: id, RaftAddr: rln.Addr().String(), HTTPURL: "http://" + hln.Addr().String()})
		members[i] = &childMember{cfg: childConfig{NodeID: id, DataDir: filepath.Join(dir, id)}, raftAddr: rln.Addr().String(), httpAddr: hln.Addr().String()}
	}
	t.Cleanup(func() {
		for _, cm := range members {
			cm.kill()
		}
	})
	for i, cm := range members {
		cm.cfg.Peers = peers
		cm.start(t, rlns[i], hlns[i])
	}
	ready := func() bool {
		if leaderOfChildren(members) < 0 {
			return false
		}
		resp, err := http.Get(members[0].url() + "/v1/countries/IT?consistency=consistent")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	consensustest.Eventually(t, 60*time.Second, ready, "the cluster of processes never became ready")

	// A node writes too, through its client: its concurrent writes go in
	// shared batches (POST /v1/batch, one CmdBatch entry each), so members
	// die with batches in flight.
	nodeKey, nodeSigner := MustNodeKey(t)
	admin, err := consensus.OpenClient(context.Background(), consensus.ClientConfig{Members: []string{members[0].url(), members[1].url(), members[2].url()}, AdminToken: consensustest.AdminToken})
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.PutCountry(context.Background(), twinfed.Country{Code: "IT", Agency: "INDIRE", NodeURL: "https://it.example", Keys: []twinfed.NodeKey{nodeKey.NodeKey()}, Active: true}); err != nil {
		t.Fatal(err)
	}
	admin.Close()
	consensustest.Eventually(t, 30*time.Second, func() bool {
		for _, cm := range members {
			resp, err := http.Get(cm.url() + "/v1/hosts/it.example")
			if err != nil {
				return false
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return false
			}
		}
		return true
	}, "the members never learnt the node's key")
	node, err := consensus.OpenClient(context.Background(), consensus.ClientConfig{Members: []string{members[0].url(), members[1].url(), members[2].url()},
		Country: "IT", Signer: nodeSigner, KeyID: twinfed.KeyID(twinfed.AgencyURL("https://it.example")), WriteRetry: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()

	var (
		mu           sync.Mutex
		acked        []string
		batchedAcked int
		stop         = make(chan struct{})
		wg           sync.WaitGroup
	)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				s, err := node.PutSchool(ctx, &twinfed.School{Country: "IT", LegalName: fmt.Sprintf("Scuola %d-%d", w, n), Level: twinfed.LevelPrimary})
				cancel()
				if err == nil {
					mu.Lock()
					acked = append(acked, s.ID)
					batchedAcked++
					mu.Unlock()
				}
			}
		}()
	}
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				base := members[rand.IntN(len(members))].url()
				body, _ := json.Marshal(school("DE", fmt.Sprintf("Schule %d-%d", w, n), ""))
				req, _ := http.NewRequest(http.MethodPost, base+"/v1/schools", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+consensustest.AdminToken)
				resp, err := hc.Do(req)
				if err != nil {
					continue
				}
				var res consensus.WriteResult
				ok := resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&res) == nil && res.School != nil
				resp.Body.Close()
				if ok {
					mu.Lock()
					acked = append(acked, res.School.ID)
					mu.Unlock()
				}
			}
		}()
	}
	pause := func(d time.Duration) { <-time.After(d) } // paces the fault schedule
	for round, pick := range []string{"leader", "follower"} {
		pause(1500 * time.Millisecond)
		var victim int
		consensustest.Eventually(t, 30*time.Second, func() bool { victim = leaderOfChildren(members); return victim >= 0 }, "no leader")
		if pick == "follower" {
			victim = (victim + 1 + round) % 3
		}
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		t.Logf("SIGKILL %s %s after %d acknowledged writes", pick, members[victim].cfg.NodeID, n)
		members[victim].kill()
		pause(2 * time.Second)
		members[victim].start(t, nil, nil)
		consensustest.Eventually(t, 60*time.Second, ready, "the cluster did not recover")
	}
	pause(1500 * time.Millisecond)
	close(stop)
	wg.Wait()
	if len(acked) < 20 || batchedAcked < 20 {
		t.Fatalf("only %d writes (%d of them batched) were acknowledged: the test says nothing", len(acked), batchedAcked)
	}
	t.Logf("%d acknowledged writes, %d of them in batches", len(acked), batchedAcked)

	// Every acknowledged write is there: on the leader (consistent) and,
	// once they caught up, on every member.
	var lastIdx uint64
	for _, cm := range members {
		cl, err := consensus.OpenClient(context.Background(), consensus.ClientConfig{Members: []string{cm.url()}})
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range acked {
			consensustest.Eventually(t, 60*time.Second, func() bool {
				s, idx, err := cl.ConsistentSchool(context.Background(), id)
				if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
					t.Fatalf("acknowledged write %s is lost", id)
				}
				lastIdx = max(lastIdx, idx)
				return err == nil && s.ID == id
			}, "no consistent read of "+id)
		}
		consensustest.Eventually(t, 60*time.Second, func() bool {
			for _, id := range acked {
				if _, err := cl.School(context.Background(), id); err != nil {
					return false
				}
			}
			return true
		}, "member "+cm.cfg.NodeID+" lacks an acknowledged write")
		cl.Close()
	}
}
