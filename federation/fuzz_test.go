package federation_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/federation"
)

// FuzzDecodeActivity feeds the inbox parser arbitrary bodies. It must never
// panic, must refuse with EINVALID only, and what it accepts must encode
// back to a document that decodes and encodes to the same bytes. The fast
// paths (decodeSimple, encodeSimple) must agree with go-fed on every input:
// the same activity or the same error, the same bytes.
func FuzzDecodeActivity(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "as2", "*.json"))
	files = append(files, filepath.Join("testdata", "mastodon_follow.json"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	// Values each path must read alike: a string go-fed takes for a URL
	// where a plain value is expected, an alias for the ActivityStreams
	// namespace, an offset date, a URL that String rewrites, a property only
	// go-fed reads.
	for _, s := range []string{
		`{"type":"Follow","id":"https://a.example/1","actor":"https://a.example/u","summary":"re: hello"}`,
		`{"type":"Follow","id":"https://a.example/1","actor":"https://a.example/u","published":"2026-11-22T10:30:00+02:00"}`,
		`{"type":"Follow","id":"https://a.example/1","actor":"https://a.example/u","published":"2026-11-22T10:30+02:00"}`,
		`{"@context":[{"https://www.w3.org/ns/activitystreams":"as"}],"type":"Follow","id":"https://a.example/1","actor":"https://a.example/u"}`,
		`{"@context":"http://www.w3.org/ns/activitystreams","type":"Follow","id":"https://a.example/%7e1","actor":"https://a.example/u","to":["https://b.example/x"],"twinfed:contact":"yes"}`,
		`{"type":"Follow","id":"https://a.example/1","actor":"https://a.example/u","cc":"https://b.example/x"}`,
		`{"type":"Update","id":"https://a.example/1","actor":"https://a.example/u","object":{"type":"Person","id":"https://a.example/u","icon":{"type":"Image","url":"x"},"nameMap":{"en":"x"}}}`,
		`{"type":"Update","id":"https://a.example/1","actor":"https://a.example/u","object":{"type":"Person","id":"https://a.example/u","name":"mailto:x@y","updated":"yesterday"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := federation.DecodeActivity(body)
		ref, referr := federation.DecodeActivityStreams(body)
		if fmt.Sprint(err) != fmt.Sprint(referr) || !reflect.DeepEqual(a, ref) {
			t.Fatalf("the fast path and go-fed disagree:\n  fast %+v (%v)\ngo-fed %+v (%v)", a, err, ref, referr)
		}
		if err != nil {
			if code := twinfed.ErrorCode(err); code != twinfed.EINVALID {
				t.Fatalf("refused with %s, want %s: %v", code, twinfed.EINVALID, err)
			}
			return
		}
		if a.ID == "" || a.Actor == "" || a.Type == "" {
			t.Fatalf("accepted an activity without id, actor or type: %+v", a)
		}
		enc, err := federation.EncodeActivity(a)
		refEnc, referr := federation.EncodeActivityStreams(a)
		if fmt.Sprint(err) != fmt.Sprint(referr) || !bytes.Equal(enc, refEnc) {
			t.Fatalf("the fast encoder and go-fed disagree:\n  fast %s (%v)\ngo-fed %s (%v)", enc, err, refEnc, referr)
		}
		if err != nil {
			return // accepted input may hold values we would not write (a relative inReplyTo, say)
		}
		b, err := federation.DecodeActivity(enc)
		if err != nil {
			t.Fatalf("our own encoding does not decode: %v\n%s", err, enc)
		}
		enc2, err := federation.EncodeActivity(b)
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable:\n%s\n%s", enc, enc2)
		}
	})
}

// FuzzFederation_OddPaths sends the federation's routes odd paths and
// queries as a real server would read them, unsigned and with a body that
// is no activity: no answer may be a 500.
func FuzzFederation_OddPaths(f *testing.F) {
	for _, s := range []string{
		"/users/%ff", "/users/%ff/inbox", "/users/a%00b", "/projects/%ff", "/projects/%c0%af/inbox", "/activities/%ff",
		"/agency", "/inbox", "/.well-known/webfinger?resource=acct:%ff@x", "/.well-known/webfinger?resource=http://%ff",
		"/.well-known/webfinger?resource=%", "/nodeinfo/2.1", "/.well-known/nodeinfo", "/users/" + strings.Repeat("x", 4000),
	} {
		f.Add("GET", s)
		f.Add("POST", s)
	}
	cluster := consensustest.MustOpenCluster(f, 1)
	n := mustOpenNodes(f, cluster, "IT")[0]
	h := n.Fed.Handler()
	f.Fuzz(func(t *testing.T, method, target string) {
		if method != "GET" && method != "POST" {
			method = "GET"
		}
		raw := method + " " + target + " HTTP/1.1\r\nHost: " + n.Host + "\r\nAccept: application/activity+json\r\nContent-Length: 2\r\n\r\n{}"
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil {
			return // the server answers 400 before any route
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code == http.StatusInternalServerError {
			t.Fatalf("%s %q answered 500: %s", method, target, w.Body.String())
		}
	})
}
