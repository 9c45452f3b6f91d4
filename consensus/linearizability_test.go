package consensus_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus"
	"github.com/twinfed/twinfed/consensus/consensustest"
)

// cutter cuts one member off from Raft traffic, both ways: it wraps the
// member's Raft listener (inbound) and dialer (outbound).
type cutter struct {
	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]bool
}

func newCutter() *cutter { return &cutter{conns: map[net.Conn]bool{}} }

func (c *cutter) track(conn net.Conn) net.Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cut {
		conn.Close()
		return nil
	}
	c.conns[conn] = true
	return conn
}

// Sever closes every Raft connection of the member and refuses new ones.
func (c *cutter) Sever() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cut = true
	for conn := range c.conns {
		conn.Close()
	}
	c.conns = map[net.Conn]bool{}
}

// Heal lets Raft traffic through again.
func (c *cutter) Heal() {
	c.mu.Lock()
	c.cut = false
	c.mu.Unlock()
}

func (c *cutter) Dial(address string, timeout time.Duration) (net.Conn, error) {
	conn, err := net.DialTimeout("tcp", address, timeout)
	if err != nil {
		return nil, err
	}
	if conn = c.track(conn); conn == nil {
		return nil, errors.New("cut off")
	}
	return conn, nil
}

type cutListener struct {
	net.Listener
	c *cutter
}

func (l cutListener) Accept() (net.Conn, error) {
	for {
		conn, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if conn = l.c.track(conn); conn != nil {
			return conn, nil
		}
	}
}

// The register model: each school's city is a register.
type regInput struct {
	Write bool
	Key   int
	Value string
}

type regOutput struct {
	Value   string
	Unknown bool // a write whose outcome is unknown
}

var registerModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		by := map[int][]porcupine.Operation{}
		for _, op := range history {
			k := op.Input.(regInput).Key
			by[k] = append(by[k], op)
		}
		var out [][]porcupine.Operation
		for _, ops := range by {
			out = append(out, ops)
		}
		return out
	},
	Init: func() any { return "init" },
	Step: func(state, input, output any) (bool, any) {
		in := input.(regInput)
		if in.Write {
			return true, in.Value
		}
		return output.(regOutput).Value == state.(string), state
	},
	Equal: func(a, b any) bool { return a == b },
	DescribeOperation: func(input, output any) string {
		in := input.(regInput)
		if in.Write {
			return fmt.Sprintf("put(%d, %q)", in.Key, in.Value)
		}
		return fmt.Sprintf("get(%d) → %q", in.Key, output.(regOutput).Value)
	},
}

func TestLinearizability_ModelCatchesAStaleRead(t *testing.T) {
	history := []porcupine.Operation{
		{ClientId: 0, Input: regInput{Write: true, Key: 0, Value: "a"}, Call: 0, Output: regOutput{}, Return: 10},
		{ClientId: 0, Input: regInput{Write: true, Key: 0, Value: "b"}, Call: 20, Output: regOutput{}, Return: 30},
		{ClientId: 1, Input: regInput{Key: 0}, Call: 40, Output: regOutput{Value: "a"}, Return: 50},
	}
	if porcupine.CheckOperations(registerModel, history) {
		t.Fatal("the checker accepted a stale read")
	}
	// A write of unknown outcome may take effect at any time after its call.
	history[1].Return = 1 << 62
	if !porcupine.CheckOperations(registerModel, history) {
		t.Fatal("the checker refused a history where the unknown write is not yet applied")
	}
}

// TestLinearizability_ConsistentReadsUnderFailures runs concurrent clients
// writing and reading (consistency=consistent) through the HTTP API of
// random members while the leader is stopped and restarted and a member is
// cut off from Raft traffic, and checks the history with porcupine.
func TestLinearizability_ConsistentReadsUnderFailures(t *testing.T) {
	cutters := []*cutter{newCutter(), newCutter(), newCutter()}
	c := consensustest.MustOpenClusterWith(t, 3, func(i int, cfg *consensus.Config) {
		cfg.RaftListener = cutListener{cfg.RaftListener, cutters[i]}
		cfg.RaftDial = cutters[i].Dial
		cfg.HoldWrites = 4 * time.Second
	})
	const keys = 3
	regs := make([]twinfed.School, keys)
	for k := range regs {
		s := school("IT", fmt.Sprintf("Register %d", k), "")
		s.City = "init"
		regs[k] = s
	}
	regs = c.MustImportSchools(t, regs...)

	var (
		mu      sync.Mutex
		history []porcupine.Operation
		stop    = make(chan struct{})
		wg      sync.WaitGroup
		start   = time.Now()
		counts  = map[string]int{}
	)
	now := func() int64 { return int64(time.Since(start)) }
	record := func(op porcupine.Operation, kind string) {
		mu.Lock()
		history = append(history, op)
		counts[kind]++
		mu.Unlock()
	}
	const never = int64(1) << 62
	for client := 0; client < 4; client++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc := &http.Client{Timeout: 8 * time.Second, Transport: &http.Transport{}}
			rng := rand.New(rand.NewPCG(uint64(client), 7))
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				k := rng.IntN(keys)
				base := c.URLs[rng.IntN(len(c.URLs))]
				call := now()
				if rng.IntN(2) == 0 {
					v := fmt.Sprintf("c%d-%d", client, n)
					s := regs[k]
					s.City = v
					body, _ := json.Marshal(s)
					req, _ := http.NewRequest(http.MethodPut, base+"/v1/schools/"+s.ID, bytes.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+c.AdminToken)
					resp, err := hc.Do(req)
					in := regInput{Write: true, Key: k, Value: v}
					switch {
					case err != nil:
						var op *net.OpError
						if errors.As(err, &op) && op.Op == "dial" {
							record(porcupine.Operation{}, "write-not-sent")
							continue
						}
						record(porcupine.Operation{ClientId: client, Input: in, Call: call, Output: regOutput{Unknown: true}, Return: never}, "write-unknown")
					default:
						msg, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						switch {
						case resp.StatusCode == http.StatusOK:
							record(porcupine.Operation{ClientId: client, Input: in, Call: call, Output: regOutput{}, Return: now()}, "write-ok")
						case resp.StatusCode == http.StatusServiceUnavailable && strings.Contains(string(msg), "not applied") && !strings.Contains(string(msg), "may or may not"):
							record(porcupine.Operation{}, "write-refused")
						default:
							record(porcupine.Operation{ClientId: client, Input: in, Call: call, Output: regOutput{Unknown: true}, Return: never}, "write-unknown")
						}
					}
					continue
				}
				resp, err := hc.Get(base + "/v1/schools/" + regs[k].ID + "?consistency=consistent")
				if err != nil {
					record(porcupine.Operation{}, "read-failed")
					continue
				}
				var got twinfed.School
				ok := resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&got) == nil
				resp.Body.Close()
				if !ok {
					record(porcupine.Operation{}, "read-failed")
					continue
				}
				record(porcupine.Operation{ClientId: client, Input: regInput{Key: k}, Call: call, Output: regOutput{Value: got.City}, Return: now()}, "read-ok")
			}
		}()
	}

	pause := func(d time.Duration) { <-time.After(d) } // paces the fault schedule; nothing waits on it for a condition
	pause(2 * time.Second)
	old := c.MustLeader(t)
	t.Logf("stopping the leader r%d", old+1)
	c.Stop(old)
	pause(3 * time.Second)
	c.MustRestart(t, old)
	lead := c.MustLeader(t)
	victim := lead
	if victim == old { // the restarted member's listener is not wrapped
		victim = (old + 1) % 3
	}
	t.Logf("cutting r%d off from Raft traffic (leader r%d)", victim+1, lead+1)
	cutters[victim].Sever()
	pause(4 * time.Second)
	cutters[victim].Heal()
	pause(2 * time.Second)
	close(stop)
	wg.Wait()

	var ops []porcupine.Operation
	for _, op := range history {
		if op.Input != nil {
			ops = append(ops, op)
		}
	}
	t.Logf("history: %d operations checked; %v", len(ops), counts)
	if counts["write-ok"] < 10 || counts["read-ok"] < 10 {
		t.Fatalf("too few successful operations to say anything: %v", counts)
	}
	res, info := porcupine.CheckOperationsVerbose(registerModel, ops, 60*time.Second)
	switch res {
	case porcupine.Ok:
	case porcupine.Illegal:
		path := filepath.Join(t.TempDir(), "history.html")
		if f, err := os.Create(path); err == nil {
			_ = porcupine.Visualize(registerModel, info, f)
			f.Close()
		}
		t.Fatalf("the history is not linearizable (visualization: %s)", path)
	default:
		t.Fatalf("porcupine could not decide in time: %v", res)
	}
}
