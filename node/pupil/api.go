package pupil

import (
	"net/http"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The JSON API: a teacher's pupils and visitors (/api/v1/pupils…), the
// pupils' and visitors' login (/api/v1/pupils/session) and their
// TwinSpaces (/api/v1/my-twinspaces).

func (h *Web) apiRoutes(k *web.Kit) {
	k.HandleFunc("GET /api/v1/pupils", k.API(true, h.apiList))
	k.HandleFunc("POST /api/v1/pupils", k.API(true, web.Action(h.apiCreate)))
	k.HandleFunc("POST /api/v1/pupils/visitors", k.API(true, web.Action(h.apiInvite)))
	k.HandleFunc("POST /api/v1/pupils/{username}/password", k.API(true, h.apiReset))
	k.HandleFunc("DELETE /api/v1/pupils/{username}", k.API(true, h.apiRemove))
	k.Handle("POST /api/v1/pupils/session", k.Limited(web.LimitLogin, k.API(false, h.apiLogin)))
	k.HandleFunc("GET /api/v1/my-twinspaces", k.SpaceAPI(h.apiMySpaces))
}

// ListBody answers GET /api/v1/pupils.
type ListBody struct {
	Pupils   []*Account `json:"pupils"`
	Visitors []*Account `json:"visitors"`
}

// CredentialsBody answers the creation of pupils and a reset: the
// passwords, shown this once.
type CredentialsBody struct {
	Credentials []Credential `json:"credentials"`
}

func (h *Web) apiList(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	pupils, visitors, err := h.svc.Mine(r.Context(), st.Principal)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, ListBody{Pupils: pupils, Visitors: visitors})
}

func (h *Web) apiCreate(r *http.Request, p *twinfed.Principal, in struct {
	Names []string `json:"names"`
}) (any, error) {
	if err := RequireTeacher(p); err != nil {
		return nil, err
	}
	if len(in.Names) > MaxClassList {
		return nil, twinfed.Errorf(twinfed.EINVALID, "A class list holds at most %d names; this one has %d. Split it in two.", MaxClassList, len(in.Names))
	}
	for i, n := range in.Names {
		if err := checkName(cleanName(n)); err != nil {
			return nil, twinfed.Errorf(twinfed.EINVALID, "Name %d: enter 1 to 60 characters. No account was made.", i+1)
		}
	}
	creds, err := h.svc.CreatePupils(r.Context(), p, in.Names)
	if err != nil {
		return nil, err
	}
	return CredentialsBody{Credentials: creds}, nil
}

func (h *Web) apiInvite(r *http.Request, p *twinfed.Principal, in Invitation) (any, error) {
	return h.svc.Invite(r.Context(), p, in)
}

func (h *Web) apiReset(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	cred, err := h.svc.ResetPassword(r.Context(), st.Principal, r.PathValue("username"))
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, CredentialsBody{Credentials: []Credential{*cred}})
}

func (h *Web) apiRemove(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	if err := h.svc.Remove(r.Context(), st.Principal, r.PathValue("username")); err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// SessionBody answers a pupil's or a visitor's login: the session cookie
// is set, and the CSRF token is returned for the X-CSRF-Token header.
type SessionBody struct {
	Account   *Account `json:"account"`
	CSRFToken string   `json:"csrf_token"`
}

func (h *Web) apiLogin(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	a, sess, err := h.svc.Login(r.Context(), in.Username, in.Password, web.ClientIP(r))
	if err != nil {
		web.APIFail(w, err)
		return
	}
	h.kit.SetSession(w, sess.Token, sess.Expires)
	web.WriteJSON(w, http.StatusOK, SessionBody{Account: a, CSRFToken: sess.CSRF})
}

func (h *Web) apiMySpaces(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	if !st.Principal.Role.IsScoped() {
		web.APIFail(w, twinfed.Errorf(twinfed.EFORBIDDEN, "This is the list of a pupil's or a visitor's TwinSpaces; a member's are their projects."))
		return
	}
	a, err := h.svc.Account(r.Context(), st.Principal.Username)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, a)
}
