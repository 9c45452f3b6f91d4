package main

import (
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDeploy_AlertRules checks deploy/prometheus/alerts.yml: prometheus.yml
// loads it, every rule has an expression and a severity, every twinfed_*
// series it names is one the code registers (a renamed metric breaks this
// test) and every label it groups by is one of that metric's. The other
// series are node-exporter's and Prometheus's own. With promtool on the
// PATH (Debian package prometheus), it also checks the rules' syntax and
// runs their unit tests (alerts_test.yml).
func TestDeploy_AlertRules(t *testing.T) {
	prom := yamlDocs(t, "../../deploy/prometheus/prometheus.yml")[0]
	if !slices.Contains(yamlList(prom, "rule_files"), any("alerts.yml")) {
		t.Error("prometheus.yml does not load alerts.yml (rule_files)")
	}
	doc := yamlDocs(t, "../../deploy/prometheus/alerts.yml")[0]
	registered := registeredMetrics(t)
	external := []string{"up", "node_filesystem_avail_bytes", "node_filesystem_size_bytes"}
	nameRE := regexp.MustCompile(`\b(twinfed_[a-z_]+|node_[a-z_]+|up)\b`)
	byRE := regexp.MustCompile(`\bby \(([a-z_, ]+)\)`)
	var alerts []string
	for _, g := range yamlList(doc, "groups") {
		for _, r := range yamlList(g, "rules") {
			name, expr := yamlStr(r, "alert"), yamlStr(r, "expr")
			alerts = append(alerts, name)
			if name == "" || expr == "" {
				t.Errorf("group %s: a rule without alert or expr: %v", yamlStr(g, "name"), r)
				continue
			}
			if s := yamlStr(r, "labels", "severity"); s != "warning" && s != "critical" {
				t.Errorf("%s: severity %q, want warning or critical", name, s)
			}
			if yamlStr(r, "annotations", "summary") == "" {
				t.Errorf("%s has no summary", name)
			}
			var twinfed []string
			for _, m := range nameRE.FindAllString(expr, -1) {
				if !strings.HasPrefix(m, "twinfed_") {
					if !slices.Contains(external, m) {
						t.Errorf("%s uses %s, neither the code's nor a known exporter's", name, m)
					}
					continue
				}
				if _, ok := registered[m]; !ok {
					t.Errorf("%s uses %s, which no code registers", name, m)
					continue
				}
				twinfed = append(twinfed, m)
			}
			for _, b := range byRE.FindAllStringSubmatch(expr, -1) {
				for _, l := range strings.Split(b[1], ",") {
					l = strings.TrimSpace(l)
					if l == "instance" || l == "job" {
						continue
					}
					for _, m := range twinfed {
						if !slices.Contains(registered[m], l) {
							t.Errorf("%s groups %s by %q; its labels are %v", name, m, l, registered[m])
						}
					}
				}
			}
		}
	}
	for _, want := range []string{"RegistryNoLeader", "RegistryQuorumAtRisk", "DeliveryQueueGrowing", "DeliveriesParked", "DiskFillingUp"} {
		if !slices.Contains(alerts, want) {
			t.Errorf("alerts.yml has no %s rule", want)
		}
	}
	if promtool, err := exec.LookPath("promtool"); err == nil {
		out, err := exec.Command(promtool, "check", "rules", "../../deploy/prometheus/alerts.yml").CombinedOutput()
		if err != nil {
			t.Errorf("promtool check rules: %v\n%s", err, out)
		}
		out, err = exec.Command(promtool, "check", "config", "--syntax-only", "../../deploy/prometheus/prometheus.yml").CombinedOutput()
		if err != nil {
			t.Errorf("promtool check config: %v\n%s", err, out)
		}
		// The rules' own tests: the alerts fire on the series they watch.
		out, err = exec.Command(promtool, "test", "rules", "../../deploy/prometheus/alerts_test.yml").CombinedOutput()
		if err != nil {
			t.Errorf("promtool test rules: %v\n%s", err, out)
		}
	} else {
		t.Log("promtool is not installed: the rules' PromQL syntax is not checked")
	}
}
