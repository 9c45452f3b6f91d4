package twinfed_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The guard rails of ARCHITECTURE.md, held against what `go list` reports:
// who may import the design's dependencies, which of the module's packages
// each package may import, the import order of the node's packages, and
// the size of each package under node/.

const module = "github.com/twinfed/twinfed"

// listedPackage is what the guard rails read of `go list -json`.
type listedPackage struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Imports    []string
	Deps       []string
	Standard   bool
}

// goList runs `go list -json` with args in the module's root.
func goList(t *testing.T, args ...string) []listedPackage {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-json"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v\n%s", args, err, stderr.String())
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p listedPackage
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// rel is a package's path inside the module ("" for the root).
func rel(path string) string {
	return strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
}

// under reports whether rel path p is dir or inside it.
func under(p, dir string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }

// TestLayout_RootIsStandardLibraryOnly checks that the domain package
// depends on nothing but the standard library.
func TestLayout_RootIsStandardLibraryOnly(t *testing.T) {
	for _, p := range goList(t, "-deps", ".") {
		if p.ImportPath != module && !p.Standard {
			t.Errorf("the root package depends on %s; it may use the standard library only", p.ImportPath)
		}
	}
}

// dependencyOwners: each of the design's adapters' dependencies is imported
// by its adapter only.
var dependencyOwners = []struct{ dep, owner string }{
	{"github.com/hashicorp/raft", "consensus"},
	{"github.com/go-fed/", "federation"},
	{"github.com/urfave/cli", "cmd"},
}

// moduleImports: which of the module's packages a package may import, by
// the folder it is in (the longest match applies). config is the typed
// configuration every adapter reads; federation/signing is the HTTP
// signatures kit that the registry also checks nodes' requests with.
var moduleImports = []struct {
	dir     string
	allowed []string
}{
	{"", nil},
	{"config", []string{""}},
	{"federation/signing", []string{""}},
	{"federation", []string{"", "config", "federation"}},
	{"consensus", []string{"", "config", "federation/signing", "consensus"}},
	{"node", []string{"", "config", "node"}},
	{"cmd", []string{"", "config", "consensus", "federation", "node", "cmd"}},
}

// nodeOrder is the import order of ARCHITECTURE.md "The national node's
// layout": a package under node/ imports only packages of a lower rank.
// Kits first, then features, then the assembly (node itself) and its test
// helpers.
var nodeOrder = map[string]int{
	"node/store": 1, "node/inbound": 1, "node/blob": 1, "node/blob/s3test": 2, "node/web/ratelimit": 1, "node/web/tmplset": 1, "node/mail": 2, "node/search": 3, "node/outbox": 4, "node/notice": 5, "node/web": 6, "node/feature": 7,
	"node/web/pagehtml": 8, "node/directory": 8, "node/account": 9, "node/registration": 10, "node/agency": 10, "node/pupil": 10, "node/social": 11, "node/project/certificate": 2, "node/event/eventical": 2, "node/project": 12,
	"node/twinspace": 13, "node/label": 13, "node/forum": 13, "node/feed": 13, "node/event": 13, "node/training": 13, "node/group": 13,
	"node/twinspace/materials": 14, "node/event/eventapi": 14, "node/event/eventforum": 14, "node/event/eventcert": 14, "node/event/eventplaces": 14, "node/event/eventroom": 14, "node/event/eventfiles": 15, "node/recognition": 14, "node/twinspace/pages": 14, "node/twinspace/discuss": 14, "node/twinspace/chat": 14, "node/twinspace/diary": 14, "node/twinspace/workspace": 15, "node/event/eventtools": 16, "node": 17, "node/nodetest": 18,
}

// TestLayout_Imports checks the adapters' rules and the node's import order.
func TestLayout_Imports(t *testing.T) {
	for _, p := range goList(t, "./...") {
		if !strings.HasPrefix(p.ImportPath, module) {
			continue
		}
		from := rel(p.ImportPath)
		for _, imp := range p.Imports {
			for _, d := range dependencyOwners {
				if strings.HasPrefix(imp, d.dep) && !under(from, d.owner) {
					t.Errorf("%s imports %s: only %s/ may", p.ImportPath, imp, d.owner)
				}
			}
			if !strings.HasPrefix(imp, module) {
				continue
			}
			to := rel(imp)
			if !importAllowed(from, to) {
				t.Errorf("%s imports %s, against ARCHITECTURE.md's layout (see moduleImports in layout_test.go)", p.ImportPath, imp)
			}
			if under(from, "node") && under(to, "node") {
				rf, okf := nodeOrder[from]
				rt, okt := nodeOrder[to]
				switch {
				case !okf:
					t.Errorf("%s is not in the node's import order: add it to nodeOrder and to node/doc.go", from)
				case !okt:
					t.Errorf("%s is not in the node's import order: add it to nodeOrder and to node/doc.go", to)
				case rt >= rf:
					t.Errorf("%s (rank %d) imports %s (rank %d): a node package imports only packages to its left in ARCHITECTURE.md's order", from, rf, to, rt)
				}
			}
		}
	}
}

// importAllowed applies moduleImports: the rule of the longest folder that
// holds from.
func importAllowed(from, to string) bool {
	best, allowed := -1, []string(nil)
	for _, r := range moduleImports {
		if (r.dir == "" || under(from, r.dir)) && len(r.dir) > best {
			best, allowed = len(r.dir), r.allowed
		}
	}
	return slices.ContainsFunc(allowed, func(dir string) bool { return to == dir || (dir != "" && under(to, dir)) })
}

// maxNodePackageLines is the size above which a package under node/ should
// be split (non-test lines).
const maxNodePackageLines = 3000

// TestLayout_NodePackageSize checks that no package under node/ passes
// maxNodePackageLines of non-test code.
func TestLayout_NodePackageSize(t *testing.T) {
	for _, p := range goList(t, "./node/...") {
		n := 0
		for _, f := range p.GoFiles {
			lines, err := countLines(filepath.Join(p.Dir, f))
			if err != nil {
				t.Fatal(err)
			}
			n += lines
		}
		from := rel(p.ImportPath)
		if n > maxNodePackageLines {
			t.Errorf("%s has %d lines of non-test code, over %d: split it by feature (ARCHITECTURE.md)", from, n, maxNodePackageLines)
		}
		t.Logf("%s: %d lines", from, n)
	}
}

func countLines(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		n++
	}
	return n, sc.Err()
}
