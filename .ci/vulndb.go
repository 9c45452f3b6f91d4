//go:build ignore

// vulndb turns the OSV reports of the golang.org/x/vulndb module (fetched
// from the module proxy, since the public database vuln.go.dev cannot be
// reached here) into a database in the layout govulncheck reads with
// -db file://DIR: index/db.json, index/modules.json, index/vulns.json and
// ID/<id>.json.
//
//	go run .ci/vulndb.go -osv $(go env GOMODCACHE)/golang.org/x/vulndb@<v>/data/osv -modified 2026-11-05T23:49:57Z -out DIR
package main

import (
	"encoding/json"
	"flag"
	"log"
	"os"
	"path/filepath"
	"sort"
	"time"
)

type osv struct {
	ID       string   `json:"id"`
	Modified string   `json:"modified"`
	Aliases  []string `json:"aliases"`
	Affected []struct {
		Package struct {
			Name string `json:"name"`
		} `json:"package"`
	} `json:"affected"`
}

type moduleVuln struct {
	ID       string `json:"id"`
	Modified string `json:"modified"`
}

type module struct {
	Path  string       `json:"path"`
	Vulns []moduleVuln `json:"vulns"`
}

type vuln struct {
	ID       string   `json:"id"`
	Modified string   `json:"modified"`
	Aliases  []string `json:"aliases,omitempty"`
}

func main() {
	src := flag.String("osv", "", "directory of the OSV reports (golang.org/x/vulndb's data/osv)")
	out := flag.String("out", "", "directory to write the database to")
	modified := flag.String("modified", "", "the database's modification time (RFC 3339): the module version's commit time")
	flag.Parse()
	at, err := time.Parse(time.RFC3339, *modified)
	if *src == "" || *out == "" || err != nil {
		log.Fatalf("vulndb: give -osv DIR, -out DIR and -modified RFC3339 (%v)", err)
	}
	files, err := filepath.Glob(filepath.Join(*src, "GO-*.json"))
	if err != nil || len(files) == 0 {
		log.Fatalf("vulndb: no GO-*.json reports in %s", *src)
	}
	for _, d := range []string{"ID", "index"} {
		if err := os.MkdirAll(filepath.Join(*out, d), 0o755); err != nil {
			log.Fatal(err)
		}
	}
	mods := map[string][]moduleVuln{}
	var vulns []vuln
	stamp := at.UTC().Format(time.RFC3339)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			log.Fatal(err)
		}
		var e osv
		if err := json.Unmarshal(raw, &e); err != nil {
			log.Fatalf("vulndb: %s: %v", f, err)
		}
		// The reports in the module carry no modification time; the
		// module's own time stands for all of them.
		mod := e.Modified
		if t, err := time.Parse(time.RFC3339, mod); err != nil || t.Year() < 2000 {
			mod = stamp
		}
		vulns = append(vulns, vuln{ID: e.ID, Modified: mod, Aliases: e.Aliases})
		seen := map[string]bool{}
		for _, a := range e.Affected {
			if p := a.Package.Name; p != "" && !seen[p] {
				seen[p] = true
				mods[p] = append(mods[p], moduleVuln{ID: e.ID, Modified: mod})
			}
		}
		if err := os.WriteFile(filepath.Join(*out, "ID", e.ID+".json"), raw, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	var modules []module
	for p, v := range mods {
		modules = append(modules, module{Path: p, Vulns: v})
	}
	sort.Slice(modules, func(i, j int) bool { return modules[i].Path < modules[j].Path })
	write := func(name string, v any) {
		raw, err := json.Marshal(v)
		if err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(*out, "index", name), raw, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	write("db.json", map[string]string{"modified": stamp})
	write("modules.json", modules)
	write("vulns.json", vulns)
	log.Printf("vulndb: %d reports, %d modules, in %s", len(vulns), len(modules), *out)
}
