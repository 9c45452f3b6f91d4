package node_test

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/twinfed/twinfed/node/nodetest"
)

// FuzzRouter_OddPaths sends every route odd paths (invalid UTF-8, bad
// escapes, dot segments, NULs, over-long names) as a real server would
// read them. No answer may be a 500: malformed input is the client's
// error (400 or 404), never the server's. (Federation routes answer 503
// here: this node has no federation mounted; FuzzFederation_OddPaths in
// package federation fuzzes those.)
func FuzzRouter_OddPaths(f *testing.F) {
	for _, s := range []string{
		"/static/%ff", "/static/%c0%af", "/static/../go.mod", "/static/%2e%2e/x", "/static/a%00b", "/static/",
		"/users/%ff", "/users/%ff/inbox", "/projects/%ff", "/projects/%ff/inbox", "/activities/%ff",
		"/directory/%ff", "/.well-known/webfinger?resource=acct:%ff@x", "/nodeinfo/2.1", "/profiles/%ff",
		"/api/v1/contacts?x=%ff", "/login?next=%ff", "/%ff%fe", "//", "/a/./b/../c", "/" + strings.Repeat("x", 4000),
	} {
		f.Add("GET", s)
		f.Add("POST", s)
	}
	n := nodetest.MustOpenNode(f, nodetest.Options{LocalOnly: true})
	h := n.Handler()
	f.Fuzz(func(t *testing.T, method, target string) {
		if method != "GET" && method != "POST" && method != "HEAD" {
			method = "GET"
		}
		raw := method + " " + target + " HTTP/1.1\r\nHost: node.example\r\nAccept: application/activity+json, text/html\r\nContent-Length: 0\r\n\r\n"
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil {
			return // the server answers 400 before any route
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code == http.StatusInternalServerError {
			t.Fatalf("%s %q answered %d: %s", method, target, w.Code, w.Body.String())
		}
	})
}
