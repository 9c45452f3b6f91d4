package consensus

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/twinfed/twinfed"
)

// TestDecodeHot_MatchesEncodingJSON checks decodeHot against encoding/json:
// on the answers the registry writes it decodes what encoding/json does,
// and on anything else (each of them cut short or with a byte changed,
// and other forms) it either declines or decodes what encoding/json does.
func TestDecodeHot_MatchesEncodingJSON(t *testing.T) {
	plain, minimal := plainSchool(), minimalSchool()
	full := fullSchool() // escaped strings: encoding/json's to decode
	values := []any{
		&plain, &full, &minimal,
		WriteResult{Index: 7, School: &plain},
		WriteResult{Index: 8, School: &plain, Replayed: true},
		WriteResult{Index: 9, IDs: []string{"IT-1", "IT-2"}, Count: 2},
		WriteResult{Index: 10, Country: &twinfed.Country{Code: "IT"}},
		BatchResult{Index: 11, Results: []BatchWriteResult{{WriteResult: WriteResult{Index: 11, School: &plain}}, {WriteResult: WriteResult{Index: 11, School: &minimal, Replayed: true}}}},
		BatchResult{Index: 12, Results: []BatchWriteResult{{WriteResult: WriteResult{Index: 12, School: &plain}}, {Error: errorBody(twinfed.FieldError("legal_name", "required"))}}},
		BatchResult{Results: []BatchWriteResult{{Error: errorBody(twinfed.Errorf(twinfed.EINVALID, "no"))}}},
		// The leader's answers to a follower's forwarded commands.
		internalResult{WriteResult: WriteResult{Index: 5, School: &plain}},
		internalResult{WriteResult: WriteResult{Index: 6, IDs: []string{"IT-1", "IT-2"}, Count: 2}},
		internalResult{WriteResult: WriteResult{Index: 7}, Results: []BatchWriteResult{{WriteResult: WriteResult{Index: 7, School: &plain}}, {WriteResult: WriteResult{Index: 7, School: &minimal, Replayed: true}}}},
		internalResult{WriteResult: WriteResult{Index: 8}, Results: []BatchWriteResult{{WriteResult: WriteResult{Index: 8, School: &plain}}, {Error: errorBody(twinfed.FieldError("legal_name", "required"))}}},
		batchResult{Results: []batchItemResult{
			{internalResult: internalResult{WriteResult: WriteResult{Index: 13}, Results: []BatchWriteResult{{WriteResult: WriteResult{Index: 13, School: &plain}}, {WriteResult: WriteResult{Index: 13, School: &minimal}}}}},
			{internalResult: internalResult{WriteResult: WriteResult{Index: 14, School: &minimal}}},
			{NotLeader: true}, {Unknown: true},
		}},
	}
	fresh := func(v any) any {
		switch v.(type) {
		case *twinfed.School:
			return new(twinfed.School)
		case WriteResult:
			return new(WriteResult)
		case internalResult:
			return new(internalResult)
		case batchResult:
			return new(batchResult)
		}
		return new(BatchResult)
	}
	check := func(body []byte, proto any, mustDecode bool) {
		t.Helper()
		want, got, shared := fresh(proto), fresh(proto), fresh(proto)
		werr := json.Unmarshal(body, want)
		if ok, sok := decodeHot(body, got), decodeHotShared(body, shared); ok != sok || !reflect.DeepEqual(got, shared) {
			t.Errorf("decodeHotShared of %q: %v %+v, decodeHot %v %+v", body, sok, shared, ok, got)
		}
		if !decodeHot(body, got) {
			if mustDecode {
				t.Errorf("decodeHot declined the registry's answer %s", body)
			}
			if !reflect.DeepEqual(got, fresh(proto)) {
				t.Errorf("decodeHot declined %q but changed its destination", body)
			}
			return
		}
		if werr != nil {
			t.Errorf("decodeHot decoded %q, which encoding/json refuses (%v)", body, werr)
		} else if !reflect.DeepEqual(got, want) {
			t.Errorf("decodeHot of %q:\n got %+v\nwant %+v", body, got, want)
		}
	}
	decoded := 0
	for _, v := range values {
		body := appendHotJSON(nil, v)
		if body == nil {
			body, _ = json.Marshal(v)
		}
		plainOnly := true
		switch v := v.(type) {
		case *twinfed.School:
			plainOnly = v != &full
		case WriteResult:
			plainOnly = v.Country == nil
		case BatchResult:
			for _, r := range v.Results {
				plainOnly = plainOnly && r.Error == nil
			}
		case internalResult:
			for _, r := range v.Results {
				plainOnly = plainOnly && r.Error == nil
			}
		}
		check(body, v, plainOnly)
		if plainOnly {
			decoded++
		}
		for n := range len(body) {
			check(body[:n], v, false)
			for _, c := range []byte{'"', '\\', '}', ']', ',', ':', '0', '-', 'x', ' ', 0, 0xff} {
				mut := append([]byte(nil), body...)
				mut[n] = c
				check(mut, v, false)
			}
		}
	}
	if decoded != 10 {
		t.Fatalf("decodeHot decoded %d of the registry's answers", decoded)
	}
	// Other forms: encoding/json's to decode, or decoded alike.
	for _, body := range []string{
		`{"index":1,"results":null}`, `{"index":1,"school":null}`, `{"INDEX":3}`, `{"index":1.0}`, `{"index":-1}`,
		`{"index":01}`, `{"index":1,"index":2}`, `{"index":18446744073709551616}`, `{"count":-3}`, `{"replayed":false}`,
		`{"id":"a","unknown":1}`, `{"created":"2026-13-01T00:00:00Z"}`, `{"created":"not a time"}`, ` {"id" : "a" } `,
		`{"id":"a"} {"id":"b"}`, `{}`, `[]`, `null`, ``, `{"ids":["a",1]}`, `{"school":{"course_years":1e2}}`,
		`{"school":{"id":"a"},"school":{"city":"b"}}`, `{"ids":["a"],"ids":["b"]}`, `{"index":1,"ids":[]}`,
		`{"results":[{"index":1,"school":{"id":"a"}}],"results":[{"count":2}]}`, `{"results":[]}`, `{"results":null}`,
		`{"index":0,"not_leader":true}`, `{"index":0,"unknown":true}`, `{"results":[{"index":0,"not_leader":true,"not_leader":false}]}`,
		`{"results":[{"index":1,"results":[{"index":1}],"results":[{"count":1}]}]}`, `{"results":[{"replayed":true,"unknown":1}]}`,
	} {
		for _, proto := range []any{&minimal, WriteResult{}, BatchResult{}, internalResult{}, batchResult{}} {
			check([]byte(body), proto, false)
		}
	}
}
