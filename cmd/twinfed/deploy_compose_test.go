package main

import (
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/twinfed/twinfed/config"
)

// TestDeploy_Compose checks the compose federation against its parts:
// every member and node has a healthcheck that runs `twinfed health` on
// its own /readyz; each node's base_url is an HTTPS site of the Caddyfile
// that proxies to that node, and a network alias of Caddy's, so the nodes
// reach each other through it; the nodes trust X-Forwarded-For from the
// compose network only; Prometheus scrapes every metrics_addr and loads
// the alert rules; Grafana is provisioned with the dashboard. The registry
// speaks mutual TLS: every member has [tls] and every node
// [registry_tls] with https:// members, their files from the directory of
// the tls volume that holds their own certificate (made by the certs
// service, which they wait for), mounted read-only; no service but certs
// mounts the CA's key; a member's certificate is valid for its advertised
// hosts and its healthcheck's. With caddy on the PATH (Debian package
// caddy), it also validates the Caddyfile.
func TestDeploy_Compose(t *testing.T) {
	const dir = "../../deploy/compose"
	doc := yamlDocs(t, filepath.Join(dir, "compose.yaml"))[0]
	services := yamlAt(doc, "services").(obj)
	caddyfile, err := os.ReadFile(filepath.Join(dir, "Caddyfile"))
	if err != nil {
		t.Fatal(err)
	}
	sites := caddySites(string(caddyfile))
	var subnets []string
	for _, c := range yamlList(doc, "networks", "twinfed", "ipam", "config") {
		subnets = append(subnets, yamlStr(c, "subnet"))
	}
	if len(subnets) == 0 {
		t.Fatal("the compose network has no pinned subnet for trusted_proxies")
	}
	prom := yamlDocs(t, "../../deploy/prometheus/prometheus.yml")[0]
	var targets []string
	for _, sc := range yamlList(prom, "scrape_configs") {
		for _, st := range yamlList(sc, "static_configs") {
			for _, tg := range yamlList(st, "targets") {
				targets = append(targets, tg.(string))
			}
		}
	}
	aliases := yamlList(services["caddy"], "networks", "twinfed", "aliases")
	if !slices.ContainsFunc(yamlList(services["caddy"], "volumes"), func(v any) bool { return strings.HasPrefix(v.(string), "./Caddyfile:") }) {
		t.Error("the caddy service does not mount ./Caddyfile")
	}

	plan := composeCertPlan(t, services)
	for name, svc := range services {
		for _, m := range composeMounts(svc) {
			if m.source == plan.volume && (m.subpath == "" || m.subpath == ".") && name != "certs" {
				t.Errorf("%s mounts the whole %s volume, with the CA's key; mount its own directory (subpath)", name, plan.volume)
			}
		}
	}
	admin := services["admin"]
	if admin == nil {
		t.Error("no admin service for the operators' commands")
	} else {
		tls := tlsFiles(t, "admin", admin, plan, plan.admins)
		tls(yamlStr(admin, "environment", "TWINFED_REGISTRY_CA"), yamlStr(admin, "environment", "TWINFED_REGISTRY_CERT"), yamlStr(admin, "environment", "TWINFED_REGISTRY_KEY"))
		for _, u := range strings.Split(yamlStr(admin, "environment", "TWINFED_REGISTRY_MEMBERS"), ",") {
			if !strings.HasPrefix(u, "https://") {
				t.Errorf("the admin service reaches member %q, not over https", u)
			}
		}
	}

	var nodes, registries int
	for name, svc := range services {
		if !strings.Contains(yamlStr(svc, "image"), "TWINFED_IMAGE") || name == plan.service || name == "admin" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			var cfgFile string
			for _, m := range composeMounts(svc) {
				if strings.HasSuffix(m.target, ".toml") && m.readOnly {
					cfgFile = filepath.Join(dir, m.source)
				}
			}
			if cfgFile == "" {
				t.Fatal("mounts no config file")
			}
			if yamlStr(svc, "depends_on", plan.service, "condition") != "service_completed_successfully" {
				t.Errorf("does not wait for the %s service to complete", plan.service)
			}
			var healthWant []any
			env := []string{"TWINFED_ADMIN_TOKEN=0123456789abcdef0123456789abcdef"}
			var httpAddr, metricsAddr string
			if strings.HasPrefix(name, "registry") {
				registries++
				cfg := config.DefaultRegistry()
				if err := config.LoadEnv(cfgFile, &cfg, env); err != nil {
					t.Fatal(err)
				}
				httpAddr, metricsAddr = cfg.HTTPAddr, cfg.MetricsAddr
				if !cfg.TLS.Enabled() {
					t.Fatal("the member speaks plain TCP and HTTP: it has no [tls]")
				}
				hosts, ok := plan.members[cfg.NodeID]
				if !ok {
					t.Fatalf("the certs service makes no member certificate %q (node_id)", cfg.NodeID)
				}
				tlsFiles(t, name, svc, plan, map[string]bool{cfg.NodeID: true})(cfg.TLS.ClientCAFile, cfg.TLS.CertFile, cfg.TLS.KeyFile)
				raftHost, _, _ := net.SplitHostPort(cfg.RaftAdvert)
				u, _ := url.Parse(cfg.HTTPAdvert)
				for _, h := range []string{raftHost, u.Hostname(), "127.0.0.1"} {
					if !slices.Contains(hosts, h) {
						t.Errorf("member certificate %s is not valid for %s (raft_advert, http_advert, healthcheck): hosts %v", cfg.NodeID, h, hosts)
					}
				}
				_, httpPort, _ := net.SplitHostPort(httpAddr)
				healthWant = []any{"CMD", "/usr/local/bin/twinfed", "health", "--url", "https://127.0.0.1:" + httpPort + "/readyz", "--tls-ca", cfg.TLS.ClientCAFile}
			} else {
				nodes++
				cfg := config.DefaultNode()
				if err := config.LoadEnv(cfgFile, &cfg, env); err != nil {
					t.Fatal(err)
				}
				httpAddr, metricsAddr = cfg.HTTPAddr, cfg.MetricsAddr
				if cfg.RegistryTLS.CertFile == "" {
					t.Error("the node shows no client certificate to the registry: it has no [registry_tls] cert_file")
				}
				for _, r := range cfg.Registry {
					if !strings.HasPrefix(r, "https://") {
						t.Errorf("the node reaches the registry member %s over plain HTTP", r)
					}
				}
				tlsFiles(t, name, svc, plan, plan.nodes)(cfg.RegistryTLS.CAFile, cfg.RegistryTLS.CertFile, cfg.RegistryTLS.KeyFile)
				_, httpPort, _ := net.SplitHostPort(httpAddr)
				healthWant = []any{"CMD", "/usr/local/bin/twinfed", "health", "--url", "http://127.0.0.1:" + httpPort + "/readyz"}
				u, err := url.Parse(cfg.BaseURL)
				if err != nil || u.Scheme != "https" {
					t.Errorf("base_url %s is not https: Caddy serves the nodes over HTTPS", cfg.BaseURL)
				} else {
					_, port, _ := net.SplitHostPort(httpAddr)
					if up := sites[u.Host]; up != name+":"+port {
						t.Errorf("the Caddyfile's site %s proxies to %q, want %s:%s", u.Host, up, name, port)
					}
					if !slices.Contains(aliases, any(u.Host)) {
						t.Errorf("%s is no network alias of caddy: the other nodes would not reach this one through it", u.Host)
					}
				}
				if !slices.Equal(cfg.Limits.TrustedProxies, subnets) {
					t.Errorf("limits.trusted_proxies is %v, want the compose network %v", cfg.Limits.TrustedProxies, subnets)
				}
			}
			if test := yamlList(svc, "healthcheck", "test"); !slices.Equal(test, healthWant) {
				t.Errorf("healthcheck %v, want %v", test, healthWant)
			}
			_, metricsPort, _ := net.SplitHostPort(metricsAddr)
			if metricsAddr == "" || !slices.Contains(targets, name+":"+metricsPort) {
				t.Errorf("Prometheus does not scrape %s:%s (metrics_addr %q); its targets are %v", name, metricsPort, metricsAddr, targets)
			}
			if slices.ContainsFunc(yamlList(svc, "ports"), func(p any) bool { return strings.Contains(p.(string), metricsPort) }) {
				t.Errorf("publishes its metrics port %s", metricsPort)
			}
		})
	}
	if nodes < 3 || registries < 3 {
		t.Fatalf("found %d nodes and %d registry members in compose.yaml", nodes, registries)
	}

	mounts := func(svc string) string {
		var s []string
		for _, v := range yamlList(services[svc], "volumes") {
			s = append(s, v.(string))
		}
		return strings.Join(s, " ")
	}
	if !strings.Contains(mounts("prometheus"), "../prometheus:/etc/prometheus") {
		t.Error("the prometheus service does not mount deploy/prometheus (prometheus.yml, alerts.yml)")
	}
	if g := mounts("grafana"); !strings.Contains(g, "../grafana/twinfed.json:/var/lib/grafana/dashboards/") || !strings.Contains(g, "../grafana/provisioning:/etc/grafana/provisioning") {
		t.Errorf("the grafana service is not provisioned with the dashboard: %s", g)
	}
	ds := yamlDocs(t, "../../deploy/grafana/provisioning/datasources/prometheus.yml")[0]
	if u := yamlStr(yamlList(ds, "datasources")[0], "url"); u != "http://prometheus:9090" {
		t.Errorf("Grafana's data source is %s, want the compose Prometheus", u)
	}
	dash := yamlDocs(t, "../../deploy/grafana/provisioning/dashboards/twinfed.yml")[0]
	if p := yamlStr(yamlList(dash, "providers")[0], "options", "path"); p != "/var/lib/grafana/dashboards" {
		t.Errorf("Grafana loads dashboards from %s", p)
	}

	if caddy, err := exec.LookPath("caddy"); err == nil {
		out, err := exec.Command(caddy, "validate", "--adapter", "caddyfile", "--config", filepath.Join(dir, "Caddyfile")).CombinedOutput()
		if err != nil {
			t.Errorf("caddy validate: %v\n%s", err, out)
		}
	} else {
		t.Log("caddy is not installed: the Caddyfile's syntax is not checked")
	}
}

// caddySites reads a Caddyfile's site blocks: site address → the upstream
// of its reverse_proxy.
func caddySites(file string) map[string]string {
	out := map[string]string{}
	siteRE := regexp.MustCompile(`(?m)^([a-z0-9.-]+\.[a-z]+) \{\n((?:\t.*\n|\n)*?)\}`)
	for _, m := range siteRE.FindAllStringSubmatch(file, -1) {
		for _, line := range strings.Split(m[2], "\n") {
			if up, ok := strings.CutPrefix(strings.TrimSpace(line), "reverse_proxy "); ok {
				out[m[1]] = up
			}
		}
	}
	return out
}

// composeMount is one entry of a compose service's volumes, in the short
// ("src:dst[:ro]") or the long syntax.
type composeMount struct {
	source, subpath, target string
	readOnly                bool
}

func composeMounts(svc any) []composeMount {
	var out []composeMount
	for _, v := range yamlList(svc, "volumes") {
		switch v := v.(type) {
		case string:
			parts := strings.Split(v, ":")
			m := composeMount{source: parts[0]}
			if len(parts) > 1 {
				m.target = parts[1]
			}
			m.readOnly = len(parts) > 2 && strings.Contains(parts[2], "ro")
			out = append(out, m)
		case obj:
			ro, _ := v["read_only"].(bool)
			out = append(out, composeMount{source: yamlStr(v, "source"), subpath: yamlStr(v, "volume", "subpath"), target: yamlStr(v, "target"), readOnly: ro})
		}
	}
	return out
}

// certPlan is what the compose file's one-shot certificate service makes
// (`twinfed tls ensure`): in which service and volume, under which
// directory of its container, and the certificates by name.
type certPlan struct {
	service, volume, dir string
	args                 []string // the command, as compose runs it
	members              map[string][]string
	nodes, admins        map[string]bool
}

// composeCertPlan finds the service that runs `twinfed tls ensure` and
// reads its command (flags written --flag=value).
func composeCertPlan(t *testing.T, services obj) certPlan {
	t.Helper()
	p := certPlan{members: map[string][]string{}, nodes: map[string]bool{}, admins: map[string]bool{}}
	for name, svc := range services {
		var args []string
		for _, a := range yamlList(svc, "command") {
			args = append(args, a.(string))
		}
		if len(args) < 2 || args[0] != "tls" || args[1] != "ensure" {
			continue
		}
		if !strings.Contains(yamlStr(svc, "image"), "TWINFED_IMAGE") {
			t.Errorf("the %s service does not run the twinfed image", name)
		}
		p.service, p.args = name, args
		for _, a := range args[2:] {
			flag, v, ok := strings.Cut(a, "=")
			if !ok {
				t.Fatalf("%s: argument %q is not --flag=value", name, a)
			}
			switch flag {
			case "--dir":
				p.dir = v
			case "--member":
				n, h, _ := strings.Cut(v, "=")
				p.members[n] = append(p.members[n], h)
			case "--node":
				p.nodes[v] = true
			case "--admin":
				p.admins[v] = true
			}
		}
		for _, m := range composeMounts(svc) {
			if m.target == p.dir && m.subpath == "" {
				p.volume = m.source
			}
		}
	}
	if p.service == "" || p.volume == "" {
		t.Fatalf("no service runs `twinfed tls ensure` into a volume (found %q, volume %q)", p.service, p.volume)
	}
	if r := yamlStr(services[p.service], "restart"); r != "no" {
		t.Errorf("the %s service restarts (%q): it runs once", p.service, r)
	}
	return p
}

// tlsFiles returns a check that a service's CA, certificate and key files
// are in one read-only mount of the plan's volume, the directory of one of
// the certificates named in names, as ca.pem, NAME.pem and NAME-key.pem.
func tlsFiles(t *testing.T, svcName string, svc any, plan certPlan, names map[string]bool) func(ca, cert, key string) {
	return func(ca, cert, key string) {
		t.Helper()
		for _, m := range composeMounts(svc) {
			if m.source != plan.volume || m.target != filepath.Dir(cert) {
				continue
			}
			if !m.readOnly {
				t.Errorf("%s mounts its certificates read-write", svcName)
			}
			if !names[m.subpath] {
				t.Errorf("%s mounts %s/%s, which the %s service does not make", svcName, plan.volume, m.subpath, plan.service)
			}
			want := []string{"ca.pem", m.subpath + ".pem", m.subpath + "-key.pem"}
			if got := []string{strings.TrimPrefix(ca, m.target+"/"), strings.TrimPrefix(cert, m.target+"/"), strings.TrimPrefix(key, m.target+"/")}; !slices.Equal(got, want) {
				t.Errorf("%s's CA, certificate and key are %v; want %v in %s", svcName, []string{ca, cert, key}, want, m.target)
			}
			return
		}
		t.Errorf("%s's certificate %q is in no mount of the %s volume", svcName, cert, plan.volume)
	}
}
