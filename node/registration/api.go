package registration

import (
	"net/http"
	"strconv"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/web"
)

// The registration's JSON API.

func (h *Web) apiRoutes(k *web.Kit) {
	k.Handle("POST /api/v1/registrations", k.Limited(web.LimitRegister, k.API(false, h.apiRegister)))
	k.HandleFunc("POST /api/v1/registrations/confirm", k.API(false, h.apiConfirm))
	k.HandleFunc("GET /api/v1/schools", k.API(true, h.apiSchools))
	k.HandleFunc("PUT /api/v1/me/registration/school", k.API(true, h.apiSetSchool))
	k.HandleFunc("PUT /api/v1/me/registration/role", k.API(true, h.apiSetRole))
	k.HandleFunc("PUT /api/v1/me/registration/preferences", k.API(true, h.apiSetPrefs))
	k.HandleFunc("POST /api/v1/me/registration/submit", k.API(true, h.apiSubmit))
	k.HandleFunc("POST /api/v1/me/schools", k.API(true, h.apiAddSchool))
}

// writeMember answers with the member and their registration step.
func writeMember(w http.ResponseWriter, m *twinfed.Member, err error) {
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"member": m, "registration_step": twinfed.RegistrationStep(m)})
}

func (h *Web) apiRegister(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in account.PreRegistration
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	if in.Locale == "" {
		in.Locale = st.Lang
	}
	m, err := h.accounts.PreRegister(r.Context(), in)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, map[string]any{"username": m.Username, "status": m.Status, "message": "A confirmation link has been sent to " + m.Email + "."})
}

func (h *Web) apiConfirm(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in struct {
		Token string `json:"token"`
	}
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	m, tok, sess, err := h.accounts.ConfirmEmail(r.Context(), in.Token)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	h.kit.SetSession(w, tok, sess.Expires)
	web.WriteJSON(w, http.StatusOK, account.SessionBody{Member: m, CSRFToken: sess.CSRF, Next: "/api/v1/me/registration/school"})
}

func (h *Web) apiSchools(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	list, total, err := h.svc.FindSchools(r.Context(), r.URL.Query().Get("q"), max(off, 0), 20)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"schools": list, "total": total})
}

func (h *Web) apiSetSchool(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in twinfed.SchoolChoice
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	m, err := h.svc.SetSchool(r.Context(), st.Principal, in)
	writeMember(w, m, err)
}

func (h *Web) apiSetRole(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in struct {
		Role string `json:"role"`
	}
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	m, err := h.svc.SetRole(r.Context(), st.Principal, in.Role)
	writeMember(w, m, err)
}

func (h *Web) apiSetPrefs(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in twinfed.Preferences
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	m, err := h.svc.SetPreferences(r.Context(), st.Principal, in)
	writeMember(w, m, err)
}

func (h *Web) apiSubmit(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	m, err := h.svc.Submit(r.Context(), st.Principal)
	writeMember(w, m, err)
}

func (h *Web) apiAddSchool(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in struct {
		twinfed.SchoolChoice
		Role string `json:"role"`
	}
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	m, err := h.svc.AddSchool(r.Context(), st.Principal, in.SchoolChoice, in.Role)
	writeMember(w, m, err)
}
