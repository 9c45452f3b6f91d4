package consensus

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/federation/signing"
)

// ImportChunk is the number of schools per Raft entry of a bulk import;
// chunks are also cut before their JSON reaches MaxEntryBytes.
const (
	ImportChunk   = 1000
	MaxEntryBytes = 900 << 10
	// ImportInFlight is how many chunks of an import are proposed at once.
	ImportInFlight = 16
)

func (m *Member) routes() http.Handler {
	mux := newRouteMux() // records the patterns: Routes, openapi_test.go
	mux.HandleFunc("GET "+OpenAPIPath, serveOpenAPI)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", m.handleReady)
	switch {
	case m.cfg.MetricsElsewhere:
	case m.cfg.Metrics != nil:
		mux.Handle("GET /metrics", promhttp.HandlerFor(m.cfg.Metrics, promhttp.HandlerOpts{}))
	default:
		mux.Handle("GET /metrics", promhttp.HandlerFor(prometheus.NewRegistry(), promhttp.HandlerOpts{}))
	}

	mux.HandleFunc("GET /v1/countries", m.readHandler(func(txn *badger.Txn, r *http.Request) (any, error) { return readCountries(txn) }))
	mux.HandleFunc("GET /v1/countries/{code}", m.readHandler(func(txn *badger.Txn, r *http.Request) (any, error) {
		return readCountry(txn, r.PathValue("code"))
	}))
	mux.HandleFunc("PUT /v1/countries/{code}", writeHandler(m, CmdPutCountry, m.putCountryCommand))
	mux.HandleFunc("POST /v1/countries/{code}/keys", writeHandler(m, CmdAddCountryKey, m.addCountryKeyCommand))
	mux.HandleFunc("DELETE /v1/countries/{code}/keys/{id}", m.handleRemoveCountryKey)
	mux.HandleFunc("PUT /v1/countries/{code}/node", writeHandler(m, CmdSetCountryNode, m.setCountryNodeCommand))
	mux.HandleFunc("PUT /v1/countries/{code}/active", writeHandler(m, CmdSetCountryActive, m.setCountryActiveCommand))
	mux.HandleFunc("GET /v1/hosts/{host}", m.readHandler(func(txn *badger.Txn, r *http.Request) (any, error) {
		return readCountryByHost(txn, r.PathValue("host"))
	}))
	mux.HandleFunc("GET /v1/schools", m.readHandler(func(txn *badger.Txn, r *http.Request) (any, error) {
		f, err := schoolFilter(r)
		if err != nil {
			return nil, err
		}
		list, total, err := readFindSchools(txn, f, m.fsm.natnum)
		if err != nil {
			return nil, err
		}
		return SchoolPage{Schools: list, Total: total}, nil
	}))
	mux.HandleFunc("GET /v1/schools/{id}", m.readHandler(func(txn *badger.Txn, r *http.Request) (any, error) {
		return readSchool(txn, r.PathValue("id"))
	}))
	mux.HandleFunc("POST /v1/schools", writeHandler(m, CmdPutSchoolV2, m.putSchoolCommand))
	mux.HandleFunc("PUT /v1/schools/{id}", writeHandler(m, CmdPutSchoolV2, m.putSchoolCommand))
	mux.HandleFunc("POST /v1/schools/import", m.handleImport)
	mux.HandleFunc("POST /v1/labels/national", writeHandler(m, CmdRecordNQL, m.nqlCommand))
	mux.HandleFunc("POST /v1/batch", m.handleBatch)
	mux.HandleFunc("GET /v1/labels", m.readHandler(func(txn *badger.Txn, r *http.Request) (any, error) {
		p := r.URL.Query().Get("project")
		if p == "" {
			return nil, twinfed.FieldError("project", "give the project id (its URL) in ?project=")
		}
		n, e, err := readProjectLabels(txn, p)
		return ProjectLabels{National: n, European: e}, err
	}))
	mux.HandleFunc("GET /v1/labels/european", m.readHandler(func(txn *badger.Txn, r *http.Request) (any, error) {
		y := r.URL.Query().Get("school_year")
		if !ValidSchoolYear(y) {
			return nil, twinfed.FieldError("school_year", "give a school year such as 2025-2026 in ?school_year=")
		}
		return readEuropeanLabels(txn, y)
	}))
	mux.HandleFunc("POST /v1/labels/european/confirm", writeHandler(m, CmdConfirmEQL, m.confirmEQLCommand))
	mux.HandleFunc("POST /v1/prizes", writeHandler(m, CmdPutPrize, m.prizeCommand))
	mux.HandleFunc("GET /v1/prizes", m.readHandler(func(txn *badger.Txn, r *http.Request) (any, error) {
		y, _ := strconv.Atoi(r.URL.Query().Get("year"))
		return readPrizes(txn, y)
	}))
	mux.HandleFunc("GET /v1/changes", m.handleChanges)

	mux.HandleFunc("GET /v1/cluster/peers", m.handlePeers)
	mux.HandleFunc("POST /v1/cluster/join", m.handleJoin)
	mux.HandleFunc("POST /v1/cluster/leave", m.handleLeave)
	mux.HandleFunc("POST /v1/cluster/snapshot", m.handleSnapshot)
	mux.HandleFunc("GET /v1/cluster/backup", m.handleBackup)
	mux.HandleFunc("POST /v1/cluster/restore", m.handleRestore)
	mux.HandleFunc("POST /v1/internal/apply", m.handleInternalApply)
	mux.HandleFunc("POST /v1/internal/apply-batch", m.handleInternalApplyBatch)
	return mux
}

// countryCodes are the programme's country codes. twinfed.ValidCountryCode
// parses the country list at each call: too slow for an import's records.
var countryCodes = sync.OnceValue(func() map[string]bool {
	out := map[string]bool{}
	for _, c := range twinfed.SeedCountries() {
		out[c.Code] = true
	}
	return out
})

func validCountry(code string) bool { return countryCodes()[code] }

// SchoolPage is a page of a school search.
type SchoolPage struct {
	Schools []*twinfed.School `json:"schools"`
	Total   int               `json:"total"`
}

// ProjectLabels are the labels of one project.
type ProjectLabels struct {
	National []twinfed.QualityLabel `json:"national"`
	European *twinfed.EuropeanLabel `json:"european,omitempty"`
}

// WriteResult is the answer to every write: the Raft index of the entry
// and what was stored.
type WriteResult struct {
	Index  uint64          `json:"index"`
	School *twinfed.School `json:"school,omitempty"`
	// Country is the country record after a change to it.
	Country *twinfed.Country `json:"country,omitempty"`
	IDs     []string         `json:"ids,omitempty"`
	Count   int              `json:"count,omitempty"`
	// Replayed: the request id was applied before; this is that result.
	Replayed bool `json:"replayed,omitempty"`
}

// HeaderIdempotencyKey carries a write's request id: a write sent again
// with the same id (within IdempotencyWindow) is applied once and answers
// the first result and index.
const HeaderIdempotencyKey = "Idempotency-Key"

// requestID returns the request's Idempotency-Key, checked.
func requestID(r *http.Request) (string, error) {
	id := r.Header.Get(HeaderIdempotencyKey)
	if id != "" && !ValidRequestID(id) {
		return "", twinfed.Errorf(twinfed.EINVALID, "the %s header must be 1 to %d printable ASCII characters without spaces, such as a random UUID", HeaderIdempotencyKey, MaxRequestIDLen)
	}
	return id, nil
}

// APIError is the body of every error answer.
type APIError struct {
	Error ErrorBody `json:"error"`
	Index uint64    `json:"index,omitempty"`
}

// ErrorBody carries a domain error.
type ErrorBody struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

func (e ErrorBody) toError() *twinfed.Error {
	return &twinfed.Error{Code: e.Code, Message: e.Message, Fields: e.Fields}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	if b := appendHotJSON(make([]byte, 0, 512), v); b != nil {
		w.WriteHeader(status)
		_, _ = w.Write(b)
		return
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// appendHotJSON appends what json.Encoder writes for the answers of the
// hot paths, a school read, a school written and a batch of writes
// (TestWriteJSON_HotPaths),
// without reflection; nil for any other value.
func appendHotJSON(b []byte, v any) []byte {
	switch v := v.(type) {
	case *twinfed.School:
		if v != nil {
			return append(appendSchoolJSON(b, v), '\n')
		}
	case WriteResult:
		if v.Country == nil {
			b, _ = appendResultJSON(b, &ApplyResult{Index: v.Index, School: v.School, IDs: v.IDs, Count: v.Count, Replayed: v.Replayed})
			return append(b, '\n')
		}
	case BatchResult:
		b = slices.Grow(b, 400*len(v.Results)) // a result with its school: about 350 bytes
		b = append(b, `{"index":`...)
		b = strconv.AppendUint(b, v.Index, 10)
		b = append(b, `,"results":[`...)
		for i := range v.Results {
			r := &v.Results[i]
			if i > 0 {
				b = append(b, ',')
			}
			if r.Error != nil || r.Country != nil {
				j, err := json.Marshal(r)
				if err != nil {
					return nil
				}
				b = append(b, j...)
				continue
			}
			b, _ = appendResultJSON(b, &ApplyResult{Index: r.Index, School: r.School, IDs: r.IDs, Count: r.Count, Replayed: r.Replayed})
		}
		return append(b, "]}\n"...)
	}
	return nil
}

func (m *Member) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := twinfed.ErrorCode(err)
	if code == twinfed.EINTERNAL {
		m.logger.Error("registry: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, twinfed.HTTPStatus(code), APIError{Error: ErrorBody{Code: code, Message: twinfed.ErrorMessage(err), Fields: twinfed.ErrorFields(err)}})
}

func (m *Member) handleReady(w http.ResponseWriter, r *http.Request) {
	id, _ := m.Leader()
	if id == "" {
		http.Error(w, "no leader", http.StatusServiceUnavailable)
		return
	}
	if m.fsm.Applied() == 0 {
		http.Error(w, "state not loaded", http.StatusServiceUnavailable)
		return
	}
	io.WriteString(w, "ready\n")
}

func schoolFilter(r *http.Request) (twinfed.SchoolFilter, error) {
	q := r.URL.Query()
	f := twinfed.SchoolFilter{Country: q.Get("country"), Query: q.Get("q"), City: q.Get("city"), Region: q.Get("region"),
		NationalNumber: q.Get("national_number"), Status: twinfed.SchoolStatus(q.Get("status"))}
	var err error
	if s := q.Get("offset"); s != "" {
		if f.Offset, err = strconv.Atoi(s); err != nil || f.Offset < 0 {
			return f, twinfed.FieldError("offset", "must be a whole number ≥ 0")
		}
	}
	if s := q.Get("limit"); s != "" {
		if f.Limit, err = strconv.Atoi(s); err != nil || f.Limit < 0 || f.Limit > MaxPage {
			return f, twinfed.FieldError("limit", fmt.Sprintf("must be a whole number between 1 and %d", MaxPage))
		}
	}
	return f, nil
}

// readHandler serves a read at the consistency the request asks for:
// stale (default; this member's state, with its index and the time since
// it last heard from the leader) or consistent (linearizable: on the
// leader, forwarded there from a follower).
func (m *Member) readHandler(fn func(txn *badger.Txn, r *http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var idx uint64
		switch c := r.URL.Query().Get("consistency"); c {
		case "", "stale":
			m.metrics.reads.WithLabelValues("stale").Inc()
			idx = m.fsm.Applied()
			w.Header().Set(headerLastContact, strconv.FormatInt(m.LastContact().Milliseconds(), 10))
		case "consistent":
			m.metrics.reads.WithLabelValues("consistent").Inc()
			var forwarded bool
			var err error
			idx, forwarded, err = m.consistentRead(w, r)
			if forwarded {
				return
			}
			if err != nil {
				m.writeError(w, r, err)
				return
			}
		default:
			m.writeError(w, r, twinfed.FieldError("consistency", fmt.Sprintf("%q is not a consistency level; use stale or consistent", c)))
			return
		}
		var v any
		err := m.fsm.View(func(txn *badger.Txn) error {
			var err error
			v, err = fn(txn, r)
			return err
		})
		w.Header().Set(headerIndex, strconv.FormatUint(idx, 10))
		if err != nil {
			m.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

// consistentRead obtains a read index on the leader, or forwards the whole
// request to it (forwarded true: the answer is written).
func (m *Member) consistentRead(w http.ResponseWriter, r *http.Request) (uint64, bool, error) {
	ctx, cancel := context.WithTimeout(r.Context(), m.cfg.HoldWrites)
	defer cancel()
	for {
		idx, err := m.ReadIndex(ctx)
		if err == nil {
			return idx, false, nil
		}
		if !errors.Is(err, ErrNotLeader) {
			return 0, false, err
		}
		if r.Header.Get(headerForwarded) != "" {
			// A member forwarded this read believing we lead: let it retry.
			w.Header().Set(headerNotLeader, "1")
			return 0, false, twinfed.Errorf(twinfed.EUNAVAILABLE, "this member is not the leader")
		}
		if _, url := m.Leader(); url != "" && url != m.httpURL {
			if m.proxy(w, r, url, nil) {
				return 0, true, nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, false, twinfed.Errorf(twinfed.EUNAVAILABLE, "no registry leader could confirm a consistent read in time; retry, or read with consistency=stale")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// proxy sends r (with body) to the member at url and copies the answer.
// It returns false, writing nothing, when that member could not answer or
// is not the leader, so that the caller may retry.
func (m *Member) proxy(w http.ResponseWriter, r *http.Request, url string, body []byte) bool {
	m.metrics.forwarded.WithLabelValues("read").Inc()
	req, err := http.NewRequestWithContext(r.Context(), r.Method, url+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return false
	}
	for _, h := range []string{"Authorization", "Content-Type", "Date", "Digest", "Signature"} {
		if v := r.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	req.Header.Set(headerForwarded, "1")
	resp, err := m.fwd.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	if resp.Header.Get(headerNotLeader) != "" {
		io.Copy(io.Discard, resp.Body)
		return false
	}
	for k, vs := range resp.Header {
		if k == "Content-Type" || strings.HasPrefix(k, "X-Registry-") {
			w.Header()[k] = vs
		}
	}
	w.Header().Set(headerLeader, url)
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
	return true
}

// readWrite reads, authenticates and decodes a write's JSON body.
func (m *Member) readWrite(w http.ResponseWriter, r *http.Request, limit int64, dst any) (caller, []byte, bool) {
	body, err := signing.ReadBody(r, limit)
	if err != nil {
		m.writeError(w, r, err)
		return caller{}, nil, false
	}
	c, err := m.authenticate(r, body)
	if err != nil {
		m.writeError(w, r, err)
		return caller{}, nil, false
	}
	if dst != nil {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(dst); err != nil {
			m.writeError(w, r, twinfed.Errorf(twinfed.EINVALID, "the body is not valid JSON for this endpoint: %s", jsonProblem(err)))
			return caller{}, nil, false
		}
		if dec.More() {
			m.writeError(w, r, twinfed.Errorf(twinfed.EINVALID, "the body has data after its JSON value"))
			return caller{}, nil, false
		}
	}
	return c, body, true
}

func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q must be a %s", te.Field, te.Type)
	case errors.Is(err, io.EOF):
		return "the body is empty"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// commit proposes cmd, keyed with who's request id when there is one, and
// answers with its result.
func (m *Member) commit(w http.ResponseWriter, r *http.Request, who caller, t CommandType, v any) {
	cmd, err := EncodeCommand(t, v)
	if err != nil {
		m.writeError(w, r, err)
		return
	}
	if who.RequestID != "" {
		cmd = KeyedCommand(who.RequestID, m.now(), cmd)
	}
	res, err := m.propose(r.Context(), cmd)
	if _, u := m.Leader(); u != "" {
		w.Header().Set(headerLeader, u)
	}
	if err != nil {
		m.writeError(w, r, err)
		return
	}
	w.Header().Set(headerIndex, strconv.FormatUint(res.Index, 10))
	if res.Err != nil {
		writeJSON(w, twinfed.HTTPStatus(res.Err.Code), APIError{Index: res.Index, Error: ErrorBody{Code: res.Err.Code, Message: res.Err.Message, Fields: res.Err.Fields}})
		return
	}
	writeJSON(w, http.StatusOK, WriteResult{Index: res.Index, School: res.School, Country: res.Country, IDs: res.IDs, Count: res.Count, Replayed: res.Replayed})
}

// writeHandler serves a JSON write: it reads, authenticates and decodes
// the body (at most MaxBody, unknown fields refused) into a T; build checks
// the caller's right and the input and returns the command of type t to
// commit, or the error to answer.
func writeHandler[T any](m *Member, t CommandType, build func(r *http.Request, who caller, v *T) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var v T
		who, _, ok := m.readWrite(w, r, m.cfg.MaxBody, &v)
		if !ok {
			return
		}
		cmd, err := build(r, who, &v)
		if err != nil {
			m.writeError(w, r, err)
			return
		}
		m.commit(w, r, who, t, cmd)
	}
}

func (m *Member) putCountryCommand(r *http.Request, who caller, c *twinfed.Country) (any, error) {
	if err := requireAdmin(who, "change a country's node and keys"); err != nil {
		return nil, err
	}
	code := r.PathValue("code")
	if c.Code != "" && c.Code != code {
		return nil, twinfed.FieldError("code", "differs from the code in the URL")
	}
	c.Code = code
	if !validCountry(code) {
		return nil, twinfed.Errorf(twinfed.ENOTFOUND, "unknown country %q; use a country code of the programme such as IT", code)
	}
	if err := ValidateCountry(c); err != nil {
		return nil, err
	}
	cmd := PutCountryCommand{Country: *c, At: m.now().UTC()}
	if v := r.Header.Get("If-Match"); v != "" {
		n, err := strconv.ParseUint(strings.Trim(strings.TrimPrefix(v, "W/"), `"`), 10, 64)
		if err != nil {
			return nil, twinfed.Errorf(twinfed.EINVALID, "If-Match must carry the version of the record that was read, such as \"42\"")
		}
		cmd.IfVersion = &n
	}
	return cmd, nil
}

// countryCode checks the {code} of a country path.
func countryCode(r *http.Request) (string, error) {
	code := r.PathValue("code")
	if !validCountry(code) {
		return "", twinfed.Errorf(twinfed.ENOTFOUND, "unknown country %q; use a country code of the programme such as IT", code)
	}
	return code, nil
}

func (m *Member) addCountryKeyCommand(r *http.Request, who caller, k *twinfed.NodeKey) (any, error) {
	if err := requireAdmin(who, "change a country's keys"); err != nil {
		return nil, err
	}
	code, err := countryCode(r)
	if err != nil {
		return nil, err
	}
	if err := ValidateNodeKey(k); err != nil {
		return nil, err
	}
	return CountryKeyCommand{Code: code, Key: *k, At: m.now().UTC()}, nil
}

// handleRemoveCountryKey serves DELETE /v1/countries/{code}/keys/{id}.
func (m *Member) handleRemoveCountryKey(w http.ResponseWriter, r *http.Request) {
	who, _, ok := m.readWrite(w, r, m.cfg.MaxBody, nil)
	if !ok {
		return
	}
	if err := requireAdmin(who, "change a country's keys"); err != nil {
		m.writeError(w, r, err)
		return
	}
	code, err := countryCode(r)
	if err != nil {
		m.writeError(w, r, err)
		return
	}
	m.commit(w, r, who, CmdRemoveCountryKey, CountryKeyCommand{Code: code, Key: twinfed.NodeKey{ID: r.PathValue("id")}, At: m.now().UTC()})
}

// CountryNode is the body of PUT /v1/countries/{code}/node.
type CountryNode struct {
	NodeURL string `json:"node_url"`
	Agency  string `json:"agency,omitempty"`
}

func (m *Member) setCountryNodeCommand(r *http.Request, who caller, n *CountryNode) (any, error) {
	if err := requireAdmin(who, "change a country's node"); err != nil {
		return nil, err
	}
	code, err := countryCode(r)
	if err != nil {
		return nil, err
	}
	if n.NodeURL == "" {
		return nil, twinfed.FieldError("node_url", "is required: the node's base URL, such as https://it.twinfed.example")
	}
	if err := ValidateCountry(&twinfed.Country{NodeURL: n.NodeURL}); err != nil {
		return nil, err
	}
	return CountryNodeCommand{Code: code, NodeURL: n.NodeURL, Agency: strings.TrimSpace(n.Agency), At: m.now().UTC()}, nil
}

// CountryActive is the body of PUT /v1/countries/{code}/active.
type CountryActive struct {
	Active bool `json:"active"`
}

func (m *Member) setCountryActiveCommand(r *http.Request, who caller, a *CountryActive) (any, error) {
	if err := requireAdmin(who, "change whether a country takes part"); err != nil {
		return nil, err
	}
	code, err := countryCode(r)
	if err != nil {
		return nil, err
	}
	return CountryActiveCommand{Code: code, Active: a.Active, At: m.now().UTC()}, nil
}

func (m *Member) putSchoolCommand(r *http.Request, who caller, s *twinfed.School) (any, error) {
	if id := r.PathValue("id"); id != "" {
		if s.ID != "" && s.ID != id {
			return nil, twinfed.FieldError("id", "differs from the id in the URL")
		}
		s.ID = id
	} else if s.ID != "" {
		return nil, twinfed.FieldError("id", "is assigned by the registry: leave it empty to create, or PUT /v1/schools/{id} to update")
	}
	if err := who.mayWrite(s.Country); err != nil {
		return nil, err
	}
	if err := checkSchool(s); err != nil {
		return nil, err
	}
	if !validCountry(s.Country) {
		return nil, twinfed.Errorf(twinfed.EINVALID, "unknown country %q; use a country code of the programme such as IT", s.Country)
	}
	return PutSchoolCommand{School: *s, By: who.by(), At: m.now().UTC()}, nil
}

func (m *Member) nqlCommand(_ *http.Request, who caller, l *twinfed.QualityLabel) (any, error) {
	if err := who.mayWrite(l.Country); err != nil {
		return nil, err
	}
	if err := ValidateNQL(l); err != nil {
		return nil, err
	}
	return NQLCommand{Label: *l, By: who.by(), At: m.now().UTC()}, nil
}

func (m *Member) confirmEQLCommand(_ *http.Request, who caller, c *ConfirmEQLCommand) (any, error) {
	if err := requireAdmin(who, "confirm the European Quality Labels"); err != nil {
		return nil, err
	}
	c.At = m.now().UTC()
	return *c, nil
}

func (m *Member) prizeCommand(_ *http.Request, who caller, p *twinfed.PrizeEntry) (any, error) {
	if err := requireAdmin(who, "record European prize entries"); err != nil {
		return nil, err
	}
	return PrizeCommand{Entry: *p, At: m.now().UTC()}, nil
}

// ParseSchoolsCSV reads schools from CSV with a header row naming the
// columns: country, legal_name, public_name, city, region, national_number,
// level, institution, status, course_years (country, legal_name and level
// are required).
func ParseSchoolsCSV(r io.Reader) ([]twinfed.School, error) {
	return parseSchoolsCSV(r, 0)
}

// csvColumns are the columns of an import's CSV, in the order of the
// indexes parseSchoolsCSV resolves once from the header.
var csvColumns = [...]string{"country", "legal_name", "public_name", "city", "region", "national_number", "level", "institution", "status", "course_years"}

// parseSchoolsCSV is ParseSchoolsCSV with room made for about rows
// schools at once (an import's body counts its lines), so that the list
// is not copied as it grows.
func parseSchoolsCSV(r io.Reader, rows int) ([]twinfed.School, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, twinfed.Errorf(twinfed.EINVALID, "the CSV has no header row")
	}
	var col [len(csvColumns)]int
	for c, name := range csvColumns {
		col[c] = -1
		for i, h := range head {
			if strings.TrimSpace(strings.ToLower(h)) == name {
				col[c] = i // the last of repeated columns, as before
			}
		}
	}
	for _, req := range []int{0, 1, 6} { // country, legal_name, level
		if col[req] < 0 {
			return nil, twinfed.Errorf(twinfed.EINVALID, "the CSV header lacks the column %q; columns: country, legal_name, public_name, city, region, national_number, level, institution, status, course_years", csvColumns[req])
		}
	}
	get := func(rec []string, c int) string {
		if i := col[c]; i >= 0 && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	out := make([]twinfed.School, 0, rows)
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, twinfed.Errorf(twinfed.EINVALID, "CSV line %d: %v", line, err)
		}
		out = append(out, twinfed.School{Country: get(rec, 0), LegalName: get(rec, 1), PublicName: get(rec, 2),
			City: get(rec, 3), Region: get(rec, 4), NationalNumber: get(rec, 5),
			Level: twinfed.SchoolLevel(get(rec, 6)), Institution: twinfed.Institution(get(rec, 7)),
			Status: twinfed.SchoolStatus(get(rec, 8))})
		if cy := get(rec, 9); cy != "" {
			if out[len(out)-1].CourseYears, err = strconv.Atoi(cy); err != nil {
				return nil, twinfed.Errorf(twinfed.EINVALID, "CSV line %d: course_years must be a whole number", line)
			}
		}
	}
	return out, nil
}

func (m *Member) handleImport(w http.ResponseWriter, r *http.Request) {
	body, err := signing.ReadBody(r, m.cfg.MaxImportBody)
	if err != nil {
		m.writeError(w, r, err)
		return
	}
	who, err := m.authenticate(r, body)
	if err != nil {
		m.writeError(w, r, err)
		return
	}
	if err := requireAdmin(who, "import schools in bulk"); err != nil {
		m.writeError(w, r, err)
		return
	}
	var schools []twinfed.School
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "text/csv" {
		// Room for each line, up to 2^18 schools (60 MB): a body of empty
		// lines makes no larger list than an import of that many schools.
		schools, err = parseSchoolsCSV(bytes.NewReader(body), min(bytes.Count(body, []byte{'\n'}), 1<<18))
	} else {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if derr := dec.Decode(&schools); derr != nil {
			err = twinfed.Errorf(twinfed.EINVALID, "the body must be a JSON array of schools (or text/csv): %s", jsonProblem(derr))
		}
	}
	if err != nil {
		m.writeError(w, r, err)
		return
	}
	res, err := m.importSchools(r.Context(), schools, who.RequestID)
	if res != nil {
		w.Header().Set(headerIndex, strconv.FormatUint(res.Index, 10))
	}
	if err != nil {
		m.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// ImportSchools validates schools, then writes them in chunks of
// ImportChunk records (CmdImportSchoolsV2 entries under MaxEntryBytes), up
// to ImportInFlight chunks at once so that Raft batches them. The whole
// list is checked before any chunk is written; a chunk refused by the state
// (a national number already taken) stops the import and the error says
// how many were imported.
func (m *Member) ImportSchools(ctx context.Context, schools []twinfed.School) (*WriteResult, error) {
	return m.importSchools(ctx, schools, "")
}

// importSchools is ImportSchools; with a request id, chunk i carries the
// id "<id>#<i>", so that a repeated import applies each chunk once.
func (m *Member) importSchools(ctx context.Context, schools []twinfed.School, id string) (*WriteResult, error) {
	seen := make(map[string]int, len(schools))
	for i := range schools {
		s := &schools[i]
		s.ID = ""
		if s.Status == "" {
			s.Status = twinfed.SchoolValidated
		}
		if err := checkSchool(s); err != nil {
			err.Message = fmt.Sprintf("record %d: %s", i+1, err.Message)
			return nil, err
		}
		if !validCountry(s.Country) {
			return nil, twinfed.Errorf(twinfed.EINVALID, "record %d: unknown country %q", i+1, s.Country)
		}
		if s.NationalNumber != "" {
			k := s.Country + "/" + s.NationalNumber
			if j, dup := seen[k]; dup {
				return nil, twinfed.Errorf(twinfed.ECONFLICT, "records %d and %d have the same national school number %s", j+1, i+1, s.NationalNumber)
			}
			seen[k] = i
		}
	}
	var chunks [][]byte
	for start := 0; start < len(schools); {
		end := start
		size := 0
		for end < len(schools) && end-start < ImportChunk {
			n := schoolBinSize(&schools[end])
			if size+n > MaxEntryBytes && end > start {
				break
			}
			size += n
			end++
		}
		cmd := encodeImportBin(&ImportCommand{Schools: schools[start:end], At: m.now().UTC()})
		if id != "" {
			cmd = KeyedCommand(id+"#"+strconv.Itoa(len(chunks)), m.now(), cmd)
		}
		chunks = append(chunks, cmd)
		start = end
	}
	results := make([]*ApplyResult, len(chunks))
	errs := make([]error, len(chunks))
	sem := make(chan struct{}, ImportInFlight)
	var wg sync.WaitGroup
	for i, cmd := range chunks {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i], errs[i] = m.Apply(ctx, cmd)
		}()
	}
	wg.Wait()
	out := &WriteResult{IDs: make([]string, 0, len(schools))}
	for i, res := range results {
		if errs[i] != nil {
			if out.Count > 0 {
				return out, twinfed.Errorf(twinfed.ErrorCode(errs[i]), "%s (%d schools were imported before this chunk)", twinfed.ErrorMessage(errs[i]), out.Count)
			}
			return out, errs[i]
		}
		out.IDs = append(out.IDs, res.IDs...)
		out.Count += res.Count
		out.Replayed = out.Replayed || res.Replayed
		out.Index = max(out.Index, res.Index)
	}
	return out, nil
}

// Change is one key of the state changed since the index a reader asked
// for, with its current value (Deleted when it is gone).
type Change struct {
	Key     string `json:"k"`
	Value   []byte `json:"v,omitempty"`
	Deleted bool   `json:"d,omitempty"`
}

// ChangeSet is the answer of GET /v1/changes: the changes after since, up
// to Index; a reader holding them has the state as of Index (or newer).
// For since=0 it is a page of the whole state, in key order: Next, when
// set, is the last key of the page, to ask for the next page with
// since=0&after=Next; a reader holding every page has the state as of the
// first page's Index (or newer), and follows the feed from there.
type ChangeSet struct {
	Index   uint64   `json:"index"`
	Changes []Change `json:"changes"`
	Next    string   `json:"next,omitempty"`
	// Lineage changes when the cluster's state is restored from a backup:
	// a reader holding another lineage must drop its copy and start again
	// from since=0.
	Lineage string `json:"lineage,omitempty"`
}

// MaxChanges bounds the number of changed keys per change-feed answer
// (an entry is never split).
const MaxChanges = 20000

// feedGone is the answer to a reader behind the change feed's floor.
type feedGone struct{ floor uint64 }

func (e feedGone) Error() string {
	return fmt.Sprintf("the change feed keeps the changes after index %d only; reload the whole state with since=0 and follow the feed from there", e.floor)
}

func (m *Member) handleChanges(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	since, err := strconv.ParseUint(q.Get("since"), 10, 64)
	if q.Get("since") != "" && err != nil {
		m.writeError(w, r, twinfed.FieldError("since", "must be a registry index (a whole number ≥ 0)"))
		return
	}
	wait := 30 * time.Second
	if s := q.Get("wait"); s != "" {
		if wait, err = time.ParseDuration(s); err != nil || wait < 0 || wait > 5*time.Minute {
			m.writeError(w, r, twinfed.FieldError("wait", "must be a duration up to 5m, such as 30s"))
			return
		}
	}
	if l, ok := q["lineage"]; ok && l[0] != m.lineage() {
		wait = 0 // the reader follows a state from before a restore: answer at once
	}
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	for m.fsm.Applied() <= since && wait > 0 {
		ch := m.fsm.Changed()
		if m.fsm.Applied() > since {
			break
		}
		select {
		case <-ch:
			continue
		case <-ctx.Done():
		case <-m.done:
		}
		break
	}
	cs, err := m.fsm.changes(since, q.Get("after"), MaxChanges)
	var gone feedGone
	if errors.As(err, &gone) {
		// 410, as for a watch whose resource version is too old: the reader
		// must reload, not retry.
		w.Header().Set(headerFeedFloor, strconv.FormatUint(gone.floor, 10))
		writeJSON(w, http.StatusGone, APIError{Index: gone.floor, Error: ErrorBody{Code: twinfed.ECONFLICT, Message: gone.Error()}})
		return
	}
	if err != nil {
		m.writeError(w, r, err)
		return
	}
	w.Header().Set(headerIndex, strconv.FormatUint(cs.Index, 10))
	writeJSON(w, http.StatusOK, cs)
}

func (m *Member) lineage() string {
	var l string
	_ = m.fsm.View(func(txn *badger.Txn) error { l, _ = getString(txn, kLineage); return nil })
	return l
}

// changes returns the changes after since (at most limit keys, whole
// entries), or with since=0 a page of the whole state after the key after;
// feedGone when since is below the feed's floor (its records were pruned).
func (f *FSM) changes(since uint64, after string, limit int) (*ChangeSet, error) {
	cs := &ChangeSet{Changes: []Change{}}
	err := f.View(func(txn *badger.Txn) error {
		applied, err := getUint(txn, kApplied)
		if err != nil {
			return err
		}
		if cs.Lineage, err = getString(txn, kLineage); err != nil && !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		cs.Index = max(applied, since)
		if since == 0 {
			return dumpState(txn, after, limit, cs)
		}
		floor, err := getUint(txn, kFeedFloor)
		if err != nil {
			return err
		}
		if since < floor {
			return feedGone{floor}
		}
		seen := map[string]bool{}
		opts := badger.DefaultIteratorOptions
		opts.Prefix = []byte(pChange)
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Seek(changeKey(since + 1)); it.Valid(); it.Next() {
			item := it.Item()
			idx := uint64(0)
			if k := item.Key(); len(k) == len(pChange)+8 {
				idx = binaryIndex(k[len(pChange):])
			}
			if len(cs.Changes) >= limit {
				cs.Index = idx - 1
				break
			}
			err := item.Value(func(v []byte) error {
				for _, k := range decodeKeys(v) {
					if seen[string(k)] {
						continue
					}
					seen[string(k)] = true
					c := Change{Key: string(k)}
					it2, err := txn.Get(k)
					if errors.Is(err, badger.ErrKeyNotFound) {
						c.Deleted = true
					} else if err != nil {
						return err
					} else if c.Value, err = it2.ValueCopy(nil); err != nil {
						return err
					}
					cs.Changes = append(cs.Changes, c)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	return cs, err
}

// dumpState fills cs with up to limit mirrored keys of the state after the
// key after, in key order, and sets cs.Next when more follow.
func dumpState(txn *badger.Txn, after string, limit int, cs *ChangeSet) error {
	it := txn.NewIterator(badger.DefaultIteratorOptions)
	defer it.Close()
	seek := []byte(after)
	if after != "" {
		seek = append(seek, 0) // the first key after it
	}
	for it.Seek(seek); it.Valid(); {
		item := it.Item()
		k := item.Key()
		if !mirrored(k) {
			// Skip the whole range of the FSM's own keys (x/, m/).
			it.Seek([]byte{k[0], k[1] + 1})
			continue
		}
		if len(cs.Changes) >= limit {
			cs.Next = cs.Changes[len(cs.Changes)-1].Key
			break
		}
		v, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		cs.Changes = append(cs.Changes, Change{Key: string(k), Value: v})
		it.Next()
	}
	return nil
}

func (m *Member) handlePeers(w http.ResponseWriter, r *http.Request) {
	peers, err := m.Peers()
	if err != nil {
		m.writeError(w, r, twinfed.Errorf(twinfed.EUNAVAILABLE, "raft configuration unavailable: %v", err))
		return
	}
	writeJSON(w, http.StatusOK, peers)
}

// leaderOnly runs fn on the leader: here when this member leads, else the
// request is forwarded (held while there is no leader).
func (m *Member) leaderOnly(w http.ResponseWriter, r *http.Request, body []byte, fn func() (any, error)) {
	ctx, cancel := context.WithTimeout(r.Context(), m.cfg.HoldWrites)
	defer cancel()
	for {
		if m.IsLeader() {
			v, err := fn()
			if err == nil {
				writeJSON(w, http.StatusOK, v)
				return
			}
			if !errors.Is(err, ErrNotLeader) {
				m.writeError(w, r, err)
				return
			}
		} else if r.Header.Get(headerForwarded) != "" {
			w.Header().Set(headerNotLeader, "1")
			m.writeError(w, r, twinfed.Errorf(twinfed.EUNAVAILABLE, "this member is not the leader"))
			return
		} else if _, url := m.Leader(); url != "" && m.proxy(w, r, url, body) {
			return
		}
		select {
		case <-ctx.Done():
			m.writeError(w, r, twinfed.Errorf(twinfed.EUNAVAILABLE, "the registry has no leader at the moment; try again"))
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (m *Member) handleJoin(w http.ResponseWriter, r *http.Request) {
	var mi MemberInfo
	who, body, ok := m.readWrite(w, r, m.cfg.MaxBody, &mi)
	if !ok {
		return
	}
	if err := requireAdmin(who, "change the cluster"); err != nil {
		m.writeError(w, r, err)
		return
	}
	if mi.ID == "" || mi.RaftAddr == "" || mi.HTTPURL == "" {
		m.writeError(w, r, twinfed.Errorf(twinfed.EINVALID, "give id, raft_addr and http_url of the member to add"))
		return
	}
	m.leaderOnly(w, r, body, func() (any, error) {
		idx, err := m.AddVoter(r.Context(), mi)
		return WriteResult{Index: idx}, err
	})
}

func (m *Member) handleLeave(w http.ResponseWriter, r *http.Request) {
	var mi MemberInfo
	who, body, ok := m.readWrite(w, r, m.cfg.MaxBody, &mi)
	if !ok {
		return
	}
	if err := requireAdmin(who, "change the cluster"); err != nil {
		m.writeError(w, r, err)
		return
	}
	if mi.ID == "" {
		m.writeError(w, r, twinfed.FieldError("id", "give the id of the member to remove"))
		return
	}
	m.leaderOnly(w, r, body, func() (any, error) {
		idx, err := m.RemoveServer(r.Context(), mi.ID)
		return WriteResult{Index: idx}, err
	})
}

func (m *Member) handleSnapshot(w http.ResponseWriter, r *http.Request) {
	if !m.isAdmin(r) {
		m.writeError(w, r, twinfed.Errorf(twinfed.EUNAUTHORIZED, "the admin token is required"))
		return
	}
	idx, err := m.Snapshot()
	if err != nil {
		m.writeError(w, r, twinfed.Errorf(twinfed.EUNAVAILABLE, "snapshot failed: %v", err))
		return
	}
	writeJSON(w, http.StatusOK, WriteResult{Index: idx})
}

func (m *Member) handleBackup(w http.ResponseWriter, r *http.Request) {
	if !m.isAdmin(r) {
		m.writeError(w, r, twinfed.Errorf(twinfed.EUNAUTHORIZED, "the admin token is required"))
		return
	}
	idx := m.fsm.Applied()
	switch c := r.URL.Query().Get("consistency"); c {
	case "", "stale":
	case "consistent":
		// Every write acknowledged before the request is in the backup.
		var forwarded bool
		var err error
		if idx, forwarded, err = m.consistentRead(w, r); forwarded {
			return
		} else if err != nil {
			m.writeError(w, r, err)
			return
		}
	default:
		m.writeError(w, r, twinfed.FieldError("consistency", fmt.Sprintf("%q is not a consistency level; use stale or consistent", c)))
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set(headerIndex, strconv.FormatUint(idx, 10))
	if _, err := m.Backup(w); err != nil {
		m.logger.Error("registry: backup failed", "err", err)
	}
}

func (m *Member) handleRestore(w http.ResponseWriter, r *http.Request) {
	if !m.isAdmin(r) {
		m.writeError(w, r, twinfed.Errorf(twinfed.EUNAUTHORIZED, "the admin token is required"))
		return
	}
	body, err := signing.ReadBody(r, 4<<30)
	if err != nil {
		m.writeError(w, r, err)
		return
	}
	m.leaderOnly(w, r, body, func() (any, error) {
		idx, err := m.Restore(r.Context(), bytes.NewReader(body))
		return WriteResult{Index: idx}, err
	})
}

// internalResult is the wire form of an ApplyResult between members.
type internalResult struct {
	WriteResult
	Error *ErrorBody `json:"error,omitempty"`
	// Results are a CmdBatch or CmdBatchV2 entry's results.
	Results []BatchWriteResult `json:"results,omitempty"`
}

// applyResult is the ApplyResult r carries.
func (r *internalResult) applyResult() *ApplyResult {
	res := (&BatchWriteResult{WriteResult: r.WriteResult, Error: r.Error}).applyResult()
	if r.Results != nil {
		res.Results = make([]*ApplyResult, len(r.Results))
		for i := range r.Results {
			res.Results[i] = r.Results[i].applyResult()
		}
	}
	return res
}

func (m *Member) handleInternalApply(w http.ResponseWriter, r *http.Request) {
	if !m.isAdmin(r) {
		m.writeError(w, r, twinfed.Errorf(twinfed.EUNAUTHORIZED, "forwarded writes need the cluster's admin token"))
		return
	}
	if !m.IsLeader() {
		w.Header().Set(headerNotLeader, "1")
		m.writeError(w, r, twinfed.Errorf(twinfed.EUNAVAILABLE, "this member is not the leader"))
		return
	}
	cmd, err := signing.ReadBody(r, m.cfg.MaxImportBody)
	if err != nil || len(cmd) == 0 {
		m.writeError(w, r, twinfed.Errorf(twinfed.EINVALID, "empty command"))
		return
	}
	f := m.raft.Apply(cmd, m.cfg.HoldWrites)
	if err := f.Error(); err != nil {
		if errors.Is(err, errNotLeaderRaft) || errors.Is(err, errEnqueueTimeout) {
			w.Header().Set(headerNotLeader, "1")
			m.writeError(w, r, twinfed.Errorf(twinfed.EUNAVAILABLE, "this member is not the leader"))
			return
		}
		m.writeError(w, r, errMaybeApplied)
		return
	}
	writeJSON(w, http.StatusOK, internalResultOf(f))
}
