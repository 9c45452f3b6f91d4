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
				limit = formLimit(r, k.cfg.MaxUploadBytes+64<<10) // Large's when larger: several photos
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

// errScoped refuses a pupil's or a visitor's session on a member's page
// or endpoint.
var errScoped = twinfed.Errorf(twinfed.EFORBIDDEN, "This page is for teachers' accounts. Your TwinSpaces are on the page My TwinSpaces.")

// Member wraps a handler that needs a logged-in account: others are sent
// to the login page, which comes back here. A pupil's or a visitor's
// session is refused (403, in their language), as a refused session is.
func (k *Kit) Member(h http.HandlerFunc) http.HandlerFunc {
	return k.Web(func(w http.ResponseWriter, r *http.Request) {
		st := State(r)
		if st.Refused != nil {
			k.ErrorPage(w, r, st.Refused)
			return
		}
		if st.Scoped != nil {
			k.ErrorPage(w, r, errScoped)
			return
		}
		if !st.Member() {
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
// bytes instead of the kit's MaxFormBytes (a TwinSpace page's text), or,
// for a multipart form, instead of MaxUploadBytes (an event's photos).
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
			switch {
			case st.Refused != nil:
				APIFail(w, st.Refused)
			case st.Scoped != nil:
				APIFail(w, errScoped)
			default:
				APIFail(w, twinfed.Errorf(twinfed.EUNAUTHORIZED, "Log in first (POST /api/v1/session) or send the agency's bearer token."))
			}
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if st.Token != "" && !k.checkCSRF(st, r.Header.Get("X-CSRF-Token")) {
				APIFail(w, twinfed.Errorf(twinfed.EFORBIDDEN, "Missing or wrong X-CSRF-Token header; use the csrf_token of your session."))
				return
			}
			limit := formLimit(r, k.cfg.MaxFormBytes)
			if strings.HasSuffix(r.URL.Path, "/photo") || strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") { // a photo, a wall post's images
				limit = formLimit(r, k.cfg.MaxUploadBytes) // Large's when larger: an event's photos
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

// Space wraps a page of the TwinSpaces, open to members and to pupils
// and visitors alike: for them the request's Principal is their scoped
// principal (State(r).Principal.Role.IsScoped()). A refused session
// (an expired visitor's) is told why; anyone without a session is sent
// to the login page. What each may do there is the handler's to check
// (twinfed.SpaceCan).
func (k *Kit) Space(h http.HandlerFunc) http.HandlerFunc {
	return k.Web(func(w http.ResponseWriter, r *http.Request) {
		st := State(r)
		if st.Refused != nil {
			k.ErrorPage(w, r, st.Refused)
			return
		}
		if st.Principal == nil && st.Scoped != nil {
			st.Principal = st.Scoped
		}
		if st.Principal == nil || st.Bearer {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		h(w, r)
	})
}

// SpacePublic wraps an HTML handler of the TwinSpaces that the public
// reads too (a TwinSpace's cover, its published pages, its diary): as
// Space, without sending a reader who has no session to the login page.
func (k *Kit) SpacePublic(h http.HandlerFunc) http.HandlerFunc {
	return k.Web(func(w http.ResponseWriter, r *http.Request) {
		st := State(r)
		if st.Refused != nil {
			k.ErrorPage(w, r, st.Refused)
			return
		}
		if st.Principal == nil && st.Scoped != nil {
			st.Principal = st.Scoped
		}
		h(w, r)
	})
}

// SpacePublicAPI is SpaceAPI for what the public reads too: a request
// without a session gets the public's answer.
func (k *Kit) SpacePublicAPI(h APIHandler) http.HandlerFunc {
	return k.API(false, func(w http.ResponseWriter, r *http.Request, st *RequestState) {
		if st.Principal == nil && st.Scoped != nil {
			st.Principal = st.Scoped
		}
		if st.Refused != nil {
			APIFail(w, st.Refused)
			return
		}
		h(w, r, st)
	})
}

// SpaceAPI wraps a JSON handler of the TwinSpaces, as API(true, h) does,
// open also to pupils' and visitors' sessions (their scoped principal in
// st.Principal).
func (k *Kit) SpaceAPI(h APIHandler) http.HandlerFunc {
	return k.API(false, func(w http.ResponseWriter, r *http.Request, st *RequestState) {
		if st.Principal == nil && st.Scoped != nil {
			st.Principal = st.Scoped
		}
		switch {
		case st.Refused != nil:
			APIFail(w, st.Refused)
		case st.Principal == nil:
			APIFail(w, twinfed.Errorf(twinfed.EUNAUTHORIZED, "Log in first (POST /api/v1/session) or send the agency's bearer token."))
		default:
			h(w, r, st)
		}
	})
}
