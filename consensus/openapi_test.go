package consensus_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/twinfed/twinfed/consensus"
	"github.com/twinfed/twinfed/consensus/consensustest"
)

// The registry's API description (consensus/openapi.json) is held against
// the routes a member really registers: every /v1 route documented,
// nothing documented that is not served, and the document a well-formed
// OpenAPI 3.1 one. The checks are node/openapi_test.go's.

// apiPrefix is the registry's API; openapi.json's servers[0].url.
const apiPrefix = "/v1"

// TestOpenAPI_RegistryDocumentMatchesRoutes compares the document's paths
// and methods with a member's /v1 routes, both ways, and lists what to add
// or remove; then fetches the document from the member.
func TestOpenAPI_RegistryDocumentMatchesRoutes(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 1)
	m := cluster.Members[0]
	doc := mustParseOpenAPI(t, consensus.OpenAPI())
	if got := serverURL(doc); got != apiPrefix {
		t.Fatalf("openapi.json servers[0].url = %q, want %q", got, apiPrefix)
	}
	var api []string
	for _, r := range m.Routes() {
		if _, path, _ := strings.Cut(r, " "); strings.HasPrefix(path, apiPrefix+"/") || strings.HasPrefix(r, apiPrefix+"/") {
			api = append(api, r)
		}
	}
	if len(api) < 20 {
		t.Fatalf("only %d /v1 routes registered: %q", len(api), api)
	}
	if msg := compareRoutes(apiPrefix, "consensus/openapi.json", api, documentedOperations(doc)); msg != "" {
		t.Error(msg)
	}

	resp, err := http.Get(cluster.URLs[0] + consensus.OpenAPIPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET %s: %d %q", consensus.OpenAPIPath, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !bytes.Equal(body, consensus.OpenAPI()) {
		t.Errorf("GET %s served %d bytes, not the embedded document (%d bytes)", consensus.OpenAPIPath, len(body), len(consensus.OpenAPI()))
	}
}

// TestOpenAPI_RegistryDocumentIsValid checks the document's structure
// (OpenAPI 3.1: required fields, operations with responses, path
// parameters declared, security schemes defined, every $ref resolving),
// the error body, and that the checks catch a broken copy.
func TestOpenAPI_RegistryDocumentIsValid(t *testing.T) {
	doc := mustParseOpenAPI(t, consensus.OpenAPI())
	for _, p := range checkOpenAPI(doc) {
		t.Error(p)
	}
	props, _ := dig(doc, "components", "schemas", "ErrorBody", "properties").(map[string]any)
	for _, f := range []string{"code", "message", "fields"} {
		if props[f] == nil {
			t.Errorf("components.schemas.ErrorBody has no %q", f)
		}
	}
	for key, op := range operations(doc) {
		if op["security"] == nil {
			t.Errorf("%s: no security (say [] for an open read)", key)
		}
		for code, r := range op["responses"].(map[string]any) {
			if code[0] >= '4' || code == "default" {
				rm := r.(map[string]any)
				if ref, _ := rm["$ref"].(string); !strings.HasPrefix(ref, "#/components/responses/") && dig(rm, "content", "application/json", "schema", "$ref") != "#/components/schemas/Error" {
					t.Errorf("%s: response %s is not the error body", key, code)
				}
			}
		}
	}

	paths := doc["paths"].(map[string]any)
	delete(paths["/countries"].(map[string]any)["get"].(map[string]any), "responses")
	paths["/prizes"].(map[string]any)["get"].(map[string]any)["responses"].(map[string]any)["200"] = map[string]any{"$ref": "#/components/responses/Nope"}
	paths["/things/{id}"] = map[string]any{"get": map[string]any{"summary": "x", "responses": map[string]any{"200": map[string]any{"description": "x"}}}}
	problems := strings.Join(checkOpenAPI(doc), "\n")
	for _, want := range []string{"GET /countries: no responses", "#/components/responses/Nope", `GET /things/{id}: path parameter "id" is not declared`} {
		if !strings.Contains(problems, want) {
			t.Errorf("the checks missed %q; they said:\n%s", want, problems)
		}
	}
	msg := compareRoutes(apiPrefix, "consensus/openapi.json", []string{"GET /v1/countries", "POST /v1/extra", "/v1/any"}, []string{"GET /v1/countries", "GET /v1/things/{id}"})
	for _, want := range []string{`POST /v1/extra  →  paths["/extra"].post`, `GET /v1/things/{id}  →  paths["/things/{id}"].get`, "without a method"} {
		if !strings.Contains(msg, want) {
			t.Errorf("compareRoutes missed %q; it said:\n%s", want, msg)
		}
	}
}

// --- the checks (node/openapi_test.go has the same for the node)

func mustParseOpenAPI(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	return doc
}

func serverURL(doc map[string]any) string {
	servers, _ := doc["servers"].([]any)
	if len(servers) == 0 {
		return ""
	}
	u, _ := dig(servers[0], "url").(string)
	return u
}

// dig follows keys through nested objects; nil when one is missing.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// operations maps "METHOD /path" to each operation of the document.
func operations(doc map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	paths, _ := doc["paths"].(map[string]any)
	for path, item := range paths {
		im, _ := item.(map[string]any)
		for _, m := range httpMethods {
			if op, ok := im[m].(map[string]any); ok {
				out[strings.ToUpper(m)+" "+path] = op
			}
		}
	}
	return out
}

// documentedOperations lists the document's operations as ServeMux
// patterns: "METHOD " + servers[0].url + path.
func documentedOperations(doc map[string]any) []string {
	var out []string
	for key := range operations(doc) {
		m, path, _ := strings.Cut(key, " ")
		out = append(out, m+" "+serverURL(doc)+path)
	}
	return out
}

// compareRoutes lists, for the document named file, the registered
// patterns it lacks and the operations it documents that are not
// registered; "" when they agree. A GET route also answers HEAD, so only
// its GET is documented; a pattern without a method cannot be documented.
func compareRoutes(prefix, file string, registered, documented []string) string {
	reg, doc := map[string]bool{}, map[string]bool{}
	var noMethod []string
	for _, r := range registered {
		if !strings.Contains(r, " ") {
			noMethod = append(noMethod, r)
			continue
		}
		reg[r] = true
	}
	for _, d := range documented {
		doc[d] = true
	}
	var missing, absent []string
	where := func(r string) string {
		m, path, _ := strings.Cut(r, " ")
		return fmt.Sprintf("%s  →  paths[%q].%s", r, strings.TrimPrefix(path, prefix), strings.ToLower(m))
	}
	for r := range reg {
		if !doc[r] {
			missing = append(missing, where(r))
		}
	}
	for d := range doc {
		if !reg[d] {
			absent = append(absent, where(d))
		}
	}
	sort.Strings(missing)
	sort.Strings(absent)
	var b strings.Builder
	if len(missing) > 0 {
		fmt.Fprintf(&b, "%d route(s) registered but missing from %s; add each operation (summary, parameters, requestBody, responses with the error responses, security):\n  %s\n", len(missing), file, strings.Join(missing, "\n  "))
	}
	if len(absent) > 0 {
		fmt.Fprintf(&b, "%d operation(s) documented in %s but not registered; remove them or register the route:\n  %s\n", len(absent), file, strings.Join(absent, "\n  "))
	}
	if len(noMethod) > 0 {
		fmt.Fprintf(&b, "%d route(s) under %s registered without a method; register each method on its own (\"GET %s/…\") so the document can list it:\n  %s\n", len(noMethod), prefix, prefix, strings.Join(noMethod, "\n  "))
	}
	return b.String()
}

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// checkOpenAPI checks the structure OpenAPI 3.1 requires of the parts the
// project uses, and that every $ref resolves.
func checkOpenAPI(doc map[string]any) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		bad("openapi is %q, want 3.1.x", doc["openapi"])
	}
	for _, f := range []string{"title", "version"} {
		if s, _ := dig(doc, "info", f).(string); s == "" {
			bad("info.%s is missing", f)
		}
	}
	paths, ok := doc["paths"].(map[string]any)
	if !ok || len(paths) == 0 {
		bad("paths is missing or empty")
	}
	schemes, _ := dig(doc, "components", "securitySchemes").(map[string]any)
	checkSecurity := func(where string, v any) {
		reqs, ok := v.([]any)
		if !ok {
			bad("%s: security is not a list", where)
			return
		}
		for _, r := range reqs {
			rm, _ := r.(map[string]any)
			for name := range rm {
				if schemes[name] == nil {
					bad("%s: security scheme %q is not in components.securitySchemes", where, name)
				}
			}
		}
	}
	if v, ok := doc["security"]; ok {
		checkSecurity("top level", v)
	}
	opIDs := map[string]string{}
	for path, item := range paths {
		if !strings.HasPrefix(path, "/") {
			bad("path %q does not start with /", path)
		}
		im, ok := item.(map[string]any)
		if !ok {
			bad("paths[%q] is not an object", path)
			continue
		}
		pathLevel, _ := im["parameters"].([]any)
		for k := range im {
			if !slices.Contains(httpMethods, k) && !slices.Contains([]string{"parameters", "summary", "description", "servers", "$ref"}, k) {
				bad("paths[%q] has %q, which is neither a method nor a path item field", path, k)
			}
		}
		for _, m := range httpMethods {
			op, ok := im[m].(map[string]any)
			if im[m] != nil && !ok {
				bad("paths[%q].%s is not an object", path, m)
			}
			if !ok {
				continue
			}
			key := strings.ToUpper(m) + " " + path
			if s, _ := op["summary"].(string); s == "" {
				bad("%s: no summary", key)
			}
			if id, _ := op["operationId"].(string); id != "" {
				if other, dup := opIDs[id]; dup {
					bad("%s: operationId %q is also %s's", key, id, other)
				}
				opIDs[id] = key
			}
			if v, ok := op["security"]; ok {
				checkSecurity(key, v)
			}
			declared := map[string]bool{}
			params, _ := op["parameters"].([]any)
			for _, p := range append(slices.Clone(pathLevel), params...) {
				pm, _ := p.(map[string]any)
				if r, ok := pm["$ref"].(string); ok {
					pm, _ = resolveOr(doc, r).(map[string]any)
				}
				name, _ := pm["name"].(string)
				in, _ := pm["in"].(string)
				if name == "" || !slices.Contains([]string{"query", "header", "path", "cookie"}, in) {
					bad("%s: a parameter without a name or a valid in: %v", key, pm)
					continue
				}
				if pm["schema"] == nil && pm["content"] == nil {
					bad("%s: parameter %q has neither schema nor content", key, name)
				}
				if in == "path" {
					if req, _ := pm["required"].(bool); !req {
						bad("%s: path parameter %q must be required: true", key, name)
					}
					declared[name] = true
				}
			}
			for _, sm := range pathParam.FindAllStringSubmatch(path, -1) {
				if !declared[sm[1]] {
					bad("%s: path parameter %q is not declared in parameters", key, sm[1])
				}
			}
			if rb, ok := op["requestBody"].(map[string]any); ok && rb["$ref"] == nil {
				if c, _ := rb["content"].(map[string]any); len(c) == 0 {
					bad("%s: requestBody has no content", key)
				}
			}
			resps, ok := op["responses"].(map[string]any)
			if !ok || len(resps) == 0 {
				bad("%s: no responses", key)
				continue
			}
			for code, r := range resps {
				if code != "default" && !regexp.MustCompile(`^[1-5]([0-9]{2}|XX)$`).MatchString(code) {
					bad("%s: response code %q is not a status, a range such as 4XX, or default", key, code)
				}
				rm, _ := r.(map[string]any)
				if rm["$ref"] == nil {
					if d, _ := rm["description"].(string); d == "" {
						bad("%s: response %s has no description", key, code)
					}
				}
			}
		}
	}
	for name, s := range schemes {
		typ, _ := dig(s, "type").(string)
		if !slices.Contains([]string{"apiKey", "http", "mutualTLS", "oauth2", "openIdConnect"}, typ) {
			bad("components.securitySchemes.%s: type %q", name, typ)
		}
	}
	walkRefs(doc, "#", func(at, ref string) {
		if _, err := resolvePointer(doc, ref); err != nil {
			bad("%s: $ref %q: %v", at, ref, err)
		}
	})
	sort.Strings(problems)
	return problems
}

// walkRefs calls fn with every $ref of v and where it is.
func walkRefs(v any, at string, fn func(at, ref string)) {
	switch x := v.(type) {
	case map[string]any:
		if r, ok := x["$ref"].(string); ok {
			fn(at, r)
		}
		for k, c := range x {
			walkRefs(c, at+"/"+k, fn)
		}
	case []any:
		for i, c := range x {
			walkRefs(c, fmt.Sprintf("%s/%d", at, i), fn)
		}
	}
}

// resolvePointer resolves a local reference ("#/components/…").
func resolvePointer(doc map[string]any, ref string) (any, error) {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("only references inside the document (#/…) are used")
	}
	var v any = doc
	for _, tok := range strings.Split(rest, "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := v.(map[string]any)
		if !ok || m[tok] == nil {
			return nil, fmt.Errorf("nothing at %q", tok)
		}
		v = m[tok]
	}
	return v, nil
}

func resolveOr(doc map[string]any, ref string) any {
	v, _ := resolvePointer(doc, ref)
	return v
}
