package consensus

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/federation/signing"
)

// readBody reads a body of the length the request gives, refuses one
// over the limit or cut short, and leaves r.Body readable again, as
// signing.ReadBody does.
func TestReadBody_ByContentLength(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(r, 10)
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

// tooLargeWant is what readBody answers for a body over its limit.
const tooLargeWant = "the request body is over 10 bytes"

// BenchmarkBatchBodyAndAnswer is a node's batch of 64 writes read from the
// request (readBody, "sized", against signing.ReadBody, "grown", as
// before) and its answer encoded (appendHotJSON, "sized", against the
// buffer grown from 512 bytes, "grown"). ns/op is per batch.
func BenchmarkBatchBodyAndAnswer(b *testing.B) {
	calls := make([]*batchCall, 64)
	answer := BatchResult{Index: 1234567}
	for i := range calls {
		s := twinfed.School{Country: "IT", LegalName: fmt.Sprintf("Scuola %d", i), City: "Roma", Level: twinfed.LevelPrimary}
		calls[i] = &batchCall{w: BatchWrite{Key: newRequestID(), Method: http.MethodPost, Path: "/v1/schools", Body: appendSchoolJSON(nil, &s)}}
		s.ID, s.Status, s.Institution, s.Created, s.Updated = fmt.Sprintf("IT-%08d", i), twinfed.SchoolValidated, twinfed.InstitutionOther, time.Now(), time.Now()
		answer.Results = append(answer.Results, BatchWriteResult{WriteResult: WriteResult{Index: 1234567, School: &s}})
	}
	request := appendBatchRequest(nil, calls)
	for _, way := range []string{"sized", "grown"} {
		b.Run("read/"+way, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := &http.Request{Body: io.NopCloser(bytes.NewReader(request)), ContentLength: int64(len(request))}
				var err error
				if way == "sized" {
					_, err = readBody(r, MaxBatchBody)
				} else {
					_, err = signing.ReadBody(r, MaxBatchBody)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("answer/"+way, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if way == "sized" {
					_ = appendHotJSON(make([]byte, 0, 512), answer)
				} else {
					grown := make([]byte, 0, 512)
					for i := range answer.Results {
						r := &answer.Results[i]
						grown, _ = appendResultJSON(grown, &ApplyResult{Index: r.Index, School: r.School})
					}
				}
			}
		})
	}
}
