package main

import (
	"context"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed/config"
	"github.com/twinfed/twinfed/consensus/consensustest"
)

// TestDeploy_ComposeMutualTLSRuns runs what deploy/compose ships, without
// Docker: the certs service's command (`twinfed tls ensure`, into a temp
// dir standing for the tls volume), then the three registry members and
// the IT node from their very config files, with only what Docker would
// change rewritten: each container's mounts of the tls volume point into
// the temp dir, data_dir into another, and the compose names and ports
// (registry-N:7000 and :7100) become free ports on 127.0.0.1, for which
// the members' certificates are valid too (their healthcheck's address).
// The members elect a leader over mutual TLS, pass their compose
// healthcheck, the node (with its certificate, which the members require)
// catches up and passes its own, and the admin service's environment
// lists the peers with the operator's certificate.
func TestDeploy_ComposeMutualTLSRuns(t *testing.T) {
	const dir = "../../deploy/compose"
	services := yamlAt(yamlDocs(t, filepath.Join(dir, "compose.yaml"))[0], "services").(obj)
	plan := composeCertPlan(t, services)
	vol := t.TempDir()

	args := []string{}
	for _, a := range plan.args {
		args = append(args, strings.Replace(a, "--dir="+plan.dir, "--dir="+vol, 1))
	}
	if out, err := run(args...); err != nil {
		t.Fatalf("the certs service's command: %v\n%s", err, out)
	}

	// What Docker's DNS and port mapping do, done with free ports.
	var pairs []string
	for i := 1; i <= 3; i++ {
		for _, port := range []string{"7000", "7100"} {
			pairs = append(pairs, "registry-"+strconv.Itoa(i)+":"+port, freeAddr(t))
		}
	}
	names := strings.NewReplacer(pairs...)
	// inVolume turns a path under a service's mount of the tls volume into
	// the temp dir's.
	inVolume := func(svc any, path string) string {
		for _, m := range composeMounts(svc) {
			if m.source == plan.volume && strings.HasPrefix(path, m.target+"/") {
				return filepath.Join(vol, m.subpath, strings.TrimPrefix(path, m.target+"/"))
			}
		}
		t.Fatalf("%s is in no mount of the %s volume", path, plan.volume)
		return ""
	}
	env := []string{"TWINFED_ADMIN_TOKEN=0123456789abcdef0123456789abcdef"}
	ctx := context.Background()

	var members []*registryMain
	for i := 1; i <= 3; i++ {
		name := "registry-" + strconv.Itoa(i)
		cfg := config.DefaultRegistry()
		if err := config.LoadEnv(filepath.Join(dir, name+".toml"), &cfg, env); err != nil {
			t.Fatal(err)
		}
		svc := services[name]
		cfg.DataDir = filepath.Join(t.TempDir(), "registry")
		cfg.RaftAdvert, cfg.HTTPAdvert = names.Replace(cfg.RaftAdvert), names.Replace(cfg.HTTPAdvert)
		cfg.RaftAddr, cfg.HTTPAddr = cfg.RaftAdvert, strings.TrimPrefix(cfg.HTTPAdvert, "https://")
		cfg.MetricsAddr = "127.0.0.1:0"
		for j := range cfg.Peers {
			cfg.Peers[j] = names.Replace(cfg.Peers[j])
		}
		cfg.TLS.CertFile, cfg.TLS.KeyFile, cfg.TLS.ClientCAFile = inVolume(svc, cfg.TLS.CertFile), inVolume(svc, cfg.TLS.KeyFile), inVolume(svc, cfg.TLS.ClientCAFile)
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		rm := &registryMain{Config: cfg, Logger: consensustest.FailureLogger(t)}
		if err := rm.Run(ctx); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Cleanup(func() { rm.Close() })
		members = append(members, rm)
	}
	// healthy runs a service's compose healthcheck, pointed at addr.
	healthy := func(name, addr string) func() bool {
		var check []string
		for _, a := range yamlList(services[name], "healthcheck", "test")[2:] {
			a := a.(string)
			if strings.HasPrefix(a, "/") {
				a = inVolume(services[name], a)
			}
			check = append(check, strings.Replace(a, "127.0.0.1:"+portOf(a), addr, 1))
		}
		return func() bool { _, err := run(check...); return err == nil }
	}
	for i, rm := range members {
		name := "registry-" + strconv.Itoa(i+1)
		consensustest.Eventually(t, 60*time.Second, healthy(name, strings.TrimPrefix(rm.member.URL(), "https://")), name+"'s healthcheck never passed")
	}

	svc := services["node-it"]
	cfg := config.DefaultNode()
	if err := config.LoadEnv(filepath.Join(dir, "node-it.toml"), &cfg, env); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir, cfg.HTTPAddr, cfg.MetricsAddr = t.TempDir(), ln.Addr().String(), "127.0.0.1:0"
	for j := range cfg.Registry {
		cfg.Registry[j] = names.Replace(cfg.Registry[j])
	}
	cfg.RegistryTLS.CAFile, cfg.RegistryTLS.CertFile, cfg.RegistryTLS.KeyFile = inVolume(svc, cfg.RegistryTLS.CAFile), inVolume(svc, cfg.RegistryTLS.CertFile), inVolume(svc, cfg.RegistryTLS.KeyFile)
	cfg.Accounts.ArgonTime, cfg.Accounts.ArgonMemoryKiB, cfg.Accounts.ArgonThreads = 1, 1024, 1 // cheap, for tests only
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	node := &nodeMain{Config: cfg, Logger: consensustest.FailureLogger(t), Listener: ln}
	if err := node.Run(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { node.Close() })
	consensustest.Eventually(t, 60*time.Second, healthy("node-it", ln.Addr().String()), "node-it's healthcheck never passed: it did not catch up with the registry over mutual TLS")

	admin := services["admin"]
	for k, v := range yamlAt(admin, "environment").(obj) {
		v := v.(string)
		switch {
		case k == "TWINFED_ADMIN_TOKEN":
			v = strings.TrimPrefix(env[0], k+"=")
		case strings.HasPrefix(v, "/"):
			v = inVolume(admin, v)
		default:
			v = names.Replace(v)
		}
		t.Setenv(k, v)
	}
	out, err := run("registry", "peers")
	if err != nil || strings.Count(out, "Voter") != 3 {
		t.Fatalf("`registry peers` in the admin service: %v\n%s", err, out)
	}
}

// portOf returns the port of the first 127.0.0.1:PORT in s.
func portOf(s string) string {
	_, rest, ok := strings.Cut(s, "127.0.0.1:")
	if !ok {
		return "none"
	}
	return strings.FieldsFunc(rest, func(r rune) bool { return r < '0' || r > '9' })[0]
}

// freeAddr returns 127.0.0.1:PORT with a port free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
