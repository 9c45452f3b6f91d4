package signing_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/federation/signing"
)

// ReadBody reads a body of the length the request gives, refuses one
// over the limit or cut short, and leaves r.Body readable again.
func TestReadBody_ByContentLength(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := signing.ReadBody(r, 10)
		if err != nil {
			http.Error(w, twinfed.ErrorCode(err)+": "+twinfed.ErrorMessage(err), http.StatusBadRequest)
			return
		}
		again, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s|%s", body, again)
	}))
	defer srv.Close()
	for _, tc := range []struct{ req, want string }{
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", "hello|hello"},
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789", "0123456789|0123456789"},
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n0123456789a", tooLargeWant},
		{"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", "abc|abc"},
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n\r\nshort", "could not read the request body"},
	} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(conn, tc.req)
		if strings.Contains(tc.req, "short") {
			conn.(*net.TCPConn).CloseWrite() // the body ends before its length
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			conn.Close()
			t.Fatalf("%q: %v", tc.req, err)
		}
		got, _ := io.ReadAll(resp.Body)
		conn.Close()
		if !strings.Contains(string(got), tc.want) {
			t.Errorf("%q: answered %s %q, want %q", tc.req, resp.Status, got, tc.want)
		}
	}
}

// tooLargeWant is what ReadBody answers for a body over its limit.
const tooLargeWant = "the request body is over 10 bytes"
