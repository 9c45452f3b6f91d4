package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// sessionsByToken authenticates three tokens: a member's, a pupil's and
// an expired visitor's.
type sessionsByToken struct{ nobody }

func (sessionsByToken) Authenticate(_ context.Context, token string) (*twinfed.Principal, string, error) {
	switch token {
	case "member":
		return &twinfed.Principal{Username: "anna", Role: twinfed.RoleMember, Status: twinfed.StatusValidated}, "csrf-m", nil
	case "pupil":
		return &twinfed.Principal{Username: "luca.k7mz", Role: twinfed.RolePupil, Locale: "it"}, "csrf-p", nil
	case "expired":
		return nil, "", twinfed.Errorf(twinfed.EFORBIDDEN, "Your invitation as a visitor ended on %s. Ask the teacher who invited you for a new one.", "2026-01-31")
	}
	return nil, "", twinfed.Errorf(twinfed.EUNAUTHORIZED, "no session")
}

// TestKit_ScopedSessions: a pupil's or a visitor's session is a visitor
// without a session for every handler but Space's and SpaceAPI's; Member
// and API(true) refuse it (403, in the pupil's language), and a refused
// session is told why.
func TestKit_ScopedSessions(t *testing.T) {
	k, err := web.New(web.Config{Languages: []string{"it", "en"}, Accounts: sessionsByToken{}})
	if err != nil {
		t.Fatal(err)
	}
	who := func(w http.ResponseWriter, r *http.Request) {
		st := web.State(r)
		name := "nobody"
		if st.Principal != nil {
			name = st.Principal.Username
		}
		fmt.Fprintf(w, "principal=%s member=%v", name, st.Member())
	}
	api := func(w http.ResponseWriter, r *http.Request, st *web.RequestState) { who(w, r) }
	k.HandleFunc("GET /web", k.Web(who))
	k.HandleFunc("GET /member", k.Member(who))
	k.HandleFunc("GET /agency", k.Agency(who))
	k.HandleFunc("GET /space", k.Space(who))
	k.HandleFunc("GET /api/member", k.API(true, api))
	k.HandleFunc("GET /api/space", k.SpaceAPI(api))

	for _, tc := range []struct {
		token, path string
		code        int
		want        string
	}{
		{"member", "/web", 200, "principal=anna member=true"},
		{"member", "/member", 200, "principal=anna member=true"},
		{"member", "/space", 200, "principal=anna member=true"},
		{"member", "/api/member", 200, "principal=anna member=true"},
		{"member", "/api/space", 200, "principal=anna member=true"},
		{"pupil", "/web", 200, "principal=nobody member=false"},
		{"pupil", "/member", 403, "Questa pagina è per gli account degli insegnanti"},
		{"pupil", "/agency", 403, "Questa pagina è per gli account degli insegnanti"},
		{"pupil", "/api/member", 403, `"forbidden"`},
		{"pupil", "/space", 200, "principal=luca.k7mz member=false"},
		{"pupil", "/api/space", 200, "principal=luca.k7mz member=false"},
		{"expired", "/web", 200, "principal=nobody member=false"},
		{"expired", "/member", 403, "2026-01-31"},
		{"expired", "/space", 403, "2026-01-31"},
		{"expired", "/api/member", 403, "2026-01-31"},
		{"expired", "/api/space", 403, "2026-01-31"},
		{"", "/space", 303, ""},
		{"", "/api/space", 401, `"unauthorized"`},
	} {
		req := httptest.NewRequest(http.MethodGet, tc.path, nil)
		req.Header.Set("Accept-Language", "en")
		if tc.token != "" {
			req.AddCookie(&http.Cookie{Name: "twinfed_session", Value: tc.token})
		}
		rec := httptest.NewRecorder()
		k.ServeHTTP(rec, req)
		if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s GET %s: %d, want %d with %q\n%.600s", tc.token, tc.path, rec.Code, tc.code, tc.want, rec.Body.String())
		}
	}
}
