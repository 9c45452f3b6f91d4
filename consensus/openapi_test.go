package consensus_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed/internal/apitest"

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
	doc := apitest.MustParse(t, consensus.OpenAPI())
	if got := apitest.ServerURL(doc); got != apiPrefix {
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
	if msg := apitest.CompareRoutes(apiPrefix, "consensus/openapi.json", api, apitest.DocumentedOperations(doc)); msg != "" {
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
// (OpenAPI 3.1: required fields, apitest.Operations with responses, path
// parameters declared, security schemes defined, every $ref resolving),
// the error body, and that the checks catch a broken copy.
func TestOpenAPI_RegistryDocumentIsValid(t *testing.T) {
	doc := apitest.MustParse(t, consensus.OpenAPI())
	for _, p := range apitest.Check(doc) {
		t.Error(p)
	}
	props, _ := apitest.Dig(doc, "components", "schemas", "ErrorBody", "properties").(map[string]any)
	for _, f := range []string{"code", "message", "fields"} {
		if props[f] == nil {
			t.Errorf("components.schemas.ErrorBody has no %q", f)
		}
	}
	for key, op := range apitest.Operations(doc) {
		if op["security"] == nil {
			t.Errorf("%s: no security (say [] for an open read)", key)
		}
		for code, r := range op["responses"].(map[string]any) {
			if code[0] >= '4' || code == "default" {
				rm := r.(map[string]any)
				if ref, _ := rm["$ref"].(string); !strings.HasPrefix(ref, "#/components/responses/") && apitest.Dig(rm, "content", "application/json", "schema", "$ref") != "#/components/schemas/Error" {
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
		{"no responses", func(doc map[string]any) {
			delete(apitest.Dig(doc, "paths", "/countries", "get").(map[string]any), "responses")
		}, "GET /countries: no responses"},
		{"dangling $ref", func(doc map[string]any) {
			apitest.Dig(doc, "paths", "/prizes", "get", "responses").(map[string]any)["200"] = map[string]any{"$ref": "#/components/responses/Nope"}
		}, `"Nope" not found`},
		{"undeclared path parameter", func(doc map[string]any) {
			doc["paths"].(map[string]any)["/things/{id}"] = map[string]any{"get": map[string]any{"summary": "x", "responses": map[string]any{"200": map[string]any{"description": "x"}}}}
		}, "must define exactly all path parameters (missing: [id])"},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := apitest.MustParse(t, consensus.OpenAPI())
			c.break_(doc)
			if problems := strings.Join(apitest.Check(doc), "\n"); !strings.Contains(problems, c.want) {
				t.Errorf("the checks missed %q; they said:\n%s", c.want, problems)
			}
		})
	}
	msg := apitest.CompareRoutes(apiPrefix, "consensus/openapi.json", []string{"GET /v1/countries", "POST /v1/extra", "/v1/any"}, []string{"GET /v1/countries", "GET /v1/things/{id}"})
	for _, want := range []string{`POST /v1/extra  →  paths["/extra"].post`, `GET /v1/things/{id}  →  paths["/things/{id}"].get`, "without a method"} {
		if !strings.Contains(msg, want) {
			t.Errorf("apitest.CompareRoutes missed %q; it said:\n%s", want, msg)
		}
	}
}

// TestOpenAPI_RegistryAnswersMatchDocument runs reads, CSS operators'
// writes and refusals through a real member, and checks every /v1
// exchange against the document (apitest.Checker): the answer's status and
// body, and each accepted request's parameters and body.
func TestOpenAPI_RegistryAnswersMatchDocument(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 1)
	cluster.MustWaitSeeded(t)
	check := apitest.NewChecker(t, t.Errorf, consensus.OpenAPI(), apiPrefix)
	anon := &http.Client{Transport: check}
	admin := &http.Client{Transport: apitest.Bearer{Token: cluster.AdminToken, Next: check}}
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

// apitest.Bearer adds the admin token to every request.
