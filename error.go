package twinfed

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// Error codes. They are few on purpose: callers branch on them and HTTPStatus
// maps each to one status code.
const (
	EINVALID      = "invalid"      // the input is wrong; the message says how
	ENOTFOUND     = "not_found"    // the thing asked for does not exist
	ECONFLICT     = "conflict"     // the input clashes with what is stored (duplicate, wrong state)
	EFORBIDDEN    = "forbidden"    // the caller is known but may not do this
	EUNAUTHORIZED = "unauthorized" // the caller is not known (no session, bad signature)
	EUNAVAILABLE  = "unavailable"  // a dependency is down or there is no leader; try again
	ETOOLARGE     = "too_large"    // the body or upload is over the limit
	EINTERNAL     = "internal"     // a bug or an unexpected failure; details are logged only
)

// Error is the domain error. Message is safe to show to a person or a remote
// node; internal details never go in it. Fields holds per-field messages for
// forms (field name → message).
type Error struct {
	Code    string
	Message string
	Fields  map[string]string
	// Format and Args are what Errorf formatted Message from, so that a
	// page can translate the format (a message id of the catalogues) and
	// format it again in the reader's language.
	Format string
	Args   []any
}

// Error implements the error interface.
func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+e.Fields[k])
	}
	return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, strings.Join(parts, "; "))
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	e := &Error{Code: code, Message: fmt.Sprintf(format, args...)}
	if len(args) > 0 {
		e.Format, e.Args = format, args
	}
	return e
}

// ErrorFormat returns the format and arguments Errorf made the message of
// the *Error in err's chain from; "" when it was not formatted.
func ErrorFormat(err error) (string, []any) {
	var e *Error
	if errors.As(err, &e) {
		return e.Format, e.Args
	}
	return "", nil
}

// FieldError returns an EINVALID error for one form field.
func FieldError(field, message string) *Error {
	return &Error{Code: EINVALID, Message: message, Fields: map[string]string{field: message}}
}

// ErrorCode returns the code of the *Error in err's chain, "" for nil and
// EINTERNAL for any other error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the *Error in err's chain, "" for nil
// and a generic message for any other error, so that internal details are
// never shown outside.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ErrorFields returns the per-field messages of the *Error in err's chain.
func ErrorFields(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// HTTPStatus maps an error code to an HTTP status. It is the only place
// where that mapping is made.
func HTTPStatus(code string) int {
	switch code {
	case "":
		return http.StatusOK
	case EINVALID:
		return http.StatusBadRequest
	case ENOTFOUND:
		return http.StatusNotFound
	case ECONFLICT:
		return http.StatusConflict
	case EFORBIDDEN:
		return http.StatusForbidden
	case EUNAUTHORIZED:
		return http.StatusUnauthorized
	case EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	default:
		return http.StatusInternalServerError
	}
}

// CodeForStatus is the inverse of HTTPStatus, for clients that turn a remote
// answer back into a domain error.
func CodeForStatus(status int) string {
	switch {
	case status < 400:
		return ""
	case status == http.StatusBadRequest, status == http.StatusUnprocessableEntity:
		return EINVALID
	case status == http.StatusNotFound:
		return ENOTFOUND
	case status == http.StatusConflict:
		return ECONFLICT
	case status == http.StatusForbidden:
		return EFORBIDDEN
	case status == http.StatusUnauthorized:
		return EUNAUTHORIZED
	case status == http.StatusServiceUnavailable, status == http.StatusTooManyRequests:
		return EUNAVAILABLE
	case status == http.StatusRequestEntityTooLarge:
		return ETOOLARGE
	default:
		return EINTERNAL
	}
}
