package consensus

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/hashicorp/raft"
	"github.com/twinfed/twinfed"
)

// Batched writes: a node's registry Client gathers the writes its callers
// make at the same time into one signed request (POST /v1/batch), and the
// registry proposes them as one Raft entry (CmdBatch). Each write keeps its
// own Idempotency-Key (in the body, which the signature's digest covers),
// is authorised as the same write sent alone would be, and gets its own
// result: one refused does not stop the others, and a write whose key was
// applied before answers its first result. The answer comes once the
// entry is committed by a quorum and applied, as for a single write.

const (
	// MaxBatchWrites bounds the writes of one batch request.
	MaxBatchWrites = 256
	// MaxBatchBody bounds the body of one batch request.
	MaxBatchBody = 2 << 20
)

// BatchRequest is the body of POST /v1/batch.
type BatchRequest struct {
	Writes []BatchWrite `json:"writes"`
}

// BatchWrite is one write of a batch: what the same write sent alone
// would carry (method, path, JSON body) and its own request id, Key, in
// the place of the Idempotency-Key header.
type BatchWrite struct {
	Key    string          `json:"key"`
	Method string          `json:"method"`
	Path   string          `json:"path"`
	Body   json.RawMessage `json:"body"`
	// school is Body decoded with the request (decodeBatchHot), nil when
	// it was not: the write's endpoint decodes Body then.
	school *twinfed.School
}

// BatchResult is the answer to POST /v1/batch: the index of the entry that
// carried the batch's writes (0 when every write was refused before it)
// and one result per write, in the order of the request.
type BatchResult struct {
	Index   uint64             `json:"index"`
	Results []BatchWriteResult `json:"results"`
}

// BatchWriteResult is one write's result in a batch: what the write sent
// alone would have answered, its WriteResult or, with Error set, its
// refusal (Index is then the entry's when the state refused it, 0 when
// the request's checks did).
type BatchWriteResult struct {
	WriteResult
	Error *ErrorBody `json:"error,omitempty"`
}

// wireResult is the wire form of res.
func wireResult(res *ApplyResult) BatchWriteResult {
	out := BatchWriteResult{WriteResult: WriteResult{Index: res.Index, School: res.School, Country: res.Country, IDs: res.IDs, Count: res.Count, Replayed: res.Replayed}}
	if res.Err != nil {
		out.Error = errorBody(res.Err)
	}
	return out
}

// applyResult is the ApplyResult r carries (Results aside).
func (r *BatchWriteResult) applyResult() *ApplyResult {
	res := &ApplyResult{Index: r.Index, School: r.School, Country: r.Country, IDs: r.IDs, Count: r.Count, Replayed: r.Replayed}
	if r.Error != nil {
		res.Err = r.Error.toError()
	}
	return res
}

func errorBody(err error) *ErrorBody {
	return &ErrorBody{Code: twinfed.ErrorCode(err), Message: twinfed.ErrorMessage(err), Fields: twinfed.ErrorFields(err)}
}

// batchable lists the writes a batch may carry: a node's writes.
const batchable = "POST /v1/schools, PUT /v1/schools/{id} and POST /v1/labels/national"

// handleBatch serves POST /v1/batch: the request is authenticated once
// (admin token or a node's signature, which must cover an Idempotency-Key
// header of its own); each write is then checked as if it came alone,
// and the accepted ones are proposed in one CmdBatch entry.
func (m *Member) handleBatch(w http.ResponseWriter, r *http.Request) {
	if !m.ServesBatches() {
		// As a registry without the endpoint answers: the client sends
		// each write alone, and asks again later.
		http.Error(w, "batches are not served until every member of the registry applies them (a rolling upgrade is under way)", http.StatusNotFound)
		return
	}
	who, body, ok := m.readWrite(w, r, MaxBatchBody, nil)
	if !ok {
		return
	}
	var req BatchRequest
	if err := decodeBatchRequest(body, &req); err != nil {
		m.writeError(w, r, err)
		return
	}
	switch n := len(req.Writes); {
	case n == 0:
		m.writeError(w, r, twinfed.FieldError("writes", "the batch has no writes"))
		return
	case n > MaxBatchWrites:
		m.writeError(w, r, twinfed.Errorf(twinfed.ETOOLARGE, "the batch has %d writes; send at most %d in one request", n, MaxBatchWrites))
		return
	}
	out := BatchResult{Results: make([]BatchWriteResult, len(req.Writes))}
	cmds := make([][]byte, 0, len(req.Writes))
	slots := make([]int, 0, len(req.Writes))
	now := m.now()
	for i := range req.Writes {
		bw := &req.Writes[i]
		cmd, err := m.batchCommand(who, bw)
		if err != nil {
			out.Results[i].Error = errorBody(err)
			continue
		}
		cmds = append(cmds, KeyedCommand(who.requestID(bw.Key), now, cmd))
		slots = append(slots, i)
	}
	if len(cmds) > 0 {
		entry := BatchCommand(cmds)
		if m.RecordsBatchResults() {
			entry = BatchCommandV2(cmds)
		}
		res, err := m.propose(r.Context(), entry)
		if _, u := m.Leader(); u != "" {
			w.Header().Set(headerLeader, u)
		}
		if err == nil && res.Err != nil {
			err = res.Err // a storage error: the entry applied nothing
		}
		if err == nil && len(res.Results) != len(cmds) {
			err = twinfed.Errorf(twinfed.EINTERNAL, "the batch entry answered %d results for %d writes: is every member up to date?", len(res.Results), len(cmds))
		}
		if err != nil {
			m.writeError(w, r, err)
			return
		}
		for j, sub := range res.Results {
			out.Results[slots[j]] = wireResult(sub)
		}
		out.Index = res.Index
		w.Header().Set(headerIndex, strconv.FormatUint(res.Index, 10))
	}
	writeJSON(w, http.StatusOK, out)
}

// batchCommand checks one write of a batch as its own endpoint checks it
// and returns its encoded command.
func (m *Member) batchCommand(who caller, bw *BatchWrite) ([]byte, error) {
	if !ValidRequestID(bw.Key) {
		return nil, twinfed.FieldError("key", "every write of a batch needs its own key: 1 to "+strconv.Itoa(MaxRequestIDLen)+" printable ASCII characters without spaces, such as a random UUID")
	}
	u, err := url.Parse(bw.Path)
	if err != nil || u.RawQuery != "" {
		return nil, twinfed.FieldError("path", "must be an API path such as /v1/schools")
	}
	r := &http.Request{Method: bw.Method, URL: u, Header: http.Header{}}
	switch id, isSchool := strings.CutPrefix(u.Path, "/v1/schools/"); {
	case bw.Method == http.MethodPost && u.Path == "/v1/schools",
		bw.Method == http.MethodPut && isSchool && id != "" && !strings.Contains(id, "/"):
		if isSchool { // a PUT of a school: its id
			r.SetPathValue("id", id)
		}
		s := bw.school
		if s == nil {
			s = new(twinfed.School)
			if err := decodeStrict(bw.Body, s); err != nil {
				return nil, err
			}
		}
		v, err := m.putSchoolCommand(r, who, s)
		if err != nil {
			return nil, err
		}
		return EncodeCommand(CmdPutSchoolV2, v)
	case bw.Method == http.MethodPost && u.Path == "/v1/labels/national":
		var l twinfed.QualityLabel
		if err := decodeStrict(bw.Body, &l); err != nil {
			return nil, err
		}
		v, err := m.nqlCommand(r, who, &l)
		if err != nil {
			return nil, err
		}
		return EncodeCommand(CmdRecordNQL, v)
	}
	return nil, twinfed.Errorf(twinfed.EINVALID, "%s %s cannot be sent in a batch; a batch carries %s", bw.Method, bw.Path, batchable)
}

// decodeStrict decodes one JSON value into dst, refusing unknown fields
// and trailing data, as a write's endpoint does.
func decodeStrict(body []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return twinfed.Errorf(twinfed.EINVALID, "the body is not valid JSON for this endpoint: %s", jsonProblem(err))
	}
	if dec.More() {
		return twinfed.Errorf(twinfed.EINVALID, "the body has data after its JSON value")
	}
	return nil
}

// ServesBatches reports whether this member serves POST /v1/batch: every
// voter of the Raft configuration has recorded that it applies CmdBatch
// entries (MemberInfo.Batches, which each member writes in its own record
// once it has started). A member of an older version skips an entry of a
// type it does not know: proposing batches while one voter is older would
// leave it without the writes the others applied. A yes is kept a second;
// a no is asked again each time (a member records itself within a second
// of a leader's election).
func (m *Member) ServesBatches() bool {
	return m.everyVoter(&m.batchesAt, func(mi *MemberInfo) bool { return mi.Batches })
}

// everyVoter reports whether has holds for the record (MemberInfo) of
// every voter of the Raft configuration. A yes is kept a second in
// cache (when it was said, UnixNano); a no is asked again each time.
func (m *Member) everyVoter(cache *atomic.Int64, has func(*MemberInfo) bool) bool {
	now := time.Now()
	if at := cache.Load(); at != 0 && now.UnixNano()-at < int64(time.Second) {
		return true
	}
	f := m.raft.GetConfiguration()
	if f.Error() != nil {
		return false
	}
	ok := true
	_ = m.stateDB.View(func(txn *badger.Txn) error {
		for _, s := range f.Configuration().Servers {
			var mi MemberInfo
			if s.Suffrage == raft.Voter && (getJSON(txn, pMember+string(s.ID), &mi) != nil || !has(&mi)) {
				ok = false
			}
		}
		return nil
	})
	if ok {
		cache.Store(now.UnixNano())
	}
	return ok
}
