package store

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"
)

// TestKeys_NoPrefixOverlaps checks that no entry of Keys lies under a
// prefix of another: a scan of that prefix would read the other's keys.
// Prefixes end with "/" so that "d/" never holds "dm/…".
func TestKeys_NoPrefixOverlaps(t *testing.T) {
	for _, k := range Keys {
		if k.Prefix && !strings.HasSuffix(k.Key, "/") {
			t.Errorf("%s = %q: a prefix ends with \"/\"", k.Name, k.Key)
		}
		if k.Key == "" {
			t.Errorf("%s is empty", k.Name)
		}
	}
	for i, a := range Keys {
		for j, b := range Keys {
			if i != j && strings.HasPrefix(b.Key, a.Key) {
				t.Errorf("%s (%q, %s) lies under %s (%q, %s): a scan of one reads the other's keys", b.Name, b.Key, b.Owner, a.Name, a.Key, a.Owner)
			}
		}
	}
}

// owners are the features and kits that may own keys.
var owners = map[string]bool{
	"account": true, "registration": true, "agency": true, "directory": true, "social": true, "project": true,
	"twinspace": true, "label": true, "notice": true, "inbox": true, "federation": true, "store": true, "forum": true, "mail": true, "feed": true, "event": true, "training": true,
	"pupil": true, "materials": true, "discuss": true, "chat": true,
}

// TestKeys_TableListsEveryConstant checks that Keys and the constants of
// keys.go cannot drift: every Prefix…/Key… constant is in the table once,
// under its own name and value, and the table names no other.
func TestKeys_TableListsEveryConstant(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "keys.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	consts := map[string]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok {
					t.Fatalf("%s: a key constant is a string literal", n.Name)
				}
				v, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				consts[n.Name] = v
			}
		}
	}
	seen := map[string]bool{}
	for _, k := range Keys {
		v, ok := consts[k.Name]
		switch {
		case !ok:
			t.Errorf("Keys names %s, which keys.go does not declare", k.Name)
		case v != k.Key:
			t.Errorf("Keys gives %s as %q, keys.go as %q", k.Name, k.Key, v)
		case seen[k.Name]:
			t.Errorf("Keys lists %s twice", k.Name)
		}
		seen[k.Name] = true
		if k.Prefix != strings.HasPrefix(k.Name, "Prefix") || !k.Prefix && !strings.HasPrefix(k.Name, "Key") {
			t.Errorf("%s: Prefix… constants are prefixes, Key… constants single keys", k.Name)
		}
		if !owners[k.Owner] {
			t.Errorf("%s: owner %q is not a feature or kit of the node", k.Name, k.Owner)
		}
	}
	for name := range consts {
		if !seen[name] {
			t.Errorf("keys.go declares %s, missing from Keys", name)
		}
	}
}
