package account

import (
	"embed"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The account's web pages: logging in and out, the password reset, the
// account page (name, address, language, password), the profile and its
// photo, the export of one's data, the deletion of the account, and the
// footer's language choice.

//go:embed templates/*.html
var templates embed.FS

// Registration is what the account's pages ask of the registration.
type Registration interface {
	// RegistrationStep is the first registration step the member has not
	// completed (1 to 3), or 4 when only the confirmation remains.
	RegistrationStep(m *twinfed.Member) int
}

// Web is the account's web pages and JSON API.
type Web struct {
	svc *Service
	reg Registration
	kit *web.Kit
}

// NewWeb builds the account's pages on svc.
func NewWeb(svc *Service, reg Registration) *Web { return &Web{svc: svc, reg: reg} }

// Routes registers the account's templates, pages and JSON API on k.
func (h *Web) Routes(k *web.Kit) error {
	h.kit = k
	if err := k.AddTemplates(templates, "templates/*.html"); err != nil {
		return err
	}
	k.HandleFunc("GET /login", k.Web(h.loginForm))
	k.Handle("POST /login", k.Limited(web.LimitLogin, k.Web(h.login)))
	k.HandleFunc("POST /logout", k.Web(h.logout))
	k.HandleFunc("GET /password/forgot", k.Web(k.Simple("forgot", "title.forgot")))
	k.Handle("POST /password/forgot", k.Limited(web.LimitReset, k.Web(h.forgot)))
	k.HandleFunc("GET /password/reset", k.Web(h.resetForm))
	k.HandleFunc("POST /password/reset", k.Web(h.reset))
	k.HandleFunc("GET /account", k.Member(h.accountForm))
	k.HandleFunc("POST /account", k.Member(h.account))
	k.HandleFunc("POST /account/password", k.Member(h.accountPassword))
	k.HandleFunc("GET /account/email/confirm", k.Member(h.emailConfirmForm))
	k.HandleFunc("POST /account/email/confirm", k.Member(h.emailConfirm))
	k.HandleFunc("GET /account/profile", k.Member(h.profileForm))
	k.HandleFunc("POST /account/profile", k.Member(h.profile))
	k.HandleFunc("POST /account/photo", k.Member(h.photoUpload))
	k.HandleFunc("GET /account/export", k.Member(h.export))
	k.HandleFunc("GET /account/notifications", k.Member(h.notificationsForm))
	k.HandleFunc("POST /account/notifications", k.Member(h.notifications))
	k.HandleFunc("GET /unsubscribe", k.Web(h.unsubscribeForm))
	k.HandleFunc("POST /unsubscribe", h.unsubscribe) // one-click (RFC 8058): the link's signature is the authorisation
	k.HandleFunc("GET /account/delete", k.Member(k.Simple("delete", "title.delete")))
	k.HandleFunc("POST /account/delete", k.Member(h.deleteAccount))
	k.HandleFunc("POST /language", k.Web(h.setLanguage))
	k.HandleFunc("GET /language", k.Web(h.setLanguage))
	k.HandleFunc("GET /users/{username}/photo", k.Web(h.photo))
	h.apiRoutes(k)
	return nil
}

func (h *Web) loginForm(w http.ResponseWriter, r *http.Request) {
	p := h.kit.NewPage(w, r, "title.login")
	p.Form = url.Values{"next": {r.URL.Query().Get("next")}}
	h.kit.Render(w, http.StatusOK, "login", p)
}

func (h *Web) login(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	m, token, sess, err := h.svc.Login(r.Context(), f.Get("username"), f.Get("password"), web.ClientIP(r))
	if err != nil {
		p := h.kit.NewPage(w, r, "title.login")
		p.Form = url.Values{"username": {f.Get("username")}, "next": {f.Get("next")}}
		h.kit.Fail(w, r, "login", p, err)
		return
	}
	h.kit.SetSession(w, token, sess.Expires)
	next := web.SafeNext(f.Get("next"))
	if m.Status == twinfed.StatusRegistering && next == "/" {
		next = "/register/step/" + strconv.Itoa(h.reg.RegistrationStep(m))
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *Web) logout(w http.ResponseWriter, r *http.Request) {
	if st := web.State(r); st.Token != "" {
		_ = h.svc.Logout(r.Context(), st.Token)
	}
	h.kit.ClearSession(w)
	http.Redirect(w, r, "/?done=logout", http.StatusSeeOther)
}

func (h *Web) forgot(w http.ResponseWriter, r *http.Request) {
	if err := h.svc.RequestPasswordReset(r.Context(), r.PostForm.Get("email")); err != nil {
		h.kit.Fail(w, r, "forgot", h.kit.NewPage(w, r, "title.forgot"), err)
		return
	}
	p := h.kit.NewPage(w, r, "title.forgot")
	p.Flash = "flash.reset_sent"
	h.kit.Render(w, http.StatusOK, "forgot", p)
}

func (h *Web) resetForm(w http.ResponseWriter, r *http.Request) {
	p := h.kit.NewPage(w, r, "title.reset")
	p.Form = url.Values{"token": {r.URL.Query().Get("token")}}
	h.kit.Render(w, http.StatusOK, "reset", p)
}

func (h *Web) reset(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	if err := h.svc.ResetPassword(r.Context(), f.Get("token"), f.Get("password"), f.Get("password_confirm")); err != nil {
		p := h.kit.NewPage(w, r, "title.reset")
		p.Form = url.Values{"token": {f.Get("token")}}
		h.kit.Fail(w, r, "reset", p, err)
		return
	}
	http.Redirect(w, r, "/login?done=reset", http.StatusSeeOther)
}

// accountPage is the account page, with the member's change of e-mail
// address waiting for confirmation (as Data) when there is one.
func (h *Web) accountPage(w http.ResponseWriter, r *http.Request) *web.Page {
	p := h.kit.NewPage(w, r, "title.account")
	if p.Me != nil {
		if ch, err := h.svc.PendingEmailChange(r.Context(), p.Me.Username); err == nil && ch != nil {
			p.Data = ch
		}
	}
	return p
}

func (h *Web) accountForm(w http.ResponseWriter, r *http.Request) {
	p := h.accountPage(w, r)
	if p.Me != nil {
		p.Form = url.Values{"first_name": {p.Me.FirstName}, "last_name": {p.Me.LastName}, "email": {p.Me.Email}, "locale": {p.Me.Locale}, "time_zone": {zoneValue(p.Me)}}
	}
	h.kit.Render(w, http.StatusOK, "account", p)
}

// zoneValue is the account form's time zone value for m.
func zoneValue(m *twinfed.Member) string {
	if m.TimeZone == "" {
		return ZoneDefault
	}
	return m.TimeZone
}

func (h *Web) account(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	if f.Get("cancel_email_change") != "" {
		if _, err := h.svc.UpdateAccount(r.Context(), web.State(r).Principal, AccountUpdate{CancelEmailChange: true}); err != nil {
			h.kit.Fail(w, r, "account", h.accountPage(w, r), err)
			return
		}
		http.Redirect(w, r, "/account?done=email_cancelled", http.StatusSeeOther)
		return
	}
	m, err := h.svc.UpdateAccount(r.Context(), web.State(r).Principal, AccountUpdate{FirstName: f.Get("first_name"), LastName: f.Get("last_name"), Email: f.Get("email"), Locale: f.Get("locale"), TimeZone: f.Get("time_zone")})
	if err != nil {
		h.kit.Fail(w, r, "account", h.accountPage(w, r), err)
		return
	}
	done := "saved"
	if e := strings.TrimSpace(f.Get("email")); e != "" && NormEmail(e) != NormEmail(m.Email) {
		done = "email_sent"
	}
	http.Redirect(w, r, "/account?done="+done, http.StatusSeeOther)
}

func (h *Web) accountPassword(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	if err := h.svc.ChangePassword(r.Context(), web.State(r).Principal, f.Get("current_password"), f.Get("new_password"), f.Get("new_password_confirm")); err != nil {
		p := h.accountPage(w, r)
		p.Form = url.Values{"first_name": {p.Me.FirstName}, "last_name": {p.Me.LastName}, "email": {p.Me.Email}, "locale": {p.Me.Locale}, "time_zone": {zoneValue(p.Me)}}
		h.kit.Fail(w, r, "account", p, err)
		return
	}
	http.Redirect(w, r, "/account?done=password", http.StatusSeeOther)
}

// emailConfirmData is what the page of a change-of-address link shows.
type emailConfirmData struct {
	Token    string
	NewEmail string
}

// emailConfirmForm shows the change a link confirms and its button, or
// why the link does not work (used, expired, replaced, another account's).
func (h *Web) emailConfirmForm(w http.ResponseWriter, r *http.Request) {
	p := h.kit.NewPage(w, r, "title.email_confirm")
	token := r.URL.Query().Get("token")
	ch, err := h.svc.EmailChangeLink(r.Context(), web.State(r).Principal, token)
	if err != nil {
		h.kit.Fail(w, r, "email_confirm", p, err)
		return
	}
	p.Data = emailConfirmData{Token: token, NewEmail: ch.NewEmail}
	h.kit.Render(w, http.StatusOK, "email_confirm", p)
}

func (h *Web) emailConfirm(w http.ResponseWriter, r *http.Request) {
	if _, err := h.svc.ConfirmEmailChange(r.Context(), web.State(r).Principal, r.PostForm.Get("token")); err != nil {
		h.kit.Fail(w, r, "email_confirm", h.kit.NewPage(w, r, "title.email_confirm"), err)
		return
	}
	http.Redirect(w, r, "/account?done=email_changed", http.StatusSeeOther)
}

func (h *Web) profileForm(w http.ResponseWriter, r *http.Request) {
	p := h.kit.NewPage(w, r, "title.profile")
	if p.Me != nil {
		p.Form = PrefsValues(p.Me)
	}
	h.kit.Render(w, http.StatusOK, "profile_edit", p)
}

func (h *Web) profile(w http.ResponseWriter, r *http.Request) {
	pr, err := PrefsFromForm(r.PostForm, true)
	if err == nil {
		_, err = h.svc.UpdateProfile(r.Context(), web.State(r).Principal, pr)
	}
	if err != nil {
		h.kit.Fail(w, r, "profile_edit", h.kit.NewPage(w, r, "title.profile"), err)
		return
	}
	http.Redirect(w, r, "/account/profile?done=saved", http.StatusSeeOther)
}

func (h *Web) photoUpload(w http.ResponseWriter, r *http.Request) {
	file, _, err := r.FormFile("photo")
	if err != nil {
		p := h.kit.NewPage(w, r, "title.profile")
		p.Form = PrefsValues(p.Me)
		h.kit.Fail(w, r, "profile_edit", p, twinfed.FieldError("photo", "Choose a photo to upload."))
		return
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, h.kit.MaxUploadBytes()+1))
	if err == nil && int64(len(data)) > h.kit.MaxUploadBytes() {
		err = twinfed.Errorf(twinfed.ETOOLARGE, "What you sent is too large. A photo may be at most %d KiB.", h.kit.MaxUploadBytes()>>10)
	}
	if err == nil {
		err = h.svc.SetPhoto(r.Context(), web.State(r).Principal, data)
	}
	if err != nil {
		p := h.kit.NewPage(w, r, "title.profile")
		p.Form = PrefsValues(p.Me)
		h.kit.Fail(w, r, "profile_edit", p, err)
		return
	}
	http.Redirect(w, r, "/account/profile?done=photo", http.StatusSeeOther)
}

func (h *Web) export(w http.ResponseWriter, r *http.Request) {
	data, err := h.svc.Export(r.Context(), web.State(r).Principal)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="twinfed-`+data.Account.Username+`.json"`)
	web.WriteJSON(w, http.StatusOK, data)
}

func (h *Web) deleteAccount(w http.ResponseWriter, r *http.Request) {
	st := web.State(r)
	if err := h.svc.DeleteAccount(r.Context(), st.Principal, r.PostForm.Get("password")); err != nil {
		h.kit.Fail(w, r, "delete", h.kit.NewPage(w, r, "title.delete"), err)
		return
	}
	_ = h.svc.Logout(r.Context(), st.Token)
	h.kit.ClearSession(w)
	http.Redirect(w, r, "/?done=deleted", http.StatusSeeOther)
}

// setLanguage is the footer's language form. A member's form is a POST
// with the CSRF token, and the choice is stored in the account. A visitor
// without a session sends a GET: it changes only a preference cookie in
// their own browser, nothing on the server, so the form needs no token
// and the pages that have no other form need no per-visitor cookie.
func (h *Web) setLanguage(w http.ResponseWriter, r *http.Request) {
	f := r.URL.Query()
	if r.Method == http.MethodPost {
		f = r.PostForm
	}
	lang := f.Get("lang")
	if !h.kit.Catalog().Offered(lang) {
		h.kit.ErrorPage(w, r, twinfed.Errorf(twinfed.EINVALID, "Choose a language from the list."))
		return
	}
	h.kit.SetLanguage(w, lang)
	if st := web.State(r); r.Method == http.MethodPost && st.Principal != nil && !st.Bearer {
		_, _ = h.svc.UpdateAccount(r.Context(), st.Principal, AccountUpdate{Locale: lang})
	}
	http.Redirect(w, r, web.SafeNext(f.Get("next")), http.StatusSeeOther)
}

func (h *Web) photo(w http.ResponseWriter, r *http.Request) {
	data, ct, err := h.svc.Photo(r.Context(), web.State(r).Principal, r.PathValue("username"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "private, max-age=300")
	_, _ = w.Write(data)
}
