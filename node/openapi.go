package node

import (
	_ "embed"
	"net/http"

	"github.com/twinfed/twinfed/node/web"
)

// openAPI is the description of the node's JSON API (/api/v1), OpenAPI
// 3.1, written by hand beside the routes; openapi_test.go holds it against
// the routes the server registers, both ways.
//
//go:embed openapi.json
var openAPI []byte

// OpenAPIPath is where the node serves openAPI, to anyone.
const OpenAPIPath = "/api/v1/openapi.json"

// OpenAPI returns the description of the node's JSON API (OpenAPI 3.1,
// JSON), as the node serves it at OpenAPIPath.
func OpenAPI() []byte { return append([]byte(nil), openAPI...) }

// openAPIRoute serves the API's description.
func (s *Server) openAPIRoute(k *web.Kit) {
	k.HandleFunc("GET "+OpenAPIPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		_, _ = w.Write(openAPI)
	})
}

// Routes returns the patterns registered on the server (web.Kit.Routes):
// every feature's pages and JSON API and the node's own routes.
func (s *Server) Routes() []string { return s.kit.Routes() }
