package node

import (
	"embed"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The account's web pages: logging in and out, the password reset, the
// account page (name, address, language, password), the profile and its
// photo, the export of one's data, the deletion of the account, and the
// footer's language choice.

//go:embed templates/account/*.html
var accountTemplates embed.FS

// accountRoutes registers the account's templates, pages and JSON API.
func (s *Server) accountRoutes(k *web.Kit) error {
	if err := k.AddTemplates(accountTemplates, "templates/account/*.html"); err != nil {
		return err
	}
	k.HandleFunc("GET /login", k.Web(s.loginForm))
	k.HandleFunc("POST /login", k.Web(s.login))
	k.HandleFunc("POST /logout", k.Web(s.logout))
	k.HandleFunc("GET /password/forgot", k.Web(k.Simple("forgot", "title.forgot")))
	k.HandleFunc("POST /password/forgot", k.Web(s.forgot))
	k.HandleFunc("GET /password/reset", k.Web(s.resetForm))
	k.HandleFunc("POST /password/reset", k.Web(s.reset))
	k.HandleFunc("GET /account", k.Member(s.accountForm))
	k.HandleFunc("POST /account", k.Member(s.account))
	k.HandleFunc("POST /account/password", k.Member(s.accountPassword))
	k.HandleFunc("GET /account/email/confirm", k.Member(s.emailConfirmForm))
	k.HandleFunc("POST /account/email/confirm", k.Member(s.emailConfirm))
	k.HandleFunc("GET /account/profile", k.Member(s.profileForm))
	k.HandleFunc("POST /account/profile", k.Member(s.profile))
	k.HandleFunc("POST /account/photo", k.Member(s.photoUpload))
	k.HandleFunc("GET /account/export", k.Member(s.export))
	k.HandleFunc("GET /account/delete", k.Member(k.Simple("delete", "title.delete")))
	k.HandleFunc("POST /account/delete", k.Member(s.deleteAccount))
	k.HandleFunc("POST /language", k.Web(s.setLanguage))
	k.HandleFunc("GET /language", k.Web(s.setLanguage))
	k.HandleFunc("GET /users/{username}/photo", k.Web(s.photo))
	s.accountAPIRoutes(k)
	return nil
}

// RetryIn is how long to wait before trying again (web.RateLimited: the
// pages and the API answer 429 with Retry-After).
func (e *ErrRateLimited) RetryIn() time.Duration { return e.RetryAfter }

var _ web.RateLimited = (*ErrRateLimited)(nil)

func prefsValues(m *twinfed.Member) url.Values {
	v := url.Values{}
	v.Set("description", m.Description)
	v.Set("interests", strings.Join(m.Interests, ", "))
	v["languages"] = m.Languages
	v["subjects"] = m.Subjects
	for _, a := range m.PupilAges {
		v.Add("pupil_ages", strconv.Itoa(a))
	}
	v["public"] = m.Public
	if m.Available.Project {
		v.Set("avail_project", "on")
	}
	if m.Available.Erasmus {
		v.Set("avail_erasmus", "on")
	}
	if m.Available.ProjKit {
		v.Set("avail_kit", "on")
	}
	return v
}

func prefsFromForm(f url.Values, withPublic bool) (Preferences, error) {
	pr := Preferences{Description: f.Get("description"), Languages: f["languages"], Subjects: f["subjects"],
		Available: twinfed.Available{Project: f.Get("avail_project") != "", Erasmus: f.Get("avail_erasmus") != "", ProjKit: f.Get("avail_kit") != ""}}
	for _, a := range f["pupil_ages"] {
		n, err := strconv.Atoi(a)
		if err != nil {
			return pr, twinfed.FieldError("pupil_ages", "Pupil ages go from 0 to 25.")
		}
		pr.PupilAges = append(pr.PupilAges, n)
	}
	for _, i := range strings.Split(f.Get("interests"), ",") {
		pr.Interests = append(pr.Interests, i)
	}
	if withPublic {
		pr.Public = f["public"]
		if pr.Public == nil {
			pr.Public = []string{}
		}
	}
	return pr, nil
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	p := s.kit.NewPage(w, r, "title.login")
	p.Form = url.Values{"next": {r.URL.Query().Get("next")}}
	s.kit.Render(w, http.StatusOK, "login", p)
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	m, token, sess, err := s.svc.Login(r.Context(), f.Get("username"), f.Get("password"), web.ClientIP(r))
	if err != nil {
		p := s.kit.NewPage(w, r, "title.login")
		p.Form = url.Values{"username": {f.Get("username")}, "next": {f.Get("next")}}
		s.kit.Fail(w, r, "login", p, err)
		return
	}
	s.kit.SetSession(w, token, sess.Expires)
	next := web.SafeNext(f.Get("next"))
	if m.Status == twinfed.StatusRegistering && next == "/" {
		next = "/register/step/" + strconv.Itoa(twinfed.RegistrationStep(m))
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if st := web.State(r); st.Token != "" {
		_ = s.svc.Logout(r.Context(), st.Token)
	}
	s.kit.ClearSession(w)
	http.Redirect(w, r, "/?done=logout", http.StatusSeeOther)
}

func (s *Server) forgot(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.RequestPasswordReset(r.Context(), r.PostForm.Get("email")); err != nil {
		s.kit.Fail(w, r, "forgot", s.kit.NewPage(w, r, "title.forgot"), err)
		return
	}
	p := s.kit.NewPage(w, r, "title.forgot")
	p.Flash = "flash.reset_sent"
	s.kit.Render(w, http.StatusOK, "forgot", p)
}

func (s *Server) resetForm(w http.ResponseWriter, r *http.Request) {
	p := s.kit.NewPage(w, r, "title.reset")
	p.Form = url.Values{"token": {r.URL.Query().Get("token")}}
	s.kit.Render(w, http.StatusOK, "reset", p)
}

func (s *Server) reset(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	if err := s.svc.ResetPassword(r.Context(), f.Get("token"), f.Get("password"), f.Get("password_confirm")); err != nil {
		p := s.kit.NewPage(w, r, "title.reset")
		p.Form = url.Values{"token": {f.Get("token")}}
		s.kit.Fail(w, r, "reset", p, err)
		return
	}
	http.Redirect(w, r, "/login?done=reset", http.StatusSeeOther)
}

// accountPage is the account page, with the member's change of e-mail
// address waiting for confirmation (as Data) when there is one.
func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) *web.Page {
	p := s.kit.NewPage(w, r, "title.account")
	if p.Me != nil {
		if ch, err := s.svc.PendingEmailChange(r.Context(), p.Me.Username); err == nil && ch != nil {
			p.Data = ch
		}
	}
	return p
}

func (s *Server) accountForm(w http.ResponseWriter, r *http.Request) {
	p := s.accountPage(w, r)
	if p.Me != nil {
		p.Form = url.Values{"first_name": {p.Me.FirstName}, "last_name": {p.Me.LastName}, "email": {p.Me.Email}, "locale": {p.Me.Locale}}
	}
	s.kit.Render(w, http.StatusOK, "account", p)
}

func (s *Server) account(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	if f.Get("cancel_email_change") != "" {
		if _, err := s.svc.UpdateAccount(r.Context(), web.State(r).Principal, AccountUpdate{CancelEmailChange: true}); err != nil {
			s.kit.Fail(w, r, "account", s.accountPage(w, r), err)
			return
		}
		http.Redirect(w, r, "/account?done=email_cancelled", http.StatusSeeOther)
		return
	}
	m, err := s.svc.UpdateAccount(r.Context(), web.State(r).Principal, AccountUpdate{FirstName: f.Get("first_name"), LastName: f.Get("last_name"), Email: f.Get("email"), Locale: f.Get("locale")})
	if err != nil {
		s.kit.Fail(w, r, "account", s.accountPage(w, r), err)
		return
	}
	done := "saved"
	if e := strings.TrimSpace(f.Get("email")); e != "" && normEmail(e) != normEmail(m.Email) {
		done = "email_sent"
	}
	http.Redirect(w, r, "/account?done="+done, http.StatusSeeOther)
}

func (s *Server) accountPassword(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	if err := s.svc.ChangePassword(r.Context(), web.State(r).Principal, f.Get("current_password"), f.Get("new_password"), f.Get("new_password_confirm")); err != nil {
		p := s.accountPage(w, r)
		p.Form = url.Values{"first_name": {p.Me.FirstName}, "last_name": {p.Me.LastName}, "email": {p.Me.Email}, "locale": {p.Me.Locale}}
		s.kit.Fail(w, r, "account", p, err)
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
func (s *Server) emailConfirmForm(w http.ResponseWriter, r *http.Request) {
	p := s.kit.NewPage(w, r, "title.email_confirm")
	token := r.URL.Query().Get("token")
	ch, err := s.svc.EmailChangeLink(r.Context(), web.State(r).Principal, token)
	if err != nil {
		s.kit.Fail(w, r, "email_confirm", p, err)
		return
	}
	p.Data = emailConfirmData{Token: token, NewEmail: ch.NewEmail}
	s.kit.Render(w, http.StatusOK, "email_confirm", p)
}

func (s *Server) emailConfirm(w http.ResponseWriter, r *http.Request) {
	if _, err := s.svc.ConfirmEmailChange(r.Context(), web.State(r).Principal, r.PostForm.Get("token")); err != nil {
		s.kit.Fail(w, r, "email_confirm", s.kit.NewPage(w, r, "title.email_confirm"), err)
		return
	}
	http.Redirect(w, r, "/account?done=email_changed", http.StatusSeeOther)
}

func (s *Server) profileForm(w http.ResponseWriter, r *http.Request) {
	p := s.kit.NewPage(w, r, "title.profile")
	if p.Me != nil {
		p.Form = prefsValues(p.Me)
	}
	s.kit.Render(w, http.StatusOK, "profile_edit", p)
}

func (s *Server) profile(w http.ResponseWriter, r *http.Request) {
	pr, err := prefsFromForm(r.PostForm, true)
	if err == nil {
		_, err = s.svc.UpdateProfile(r.Context(), web.State(r).Principal, pr)
	}
	if err != nil {
		s.kit.Fail(w, r, "profile_edit", s.kit.NewPage(w, r, "title.profile"), err)
		return
	}
	http.Redirect(w, r, "/account/profile?done=saved", http.StatusSeeOther)
}

func (s *Server) photoUpload(w http.ResponseWriter, r *http.Request) {
	file, _, err := r.FormFile("photo")
	if err != nil {
		p := s.kit.NewPage(w, r, "title.profile")
		p.Form = prefsValues(p.Me)
		s.kit.Fail(w, r, "profile_edit", p, twinfed.FieldError("photo", "Choose a photo to upload."))
		return
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, s.kit.MaxUploadBytes()+1))
	if err == nil && int64(len(data)) > s.kit.MaxUploadBytes() {
		err = twinfed.Errorf(twinfed.ETOOLARGE, "What you sent is too large. A photo may be at most %d KiB.", s.kit.MaxUploadBytes()>>10)
	}
	if err == nil {
		err = s.svc.SetPhoto(r.Context(), web.State(r).Principal, data)
	}
	if err != nil {
		p := s.kit.NewPage(w, r, "title.profile")
		p.Form = prefsValues(p.Me)
		s.kit.Fail(w, r, "profile_edit", p, err)
		return
	}
	http.Redirect(w, r, "/account/profile?done=photo", http.StatusSeeOther)
}

func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	data, err := s.svc.Export(r.Context(), web.State(r).Principal)
	if err != nil {
		s.kit.ErrorPage(w, r, err)
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="twinfed-`+data.Account.Username+`.json"`)
	web.WriteJSON(w, http.StatusOK, data)
}

func (s *Server) deleteAccount(w http.ResponseWriter, r *http.Request) {
	st := web.State(r)
	if err := s.svc.DeleteAccount(r.Context(), st.Principal, r.PostForm.Get("password")); err != nil {
		s.kit.Fail(w, r, "delete", s.kit.NewPage(w, r, "title.delete"), err)
		return
	}
	_ = s.svc.Logout(r.Context(), st.Token)
	s.kit.ClearSession(w)
	http.Redirect(w, r, "/?done=deleted", http.StatusSeeOther)
}

// setLanguage is the footer's language form. A member's form is a POST
// with the CSRF token, and the choice is stored in the account. A visitor
// without a session sends a GET: it changes only a preference cookie in
// their own browser, nothing on the server, so the form needs no token
// and the pages that have no other form need no per-visitor cookie.
func (s *Server) setLanguage(w http.ResponseWriter, r *http.Request) {
	f := r.URL.Query()
	if r.Method == http.MethodPost {
		f = r.PostForm
	}
	lang := f.Get("lang")
	if !s.kit.Catalog().Offered(lang) {
		s.kit.ErrorPage(w, r, twinfed.Errorf(twinfed.EINVALID, "Choose a language from the list."))
		return
	}
	s.kit.SetLanguage(w, lang)
	if st := web.State(r); r.Method == http.MethodPost && st.Principal != nil && !st.Bearer {
		_, _ = s.svc.UpdateAccount(r.Context(), st.Principal, AccountUpdate{Locale: lang})
	}
	http.Redirect(w, r, web.SafeNext(f.Get("next")), http.StatusSeeOther)
}

func (s *Server) photo(w http.ResponseWriter, r *http.Request) {
	data, ct, err := s.svc.Photo(r.Context(), web.State(r).Principal, r.PathValue("username"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "private, max-age=300")
	_, _ = w.Write(data)
}
