// Package apitest holds the tests' checks of an OpenAPI 3.1 document
// against a process: the routes it registers (CompareRoutes), the
// document's structure (Check, with kin-openapi beside it), and every
// request and answer of a test (Checker, an http.RoundTripper). The node's
// and the registry's tests share it.
package apitest

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

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// Bearer adds Token as a bearer token to every request Next sends.
type Bearer struct {
	Token string
	Next  http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (b Bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.Token)
	return b.Next.RoundTrip(r)
}

// Checker is an http.RoundTripper that checks every exchange under
// prefix against an OpenAPI document with kin-openapi's openapi3filter:
// the route is documented, the answer's status is one the operation lists
// and its body fits the schema; a request the server accepted (2xx) fits
// the operation's parameters and request body. Problems fail the test.
type Checker struct {
	errorf func(format string, args ...any) // t.Errorf
	prefix string
	doc    *openapi3.T
	mux    *http.ServeMux // the documented Operations as patterns
	routes map[string]*routers.Route
	seen   map[string]bool
}

// NewChecker builds a Checker of the document data (an OpenAPI JSON) for
// the API under prefix; errorf reports a problem (t.Errorf, or a test's
// own collector).
func NewChecker(t *testing.T, errorf func(format string, args ...any), data []byte, prefix string) *Checker {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		t.Fatal(err)
	}
	c := &Checker{errorf: errorf, prefix: prefix, doc: doc, mux: http.NewServeMux(), routes: map[string]*routers.Route{}, seen: map[string]bool{}}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			pattern := method + " " + prefix + path
			c.routes[pattern] = &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op}
			c.mux.Handle(pattern, http.NotFoundHandler())
		}
	}
	return c
}

// Seen lists the Operations checked, sorted.
func (c *Checker) Seen() []string {
	out := make([]string, 0, len(c.seen))
	for k := range c.seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (c *Checker) RoundTrip(req *http.Request) (*http.Response, error) {
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

// MustParse decodes an OpenAPI JSON document, failing the test if it is
// not JSON.
func MustParse(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	return doc
}

// ServerURL is the document's servers[0].url, "" when it has none.
func ServerURL(doc map[string]any) string {
	servers, _ := doc["servers"].([]any)
	if len(servers) == 0 {
		return ""
	}
	u, _ := Dig(servers[0], "url").(string)
	return u
}

// Dig follows keys through nested objects; nil when one is missing.
func Dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// HTTPMethods are the operation keys of an OpenAPI path item.
var HTTPMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// Operations maps "METHOD /path" to each operation of the document.
func Operations(doc map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	paths, _ := doc["paths"].(map[string]any)
	for path, item := range paths {
		im, _ := item.(map[string]any)
		for _, m := range HTTPMethods {
			if op, ok := im[m].(map[string]any); ok {
				out[strings.ToUpper(m)+" "+path] = op
			}
		}
	}
	return out
}

// DocumentedOperations lists the document's Operations as ServeMux
// patterns: "METHOD " + servers[0].url + path.
func DocumentedOperations(doc map[string]any) []string {
	var out []string
	for key := range Operations(doc) {
		m, path, _ := strings.Cut(key, " ")
		out = append(out, m+" "+ServerURL(doc)+path)
	}
	return out
}

// CompareRoutes lists, for the document named file, the registered
// patterns it lacks and the Operations it documents that are not
// registered; "" when they agree. A GET route also answers HEAD, so only
// its GET is documented; a pattern without a method cannot be documented.
func CompareRoutes(prefix, file string, registered, documented []string) string {
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

// Check validates the document with kin-openapi (OpenAPI 3.1:
// required fields, schemas, parameters, security schemes, every $ref
// resolving) and adds what it lets pass: an operation without responses,
// a response code that is no status, an operation without a summary.
func Check(doc map[string]any) []string {
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
	for key, op := range Operations(doc) {
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
