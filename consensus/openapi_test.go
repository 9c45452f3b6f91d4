package consensus_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
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

	for _, c := range []struct {
		name   string
		break_ func(doc map[string]any)
		want   string
	}{
		{"no responses", func(doc map[string]any) { delete(dig(doc, "paths", "/countries", "get").(map[string]any), "responses") }, "GET /countries: no responses"},
		{"dangling $ref", func(doc map[string]any) {
			dig(doc, "paths", "/prizes", "get", "responses").(map[string]any)["200"] = map[string]any{"$ref": "#/components/responses/Nope"}
		}, `"Nope" not found`},
		{"undeclared path parameter", func(doc map[string]any) {
			doc["paths"].(map[string]any)["/things/{id}"] = map[string]any{"get": map[string]any{"summary": "x", "responses": map[string]any{"200": map[string]any{"description": "x"}}}}
		}, "must define exactly all path parameters (missing: [id])"},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := mustParseOpenAPI(t, consensus.OpenAPI())
			c.break_(doc)
			if problems := strings.Join(checkOpenAPI(doc), "\n"); !strings.Contains(problems, c.want) {
				t.Errorf("the checks missed %q; they said:\n%s", c.want, problems)
			}
		})
	}
	msg := compareRoutes(apiPrefix, "consensus/openapi.json", []string{"GET /v1/countries", "POST /v1/extra", "/v1/any"}, []string{"GET /v1/countries", "GET /v1/things/{id}"})
	for _, want := range []string{`POST /v1/extra  →  paths["/extra"].post`, `GET /v1/things/{id}  →  paths["/things/{id}"].get`, "without a method"} {
		if !strings.Contains(msg, want) {
			t.Errorf("compareRoutes missed %q; it said:\n%s", want, msg)
		}
	}
}

// TestOpenAPI_RegistryAnswersMatchDocument runs reads, CSS operators'
// writes and refusals through a real member, and checks every /v1
// exchange against the document (apiChecker): the answer's status and
// body, and each accepted request's parameters and body.
func TestOpenAPI_RegistryAnswersMatchDocument(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 1)
	cluster.MustWaitSeeded(t)
	check := newAPIChecker(t, t.Errorf, consensus.OpenAPI(), apiPrefix)
	anon := &http.Client{Transport: check}
	admin := &http.Client{Transport: bearer{cluster.AdminToken, check}}
	year := time.Now().Year()
	schoolYear := fmt.Sprintf("%d-%d", year-1, year)
	if time.Now().Month() >= time.September {
		schoolYear = fmt.Sprintf("%d-%d", year, year+1)
	}
	project := "https://it.example/projects/p1"
	var created struct {
		School struct{ ID string } `json:"school"`
	}
	call := func(c *http.Client, method, path string, body any, want int, out any) {
		t.Helper()
		var r io.Reader
		if body != nil {
			data, _ := json.Marshal(body)
			r = bytes.NewReader(data)
		}
		req, _ := http.NewRequest(method, cluster.URLs[0]+path, r)
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, data)
		}
		if out != nil {
			if err := json.Unmarshal(data, out); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
		}
	}
	school := map[string]any{"country": "IT", "legal_name": "ITIS Fermi", "city": "Roma", "region": "Lazio", "level": "upper_secondary", "institution": "state", "status": "validated", "national_number": "RMTF000001"}
	call(anon, "GET", "/v1/openapi.json", nil, 200, nil)
	call(anon, "GET", "/v1/countries", nil, 200, nil)
	call(anon, "GET", "/v1/countries/IT?consistency=consistent", nil, 200, nil)
	call(anon, "GET", "/v1/countries/ZZ", nil, 404, nil)
	call(anon, "GET", "/v1/countries/IT?consistency=always", nil, 400, nil)
	call(admin, "PUT", "/v1/countries/IT", map[string]any{"agency": "Indire", "node_url": "https://it.example", "active": true}, 200, nil)
	call(anon, "GET", "/v1/hosts/it.example", nil, 200, nil)
	call(anon, "GET", "/v1/hosts/nowhere.example", nil, 404, nil)
	call(anon, "POST", "/v1/schools", school, 401, nil)
	call(admin, "POST", "/v1/schools", school, 200, &created)
	call(admin, "POST", "/v1/schools", school, 409, nil)
	call(admin, "POST", "/v1/schools", map[string]any{"country": "IT", "nickname": "x"}, 400, nil)
	call(anon, "GET", "/v1/schools/"+created.School.ID, nil, 200, nil)
	call(anon, "GET", "/v1/schools/nope", nil, 404, nil)
	school["public_name"] = "Fermi"
	call(admin, "PUT", "/v1/schools/"+created.School.ID, school, 200, nil)
	call(admin, "POST", "/v1/schools/import", []map[string]any{{"country": "IT", "legal_name": "IC Dante", "city": "Roma", "region": "Lazio", "level": "primary", "institution": "state", "status": "validated"}}, 200, nil)
	call(anon, "GET", "/v1/schools?country=IT&q=fermi&limit=5", nil, 200, nil)
	call(anon, "GET", "/v1/schools?limit=5000", nil, 400, nil)
	for _, c := range []string{"IT", "FR"} {
		call(admin, "POST", "/v1/labels/national", map[string]any{"project_id": project, "country": c, "school_year": schoolYear, "score": 25}, 200, nil)
	}
	call(anon, "GET", "/v1/labels?project="+project, nil, 200, nil)
	call(anon, "GET", "/v1/labels", nil, 400, nil)
	call(anon, "GET", "/v1/labels/european?school_year="+schoolYear, nil, 200, nil)
	call(admin, "POST", "/v1/labels/european/confirm", map[string]any{"school_year": schoolYear}, 200, nil)
	call(admin, "POST", "/v1/prizes", map[string]any{"year": year, "category": "16-19", "project_id": project, "country": "IT"}, 200, nil)
	call(anon, "GET", fmt.Sprintf("/v1/prizes?year=%d", year), nil, 200, nil)
	call(anon, "GET", "/v1/changes?since=0&wait=0s", nil, 200, nil)
	call(anon, "GET", "/v1/changes?wait=forever", nil, 400, nil)
	call(anon, "GET", "/v1/cluster/peers", nil, 200, nil)
	call(anon, "POST", "/v1/cluster/snapshot", nil, 401, nil)
	call(admin, "POST", "/v1/cluster/snapshot", nil, 200, nil)
	call(admin, "GET", "/v1/cluster/backup?consistency=consistent", nil, 200, nil)
	call(admin, "POST", "/v1/cluster/leave", map[string]any{}, 400, nil)
	t.Logf("checked against the document: %s", strings.Join(check.Seen(), ", "))
}

// bearer adds the admin token to every request.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// apiChecker is an http.RoundTripper that checks every exchange under
// prefix against an OpenAPI document with kin-openapi's openapi3filter:
// the route is documented, the answer's status is one the operation lists
// and its body fits the schema; a request the server accepted (2xx) fits
// the operation's parameters and request body. Problems fail the test.
type apiChecker struct {
	errorf func(format string, args ...any) // t.Errorf
	prefix string
	doc    *openapi3.T
	mux    *http.ServeMux // the documented operations as patterns
	routes map[string]*routers.Route
	seen   map[string]bool
}

func newAPIChecker(t *testing.T, errorf func(format string, args ...any), data []byte, prefix string) *apiChecker {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		t.Fatal(err)
	}
	c := &apiChecker{errorf: errorf, prefix: prefix, doc: doc, mux: http.NewServeMux(), routes: map[string]*routers.Route{}, seen: map[string]bool{}}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			pattern := method + " " + prefix + path
			c.routes[pattern] = &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op}
			c.mux.Handle(pattern, http.NotFoundHandler())
		}
	}
	return c
}

// Seen lists the operations checked, sorted.
func (c *apiChecker) Seen() []string {
	out := make([]string, 0, len(c.seen))
	for k := range c.seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (c *apiChecker) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasPrefix(req.URL.Path, c.prefix+"/") {
		return http.DefaultTransport.RoundTrip(req)
	}
	var reqBody []byte
	if req.Body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	respBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(respBody))

	what := req.Method + " " + req.URL.RequestURI()
	_, pattern := c.mux.Handler(req)
	route := c.routes[pattern]
	if route == nil {
		if resp.StatusCode != http.StatusNotFound {
			c.errorf("%s: answered %d but no operation of the document matches it", what, resp.StatusCode)
		}
		return resp, nil
	}
	c.seen[req.Method+" "+route.Path] = true
	params := map[string]string{}
	tmpl, path := strings.Split(c.prefix+route.Path, "/"), strings.Split(req.URL.Path, "/")
	for i, seg := range tmpl {
		if strings.HasPrefix(seg, "{") && i < len(path) {
			params[strings.Trim(seg, "{}")] = path[i]
		}
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	sent := req.Clone(req.Context())
	sent.Body = io.NopCloser(bytes.NewReader(reqBody))
	in := &openapi3filter.RequestValidationInput{Request: sent, PathParams: params, Route: route, Options: opts}
	ctx := context.Background()
	if resp.StatusCode/100 == 2 {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			c.errorf("%s was accepted (%d) but the document refuses the request: %v\nrequest body: %s", what, resp.StatusCode, err, reqBody)
		}
	}
	if resp.StatusCode != http.StatusInternalServerError && route.Operation.Responses.Status(resp.StatusCode) == nil {
		c.errorf("%s: answered %d, a status the operation does not list (only 500 may fall to default)", what, resp.StatusCode)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Options: opts}
	out.SetBodyBytes(respBody)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		c.errorf("%s: the answer %d does not fit the document: %v\nbody: %.600s", what, resp.StatusCode, err, respBody)
	}
	return resp, nil
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

// checkOpenAPI validates the document with kin-openapi (OpenAPI 3.1:
// required fields, schemas, parameters, security schemes, every $ref
// resolving) and adds what it lets pass: an operation without responses,
// a response code that is no status, an operation without a summary.
func checkOpenAPI(doc map[string]any) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		bad("openapi is %q, want 3.1.x", doc["openapi"])
	}
	data, _ := json.Marshal(doc)
	if kin, err := openapi3.NewLoader().LoadFromData(data); err != nil {
		bad("kin-openapi cannot load it: %v", err)
	} else if err := kin.Validate(context.Background()); err != nil {
		bad("kin-openapi: %v", err)
	}
	status := regexp.MustCompile(`^[1-5]([0-9]{2}|XX)$`)
	for key, op := range operations(doc) {
		if s, _ := op["summary"].(string); s == "" {
			bad("%s: no summary", key)
		}
		resps, _ := op["responses"].(map[string]any)
		if len(resps) == 0 {
			bad("%s: no responses", key)
		}
		for code := range resps {
			if code != "default" && !status.MatchString(code) {
				bad("%s: response code %q is not a status, a range such as 4XX, or default", key, code)
			}
		}
	}
	sort.Strings(problems)
	return problems
}
