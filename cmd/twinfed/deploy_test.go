package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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

// TestDeploy_DashboardMetricsExist checks that every metric the Grafana
// dashboard queries is one the code registers (a Name in a metric's options
// in consensus, node or federation), and that every label it groups by is
// one of that metric's labels.
func TestDeploy_DashboardMetricsExist(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/grafana/twinfed.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	registered := registeredMetrics(t)
	metricRE := regexp.MustCompile(`\btwinfed_[a-z_]+`)
	byRE := regexp.MustCompile(`by \(([a-z_, ]+)\)`)
	n := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			names := metricRE.FindAllString(tg.Expr, -1)
			for _, name := range names {
				n++
				base := name
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					if b, ok := strings.CutSuffix(name, suffix); ok {
						if _, known := registered[b]; known {
							base = b
						}
					}
				}
				labels, ok := registered[base]
				if !ok {
					t.Errorf("panel %q queries %s, which no code registers", p.Title, name)
					continue
				}
				for _, m := range byRE.FindAllStringSubmatch(tg.Expr, -1) {
					for _, l := range strings.Split(m[1], ",") {
						l = strings.TrimSpace(l)
						if l == "le" || l == "instance" || l == "job" {
							continue
						}
						if !slices.Contains(labels, l) && len(names) == 1 {
							t.Errorf("panel %q groups %s by %q; its labels are %v", p.Title, name, l, labels)
						}
					}
				}
			}
		}
	}
	if n < 15 {
		t.Fatalf("the dashboard queries only %d metrics", n)
	}
}

// labelList reads the labels of a Go []string literal's body: "a", "b".
func labelList(body string) []string {
	var labels []string
	for _, l := range strings.Split(body, ",") {
		if l = strings.Trim(strings.TrimSpace(l), `"`); l != "" {
			labels = append(labels, l)
		}
	}
	return labels
}

// registeredMetrics scans the adapters' Go sources for metric options
// (Name: "twinfed_…") and the label list that follows them.
func registeredMetrics(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	nameRE := regexp.MustCompile(`Name:\s*"(twinfed_[a-z_]+)"`)
	labelsRE := regexp.MustCompile(`\}\s*,\s*\[\]string\{([^}]*)\}`)
	descRE := regexp.MustCompile(`NewDesc\(\s*"(twinfed_[a-z_]+)",\s*"(?:[^"\\]|\\.)*",\s*(?:\[\]string\{([^}]*)\}|nil)`)
	for _, dir := range []string{"../../consensus", "../../node", "../../federation"} {
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			text := string(src)
			// Series read at scrape time by a collector:
			// prometheus.NewDesc("twinfed_…", "help", []string{labels} or nil, …).
			for _, m := range descRE.FindAllStringSubmatch(text, -1) {
				out[m[1]] = labelList(m[2])
			}
			for _, loc := range nameRE.FindAllStringSubmatchIndex(text, -1) {
				// The metric's options end where the next constructor or
				// metric name begins; its label list, if any, is there.
				rest := text[loc[1]:]
				if i := strings.Index(rest, "prometheus.New"); i >= 0 {
					rest = rest[:i]
				}
				if m := nameRE.FindStringIndex(rest); m != nil {
					rest = rest[:m[0]]
				}
				var labels []string
				if m := labelsRE.FindStringSubmatch(rest); m != nil {
					labels = labelList(m[1])
				}
				out[text[loc[2]:loc[3]]] = labels
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(out) < 10 {
		t.Fatalf("found only %d registered metrics in the sources", len(out))
	}
	return out
}
