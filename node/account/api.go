package account

import (
	"errors"
	"io"
	"net/http"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The account's JSON API: the session, the password reset, the member's
// own record, profile, photo, password, export and deletion.

func (h *Web) apiRoutes(k *web.Kit) {
	k.Handle("POST /api/v1/session", k.Limited(web.LimitLogin, k.API(false, h.apiLogin)))
	k.HandleFunc("DELETE /api/v1/session", k.API(true, h.apiLogout))
	k.Handle("POST /api/v1/password/forgot", k.Limited(web.LimitReset, k.API(false, h.apiForgot)))
	k.HandleFunc("POST /api/v1/password/reset", k.API(false, h.apiReset))
	k.HandleFunc("GET /api/v1/me", k.API(true, h.apiMe))
	k.HandleFunc("PATCH /api/v1/me", k.API(true, h.apiUpdateMe))
	k.HandleFunc("DELETE /api/v1/me", k.API(true, h.apiDeleteMe))
	k.HandleFunc("PUT /api/v1/me/profile", k.API(true, h.apiProfile))
	k.HandleFunc("PUT /api/v1/me/photo", k.API(true, h.apiPhoto))
	k.HandleFunc("POST /api/v1/me/password", k.API(true, h.apiPassword))
	k.HandleFunc("GET /api/v1/me/export", k.API(true, h.apiExport))
	k.HandleFunc("GET /api/v1/people", k.API(true, h.apiPeople))
}

// SessionBody answers a login or a confirmation (the registration's): the
// session cookie is set, and the CSRF token is returned for the
// X-CSRF-Token header.
type SessionBody struct {
	Member    *twinfed.Member `json:"member"`
	CSRFToken string          `json:"csrf_token"`
	Next      string          `json:"next,omitempty"`
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
	m, token, sess, err := h.svc.Login(r.Context(), in.Username, in.Password, web.ClientIP(r))
	if err != nil {
		web.APIFail(w, err)
		return
	}
	h.kit.SetSession(w, token, sess.Expires)
	web.WriteJSON(w, http.StatusOK, SessionBody{Member: m, CSRFToken: sess.CSRF})
}

func (h *Web) apiLogout(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	if st.Token != "" {
		_ = h.svc.Logout(r.Context(), st.Token)
	}
	h.kit.ClearSession(w)
	w.WriteHeader(http.StatusNoContent)
}

func (h *Web) apiForgot(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in struct {
		Email string `json:"email"`
	}
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	if err := h.svc.RequestPasswordReset(r.Context(), in.Email); err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusAccepted, map[string]string{"message": "If an account uses this address, a reset link has been sent to it."})
}

func (h *Web) apiReset(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in struct {
		Token           string `json:"token"`
		Password        string `json:"password"`
		PasswordConfirm string `json:"password_confirm"`
	}
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	if err := h.svc.ResetPassword(r.Context(), in.Token, in.Password, in.PasswordConfirm); err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"message": "Your password has been changed; log in with it."})
}

func (h *Web) apiMe(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	m, err := h.svc.Member(r.Context(), st.Principal.Username)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	ch, err := h.svc.PendingEmailChange(r.Context(), m.Username)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"member": m, "registration_step": twinfed.RegistrationStep(m), "email_change": ch})
}

// accountBody answers PATCH /me: the member's record as before, and the
// change of e-mail address waiting for confirmation (null when none).
type accountBody struct {
	*twinfed.Member
	EmailChange *EmailChange `json:"email_change"`
}

func (h *Web) apiUpdateMe(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in AccountUpdate
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	m, err := h.svc.UpdateAccount(r.Context(), st.Principal, in)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	ch, err := h.svc.PendingEmailChange(r.Context(), m.Username)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, accountBody{Member: m, EmailChange: ch})
}

func (h *Web) apiDeleteMe(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in struct {
		Password string `json:"password"`
	}
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	if err := h.svc.DeleteAccount(r.Context(), st.Principal, in.Password); err != nil {
		web.APIFail(w, err)
		return
	}
	h.kit.ClearSession(w)
	w.WriteHeader(http.StatusNoContent)
}

func (h *Web) apiMember(w http.ResponseWriter, m *twinfed.Member, err error) {
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"member": m, "registration_step": twinfed.RegistrationStep(m)})
}

func (h *Web) apiProfile(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in Preferences
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	m, err := h.svc.UpdateProfile(r.Context(), st.Principal, in)
	h.apiMember(w, m, err)
}

func (h *Web) apiPhoto(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			web.APIFail(w, twinfed.Errorf(twinfed.ETOOLARGE, "The photo is too large; at most %d bytes.", h.kit.MaxUploadBytes()))
			return
		}
		web.APIFail(w, twinfed.Errorf(twinfed.EINVALID, "The photo could not be read."))
		return
	}
	if err := h.svc.SetPhoto(r.Context(), st.Principal, data); err != nil {
		web.APIFail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Web) apiPassword(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in struct {
		Current         string `json:"current_password"`
		Password        string `json:"new_password"`
		PasswordConfirm string `json:"new_password_confirm"`
	}
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	if err := h.svc.ChangePassword(r.Context(), st.Principal, in.Current, in.Password, in.PasswordConfirm); err != nil {
		web.APIFail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Web) apiExport(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	d, err := h.svc.Export(r.Context(), st.Principal)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, d)
}

func (h *Web) apiPeople(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	list, err := h.svc.People(r.Context(), st.Principal, r.URL.Query().Get("q"), 50)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"people": list})
}
