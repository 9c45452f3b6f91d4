package consensus_test

import (
	"bufio"
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus"
	"github.com/twinfed/twinfed/federation/signing"
)

// The BenchmarkRegistryDeployed* benchmarks measure the registry as it
// runs in production: three `twinfed registry serve` processes (the binary
// built by `go build` into a temporary directory, the default
// configuration: production Raft timings, synced log), on this machine,
// driven over HTTP by this process as the load generator. Node writes are
// signed by a registered node's key, carry a new Idempotency-Key each (as
// consensus.Client sends them) and are sent to a follower, which verifies
// them and forwards them to the leader. The in-process BenchmarkRegistry*
// beside them (three members in one process, no HTTP for Apply) are the
// ceiling.
//
// They report ops/s (records/s), the latencies of run, and member-cpu-us,
// the CPU time the three member processes spent per operation (from
// /proc), apart from the load generator's.
// TWINFED_BENCH_MEMBER_PROFILES=DIR writes a CPU profile of each member
// (DIR/<benchmark>/r1.pprof, r2.pprof, r3.pprof) taken during the
// measured part of the run alone.

// benchBinDir is the directory of the built binary, "" until it is built.
var benchBinDir string

// benchBinary is the twinfed binary the deployed benchmarks run, built once.
var benchBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "twinfed-bench-bin-")
	if err != nil {
		return "", err
	}
	benchBinDir = dir
	out := filepath.Join(dir, "twinfed")
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-trimpath", "-o", out, "./cmd/twinfed")
	cmd.Dir = ".." // the module's root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, msg)
	}
	return out, nil
})

// removeBenchBinary deletes the built binary's directory, if any.
func removeBenchBinary() {
	if benchBinDir != "" {
		os.RemoveAll(benchBinDir)
	}
}

// deployedCluster is three member processes.
type deployedCluster struct {
	URLs      []string
	procs     []*exec.Cmd
	profiling bool
}

// measure runs fn, the measured part of a benchmark, with the members'
// CPU profiles running when they are armed.
func (c *deployedCluster) measure(fn func()) {
	if c.profiling {
		c.signal(syscall.SIGUSR1) // start
		defer c.signal(syscall.SIGUSR1)
	}
	fn()
}

const deployedToken = "bench-admin-token-0123456789"

func freeAddrs(b *testing.B, n int) []string {
	b.Helper()
	var out []string
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		lns = append(lns, ln)
		out = append(out, ln.Addr().String())
	}
	for _, ln := range lns {
		ln.Close()
	}
	return out
}

// startDeployed starts three members with TOML configs, as an operator
// would, and waits until they have a leader and the seeded countries.
// With TWINFED_BENCH_MEMBER_PROFILES set, each member's SIGUSR1 CPU
// profile is armed (see measure).
func startDeployed(b *testing.B) *deployedCluster {
	b.Helper()
	var profileDir string
	if dir := os.Getenv("TWINFED_BENCH_MEMBER_PROFILES"); dir != "" {
		profileDir = filepath.Join(dir, strings.TrimPrefix(b.Name(), "BenchmarkRegistryDeployed"))
		if err := os.MkdirAll(profileDir, 0o755); err != nil {
			b.Fatal(err)
		}
	}
	bin, err := benchBinary()
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	addrs := freeAddrs(b, 9) // raft, http, metrics of each member
	var peers []string
	c := &deployedCluster{profiling: profileDir != ""}
	for i := range 3 {
		peers = append(peers, fmt.Sprintf("%q", fmt.Sprintf("r%d=%s=http://%s", i+1, addrs[2*i], addrs[2*i+1])))
		c.URLs = append(c.URLs, "http://"+addrs[2*i+1])
	}
	for i := range 3 {
		id := fmt.Sprintf("r%d", i+1)
		conf := fmt.Sprintf("node_id = %q\ndata_dir = %q\nraft_addr = %q\nhttp_addr = %q\nhttp_advert = %q\nmetrics_addr = %q\nbootstrap = true\npeers = [%s]\nadmin_token = %q\n[log]\nlevel = \"warn\"\n",
			id, filepath.Join(dir, id), addrs[2*i], addrs[2*i+1], c.URLs[i], addrs[6+i], strings.Join(peers, ", "), deployedToken)
		confPath := filepath.Join(dir, id+".toml")
		if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
			b.Fatal(err)
		}
		cmd := exec.Command(bin, "registry", "serve", "--config", confPath)
		cmd.Env = os.Environ()
		if profileDir != "" {
			cmd.Env = append(cmd.Env, "TWINFED_CPUPROFILE="+filepath.Join(profileDir, id+".pprof"))
		}
		logf, err := os.Create(filepath.Join(dir, id+".log"))
		if err != nil {
			b.Fatal(err)
		}
		cmd.Stderr = logf
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		logf.Close()
		c.procs = append(c.procs, cmd)
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		if !strings.Contains(line, "serving") {
			c.stop()
			log, _ := os.ReadFile(filepath.Join(dir, id+".log"))
			b.Fatalf("member %s did not start: %q\n%s", id, line, log)
		}
		go io.Copy(io.Discard, stdout)
	}
	b.Cleanup(c.stop)
	deadline := time.Now().Add(60 * time.Second)
	for c.leader() < 0 || !c.seeded() || !c.servesBatches() {
		if time.Now().After(deadline) {
			b.Fatal("the deployed cluster elected no leader, seeded no countries or served no batches in 60 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return c
}

// stop sends SIGTERM to every member (a clean shutdown) and waits.
func (c *deployedCluster) stop() {
	for _, p := range c.procs {
		if p.Process != nil {
			_ = p.Process.Signal(syscall.SIGTERM)
		}
	}
	for _, p := range c.procs {
		done := make(chan struct{})
		go func() { _ = p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = p.Process.Kill()
			<-done
		}
	}
	c.procs = nil
}

// leader returns the index of the member the cluster says leads, -1 when
// none.
func (c *deployedCluster) leader() int {
	for _, u := range c.URLs {
		resp, err := http.Get(u + "/v1/cluster/peers")
		if err != nil {
			continue
		}
		var peers []consensus.PeerStatus
		_ = json.NewDecoder(resp.Body).Decode(&peers)
		resp.Body.Close()
		for _, p := range peers {
			if p.Leader {
				for i, u := range c.URLs {
					if u == p.HTTPURL {
						return i
					}
				}
			}
		}
	}
	return -1
}

func (c *deployedCluster) seeded() bool {
	for _, u := range c.URLs {
		resp, err := http.Get(u + "/v1/countries/IT")
		if err != nil {
			return false
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return false
		}
	}
	return true
}

// servesBatches reports whether every member serves POST /v1/batch (each
// member has recorded that it applies batches: Member.ServesBatches), so
// that the nodes' clients do not start by sending their writes alone. An
// empty batch is refused with 400 where batches are served, 404 where not.
func (c *deployedCluster) servesBatches() bool {
	for _, u := range c.URLs {
		req, _ := http.NewRequest(http.MethodPost, u+"/v1/batch", strings.NewReader(`{"writes":[]}`))
		req.Header.Set("Authorization", "Bearer "+deployedToken)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(consensus.HeaderIdempotencyKey, newBenchRequestID())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound {
			return false
		}
	}
	return true
}

// follower returns the URL of a member that does not lead, once every
// member names the same leader.
func (c *deployedCluster) follower(b *testing.B) string {
	b.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		l := c.leader()
		agreed := l >= 0
		for _, u := range c.URLs {
			agreed = agreed && c.leaderSeenBy(u) == c.URLs[l]
		}
		if agreed {
			return c.URLs[(l+1)%3]
		}
		if time.Now().After(deadline) {
			b.Fatal("the members did not agree on a leader in 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// leaderSeenBy returns the HTTP URL of the leader the member at u names.
func (c *deployedCluster) leaderSeenBy(u string) string {
	resp, err := http.Get(u + "/v1/cluster/peers")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var peers []consensus.PeerStatus
	_ = json.NewDecoder(resp.Body).Decode(&peers)
	for _, p := range peers {
		if p.Leader {
			return p.HTTPURL
		}
	}
	return ""
}

// memberCPU is the CPU time the member processes have used so far.
func (c *deployedCluster) memberCPU() time.Duration {
	var total time.Duration
	for _, p := range c.procs {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.Process.Pid))
		if err != nil {
			return 0
		}
		// Fields after the command's closing parenthesis; utime and stime
		// are the 14th and 15th of the whole line, in clock ticks (100/s
		// on Linux).
		f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+2:]))
		if len(f) < 13 {
			return 0
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		total += time.Duration(u+s) * 10 * time.Millisecond
	}
	return total
}

// signal sends sig to every member.
func (c *deployedCluster) signal(sig os.Signal) {
	for _, p := range c.procs {
		_ = p.Process.Signal(sig)
	}
}

// deployedNode registers the IT node with a new key, as CSS operators
// do, and returns its signer once base knows the key (base authenticates
// from its own state).
func deployedNode(b *testing.B, c *deployedCluster, base string) *signing.Signer {
	b.Helper()
	return deployedNodeOf(b, c, base, "IT")
}

// deployedNodeOf registers the node of country (host <country>.example)
// with a new key and returns its signer once base knows the key.
func deployedNodeOf(b *testing.B, c *deployedCluster, base, country string) *signing.Signer {
	b.Helper()
	host := strings.ToLower(country) + ".example"
	k, err := signing.GenerateKey("bench", twinfed.KeyEd25519)
	if err != nil {
		b.Fatal(err)
	}
	cl, err := consensus.OpenClient(context.Background(), consensus.ClientConfig{Members: c.URLs, AdminToken: deployedToken})
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	if _, err := cl.SetCountryNode(ctx, country, "https://"+host, ""); err != nil {
		b.Fatal(err)
	}
	if _, err := cl.AddCountryKey(ctx, country, k.NodeKey()); err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/v1/hosts/" + host)
		if err == nil {
			var co twinfed.Country
			_ = json.NewDecoder(resp.Body).Decode(&co)
			resp.Body.Close()
			if len(co.Keys) > 0 {
				return &signing.Signer{Key: k}
			}
		}
		if time.Now().After(deadline) {
			b.Fatal("the member never learnt the node's key")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func newBenchRequestID() string {
	var b [16]byte
	_, _ = crand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// signedSchoolWrite creates a school as a node does: JSON body, a new
// Idempotency-Key, signed with the node's key.
func signedSchoolWrite(hc *http.Client, s *signing.Signer, base string, i int) error {
	body, _ := json.Marshal(twinfed.School{Country: "IT", LegalName: fmt.Sprintf("Scuola %d", i), City: "Roma", Level: twinfed.LevelPrimary})
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/schools", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(consensus.HeaderIdempotencyKey, newBenchRequestID())
	if err := s.Sign(req, "https://it.example/agency#main-key", body); err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %s: %s", resp.Status, data)
	}
	return nil
}

// runDeployed is run with the members' CPU per operation.
func runDeployed(b *testing.B, c *deployedCluster, n, w int, op func(i int) error) {
	b.Helper()
	runDeployedWorkers(b, c, n, w, func(_, i int) error { return op(i) })
}

// runDeployedWorkers is runWorkers with the members' CPU per operation.
func runDeployedWorkers(b *testing.B, c *deployedCluster, n, w int, op func(worker, i int) error) {
	b.Helper()
	cpu0 := c.memberCPU()
	runWorkers(b, n, w, op)
	b.ReportMetric(float64((c.memberCPU()-cpu0).Microseconds())/float64(n), "member-cpu-us/op")
}

// mustStillFollow fails the benchmark when the member at base leads now:
// its figures would be of writes reaching the leader, not a follower.
func (c *deployedCluster) mustStillFollow(b *testing.B, base string) {
	b.Helper()
	l := c.leader()
	if l >= 0 && c.URLs[l] == base {
		b.Fatalf("the member written to (%s) leads now: the run measured writes reaching the leader", base)
	}
	b.Logf("wrote to %s; the leader is %s", base, c.URLs[max(l, 0)])
}

func BenchmarkRegistryDeployedWriteSequential(b *testing.B) {
	c := startDeployed(b)
	f := c.follower(b)
	s := deployedNode(b, c, f)
	hc := benchHTTPClient()
	warmUp(b, 50, 1, func(i int) error { return signedSchoolWrite(hc, s, f, i) })
	b.ResetTimer()
	c.measure(func() {
		runDeployed(b, c, scaled(300), 1, func(i int) error { return signedSchoolWrite(hc, s, f, i) })
	})
}

func BenchmarkRegistryDeployedWriteConcurrent64(b *testing.B) {
	c := startDeployed(b)
	f := c.follower(b)
	s := deployedNode(b, c, f)
	hc := benchHTTPClient()
	op := func(i int) error { return signedSchoolWrite(hc, s, f, i) }
	warmUp(b, 1000, 64, op)
	b.ResetTimer()
	c.measure(func() { runDeployed(b, c, scaled(6000), 64, op) })
	c.mustStillFollow(b, f)
}

// leaderUnknown is a node's HTTP transport that never learns the leader:
// it drops the X-Registry-Leader header of the answers, so that the
// client keeps writing to the member it was given, as a node does that
// reaches the registry through one address only (the leader's own URL
// not reachable from it).
type leaderUnknown struct{ http.RoundTripper }

func (t leaderUnknown) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.RoundTripper.RoundTrip(r)
	if resp != nil {
		resp.Header.Del("X-Registry-Leader")
	}
	return resp, err
}

// deployedNodeClients registers the nodes of countries, each with its own
// key, and returns the registry client of each as a node opens it,
// writing through base. viaBase keeps every write going to base (see
// leaderUnknown); without it the clients send their writes to the leader
// once an answer named it, as they do by default. The clients have no
// cache: a node's cache follows the change feed apart from its writes,
// and is not measured here.
func deployedNodeClients(b *testing.B, c *deployedCluster, base string, viaBase bool, countries ...string) []*consensus.Client {
	b.Helper()
	var out []*consensus.Client
	for _, co := range countries {
		s := deployedNodeOf(b, c, base, co)
		var hc *http.Client
		if viaBase {
			hc = &http.Client{Transport: leaderUnknown{&http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second}}}
		}
		cl, err := consensus.OpenClient(context.Background(), consensus.ClientConfig{Members: []string{base}, Country: co, HTTPClient: hc,
			Signer: s, KeyID: twinfed.KeyID(twinfed.AgencyURL("https://" + strings.ToLower(co) + ".example"))})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { cl.Close() })
		out = append(out, cl)
	}
	return out
}

// clientSchoolWrite creates school i through the registry client of node
// worker % len(clients), which gathers its callers' concurrent writes
// into batches: each worker writes as one node throughout.
func clientSchoolWrite(clients []*consensus.Client, countries []string) func(worker, i int) error {
	return func(worker, i int) error {
		n := worker % len(clients)
		_, err := clients[n].PutSchool(context.Background(), &twinfed.School{Country: countries[n], LegalName: fmt.Sprintf("Scuola %d", i), City: "Roma", Level: twinfed.LevelPrimary})
		return err
	}
}

// BenchmarkRegistryDeployedClientWrite64 is 64 writers of one node calling
// its consensus.Client (PutSchool), which sends their concurrent writes to
// a follower in signed batches (POST /v1/batch): what a node's writes cost
// as deployed, when they reach a follower.
// BenchmarkRegistryDeployedWriteConcurrent64 beside it is the same load
// sent one signed request per write.
func BenchmarkRegistryDeployedClientWrite64(b *testing.B) {
	c := startDeployed(b)
	f := c.follower(b)
	countries := []string{"IT"}
	op := clientSchoolWrite(deployedNodeClients(b, c, f, true, countries...), countries)
	warmUp(b, 1000, 64, func(i int) error { return op(-i, i) })
	b.ResetTimer()
	c.measure(func() { runDeployedWorkers(b, c, scaled(12000), 64, op) })
	c.mustStillFollow(b, f)
}

// BenchmarkRegistryDeployedClientWrite64Leader is
// BenchmarkRegistryDeployedClientWrite64 with the client as it is by
// default: given the follower, it sends its writes to the leader once an
// answer named it.
func BenchmarkRegistryDeployedClientWrite64Leader(b *testing.B) {
	c := startDeployed(b)
	f := c.follower(b)
	countries := []string{"IT"}
	op := clientSchoolWrite(deployedNodeClients(b, c, f, false, countries...), countries)
	warmUp(b, 1000, 64, func(i int) error { return op(-i, i) })
	b.ResetTimer()
	c.measure(func() { runDeployedWorkers(b, c, scaled(12000), 64, op) })
}

// BenchmarkRegistryDeployedClientWrite8x8 is BenchmarkRegistryDeployedClientWrite64
// with the 64 writers spread over 8 nodes, 8 each, each node its own key
// and client (so at most 8 writes in each node's batches).
func BenchmarkRegistryDeployedClientWrite8x8(b *testing.B) {
	c := startDeployed(b)
	f := c.follower(b)
	countries := []string{"IT", "FR", "ES", "DE", "PL", "PT", "NL", "AT"}
	op := clientSchoolWrite(deployedNodeClients(b, c, f, true, countries...), countries)
	warmUp(b, 1000, 64, func(i int) error { return op(-i, i) })
	b.ResetTimer()
	c.measure(func() { runDeployedWorkers(b, c, scaled(12000), 64, op) })
	c.mustStillFollow(b, f)
}

// importCSV is n schools as `twinfed registry import-schools` reads them.
func importCSV(n, offset int) []byte {
	var body bytes.Buffer
	body.WriteString("country,legal_name,public_name,city,region,national_number,level,institution,status,course_years\n")
	for _, s := range importSchools(n) {
		fmt.Fprintf(&body, "%s,%s,,%s,,%s-%d,%s,%s,,\n", s.Country, s.LegalName, s.City, s.NationalNumber, offset, s.Level, s.Institution)
	}
	return body.Bytes()
}

// postImport posts a CSV import as the operators' CLI does (admin token,
// one Idempotency-Key) and returns the ids of the imported schools.
func postImport(hc *http.Client, base string, body []byte) ([]string, error) {
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/schools/import", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+deployedToken)
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set(consensus.HeaderIdempotencyKey, newBenchRequestID())
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var res consensus.WriteResult
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("import: %s %v", resp.Status, err)
	}
	return res.IDs, nil
}

// BenchmarkRegistryDeployedImportCSV is `twinfed registry import-schools`
// against the deployed cluster: one CSV body posted to a follower.
func BenchmarkRegistryDeployedImportCSV(b *testing.B) {
	c := startDeployed(b)
	f := c.follower(b)
	hc := benchHTTPClient()
	if _, err := postImport(hc, f, importCSV(2000, 0)); err != nil { // warm-up
		b.Fatal(err)
	}
	n := scaled(30000)
	body := importCSV(n, 1)
	b.ResetTimer()
	var ids []string
	var err error
	start, cpu0 := time.Now(), c.memberCPU()
	c.measure(func() { ids, err = postImport(hc, f, body) })
	el := time.Since(start)
	if err != nil || len(ids) != n {
		b.Fatalf("import: %d of %d: %v", len(ids), n, err)
	}
	b.ReportMetric(float64(n)/el.Seconds(), "records/s")
	b.ReportMetric(float64((c.memberCPU()-cpu0).Microseconds())/float64(n), "member-cpu-us/record")
}

// BenchmarkRegistryDeployedReadConsistent reads random schools of a state
// of 30,000 linearizably from the leader, one reader, as a node's
// ConsistentSchool does.
func BenchmarkRegistryDeployedReadConsistent(b *testing.B) {
	c := startDeployed(b)
	l := c.URLs[c.leader()]
	hc := benchHTTPClient()
	const schools = 30000
	ids, err := postImport(hc, l, importCSV(schools, 0))
	if err != nil || len(ids) != schools {
		b.Fatalf("import: %d: %v", len(ids), err)
	}
	read := func(int) error {
		resp, err := hc.Get(l + "/v1/schools/" + ids[rand.IntN(len(ids))] + "?consistency=consistent")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, err = io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s", resp.Status)
		}
		return err
	}
	warmUp(b, 200, 1, read)
	b.ResetTimer()
	c.measure(func() { runDeployed(b, c, scaled(3000), 1, read) })
}
