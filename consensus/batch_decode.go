package consensus

import "github.com/twinfed/twinfed"

// A batch's body is decoded in one pass, without reflection, when it is
// of the form a node's Client writes (appendBatchRequest): the request and
// each write's school at once. Decoding it with encoding/json (the
// request, then each write's body again into a school) was a member's
// largest share of a batched write's CPU outside Raft and Badger. Any
// other form (a field it does not know or repeated, a null, an escaped
// string, a body that is not a school...) goes to decodeStrict as before,
// so that what is refused, and the error saying why, stay encoding/json's
// (TestDecodeBatchHot_MatchesDecodeStrict).

// decodeBatchRequest decodes the body of POST /v1/batch into req, refusing
// what decodeStrict refuses.
func decodeBatchRequest(body []byte, req *BatchRequest) error {
	if decodeBatchHot(body, req) {
		return nil
	}
	*req = BatchRequest{}
	return decodeStrict(body, req)
}

// decodeBatchHot decodes body when it is of the form appendBatchRequest
// writes, each write's body a school, and sets each write's school; it
// reports false, leaving req as it was, for anything else.
func decodeBatchHot(body []byte, req *BatchRequest) bool {
	d := hotDecoder{b: body, s: string(body), shared: true}
	var writes []BatchWrite
	seen := false
	ok := d.object(func(key []byte) bool {
		if string(key) != "writes" || seen {
			return false
		}
		seen = true
		writes = make([]BatchWrite, 0, 16)
		return d.array(func() bool {
			writes = append(writes, BatchWrite{})
			return d.batchWrite(&writes[len(writes)-1])
		})
	})
	if !ok || !seen || !d.end() {
		return false
	}
	req.Writes = writes
	return true
}

// batchWrite reads one write whose four fields each come once, its body a
// school.
func (d *hotDecoder) batchWrite(w *BatchWrite) bool {
	var got [4]bool
	ok := d.object(func(key []byte) bool {
		var ok bool
		var i int
		switch string(key) {
		case "key":
			w.Key, ok = d.str()
		case "method":
			i = 1
			w.Method, ok = d.str()
		case "path":
			i = 2
			w.Path, ok = d.str()
		case "body":
			i = 3
			d.ws()
			start := d.i
			s := new(twinfed.School)
			if ok = d.school(s); ok {
				w.Body, w.school = d.b[start:d.i:d.i], s
			}
		}
		if got[i] {
			return false // repeated: encoding/json's to decode
		}
		got[i] = true
		return ok
	})
	return ok && got == [4]bool{true, true, true, true}
}

// appendBatchRequest appends the body of POST /v1/batch carrying writes:
// the form decodeBatchHot reads when each body is a school as
// encoding/json writes it.
func appendBatchRequest(b []byte, writes []*batchCall) []byte {
	b = append(b, `{"writes":[`...)
	for i, call := range writes {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"key":`...)
		b = appendJSONString(b, call.w.Key)
		b = append(b, `,"method":`...)
		b = appendJSONString(b, call.w.Method)
		b = append(b, `,"path":`...)
		b = appendJSONString(b, call.w.Path)
		b = append(b, `,"body":`...)
		b = append(b, call.w.Body...)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}
