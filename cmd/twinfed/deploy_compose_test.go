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
// every Twinfed container has a healthcheck that runs `twinfed health` on
// its own /readyz; each node's base_url is an HTTPS site of the Caddyfile
// that proxies to that node, and a network alias of Caddy's, so the nodes
// reach each other through it; the nodes trust X-Forwarded-For from the
// compose network only; Prometheus scrapes every metrics_addr and loads
// the alert rules; Grafana is provisioned with the dashboard. With caddy on
// the PATH (Debian package caddy), it also validates the Caddyfile.
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

	var nodes, registries int
	for name, svc := range services {
		if !strings.Contains(yamlStr(svc, "image"), "TWINFED_IMAGE") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			var cfgFile string
			for _, v := range yamlList(svc, "volumes") {
				if src, dst, _ := strings.Cut(v.(string), ":"); strings.HasSuffix(dst, ".toml:ro") {
					cfgFile = filepath.Join(dir, src)
				}
			}
			if cfgFile == "" {
				t.Fatal("mounts no config file")
			}
			env := []string{"TWINFED_ADMIN_TOKEN=0123456789abcdef0123456789abcdef"}
			var httpAddr, metricsAddr string
			if strings.HasPrefix(name, "registry") {
				registries++
				cfg := config.DefaultRegistry()
				if err := config.LoadEnv(cfgFile, &cfg, env); err != nil {
					t.Fatal(err)
				}
				httpAddr, metricsAddr = cfg.HTTPAddr, cfg.MetricsAddr
			} else {
				nodes++
				cfg := config.DefaultNode()
				if err := config.LoadEnv(cfgFile, &cfg, env); err != nil {
					t.Fatal(err)
				}
				httpAddr, metricsAddr = cfg.HTTPAddr, cfg.MetricsAddr
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
			_, httpPort, _ := net.SplitHostPort(httpAddr)
			test := yamlList(svc, "healthcheck", "test")
			want := []any{"CMD", "/usr/local/bin/twinfed", "health", "--url", "http://127.0.0.1:" + httpPort + "/readyz"}
			if !slices.Equal(test, want) {
				t.Errorf("healthcheck %v, want %v", test, want)
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
