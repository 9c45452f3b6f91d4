package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/twinfed/twinfed"
)

// Web wraps an HTML handler: authentication, language, the body limit, and
// the CSRF check of every POST (whose form is parsed for h).
func (k *Kit) Web(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r = k.load(r)
		if r.Method == http.MethodPost {
			limit := formLimit(r, k.cfg.MaxFormBytes)
			if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
				limit = k.cfg.MaxUploadBytes + 64<<10
			}
			if r.ContentLength > limit {
				k.ErrorPage(w, r, twinfed.Errorf(twinfed.ETOOLARGE, "What you sent is too large. A photo may be at most %d KiB.", k.cfg.MaxUploadBytes>>10))
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			var err error
			if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
				err = r.ParseMultipartForm(1 << 20)
			} else {
				err = r.ParseForm()
			}
			if err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					k.ErrorPage(w, r, twinfed.Errorf(twinfed.ETOOLARGE, "What you sent is too large. A photo may be at most %d KiB.", k.cfg.MaxUploadBytes>>10))
					return
				}
				k.ErrorPage(w, r, twinfed.Errorf(twinfed.EINVALID, "The form could not be read. Reload the page and try again."))
				return
			}
			if !k.checkCSRF(State(r), r.PostFormValue("csrf")) {
				k.ErrorPage(w, r, twinfed.Errorf(twinfed.EFORBIDDEN, "This form has expired or did not come from this site. Reload the page and try again."))
				return
			}
		}
		h(w, r)
	}
}

// Member wraps a handler that needs a logged-in account: others are sent
// to the login page, which comes back here.
func (k *Kit) Member(h http.HandlerFunc) http.HandlerFunc {
	return k.Web(func(w http.ResponseWriter, r *http.Request) {
		if !State(r).Member() {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		h(w, r)
	})
}

// Agency wraps a back-office handler: agency staff only, checked on every request.
func (k *Kit) Agency(h http.HandlerFunc) http.HandlerFunc {
	return k.Member(func(w http.ResponseWriter, r *http.Request) {
		if !State(r).Principal.IsAgency() {
			k.ErrorPage(w, r, twinfed.Errorf(twinfed.EFORBIDDEN, "This page is for the national agency's staff."))
			return
		}
		h(w, r)
	})
}

type largeKey struct{}

// Large lets the body of the route h wraps (Web or API) be up to limit
// bytes instead of the kit's MaxFormBytes: a TwinSpace page's text.
func (k *Kit) Large(limit int64, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h(w, r.WithContext(context.WithValue(r.Context(), largeKey{}, limit)))
	}
}

// formLimit is the body limit of r's route: def, or Large's when larger.
func formLimit(r *http.Request, def int64) int64 {
	if l, ok := r.Context().Value(largeKey{}).(int64); ok && l > def {
		return l
	}
	return def
}

// APIHandler is a JSON route's handler, given the request's state.
type APIHandler func(w http.ResponseWriter, r *http.Request, st *RequestState)

// API wraps a JSON handler: authentication (required when auth is set),
// the body limit, and for state-changing requests authenticated by a
// session cookie the X-CSRF-Token header (the bearer token needs none:
// browsers never send it on their own).
func (k *Kit) API(auth bool, h APIHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r = k.load(r)
		st := State(r)
		if auth && st.Principal == nil {
			APIFail(w, twinfed.Errorf(twinfed.EUNAUTHORIZED, "Log in first (POST /api/v1/session) or send the agency's bearer token."))
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if st.Token != "" && !k.checkCSRF(st, r.Header.Get("X-CSRF-Token")) {
				APIFail(w, twinfed.Errorf(twinfed.EFORBIDDEN, "Missing or wrong X-CSRF-Token header; use the csrf_token of your session."))
				return
			}
			limit := formLimit(r, k.cfg.MaxFormBytes)
			if strings.HasSuffix(r.URL.Path, "/photo") || strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") { // a photo, a wall post's images
				limit = k.cfg.MaxUploadBytes
			}
			if r.ContentLength > limit {
				APIFail(w, twinfed.Errorf(twinfed.ETOOLARGE, "The body is too large; at most %d bytes.", limit))
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		h(w, r, st)
	}
}
