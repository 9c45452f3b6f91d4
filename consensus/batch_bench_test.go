package consensus

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/federation/signing"
)

// BenchmarkBatchBodyAndAnswer is a node's batch of 64 writes read from the
// request (signing.ReadBody with its Content-Length, "sized", and
// without, "grown", as before) and its answer encoded (appendHotJSON, "sized", against the
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
				if way == "grown" {
					r.ContentLength = -1 // unknown, as with a chunked body
				}
				if _, err := signing.ReadBody(r, MaxBatchBody); err != nil {
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
