package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/twinfed/twinfed/config"
)

// TestDeploy_SystemdSandbox scores every unit in deploy/systemd with
// `systemd-analyze security` (offline, from the file) and fails above 4.0,
// systemd's "OK". A template unit is scored as an instance of itself.
func TestDeploy_SystemdSandbox(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (Debian package systemd): the units' sandbox is not scored here")
	}
	units, err := filepath.Glob("../../deploy/systemd/*.service")
	if err != nil || len(units) < 2 {
		t.Fatalf("found %d units in deploy/systemd (%v)", len(units), err)
	}
	scoreRE := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+) (\S+)`)
	for _, u := range units {
		t.Run(filepath.Base(u), func(t *testing.T) {
			raw, err := os.ReadFile(u)
			if err != nil {
				t.Fatal(err)
			}
			name := filepath.Base(u)
			if strings.HasSuffix(name, "@.service") {
				name = strings.TrimSuffix(name, "@.service") + "@r1.service"
			}
			path := filepath.Join(t.TempDir(), name)
			if err := os.WriteFile(path, raw, 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(analyze, "security", "--no-pager", "--offline=true", path).CombinedOutput()
			m := scoreRE.FindSubmatch(out)
			if m == nil {
				t.Fatalf("systemd-analyze security %s gave no score (%v):\n%s", name, err, out)
			}
			score, _ := strconv.ParseFloat(string(m[1]), 64)
			t.Logf("%s: %s %s", name, m[1], m[2])
			if score >= 4.0 {
				t.Errorf("%s scores %.1f %s, want under 4.0 (OK); what counts:\n%s", name, score, m[2], out)
			}
		})
	}
}

// TestDeploy_SystemdCredentials checks that each unit hands the registry's
// mutual TLS files to its process with LoadCredential= (a directory laid
// out as `twinfed tls ensure` makes it: ca.pem, NAME.pem, NAME-key.pem),
// and that the example config the unit reads (instance r1 for the
// registry's template, IT's node) names those credentials: a member or a
// node left on plain TCP, or naming a file the unit does not load, fails.
func TestDeploy_SystemdCredentials(t *testing.T) {
	env := []string{"TWINFED_ADMIN_TOKEN=0123456789abcdef0123456789abcdef"}
	tests := []struct {
		unit, instance, config string
		files                  func(t *testing.T, path string) (name string, ca, cert, key string)
	}{
		{"twinfed-registry@.service", "twinfed-registry@r1.service", "../../deploy/registry.example.toml", func(t *testing.T, path string) (string, string, string, string) {
			cfg := config.DefaultRegistry()
			if err := config.LoadEnv(path, &cfg, env); err != nil {
				t.Fatal(err)
			}
			if !cfg.TLS.Enabled() {
				t.Fatal("the example member speaks plain TCP and HTTP: it has no [tls]")
			}
			return cfg.NodeID, cfg.TLS.ClientCAFile, cfg.TLS.CertFile, cfg.TLS.KeyFile
		}},
		{"twinfed-node.service", "twinfed-node.service", "../../deploy/node.example.toml", func(t *testing.T, path string) (string, string, string, string) {
			cfg := config.DefaultNode()
			if err := config.LoadEnv(path, &cfg, env); err != nil {
				t.Fatal(err)
			}
			if cfg.RegistryTLS.CertFile == "" {
				t.Fatal("the example node shows no certificate to the registry: it has no [registry_tls] cert_file")
			}
			return cfg.Country, cfg.RegistryTLS.CAFile, cfg.RegistryTLS.CertFile, cfg.RegistryTLS.KeyFile
		}},
	}
	for _, tt := range tests {
		t.Run(tt.unit, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("../../deploy/systemd", tt.unit))
			if err != nil {
				t.Fatal(err)
			}
			instance := strings.TrimSuffix(strings.TrimPrefix(tt.instance, strings.TrimSuffix(tt.unit, ".service")), ".service")
			creds := map[string]string{} // the file name the process sees → the ID's directory
			for _, line := range strings.Split(string(raw), "\n") {
				v, ok := strings.CutPrefix(line, "LoadCredential=")
				if !ok {
					continue
				}
				id, dir, _ := strings.Cut(strings.ReplaceAll(v, "%i", instance), ":")
				creds[id] = dir
			}
			if len(creds) == 0 {
				t.Fatal("loads no credential (LoadCredential=)")
			}
			name, ca, cert, key := tt.files(t, tt.config)
			prefix := "/run/credentials/" + tt.instance + "/"
			for file, want := range map[string]string{ca: "ca.pem", cert: name + ".pem", key: name + "-key.pem"} {
				rest, ok := strings.CutPrefix(file, prefix)
				id, got, _ := strings.Cut(rest, "_")
				if !ok || creds[id] == "" || got != want {
					t.Errorf("%s names %s; want %s<ID>_%s with ID one of the unit's LoadCredential= (%v)", tt.config, file, prefix, want, creds)
				}
			}
		})
	}
}
