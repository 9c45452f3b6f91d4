package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/twinfed/twinfed/config"
	"go.yaml.in/yaml/v3"
)

// obj is one YAML mapping; the helpers below walk it by key path.
type obj = map[string]any

// yamlDocs parses every document of a multi-document YAML file.
func yamlDocs(t *testing.T, path string) []obj {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	var out []obj
	for {
		var d obj
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if d != nil {
			out = append(out, d)
		}
	}
}

// at follows keys through nested mappings; nil when one is missing.
func yamlAt(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(obj)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func yamlStr(v any, keys ...string) string { s, _ := yamlAt(v, keys...).(string); return s }

func yamlList(v any, keys ...string) []any { l, _ := yamlAt(v, keys...).([]any); return l }

// kubeDocs returns the documents of every manifest kustomization.yaml
// applies, and the Secrets template's.
func kubeDocs(t *testing.T) (applied, secrets []obj) {
	t.Helper()
	kust := yamlDocs(t, "../../deploy/kubernetes/kustomization.yaml")
	res := yamlList(kust[0], "resources")
	if len(res) < 3 {
		t.Fatalf("kustomization.yaml lists %d resources", len(res))
	}
	for _, r := range res {
		if strings.Contains(r.(string), "secret") {
			t.Errorf("kustomization.yaml applies %s: Secrets are made by the operator, never applied from the repository", r)
		}
		applied = append(applied, yamlDocs(t, filepath.Join("../../deploy/kubernetes", r.(string)))...)
	}
	return applied, yamlDocs(t, "../../deploy/kubernetes/secrets.example.yaml")
}

// TestDeploy_KubernetesRestricted checks every workload of the Kubernetes
// manifests against the "restricted" Pod Security Standard and the
// operational rules: readiness on /readyz and liveness on /healthz,
// /metrics scraped from its own port that no Service exposes, a Secrets
// template holding every key the manifests read (and no real value), and
// for the registry's StatefulSet a disruption budget that keeps the quorum
// and anti-affinity across machines.
func TestDeploy_KubernetesRestricted(t *testing.T) {
	docs, secretDocs := kubeDocs(t)
	secrets := map[string]bool{} // name/key
	for _, d := range secretDocs {
		if yamlStr(d, "kind") != "Secret" {
			t.Errorf("secrets.example.yaml holds a %s", yamlStr(d, "kind"))
		}
		for k, v := range yamlAt(d, "stringData").(obj) {
			secrets[yamlStr(d, "metadata", "name")+"/"+k] = true
			if v != "REPLACE_ME" {
				t.Errorf("secrets.example.yaml: %s/%s is %q; the template holds only REPLACE_ME", yamlStr(d, "metadata", "name"), k, v)
			}
		}
		if yamlAt(d, "data") != nil {
			t.Errorf("secrets.example.yaml: %s has data; use stringData with REPLACE_ME", yamlStr(d, "metadata", "name"))
		}
	}

	var namespaced bool
	servicePorts := map[string]bool{} // target port names and numbers the Services expose
	pdbs := map[string]obj{}          // by the app label they select
	var workloads []obj
	for _, d := range docs {
		switch yamlStr(d, "kind") {
		case "Namespace":
			if yamlStr(d, "metadata", "labels", "pod-security.kubernetes.io/enforce") == "restricted" {
				namespaced = true
			}
		case "Service":
			for _, p := range yamlList(d, "spec", "ports") {
				servicePorts[fmt.Sprint(yamlAt(p, "targetPort"))] = true
				servicePorts[fmt.Sprint(yamlAt(p, "port"))] = true
				servicePorts[yamlStr(p, "name")] = true
			}
		case "PodDisruptionBudget":
			pdbs[yamlStr(d, "spec", "selector", "matchLabels", "app.kubernetes.io/name")] = d
		case "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob":
			workloads = append(workloads, d)
		}
	}
	if !namespaced {
		t.Error("no Namespace labelled pod-security.kubernetes.io/enforce=restricted")
	}
	if len(workloads) < 2 {
		t.Fatalf("found %d workloads, want the registry's and a node's", len(workloads))
	}
	configs := map[string]string{} // ConfigMap name → its TOML
	for _, d := range docs {
		if yamlStr(d, "kind") == "ConfigMap" {
			for _, v := range yamlAt(d, "data").(obj) {
				configs[yamlStr(d, "metadata", "name")] = v.(string)
			}
		}
	}

	for _, w := range workloads {
		name := yamlStr(w, "kind") + "/" + yamlStr(w, "metadata", "name")
		t.Run(name, func(t *testing.T) {
			pod := yamlAt(w, "spec", "template", "spec")
			if yamlAt(pod, "securityContext", "runAsNonRoot") != true {
				t.Error("pod securityContext.runAsNonRoot is not true")
			}
			if yamlStr(pod, "securityContext", "seccompProfile", "type") != "RuntimeDefault" {
				t.Error("pod securityContext.seccompProfile.type is not RuntimeDefault")
			}
			for _, k := range []string{"hostNetwork", "hostPID", "hostIPC"} {
				if yamlAt(pod, k) == true {
					t.Errorf("%s is set", k)
				}
			}
			for _, v := range yamlList(pod, "volumes") {
				for kind := range v.(obj) {
					if !slices.Contains([]string{"name", "configMap", "emptyDir", "persistentVolumeClaim", "secret", "projected", "downwardAPI", "csi", "ephemeral"}, kind) {
						t.Errorf("volume %s is a %s, which the restricted standard refuses", yamlStr(v, "name"), kind)
					}
				}
			}
			containers := yamlList(pod, "containers")
			all := append(slices.Clone(containers), yamlList(pod, "initContainers")...)
			for _, c := range all {
				cn := yamlStr(c, "name")
				sc := yamlAt(c, "securityContext")
				if yamlAt(sc, "allowPrivilegeEscalation") != false {
					t.Errorf("container %s: allowPrivilegeEscalation is not false", cn)
				}
				if !slices.Contains(yamlList(sc, "capabilities", "drop"), any("ALL")) {
					t.Errorf("container %s: capabilities.drop has no ALL", cn)
				}
				for _, add := range yamlList(sc, "capabilities", "add") {
					if add != "NET_BIND_SERVICE" {
						t.Errorf("container %s adds capability %v", cn, add)
					}
				}
				if yamlAt(sc, "readOnlyRootFilesystem") != true {
					t.Errorf("container %s: readOnlyRootFilesystem is not true", cn)
				}
				if yamlAt(sc, "privileged") == true || yamlAt(sc, "runAsNonRoot") == false || yamlAt(sc, "runAsUser") == 0 || yamlAt(pod, "securityContext", "runAsUser") == 0 {
					t.Errorf("container %s may run privileged or as root", cn)
				}
				if s := yamlStr(sc, "seccompProfile", "type"); s != "" && s != "RuntimeDefault" && s != "Localhost" {
					t.Errorf("container %s: seccompProfile %s", cn, s)
				}
				for _, p := range yamlList(c, "ports") {
					if yamlAt(p, "hostPort") != nil {
						t.Errorf("container %s uses a hostPort", cn)
					}
				}
				for _, e := range yamlList(c, "env") {
					ref := yamlAt(e, "valueFrom", "secretKeyRef")
					if ref == nil {
						continue
					}
					if key := yamlStr(ref, "name") + "/" + yamlStr(ref, "key"); !secrets[key] {
						t.Errorf("container %s reads Secret key %s, which secrets.example.yaml lacks", cn, key)
					}
				}
			}
			for _, c := range containers {
				cn := yamlStr(c, "name")
				if p := yamlStr(c, "readinessProbe", "httpGet", "path"); p != "/readyz" {
					t.Errorf("container %s: readiness probe on %q, want /readyz", cn, p)
				}
				if p := yamlStr(c, "livenessProbe", "httpGet", "path"); p != "/healthz" {
					t.Errorf("container %s: liveness probe on %q, want /healthz", cn, p)
				}
			}

			// Prometheus scrapes the metrics port the config binds, which
			// no Service exposes.
			annotations := yamlAt(w, "spec", "template", "metadata", "annotations")
			port := yamlStr(annotations, "prometheus.io/port")
			var named bool
			for _, c := range containers {
				for _, p := range yamlList(c, "ports") {
					if yamlStr(p, "name") == "metrics" && fmt.Sprint(yamlAt(p, "containerPort")) == port {
						named = true
					}
				}
			}
			if yamlStr(annotations, "prometheus.io/scrape") != "true" || !named {
				t.Errorf("the scrape annotations name port %q, want the containers' port named metrics", port)
			}
			if servicePorts[port] || servicePorts["metrics"] {
				t.Errorf("a Service exposes the metrics port %s", port)
			}
			var bound bool
			for _, toml := range configs {
				for _, line := range strings.Split(toml, "\n") {
					if v, ok := strings.CutPrefix(strings.TrimSpace(line), "metrics_addr = "); ok {
						if _, p, err := net.SplitHostPort(strings.Trim(v, `"`)); err == nil && p == port {
							bound = true
						}
					}
				}
			}
			if !bound {
				t.Errorf("no ConfigMap sets metrics_addr to port %s", port)
			}

			if yamlStr(w, "kind") != "StatefulSet" {
				return
			}
			app := yamlStr(w, "spec", "template", "metadata", "labels", "app.kubernetes.io/name")
			replicas, _ := yamlAt(w, "spec", "replicas").(int)
			pdb, ok := pdbs[app]
			if !ok {
				t.Fatalf("no PodDisruptionBudget selects app.kubernetes.io/name=%s", app)
			}
			quorum := replicas/2 + 1
			minAv, _ := yamlAt(pdb, "spec", "minAvailable").(int)
			maxUn, isMax := yamlAt(pdb, "spec", "maxUnavailable").(int)
			if minAv < quorum && !(isMax && replicas-maxUn >= quorum) {
				t.Errorf("the disruption budget lets the members fall below a quorum of %d of %d", quorum, replicas)
			}
			var spread bool
			for _, term := range yamlList(pod, "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution") {
				if yamlStr(term, "topologyKey") == "kubernetes.io/hostname" && yamlStr(term, "labelSelector", "matchLabels", "app.kubernetes.io/name") == app {
					spread = true
				}
			}
			if !spread {
				t.Error("no required pod anti-affinity keeps the members on distinct machines (topologyKey kubernetes.io/hostname)")
			}
		})
	}
}

// TestDeploy_KubernetesMutualTLS checks that the registry's members and the
// nodes speak mutual TLS: every member's config (rendered for each pod of
// the StatefulSet) has [tls] and every node's [registry_tls] with https://
// members; each file they name is a key of a Secret that secrets.example.yaml
// templates, mounted read-only at the file's directory; the members' probes
// speak HTTPS.
func TestDeploy_KubernetesMutualTLS(t *testing.T) {
	docs, secretDocs := kubeDocs(t)
	secretKeys := map[string]obj{}
	for _, d := range secretDocs {
		secretKeys[yamlStr(d, "metadata", "name")], _ = yamlAt(d, "stringData").(obj)
	}
	configMaps := map[string]string{}
	for _, d := range docs {
		if yamlStr(d, "kind") == "ConfigMap" {
			for _, v := range yamlAt(d, "data").(obj) {
				configMaps[yamlStr(d, "metadata", "name")] = v.(string)
			}
		}
	}
	env := []string{"TWINFED_ADMIN_TOKEN=0123456789abcdef0123456789abcdef"}
	var members, nodes int
	for _, w := range docs {
		kind := yamlStr(w, "kind")
		if kind != "StatefulSet" && kind != "Deployment" {
			continue
		}
		name := kind + "/" + yamlStr(w, "metadata", "name")
		t.Run(name, func(t *testing.T) {
			pod := yamlAt(w, "spec", "template", "spec")
			var toml string
			for _, v := range yamlList(pod, "volumes") {
				if cm := yamlStr(v, "configMap", "name"); configMaps[cm] != "" {
					toml = configMaps[cm]
				}
			}
			c := yamlList(pod, "containers")[0]
			// inSecret checks that path is a key of a Secret mounted
			// read-only at its directory.
			inSecret := func(path string) {
				t.Helper()
				for _, m := range yamlList(c, "volumeMounts") {
					if yamlStr(m, "mountPath") != filepath.Dir(path) {
						continue
					}
					if yamlAt(m, "readOnly") != true {
						t.Errorf("%s is mounted read-write", yamlStr(m, "mountPath"))
					}
					for _, v := range yamlList(pod, "volumes") {
						if yamlStr(v, "name") != yamlStr(m, "name") {
							continue
						}
						secret := yamlStr(v, "secret", "secretName")
						if _, ok := secretKeys[secret][filepath.Base(path)]; !ok {
							t.Errorf("%s: no key %s in Secret %q of secrets.example.yaml", path, filepath.Base(path), secret)
						}
						return
					}
				}
				t.Errorf("%s is in no mounted Secret", path)
			}
			file := filepath.Join(t.TempDir(), "config.toml")
			if strings.Contains(toml, "node_id") {
				members++
				replicas, _ := yamlAt(w, "spec", "replicas").(int)
				for i := range replicas {
					pod := yamlStr(w, "metadata", "name") + "-" + fmt.Sprint(i)
					if err := os.WriteFile(file, []byte(strings.ReplaceAll(toml, "POD_NAME", pod)), 0o600); err != nil {
						t.Fatal(err)
					}
					cfg := config.DefaultRegistry()
					if err := config.LoadEnv(file, &cfg, env); err != nil {
						t.Fatal(err)
					}
					if !cfg.TLS.Enabled() {
						t.Fatalf("member %s speaks plain TCP and HTTP: its config has no [tls]", pod)
					}
					for _, f := range []string{cfg.TLS.CertFile, cfg.TLS.KeyFile, cfg.TLS.ClientCAFile} {
						inSecret(f)
					}
				}
				for _, probe := range []string{"readinessProbe", "livenessProbe"} {
					if s := yamlStr(c, probe, "httpGet", "scheme"); s != "HTTPS" {
						t.Errorf("the %s speaks %q to an HTTPS port; want scheme HTTPS", probe, s)
					}
				}
				return
			}
			nodes++
			if err := os.WriteFile(file, []byte(toml), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg := config.DefaultNode()
			if err := config.LoadEnv(file, &cfg, env); err != nil {
				t.Fatal(err)
			}
			if cfg.RegistryTLS.CertFile == "" {
				t.Fatal("the node shows no client certificate to the registry: its config has no [registry_tls] cert_file")
			}
			for _, r := range cfg.Registry {
				if !strings.HasPrefix(r, "https://") {
					t.Errorf("the node reaches the registry at %s, over plain HTTP", r)
				}
			}
			for _, f := range []string{cfg.RegistryTLS.CAFile, cfg.RegistryTLS.CertFile, cfg.RegistryTLS.KeyFile} {
				inSecret(f)
			}
		})
	}
	if members == 0 || nodes == 0 {
		t.Fatalf("found %d registry and %d node workloads", members, nodes)
	}
}
