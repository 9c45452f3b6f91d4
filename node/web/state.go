package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/twinfed/twinfed"
)

// Cookie names.
const (
	cookieSession = "twinfed_session"
	cookieAnon    = "twinfed_anon" // anonymous visitor id, binds the CSRF token of forms before login
	cookieLang    = "twinfed_lang"
)

// Authenticator is what the kit asks of the accounts (the account
// feature implements it).
type Authenticator interface {
	// Authenticate returns the principal of a session token (its Locale
	// read with the account) and the session's CSRF token; an unknown or
	// expired token is an error (EUNAUTHORIZED).
	Authenticate(ctx context.Context, token string) (p *twinfed.Principal, csrf string, err error)
	// AnonymousCSRF is the CSRF token of the forms of a visitor without
	// a session, bound to their anonymous cookie's value.
	AnonymousCSRF(anon string) string
	// Member returns the account of a logged-in member, shown on every
	// page (ENOTFOUND when there is none).
	Member(ctx context.Context, username string) (*twinfed.Member, error)
}

// Counter gives the counts of the top menu's badges.
type Counter interface {
	// Counts returns p's unread counts (zero for anyone without social
	// features).
	Counts(ctx context.Context, p *twinfed.Principal) Counts
}

// Counts are the top menu's badges.
type Counts struct {
	Notifications int `json:"notifications"` // unread
	Messages      int `json:"messages"`      // unread
	Requests      int `json:"requests"`      // contact requests waiting for an answer
}

type ctxKey struct{}

// RequestState is what the kit learns about a request before its
// handler runs.
//
// A pupil's or a visitor's session (a principal whose Role.IsScoped) is
// kept in Scoped, not in Principal: every handler that is not wrapped
// with Space or SpaceAPI sees them as a visitor without a session, so
// that such a session never passes for a member's. Space and SpaceAPI
// put it in Principal for the TwinSpace's handlers.
type RequestState struct {
	Principal *twinfed.Principal // nil: a visitor without a session (or a pupil's, outside Space)
	// Scoped is a pupil's or a visitor's principal (nil for anyone else).
	Scoped *twinfed.Principal
	// Refused is why the Authenticator refused a session it knows (an
	// expired visitor's: EFORBIDDEN, saying since when); nil otherwise.
	Refused error
	Token   string // the session token (cookie); empty without a session
	Bearer  bool   // authenticated by the agency's API token
	Lang    string // the page language
	csrf    string // the session's CSRF token; empty without a session
	anon    string // anonymous cookie value
}

// Member reports whether the request comes from a logged-in account (not
// the API token).
func (st *RequestState) Member() bool {
	return st.Principal != nil && !st.Bearer && !st.Principal.Role.IsScoped()
}

// State returns the request's state (an empty one for a request that no
// wrapper loaded).
func State(r *http.Request) *RequestState {
	if st, ok := r.Context().Value(ctxKey{}).(*RequestState); ok {
		return st
	}
	return &RequestState{}
}

// load authenticates the request (session cookie or bearer token) and
// chooses its language. Every wrapper calls it.
// Load authenticates r and sets its state (State), as Web does before
// its handler: for a handler that reads its own body.
func (k *Kit) Load(r *http.Request) *http.Request { return k.load(r) }

func (k *Kit) load(r *http.Request) *http.Request {
	st := &RequestState{}
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "Bearer ") && k.cfg.APIToken != "" {
		if subtle.ConstantTimeCompare([]byte(strings.TrimPrefix(auth, "Bearer ")), []byte(k.cfg.APIToken)) == 1 {
			st.Principal = &twinfed.Principal{Username: "api-token", Role: twinfed.RoleAgencyAdmin, Status: twinfed.StatusValidated}
			st.Bearer = true
		}
	}
	if st.Principal == nil {
		if ck, err := r.Cookie(cookieSession); err == nil && ck.Value != "" {
			p, csrf, err := k.cfg.Accounts.Authenticate(r.Context(), ck.Value)
			switch {
			case err == nil && p.Role.IsScoped():
				st.Scoped, st.csrf, st.Token = p, csrf, ck.Value
			case err == nil:
				st.Principal, st.csrf, st.Token = p, csrf, ck.Value
			case twinfed.ErrorCode(err) == twinfed.EFORBIDDEN:
				st.Refused = err
			}
		}
	}
	if ck, err := r.Cookie(cookieAnon); err == nil && len(ck.Value) >= 20 {
		st.anon = ck.Value
	}
	memberLang := ""
	if st.Member() {
		memberLang = st.Principal.Locale // read with the account by Authenticate
	} else if st.Scoped != nil {
		memberLang = st.Scoped.Locale
	}
	st.Lang = k.cat.Pick(memberLang, r)
	return r.WithContext(context.WithValue(r.Context(), ctxKey{}, st))
}

// csrfToken is the token forms must carry: the session's, or for a visitor
// without a session one bound to their anonymous cookie, which it sets
// when w is not nil and the visitor has none.
func (k *Kit) csrfToken(w http.ResponseWriter, st *RequestState) string {
	if st.Token != "" {
		return st.csrf
	}
	if st.anon == "" && w != nil {
		st.anon = randomToken()
		http.SetCookie(w, &http.Cookie{Name: cookieAnon, Value: st.anon, Path: "/", HttpOnly: true, Secure: k.cfg.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: 7 * 24 * 3600})
	}
	if st.anon == "" {
		return ""
	}
	return k.cfg.Accounts.AnonymousCSRF(st.anon)
}

// CheckCSRF reports whether got is the CSRF token of st's session (or of
// its anonymous cookie): for a handler that reads its own body (a large
// upload) rather than through Web.
func (k *Kit) CheckCSRF(st *RequestState, got string) bool { return k.checkCSRF(st, got) }

func (k *Kit) checkCSRF(st *RequestState, got string) bool {
	want := k.csrfToken(nil, st)
	return want != "" && got != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// randomToken is 32 random bytes, URL-safe base64.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// SetSession sets the session cookie with a Max-Age counted on the node's
// clock, not an Expires date: a browser whose clock differs from the
// node's (or a test's cookie jar beside a node on an injected clock) keeps
// the cookie exactly as long as the node keeps the session.
func (k *Kit) SetSession(w http.ResponseWriter, token string, expires time.Time) {
	maxAge := int(expires.Sub(k.cfg.Now()) / time.Second)
	if maxAge < 1 {
		maxAge = 1
	}
	http.SetCookie(w, &http.Cookie{Name: cookieSession, Value: token, Path: "/", HttpOnly: true, Secure: k.cfg.SecureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: maxAge})
}

// ClearSession removes the session cookie.
func (k *Kit) ClearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: cookieSession, Value: "", Path: "/", HttpOnly: true, Secure: k.cfg.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// SetLanguage sets the language preference cookie (a year), which Pick
// reads after a member's own choice.
func (k *Kit) SetLanguage(w http.ResponseWriter, lang string) {
	http.SetCookie(w, &http.Cookie{Name: cookieLang, Value: lang, Path: "/", HttpOnly: true, Secure: k.cfg.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600})
}
