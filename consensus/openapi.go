package consensus

import (
	_ "embed"
	"net/http"
	"slices"
)

// openAPI is the description of the registry's API (/v1), OpenAPI 3.1,
// written by hand beside the routes; openapi_test.go holds it against the
// routes a member registers, both ways.
//
//go:embed openapi.json
var openAPI []byte

// OpenAPIPath is where every member serves openAPI, to anyone.
const OpenAPIPath = "/v1/openapi.json"

// OpenAPI returns the description of the registry's API (OpenAPI 3.1,
// JSON), as the members serve it at OpenAPIPath.
func OpenAPI() []byte { return slices.Clone(openAPI) }

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(openAPI)
}

// routeMux is the members' ServeMux, recording the patterns registered on
// it (Routes).
type routeMux struct {
	*http.ServeMux
	patterns []string
}

func newRouteMux() *routeMux { return &routeMux{ServeMux: http.NewServeMux()} }

// Handle registers h for pattern and records the pattern.
func (m *routeMux) Handle(pattern string, h http.Handler) {
	m.ServeMux.Handle(pattern, h)
	m.patterns = append(m.patterns, pattern)
}

// HandleFunc registers h for pattern and records the pattern.
func (m *routeMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(h))
}

// Routes returns the patterns of the member's HTTP API (health, metrics
// and /v1), in the order of registration: the routes are built again,
// not served, and the tests hold openapi.json against them.
func (m *Member) Routes() []string {
	mux, ok := m.routes().(*routeMux)
	if !ok {
		panic("consensus: routes() must build its mux with newRouteMux so that Routes can list it")
	}
	return slices.Clone(mux.patterns)
}
