package node

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/twinfed/twinfed"
)

// apiError is the JSON body of every API error.
type apiError struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields,omitempty"`
	} `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func (s *Server) apiFail(w http.ResponseWriter, err error) {
	var body apiError
	var rl *ErrRateLimited
	status := twinfed.HTTPStatus(twinfed.ErrorCode(err))
	body.Error.Code = twinfed.ErrorCode(err)
	body.Error.Message = twinfed.ErrorMessage(err)
	body.Error.Fields = twinfed.ErrorFields(err)
	if errors.As(err, &rl) {
		status = http.StatusTooManyRequests
		body.Error.Code = "rate_limited"
		body.Error.Message = "Too many failed attempts. Wait a few minutes and try again."
		w.Header().Set("Retry-After", strconv.Itoa(int(rl.RetryAfter.Seconds())+1))
	}
	writeJSON(w, status, body)
}

// api wraps a JSON handler: authentication, the body limit, and for
// state-changing requests authenticated by a session cookie the
// X-CSRF-Token header (the bearer token needs none: browsers never send it
// on their own).
func (s *Server) api(auth bool, h func(w http.ResponseWriter, r *http.Request, st *reqState)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r = s.load(w, r)
		st := state(r)
		if auth && st.p == nil {
			s.apiFail(w, twinfed.Errorf(twinfed.EUNAUTHORIZED, "Log in first (POST /api/v1/session) or send the agency's bearer token."))
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if st.sess != nil && !s.checkCSRF(st, r.Header.Get("X-CSRF-Token")) {
				s.apiFail(w, twinfed.Errorf(twinfed.EFORBIDDEN, "Missing or wrong X-CSRF-Token header; use the csrf_token of your session."))
				return
			}
			limit := s.cfg.MaxFormBytes
			if strings.HasSuffix(r.URL.Path, "/photo") {
				limit = s.cfg.MaxUploadBytes
			}
			if r.ContentLength > limit {
				s.apiFail(w, twinfed.Errorf(twinfed.ETOOLARGE, "The body is too large; at most %d bytes.", limit))
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		h(w, r, st)
	}
}

// decode reads a JSON body into v, refusing unknown fields.
func decode(r *http.Request, v any) error {
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

func (s *Server) apiRoutes() {
	m := s.mux
	m.HandleFunc("POST /api/v1/registrations", s.api(false, s.apiRegister))
	m.HandleFunc("POST /api/v1/registrations/confirm", s.api(false, s.apiConfirm))
	m.HandleFunc("POST /api/v1/session", s.api(false, s.apiLogin))
	m.HandleFunc("DELETE /api/v1/session", s.api(true, s.apiLogout))
	m.HandleFunc("POST /api/v1/password/forgot", s.api(false, s.apiForgot))
	m.HandleFunc("POST /api/v1/password/reset", s.api(false, s.apiReset))
	m.HandleFunc("GET /api/v1/schools", s.api(true, s.apiSchools))
	m.HandleFunc("GET /api/v1/me", s.api(true, s.apiMe))
	m.HandleFunc("PATCH /api/v1/me", s.api(true, s.apiUpdateMe))
	m.HandleFunc("DELETE /api/v1/me", s.api(true, s.apiDeleteMe))
	m.HandleFunc("PUT /api/v1/me/registration/school", s.api(true, s.apiSetSchool))
	m.HandleFunc("PUT /api/v1/me/registration/role", s.api(true, s.apiSetRole))
	m.HandleFunc("PUT /api/v1/me/registration/preferences", s.api(true, s.apiSetPrefs))
	m.HandleFunc("POST /api/v1/me/registration/submit", s.api(true, s.apiSubmit))
	m.HandleFunc("PUT /api/v1/me/profile", s.api(true, s.apiProfile))
	m.HandleFunc("POST /api/v1/me/schools", s.api(true, s.apiAddSchool))
	m.HandleFunc("PUT /api/v1/me/photo", s.api(true, s.apiPhoto))
	m.HandleFunc("POST /api/v1/me/password", s.api(true, s.apiPassword))
	m.HandleFunc("GET /api/v1/me/export", s.api(true, s.apiExport))
	m.HandleFunc("GET /api/v1/profiles/{username}", s.api(false, s.apiProfileGet))
	m.HandleFunc("GET /api/v1/people", s.api(true, s.apiPeople))
	m.HandleFunc("GET /api/v1/agency/members", s.api(true, s.apiAgencyMembers))
	m.HandleFunc("GET /api/v1/agency/members/{username}", s.api(true, s.apiAgencyMember))
	m.HandleFunc("POST /api/v1/agency/members/{username}/validate", s.api(true, s.apiValidateMember))
	m.HandleFunc("POST /api/v1/agency/members/{username}/reject", s.api(true, s.apiRejectMember))
	m.HandleFunc("GET /api/v1/agency/schools", s.api(true, s.apiProposals))
	m.HandleFunc("POST /api/v1/agency/schools/{id}/validate", s.api(true, s.apiValidateSchool))
	m.HandleFunc("POST /api/v1/agency/schools/{id}/reject", s.api(true, s.apiRejectSchool))
	m.HandleFunc("GET /api/v1/agency/stats", s.api(true, s.apiStats))
	m.HandleFunc("GET /api/v1/agency/members.csv", s.api(true, s.apiCSV))
	m.HandleFunc("POST /api/v1/agency/staff", s.api(true, s.apiStaff))
	m.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.apiFail(w, twinfed.Errorf(twinfed.ENOTFOUND, "No such API endpoint; see docs/api.md."))
	})
}

// sessionBody answers a login or confirmation: the session cookie is set,
// and the CSRF token is returned for the X-CSRF-Token header.
type sessionBody struct {
	Member    *twinfed.Member `json:"member"`
	CSRFToken string          `json:"csrf_token"`
	Next      string          `json:"next,omitempty"`
}

func (s *Server) apiRegister(w http.ResponseWriter, r *http.Request, st *reqState) {
	var in PreRegistration
	if err := decode(r, &in); err != nil {
		s.apiFail(w, err)
		return
	}
	if in.Locale == "" {
		in.Locale = st.lang
	}
	m, err := s.svc.PreRegister(r.Context(), in)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"username": m.Username, "status": m.Status, "message": "A confirmation link has been sent to " + m.Email + "."})
}

func (s *Server) apiConfirm(w http.ResponseWriter, r *http.Request, st *reqState) {
	var in struct {
		Token string `json:"token"`
	}
	if err := decode(r, &in); err != nil {
		s.apiFail(w, err)
		return
	}
	m, token, sess, err := s.svc.ConfirmEmail(r.Context(), in.Token)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	s.setSession(w, token, sess)
	writeJSON(w, http.StatusOK, sessionBody{Member: m, CSRFToken: sess.CSRF, Next: "/api/v1/me/registration/school"})
}

func (s *Server) apiLogin(w http.ResponseWriter, r *http.Request, st *reqState) {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := decode(r, &in); err != nil {
		s.apiFail(w, err)
		return
	}
	m, token, sess, err := s.svc.Login(r.Context(), in.Username, in.Password, clientIP(r))
	if err != nil {
		s.apiFail(w, err)
		return
	}
	s.setSession(w, token, sess)
	writeJSON(w, http.StatusOK, sessionBody{Member: m, CSRFToken: sess.CSRF})
}

func (s *Server) apiLogout(w http.ResponseWriter, r *http.Request, st *reqState) {
	if st.token != "" {
		_ = s.svc.Logout(r.Context(), st.token)
	}
	s.clearSession(w)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiForgot(w http.ResponseWriter, r *http.Request, st *reqState) {
	var in struct {
		Email string `json:"email"`
	}
	if err := decode(r, &in); err != nil {
		s.apiFail(w, err)
		return
	}
	if err := s.svc.RequestPasswordReset(r.Context(), in.Email); err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"message": "If an account uses this address, a reset link has been sent to it."})
}

func (s *Server) apiReset(w http.ResponseWriter, r *http.Request, st *reqState) {
	var in struct {
		Token           string `json:"token"`
		Password        string `json:"password"`
		PasswordConfirm string `json:"password_confirm"`
	}
	if err := decode(r, &in); err != nil {
		s.apiFail(w, err)
		return
	}
	if err := s.svc.ResetPassword(r.Context(), in.Token, in.Password, in.PasswordConfirm); err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": "Your password has been changed; log in with it."})
}

func (s *Server) apiSchools(w http.ResponseWriter, r *http.Request, st *reqState) {
	off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	list, total, err := s.svc.FindSchools(r.Context(), r.URL.Query().Get("q"), max(off, 0), 20)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"schools": list, "total": total})
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request, st *reqState) {
	m, err := s.svc.Member(r.Context(), st.p.Username)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	ch, err := s.svc.PendingEmailChange(r.Context(), m.Username)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"member": m, "registration_step": RegistrationStep(m), "email_change": ch})
}

// accountBody answers PATCH /me: the member's record as before, and the
// change of e-mail address waiting for confirmation (null when none).
type accountBody struct {
	*twinfed.Member
	EmailChange *EmailChange `json:"email_change"`
}

func (s *Server) apiUpdateMe(w http.ResponseWriter, r *http.Request, st *reqState) {
	var in AccountUpdate
	if err := decode(r, &in); err != nil {
		s.apiFail(w, err)
		return
	}
	m, err := s.svc.UpdateAccount(r.Context(), st.p, in)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	ch, err := s.svc.PendingEmailChange(r.Context(), m.Username)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, accountBody{Member: m, EmailChange: ch})
}

func (s *Server) apiDeleteMe(w http.ResponseWriter, r *http.Request, st *reqState) {
	var in struct {
		Password string `json:"password"`
	}
	if err := decode(r, &in); err != nil {
		s.apiFail(w, err)
		return
	}
	if err := s.svc.DeleteAccount(r.Context(), st.p, in.Password); err != nil {
		s.apiFail(w, err)
		return
	}
	s.clearSession(w)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiSetSchool(w http.ResponseWriter, r *http.Request, st *reqState) {
	var in SchoolChoice
	if err := decode(r, &in); err != nil {
		s.apiFail(w, err)
		return
	}
	m, err := s.svc.SetSchool(r.Context(), st.p, in)
	s.apiMember(w, m, err)
}

func (s *Server) apiMember(w http.ResponseWriter, m *twinfed.Member, err error) {
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"member": m, "registration_step": RegistrationStep(m)})
}

func (s *Server) apiSetRole(w http.ResponseWriter, r *http.Request, st *reqState) {
	var in struct {
		Role string `json:"role"`
	}
	if err := decode(r, &in); err != nil {
		s.apiFail(w, err)
		return
	}
	m, err := s.svc.SetRole(r.Context(), st.p, in.Role)
	s.apiMember(w, m, err)
}

func (s *Server) apiSetPrefs(w http.ResponseWriter, r *http.Request, st *reqState) {
	var in Preferences
	if err := decode(r, &in); err != nil {
		s.apiFail(w, err)
		return
	}
	m, err := s.svc.SetPreferences(r.Context(), st.p, in)
	s.apiMember(w, m, err)
}

func (s *Server) apiSubmit(w http.ResponseWriter, r *http.Request, st *reqState) {
	m, err := s.svc.Submit(r.Context(), st.p)
	s.apiMember(w, m, err)
}

func (s *Server) apiProfile(w http.ResponseWriter, r *http.Request, st *reqState) {
	var in Preferences
	if err := decode(r, &in); err != nil {
		s.apiFail(w, err)
		return
	}
	m, err := s.svc.UpdateProfile(r.Context(), st.p, in)
	s.apiMember(w, m, err)
}

func (s *Server) apiAddSchool(w http.ResponseWriter, r *http.Request, st *reqState) {
	var in struct {
		SchoolChoice
		Role string `json:"role"`
	}
	if err := decode(r, &in); err != nil {
		s.apiFail(w, err)
		return
	}
	m, err := s.svc.AddSchool(r.Context(), st.p, in.SchoolChoice, in.Role)
	s.apiMember(w, m, err)
}

func (s *Server) apiPhoto(w http.ResponseWriter, r *http.Request, st *reqState) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.apiFail(w, twinfed.Errorf(twinfed.ETOOLARGE, "The photo is too large; at most %d bytes.", s.cfg.MaxUploadBytes))
			return
		}
		s.apiFail(w, twinfed.Errorf(twinfed.EINVALID, "The photo could not be read."))
		return
	}
	if err := s.svc.SetPhoto(r.Context(), st.p, data); err != nil {
		s.apiFail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiPassword(w http.ResponseWriter, r *http.Request, st *reqState) {
	var in struct {
		Current         string `json:"current_password"`
		Password        string `json:"new_password"`
		PasswordConfirm string `json:"new_password_confirm"`
	}
	if err := decode(r, &in); err != nil {
		s.apiFail(w, err)
		return
	}
	if err := s.svc.ChangePassword(r.Context(), st.p, in.Current, in.Password, in.PasswordConfirm); err != nil {
		s.apiFail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiExport(w http.ResponseWriter, r *http.Request, st *reqState) {
	d, err := s.svc.Export(r.Context(), st.p)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) apiProfileGet(w http.ResponseWriter, r *http.Request, st *reqState) {
	p, err := s.svc.LocalProfile(r.Context(), r.PathValue("username"))
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiPeople(w http.ResponseWriter, r *http.Request, st *reqState) {
	list, err := s.svc.People(r.Context(), st.p, r.URL.Query().Get("q"), 50)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"people": list})
}

func (s *Server) apiAgencyMembers(w http.ResponseWriter, r *http.Request, st *reqState) {
	status := r.URL.Query().Get("status")
	if status == "" {
		status = string(twinfed.StatusPending)
	}
	off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	lim, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	list, total, err := s.svc.ListMembers(r.Context(), st.p, twinfed.MemberStatus(status), max(off, 0), lim)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	if list == nil {
		list = []*twinfed.Member{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"members": list, "total": total})
}

func (s *Server) apiAgencyMember(w http.ResponseWriter, r *http.Request, st *reqState) {
	m, err := s.svc.AgencyMember(r.Context(), st.p, r.PathValue("username"))
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func (s *Server) apiValidateMember(w http.ResponseWriter, r *http.Request, st *reqState) {
	m, err := s.svc.ValidateMember(r.Context(), st.p, r.PathValue("username"))
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

type reasonBody struct {
	Reason string `json:"reason"`
}

func (s *Server) apiRejectMember(w http.ResponseWriter, r *http.Request, st *reqState) {
	var in reasonBody
	if err := decode(r, &in); err != nil {
		s.apiFail(w, err)
		return
	}
	m, err := s.svc.RejectMember(r.Context(), st.p, r.PathValue("username"), in.Reason)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func (s *Server) apiProposals(w http.ResponseWriter, r *http.Request, st *reqState) {
	status := r.URL.Query().Get("status")
	if status == "" {
		status = string(twinfed.SchoolProposed)
	}
	list, err := s.svc.ListProposals(r.Context(), st.p, twinfed.SchoolStatus(status))
	if err != nil {
		s.apiFail(w, err)
		return
	}
	if list == nil {
		list = []*SchoolProposal{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"proposals": list})
}

func (s *Server) apiValidateSchool(w http.ResponseWriter, r *http.Request, st *reqState) {
	sc, err := s.svc.ValidateSchool(r.Context(), st.p, r.PathValue("id"))
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, sc)
}

func (s *Server) apiRejectSchool(w http.ResponseWriter, r *http.Request, st *reqState) {
	var in reasonBody
	if err := decode(r, &in); err != nil {
		s.apiFail(w, err)
		return
	}
	sp, err := s.svc.RejectSchool(r.Context(), st.p, r.PathValue("id"), in.Reason)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, sp)
}

func (s *Server) apiStats(w http.ResponseWriter, r *http.Request, st *reqState) {
	stats, err := s.svc.Stats(r.Context(), st.p)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, stats)
}

func (s *Server) apiCSV(w http.ResponseWriter, r *http.Request, st *reqState) {
	if !st.p.IsAgency() {
		s.apiFail(w, twinfed.Errorf(twinfed.EFORBIDDEN, "This page is for the national agency's staff."))
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	if err := s.svc.ExportCSV(r.Context(), st.p, w); err != nil {
		s.log.Error("export csv", "err", err)
	}
}

func (s *Server) apiStaff(w http.ResponseWriter, r *http.Request, st *reqState) {
	var in struct {
		Username  string       `json:"username"`
		Email     string       `json:"email"`
		FirstName string       `json:"first_name"`
		LastName  string       `json:"last_name"`
		Password  string       `json:"password"`
		Role      twinfed.Role `json:"role"`
	}
	if err := decode(r, &in); err != nil {
		s.apiFail(w, err)
		return
	}
	m, err := s.svc.CreateStaff(r.Context(), st.p, in.Username, in.Email, in.FirstName, in.LastName, in.Password, in.Role)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, m)
}
