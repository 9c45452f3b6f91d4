package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/twinfed/twinfed"
)

// APIError is the JSON body of every API error.
type APIError struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields,omitempty"`
	} `json:"error"`
}

// WriteJSON answers v as indented JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// APIFail answers err as an APIError, with the HTTP status of its code
// (twinfed.HTTPStatus), or 429 and Retry-After for a RateLimited error.
func APIFail(w http.ResponseWriter, err error) {
	var body APIError
	var rl RateLimited
	status := twinfed.HTTPStatus(twinfed.ErrorCode(err))
	body.Error.Code = twinfed.ErrorCode(err)
	body.Error.Message = twinfed.ErrorMessage(err)
	body.Error.Fields = twinfed.ErrorFields(err)
	if errors.As(err, &rl) {
		w.Header().Set("Retry-After", strconv.Itoa(int(rl.RetryIn().Seconds())+1))
		var many tooMany
		switch {
		case body.Error.Code == twinfed.EUNAVAILABLE: // busy: 503, try again soon
		case errors.As(err, &many):
			status = http.StatusTooManyRequests
			body.Error.Code = "rate_limited"
			body.Error.Message = "Too many requests from your address. Wait a little and try again."
		default:
			status = http.StatusTooManyRequests
			body.Error.Code = "rate_limited"
			body.Error.Message = "Too many failed attempts. Wait a few minutes and try again."
		}
	}
	WriteJSON(w, status, body)
}

// Decode reads a JSON body into v, refusing unknown fields.
func Decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return twinfed.Errorf(twinfed.ETOOLARGE, "The body is too large; at most %d bytes.", mbe.Limit)
		}
		return twinfed.Errorf(twinfed.EINVALID, "The body is not the JSON expected: %s.", strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

// Action is an API handler that decodes an In from the request body,
// does do with it for the principal and answers with do's result, or
// {"status": "ok"} when it has none.
func Action[In any](do func(r *http.Request, p *twinfed.Principal, in In) (any, error)) APIHandler {
	return func(w http.ResponseWriter, r *http.Request, st *RequestState) {
		var in In
		if err := Decode(r, &in); err != nil {
			APIFail(w, err)
			return
		}
		out, err := do(r, st.Principal, in)
		if err != nil {
			APIFail(w, err)
			return
		}
		if out == nil {
			out = map[string]string{"status": "ok"}
		}
		WriteJSON(w, http.StatusOK, out)
	}
}
