package consensus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
)

// TestDecodeBatchHot_MatchesDecodeStrict checks the one-pass decoding of a
// batch's body against decodeStrict (encoding/json): on the bodies a
// node's Client writes it decodes the request and each write's school as
// decodeStrict does, and on anything else (each of them cut short or with
// a byte changed, and other forms) it declines or decodes alike, so that
// decodeBatchRequest refuses what decodeStrict refuses, with its error.
func TestDecodeBatchHot_MatchesDecodeStrict(t *testing.T) {
	plain, minimal := plainSchool(), minimalSchool()
	full := fullSchool() // escaped strings: decodeStrict's to decode
	call := func(key, method, path string, body []byte) *batchCall {
		return &batchCall{w: BatchWrite{Key: key, Method: method, Path: path, Body: body}}
	}
	label, _ := json.Marshal(twinfed.QualityLabel{Country: "IT", ProjectID: "p1", SchoolYear: "2026-2027", Score: 20})
	bodies := []struct {
		body []byte
		hot  bool
	}{
		{appendBatchRequest(nil, []*batchCall{
			call("0b6f0e0c-1", http.MethodPost, "/v1/schools", appendSchoolJSON(nil, &minimal)),
			call("0b6f0e0c-2", http.MethodPut, "/v1/schools/IT-00000042", appendSchoolJSON(nil, &plain)),
		}), true},
		{appendBatchRequest(nil, []*batchCall{call("k", http.MethodPost, "/v1/schools", appendSchoolJSON(nil, &full))}), false},
		{appendBatchRequest(nil, []*batchCall{call("k", http.MethodPost, "/v1/labels/national", label)}), false},
	}
	check := func(body []byte, mustDecode bool) {
		t.Helper()
		var hot, slow BatchRequest
		serr := decodeStrict(body, &slow)
		var req BatchRequest
		if err := decodeBatchRequest(body, &req); (err == nil) != (serr == nil) || err != nil && err.Error() != serr.Error() {
			t.Errorf("decodeBatchRequest(%q) = %v, decodeStrict %v", body, err, serr)
		}
		if !decodeBatchHot(body, &hot) {
			if mustDecode {
				t.Errorf("decodeBatchHot declined the client's body %s", body)
			}
			if !reflect.DeepEqual(hot, BatchRequest{}) {
				t.Errorf("decodeBatchHot declined %q but changed its destination", body)
			}
			return
		}
		if serr != nil {
			t.Errorf("decodeBatchHot decoded %q, which decodeStrict refuses (%v)", body, serr)
			return
		}
		if len(hot.Writes) != len(slow.Writes) {
			t.Errorf("decodeBatchHot of %q: %d writes, decodeStrict %d", body, len(hot.Writes), len(slow.Writes))
			return
		}
		for i, h := range hot.Writes {
			s := slow.Writes[i]
			if h.Key != s.Key || h.Method != s.Method || h.Path != s.Path || !bytes.Equal(h.Body, s.Body) {
				t.Errorf("decodeBatchHot of %q: write %d is %+v, decodeStrict's %+v", body, i, h, s)
			}
			var want twinfed.School
			if err := decodeStrict(s.Body, &want); err != nil {
				t.Errorf("decodeBatchHot of %q: write %d's school %s, which decodeStrict refuses (%v)", body, i, s.Body, err)
			} else if h.school == nil || !reflect.DeepEqual(*h.school, want) {
				t.Errorf("decodeBatchHot of %q: write %d's school\n got %+v\nwant %+v", body, i, h.school, want)
			}
		}
	}
	for _, b := range bodies {
		check(b.body, b.hot)
		for n := range len(b.body) {
			check(b.body[:n], false)
			for _, c := range []byte{'"', '\\', '{', '}', '[', ']', ',', ':', '0', '-', 'x', ' ', 'n', 0, 0xff} {
				mut := append([]byte(nil), b.body...)
				mut[n] = c
				check(mut, false)
			}
		}
	}
	// Other forms: decodeStrict's to decode, or decoded alike.
	s := string(appendSchoolJSON(nil, &minimal))
	for _, body := range []string{
		`{"writes":[]}`, `{"writes":null}`, `{}`, `[]`, `null`, ``, ` `, `{"writes":[]} {}`, `{"writes":[]}}`,
		`{"Writes":[{"key":"k","method":"POST","path":"/v1/schools","body":` + s + `}]}`,
		`{"writes":[{"key":"k","method":"POST","path":"/v1/schools","body":` + s + `}],"writes":[{"key":"j"}]}`,
		`{"writes":[{"key":"k","method":"POST","path":"/v1/schools","body":` + s + `,"key":"j"}]}`,
		`{"writes":[{"key":"k","method":"POST","path":"/v1/schools"}]}`,
		`{"writes":[{"key":"k","method":"POST","path":"/v1/schools","body":null}]}`,
		`{"writes":[{"key":"k","method":"POST","path":"/v1/schools","body":{}}]}`,
		`{"writes":[{"key":"k","method":"POST","path":"/v1/schools","body":{"country":"IT","country":"FR"}}]}`,
		`{"writes":[{"key":"k","method":"POST","path":"/v1/schools","body":{"Country":"IT"}}]}`,
		`{"writes":[{"key":"k","method":"POST","path":"/v1/schools","body":{"course_years":1.0}}]}`,
		`{"writes":[{"key":"k","method":"POST","path":"/v1/schools","body":{"course_years":"1"}}]}`,
		`{"writes":[{"key":"k","method":"POST","path":"/v1/schools","body":{"legal_name":"a\u00e9"}}]}`,
		`{"writes":[{"key":1,"method":"POST","path":"/v1/schools","body":{}}]}`,
		`{"writes":[{"key":"k","method":"POST","path":"/v1/schools","body":{},"extra":1}]}`,
		` { "writes" : [ { "key" : "k" , "method" : "POST" , "path" : "/v1/schools" , "body" : { "country" : "IT" } } ] } `,
	} {
		check([]byte(body), false)
	}
}

// BenchmarkDecodeHot is the CPU a write's decoding costs a member, in one
// pass without reflection ("hot") and with encoding/json ("json", as
// before): a node's batch of 64 schools (the request and each write's
// school), the leader's answer to a follower's forwarded batch entry of
// 64 writes, and a school read from the state. ns/op is per write (per
// school read).
func BenchmarkDecodeHot(b *testing.B) {
	calls := make([]*batchCall, 64)
	res := &ApplyResult{Index: 1234567}
	for i := range calls {
		s := twinfed.School{Country: "IT", LegalName: fmt.Sprintf("Scuola %d", i), City: "Roma", Level: twinfed.LevelPrimary}
		calls[i] = &batchCall{w: BatchWrite{Key: newRequestID(), Method: http.MethodPost, Path: "/v1/schools", Body: appendSchoolJSON(nil, &s)}}
		s.ID, s.Status, s.Institution, s.Created, s.Updated = fmt.Sprintf("IT-%08d", i), twinfed.SchoolValidated, twinfed.InstitutionOther, time.Now(), time.Now()
		res.Results = append(res.Results, &ApplyResult{Index: 1234567, School: &s})
	}
	request := appendBatchRequest(nil, calls)
	answer, err := appendInternalResultJSON([]byte(`{"results":[`), res)
	if err != nil {
		b.Fatal(err)
	}
	answer = append(answer, "]}\n"...)
	stored := appendSchoolJSON(nil, res.Results[0].School)
	for _, bc := range []struct {
		name   string
		writes int
		hot    func() error
		json   func() error
	}{
		{"Batch64", 64, func() error {
			var req BatchRequest
			return decodeBatchRequest(request, &req)
		}, func() error {
			var req BatchRequest
			if err := decodeStrict(request, &req); err != nil {
				return err
			}
			for _, w := range req.Writes {
				var s twinfed.School
				if err := decodeStrict(w.Body, &s); err != nil {
					return err
				}
			}
			return nil
		}},
		{"Forwarded64", 64, func() error {
			var out batchResult
			return decodeForwarded(bytes.NewReader(answer), &out)
		}, func() error {
			var out batchResult
			return json.NewDecoder(bytes.NewReader(answer)).Decode(&out)
		}},
		{"StoredSchool", 1, func() error {
			var s twinfed.School
			return decodeSchool(stored, &s)
		}, func() error {
			var s twinfed.School
			return json.Unmarshal(stored, &s)
		}},
	} {
		for _, way := range []string{"hot", "json"} {
			fn := bc.hot
			if way == "json" {
				fn = bc.json
			}
			b.Run(bc.name+"/"+way, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := fn(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*bc.writes), "ns/write")
			})
		}
	}
}
