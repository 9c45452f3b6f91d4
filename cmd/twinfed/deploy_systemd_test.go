package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
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
