package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twinfed/twinfed/config"
)

// TestDeploy_ExampleConfigsLoad parses every config shipped in deploy/ with
// the real loader: the example files, the compose files and the TOML
// embedded in the Kubernetes ConfigMaps.
func TestDeploy_ExampleConfigsLoad(t *testing.T) {
	files, err := filepath.Glob("../../deploy/*.toml")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("../../deploy/compose/*.toml")
	files = append(files, more...)
	if len(files) < 8 {
		t.Fatalf("found only %d config files in deploy/", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			mustLoadConfig(t, f, filepath.Base(f))
		})
	}

	manifests, _ := filepath.Glob("../../deploy/kubernetes/*.yaml")
	n := 0
	for _, m := range manifests {
		raw, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		for name, body := range configMapTOML(string(raw)) {
			n++
			t.Run(filepath.Base(m)+"/"+name, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), name)
				if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
					t.Fatal(err)
				}
				mustLoadConfig(t, path, name)
			})
		}
	}
	if n < 2 {
		t.Fatalf("found %d TOML configs in the Kubernetes manifests, want the registry's and a node's", n)
	}
}

func mustLoadConfig(t *testing.T, path, name string) {
	t.Helper()
	// Secrets come from the environment in production, as the manifests
	// pass them.
	env := []string{"TWINFED_ADMIN_TOKEN=0123456789abcdef0123456789abcdef"}
	var err error
	if strings.Contains(name, "registry") {
		cfg := config.DefaultRegistry()
		err = config.LoadEnv(path, &cfg, env)
	} else {
		cfg := config.DefaultNode()
		err = config.LoadEnv(path, &cfg, env)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// configMapTOML returns the `*.toml: |` blocks of a YAML manifest, keyed by
// file name, with their indentation removed.
func configMapTOML(yaml string) map[string]string {
	out := map[string]string{}
	lines := strings.Split(yaml, "\n")
	for i := 0; i < len(lines); i++ {
		key := strings.TrimSpace(lines[i])
		if !strings.HasSuffix(key, ".toml: |") {
			continue
		}
		name := strings.TrimSuffix(key, ": |")
		indent := -1
		var body []string
		for i++; i < len(lines); i++ {
			l := lines[i]
			if strings.TrimSpace(l) == "" {
				body = append(body, "")
				continue
			}
			lead := len(l) - len(strings.TrimLeft(l, " "))
			if indent < 0 {
				indent = lead
			}
			if lead < indent {
				i--
				break
			}
			body = append(body, l[indent:])
		}
		out[name] = strings.Join(body, "\n")
	}
	return out
}
