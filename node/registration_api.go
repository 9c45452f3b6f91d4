package node

import (
	"net/http"
	"strconv"

	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/web"
)

// The registration's JSON API.

func (s *Server) registrationAPIRoutes(k *web.Kit) {
	k.HandleFunc("POST /api/v1/registrations", k.API(false, s.apiRegister))
	k.HandleFunc("POST /api/v1/registrations/confirm", k.API(false, s.apiConfirm))
	k.HandleFunc("GET /api/v1/schools", k.API(true, s.apiSchools))
	k.HandleFunc("PUT /api/v1/me/registration/school", k.API(true, s.apiSetSchool))
	k.HandleFunc("PUT /api/v1/me/registration/role", k.API(true, s.apiSetRole))
	k.HandleFunc("PUT /api/v1/me/registration/preferences", k.API(true, s.apiSetPrefs))
	k.HandleFunc("POST /api/v1/me/registration/submit", k.API(true, s.apiSubmit))
	k.HandleFunc("POST /api/v1/me/schools", k.API(true, s.apiAddSchool))
}

func (s *Server) apiRegister(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in account.PreRegistration
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	if in.Locale == "" {
		in.Locale = st.Lang
	}
	m, err := s.svc.accounts.PreRegister(r.Context(), in)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, map[string]any{"username": m.Username, "status": m.Status, "message": "A confirmation link has been sent to " + m.Email + "."})
}

func (s *Server) apiConfirm(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in struct {
		Token string `json:"token"`
	}
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	m, token, sess, err := s.svc.accounts.ConfirmEmail(r.Context(), in.Token)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	s.kit.SetSession(w, token, sess.Expires)
	web.WriteJSON(w, http.StatusOK, sessionBody{Member: m, CSRFToken: sess.CSRF, Next: "/api/v1/me/registration/school"})
}

func (s *Server) apiSchools(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	list, total, err := s.svc.FindSchools(r.Context(), r.URL.Query().Get("q"), max(off, 0), 20)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"schools": list, "total": total})
}

func (s *Server) apiSetSchool(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in SchoolChoice
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	m, err := s.svc.SetSchool(r.Context(), st.Principal, in)
	s.apiMember(w, m, err)
}

func (s *Server) apiSetRole(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in struct {
		Role string `json:"role"`
	}
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	m, err := s.svc.SetRole(r.Context(), st.Principal, in.Role)
	s.apiMember(w, m, err)
}

func (s *Server) apiSetPrefs(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in Preferences
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	m, err := s.svc.SetPreferences(r.Context(), st.Principal, in)
	s.apiMember(w, m, err)
}

func (s *Server) apiSubmit(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	m, err := s.svc.Submit(r.Context(), st.Principal)
	s.apiMember(w, m, err)
}

func (s *Server) apiAddSchool(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in struct {
		SchoolChoice
		Role string `json:"role"`
	}
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	m, err := s.svc.AddSchool(r.Context(), st.Principal, in.SchoolChoice, in.Role)
	s.apiMember(w, m, err)
}
