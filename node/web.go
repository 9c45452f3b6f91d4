package node

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twinfed/twinfed"
)

// page is what every template receives.
type page struct {
	s        *Server
	Lang     string
	Title    string // message id
	P        *twinfed.Principal
	Me       *twinfed.Member
	w        http.ResponseWriter // for the anonymous cookie CSRF may set
	st       *reqState
	csrf     string            // CSRF's token, once asked for
	Errors   map[string]string // field → translated message
	Problem  string            // translated summary at the top
	Flash    string
	Form     url.Values // values to fill the form with again
	Data     any
	Country  string
	Agency   string
	Path     string
	Query    string // the raw query string, to come back to the same page
	Langs    []string
	Nav      string // current top-menu item
	Counts   Counts // unread notifications and messages, pending requests
	Policy   twinfed.Eligibility
	Subjects []string
	LangList []string
	Roles    []string
	Levels   []twinfed.SchoolLevel
	Insts    []twinfed.Institution
	PubList  []string
}

// T translates a message id into the page's language.
func (p *page) T(id string) string { return p.s.cat.T(p.Lang, id) }

// TN translates a plural message.
func (p *page) TN(id string, n int) string { return p.s.cat.TN(p.Lang, id, n) }

// V returns a form value to fill an input with again.
func (p *page) V(name string) string {
	if p.Form == nil {
		return ""
	}
	return p.Form.Get(name)
}

// Err returns the translated error of a field.
func (p *page) Err(name string) string { return p.Errors[name] }

// CSRF is the token the page's POST forms carry. It is made when a
// template first asks for it, so that a visitor without a session is
// given the anonymous cookie that binds it only by a page with such a
// form: the others (a public profile) are the same bytes for every
// visitor, which the profile page cache relies on. Templates run before
// the response's header is written, so the cookie can still be set.
func (p *page) CSRF() string {
	if p.csrf == "" {
		p.csrf = p.s.csrfToken(p.w, p.st)
	}
	return p.csrf
}

func (s *Server) newPage(w http.ResponseWriter, r *http.Request, title string) *page {
	st := state(r)
	p := &page{s: s, Lang: st.lang, Title: title, P: st.p, w: w, st: st, Country: s.svc.cfg.Country, Agency: s.svc.cfg.AgencyName,
		Path: r.URL.Path, Query: r.URL.RawQuery, Langs: s.cat.Languages(), Policy: s.svc.cfg.Policy, Subjects: Subjects, LangList: Languages, Roles: twinfed.SchoolRoles,
		Levels: twinfed.SchoolLevels, Insts: twinfed.Institutions, PubList: twinfed.PublicFields}
	if st.p != nil && !st.bearer {
		if m, err := s.svc.Member(r.Context(), st.p.Username); err == nil {
			p.Me = m
			p.Counts = s.svc.Counts(r.Context(), st.p)
		}
	}
	if f := r.URL.Query().Get("done"); f != "" {
		p.Flash = "flash." + f
	}
	return p
}

// renderBufs holds the buffers pages are rendered into.
var renderBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render executes the page's template into a buffer, then sends it whole
// with its length: a template that fails half-way answers 500 instead of a
// truncated page, and the response is written once instead of in the many
// small pieces a template produces.
func (s *Server) render(w http.ResponseWriter, status int, name string, p *page) {
	buf, ok := s.execute(w, name, p)
	if !ok {
		return
	}
	defer putRenderBuf(buf)
	sendPage(w, status, p.Lang, buf.Bytes())
}

// execute runs the page's template into a pooled buffer (give it back
// with putRenderBuf). On failure it has answered 500 and returns false.
func (s *Server) execute(w http.ResponseWriter, name string, p *page) (*bytes.Buffer, bool) {
	pages, ok := s.pages[p.Lang]
	if !ok {
		pages = s.pages[s.cat.Languages()[0]]
	}
	t, ok := pages[name]
	if !ok {
		s.log.Error("no template", "name", name)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return nil, false
	}
	buf := renderBufs.Get().(*bytes.Buffer)
	buf.Reset()
	if err := t.ExecuteTemplate(buf, name+".html", p); err != nil {
		putRenderBuf(buf)
		s.log.Error("render", "template", name, "err", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return nil, false
	}
	return buf, true
}

func putRenderBuf(buf *bytes.Buffer) {
	if buf.Cap() <= 256<<10 {
		renderBufs.Put(buf)
	}
}

// sendPage sends a rendered HTML page in language lang with its headers.
// The profile page cache sends its pages through it too, so a cached page
// has the headers of a rendered one.
func sendPage(w http.ResponseWriter, status int, lang string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", lang)
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; frame-ancestors 'none'; form-action 'self'")
	w.WriteHeader(status)
	w.Write(body)
}

// fail renders a form page again with the error: field messages next to the
// fields and a summary at the top, in the page's language.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, name string, p *page, err error) {
	code := twinfed.ErrorCode(err)
	var rl *ErrRateLimited
	status := twinfed.HTTPStatus(code)
	if errors.As(err, &rl) {
		status = http.StatusTooManyRequests
		w.Header().Set("Retry-After", strconv.Itoa(int(rl.RetryAfter.Seconds())+1))
		p.Problem = p.T("Too many failed attempts. Wait a few minutes and try again.")
	} else if code == twinfed.EINTERNAL {
		p.Problem = p.T("Something went wrong on our side. Please try again later.")
	} else {
		p.Problem = p.T(twinfed.ErrorMessage(err))
	}
	p.Errors = map[string]string{}
	for k, v := range twinfed.ErrorFields(err) {
		p.Errors[k] = p.T(v)
	}
	if p.Form == nil {
		p.Form = r.PostForm
	}
	s.render(w, status, name, p)
}

// errorPage renders a whole-page error (not found, forbidden…).
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, err error) {
	p := s.newPage(w, r, "title.error")
	code := twinfed.ErrorCode(err)
	p.Problem = p.T(twinfed.ErrorMessage(err))
	if code == twinfed.EINTERNAL {
		p.Problem = p.T("Something went wrong on our side. Please try again later.")
	}
	p.Data = code
	s.render(w, twinfed.HTTPStatus(code), "error", p)
}

// web wraps an HTML handler: authentication, language, the body limit, and
// the CSRF check of every POST.
func (s *Server) web(h func(w http.ResponseWriter, r *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r = s.load(w, r)
		if r.Method == http.MethodPost {
			limit := s.cfg.MaxFormBytes
			if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
				limit = s.cfg.MaxUploadBytes + 64<<10
			}
			if r.ContentLength > limit {
				s.errorPage(w, r, twinfed.Errorf(twinfed.ETOOLARGE, "What you sent is too large. A photo may be at most %d KiB.", s.cfg.MaxUploadBytes>>10))
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
					s.errorPage(w, r, twinfed.Errorf(twinfed.ETOOLARGE, "What you sent is too large. A photo may be at most %d KiB.", s.cfg.MaxUploadBytes>>10))
					return
				}
				s.errorPage(w, r, twinfed.Errorf(twinfed.EINVALID, "The form could not be read. Reload the page and try again."))
				return
			}
			if !s.checkCSRF(state(r), r.PostFormValue("csrf")) {
				s.errorPage(w, r, twinfed.Errorf(twinfed.EFORBIDDEN, "This form has expired or did not come from this site. Reload the page and try again."))
				return
			}
		}
		h(w, r)
	}
}

// member wraps a handler that needs a logged-in account.
func (s *Server) member(h func(w http.ResponseWriter, r *http.Request)) http.HandlerFunc {
	return s.web(func(w http.ResponseWriter, r *http.Request) {
		if state(r).p == nil || state(r).bearer {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		h(w, r)
	})
}

// agency wraps a back-office handler: agency staff only, checked on every request.
func (s *Server) agency(h func(w http.ResponseWriter, r *http.Request)) http.HandlerFunc {
	return s.member(func(w http.ResponseWriter, r *http.Request) {
		if !state(r).p.IsAgency() {
			s.errorPage(w, r, twinfed.Errorf(twinfed.EFORBIDDEN, "This page is for the national agency's staff."))
			return
		}
		h(w, r)
	})
}

func (s *Server) webRoutes() {
	m := s.mux
	m.HandleFunc("GET /{$}", s.web(s.home))
	m.HandleFunc("GET /register", s.web(s.registerForm))
	m.HandleFunc("POST /register", s.web(s.register))
	m.HandleFunc("GET /register/sent", s.web(s.simple("register_sent", "title.register")))
	m.HandleFunc("GET /register/confirm", s.web(s.confirmForm))
	m.HandleFunc("POST /register/confirm", s.web(s.confirm))
	m.HandleFunc("GET /register/resend", s.web(s.simple("resend", "title.resend")))
	m.HandleFunc("POST /register/resend", s.web(s.resend))
	m.HandleFunc("GET /register/step/{n}", s.member(s.stepForm))
	m.HandleFunc("POST /register/step/{n}", s.member(s.step))
	m.HandleFunc("GET /login", s.web(s.loginForm))
	m.HandleFunc("POST /login", s.web(s.login))
	m.HandleFunc("POST /logout", s.web(s.logout))
	m.HandleFunc("GET /password/forgot", s.web(s.simple("forgot", "title.forgot")))
	m.HandleFunc("POST /password/forgot", s.web(s.forgot))
	m.HandleFunc("GET /password/reset", s.web(s.resetForm))
	m.HandleFunc("POST /password/reset", s.web(s.reset))
	m.HandleFunc("GET /account", s.member(s.accountForm))
	m.HandleFunc("POST /account", s.member(s.account))
	m.HandleFunc("POST /account/password", s.member(s.accountPassword))
	m.HandleFunc("GET /account/email/confirm", s.member(s.emailConfirmForm))
	m.HandleFunc("POST /account/email/confirm", s.member(s.emailConfirm))
	m.HandleFunc("GET /account/profile", s.member(s.profileForm))
	m.HandleFunc("POST /account/profile", s.member(s.profile))
	m.HandleFunc("POST /account/photo", s.member(s.photoUpload))
	m.HandleFunc("GET /account/schools", s.member(s.schoolsForm))
	m.HandleFunc("POST /account/schools", s.member(s.addSchool))
	m.HandleFunc("POST /account/schools/remove", s.member(s.removeSchool))
	m.HandleFunc("GET /account/export", s.member(s.export))
	m.HandleFunc("GET /account/delete", s.member(s.simple("delete", "title.delete")))
	m.HandleFunc("POST /account/delete", s.member(s.deleteAccount))
	m.HandleFunc("POST /language", s.web(s.setLanguage))
	m.HandleFunc("GET /language", s.web(s.setLanguage))
	m.HandleFunc("GET /users/{username}", s.web(s.userPage))
	m.HandleFunc("GET /users/{username}/photo", s.web(s.photo))
	for _, later := range []string{"events", "groups", "forum"} {
		m.HandleFunc("GET /"+later, s.web(s.later(later)))
	}
	m.HandleFunc("GET /backoffice", s.agency(s.boHome))
	m.HandleFunc("GET /backoffice/members", s.agency(s.boMembers))
	m.HandleFunc("GET /backoffice/members/{username}", s.agency(s.boMember))
	m.HandleFunc("POST /backoffice/members/{username}/validate", s.agency(s.boValidateMember))
	m.HandleFunc("POST /backoffice/members/{username}/reject", s.agency(s.boRejectMember))
	m.HandleFunc("GET /backoffice/schools", s.agency(s.boSchools))
	m.HandleFunc("POST /backoffice/schools/{id}/validate", s.agency(s.boValidateSchool))
	m.HandleFunc("POST /backoffice/schools/{id}/reject", s.agency(s.boRejectSchool))
	m.HandleFunc("GET /backoffice/stats", s.agency(s.boStats))
	m.HandleFunc("GET /backoffice/members.csv", s.agency(s.boExport))
	m.HandleFunc("GET /backoffice/staff", s.agency(s.simple("bo_staff", "title.staff")))
	m.HandleFunc("POST /backoffice/staff", s.agency(s.boStaff))
}

func (s *Server) simple(name, title string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		s.render(w, http.StatusOK, name, s.newPage(w, r, title))
	}
}

func (s *Server) later(item string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		p := s.newPage(w, r, "nav."+item)
		p.Nav = item
		s.render(w, http.StatusOK, "later", p)
	}
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(w, r, "title.home")
	if p.Me != nil && p.Me.Role == twinfed.RoleMember && (p.Me.Status == twinfed.StatusRegistering) {
		p.Data = RegistrationStep(p.Me)
	}
	s.render(w, http.StatusOK, "home", p)
}

// --- registration ---

func (s *Server) registerForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "register", s.newPage(w, r, "title.register"))
}

func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	_, err := s.svc.PreRegister(r.Context(), PreRegistration{
		FirstName: f.Get("first_name"), LastName: f.Get("last_name"), Email: f.Get("email"), EmailConfirm: f.Get("email_confirm"),
		Username: f.Get("username"), Password: f.Get("password"), PasswordConfirm: f.Get("password_confirm"), Locale: state(r).lang,
	})
	if err != nil {
		p := s.newPage(w, r, "title.register")
		p.Form = url.Values{}
		for _, k := range []string{"first_name", "last_name", "email", "email_confirm", "username"} {
			p.Form.Set(k, f.Get(k)) // never echo passwords
		}
		s.fail(w, r, "register", p, err)
		return
	}
	http.Redirect(w, r, "/register/sent", http.StatusSeeOther)
}

func (s *Server) confirmForm(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(w, r, "title.confirm")
	p.Data = r.URL.Query().Get("token")
	s.render(w, http.StatusOK, "confirm", p)
}

func (s *Server) confirm(w http.ResponseWriter, r *http.Request) {
	_, token, sess, err := s.svc.ConfirmEmail(r.Context(), r.PostForm.Get("token"))
	if err != nil {
		p := s.newPage(w, r, "title.confirm")
		p.Data = ""
		s.fail(w, r, "confirm", p, err)
		return
	}
	s.setSession(w, token, sess)
	http.Redirect(w, r, "/register/step/1", http.StatusSeeOther)
}

func (s *Server) resend(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.ResendConfirmation(r.Context(), r.PostForm.Get("email")); err != nil {
		s.fail(w, r, "resend", s.newPage(w, r, "title.resend"), err)
		return
	}
	http.Redirect(w, r, "/register/sent", http.StatusSeeOther)
}

type stepData struct {
	N        int
	Query    string
	Schools  []*twinfed.School
	Total    int
	Searched bool
	Member   *twinfed.Member
	Propose  bool
	Proposal *SchoolProposal
}

func (s *Server) stepPage(w http.ResponseWriter, r *http.Request, n int) (*page, *stepData) {
	p := s.newPage(w, r, "title.step"+strconv.Itoa(n))
	d := &stepData{N: n, Member: p.Me}
	p.Data = d
	return p, d
}

func (s *Server) stepNumber(w http.ResponseWriter, r *http.Request) (int, bool) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 || n > 4 {
		s.errorPage(w, r, twinfed.Errorf(twinfed.ENOTFOUND, "There is no such registration step."))
		return 0, false
	}
	me, err := s.svc.Member(r.Context(), state(r).p.Username)
	if err != nil {
		s.errorPage(w, r, err)
		return 0, false
	}
	if me.Status != twinfed.StatusRegistering && me.Status != twinfed.StatusRejected {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return 0, false
	}
	if first := RegistrationStep(me); n > first {
		http.Redirect(w, r, "/register/step/"+strconv.Itoa(first), http.StatusSeeOther)
		return 0, false
	}
	return n, true
}

func (s *Server) stepForm(w http.ResponseWriter, r *http.Request) {
	n, ok := s.stepNumber(w, r)
	if !ok {
		return
	}
	p, d := s.stepPage(w, r, n)
	if n == 1 {
		d.Query = r.URL.Query().Get("q")
		d.Propose = r.URL.Query().Get("propose") == "1"
		if _, searched := r.URL.Query()["q"]; searched {
			d.Searched = true
			list, total, err := s.svc.FindSchools(r.Context(), d.Query, 0, 20)
			if err != nil {
				s.fail(w, r, "step1", p, err)
				return
			}
			d.Schools, d.Total = list, total
		}
	}
	if n == 3 && p.Me != nil {
		p.Form = prefsValues(p.Me)
	}
	s.render(w, http.StatusOK, "step"+strconv.Itoa(n), p)
}

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

func schoolChoiceFromForm(f url.Values) SchoolChoice {
	if f.Get("propose") == "1" {
		years, _ := strconv.Atoi(f.Get("course_years"))
		return SchoolChoice{Proposal: &SchoolProposal{LegalName: f.Get("legal_name"), PublicName: f.Get("public_name"), City: f.Get("city"), Region: f.Get("region"),
			NationalNumber: f.Get("national_number"), Level: twinfed.SchoolLevel(f.Get("level")), CourseYears: years, Institution: twinfed.Institution(f.Get("institution"))}}
	}
	return SchoolChoice{SchoolID: f.Get("school_id")}
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

func (s *Server) step(w http.ResponseWriter, r *http.Request) {
	n, ok := s.stepNumber(w, r)
	if !ok {
		return
	}
	st := state(r)
	f := r.PostForm
	var err error
	switch n {
	case 1:
		_, err = s.svc.SetSchool(r.Context(), st.p, schoolChoiceFromForm(f))
	case 2:
		_, err = s.svc.SetRole(r.Context(), st.p, f.Get("role"))
	case 3:
		var pr Preferences
		if pr, err = prefsFromForm(f, true); err == nil {
			_, err = s.svc.SetPreferences(r.Context(), st.p, pr)
		}
	case 4:
		_, err = s.svc.Submit(r.Context(), st.p)
	}
	if err != nil {
		p, d := s.stepPage(w, r, n)
		d.Propose = f.Get("propose") == "1"
		s.fail(w, r, "step"+strconv.Itoa(n), p, err)
		return
	}
	if n == 4 {
		http.Redirect(w, r, "/?done=submitted", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/register/step/"+strconv.Itoa(n+1), http.StatusSeeOther)
}

// --- login, logout, password reset ---

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(w, r, "title.login")
	p.Form = url.Values{"next": {r.URL.Query().Get("next")}}
	s.render(w, http.StatusOK, "login", p)
}

func safeNext(next string) string {
	if strings.HasPrefix(next, "/") && !strings.HasPrefix(next, "//") && !strings.Contains(next, "\\") {
		return next
	}
	return "/"
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	m, token, sess, err := s.svc.Login(r.Context(), f.Get("username"), f.Get("password"), clientIP(r))
	if err != nil {
		p := s.newPage(w, r, "title.login")
		p.Form = url.Values{"username": {f.Get("username")}, "next": {f.Get("next")}}
		s.fail(w, r, "login", p, err)
		return
	}
	s.setSession(w, token, sess)
	next := safeNext(f.Get("next"))
	if m.Status == twinfed.StatusRegistering && next == "/" {
		next = "/register/step/" + strconv.Itoa(RegistrationStep(m))
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if st := state(r); st.token != "" {
		_ = s.svc.Logout(r.Context(), st.token)
	}
	s.clearSession(w)
	http.Redirect(w, r, "/?done=logout", http.StatusSeeOther)
}

func (s *Server) forgot(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.RequestPasswordReset(r.Context(), r.PostForm.Get("email")); err != nil {
		s.fail(w, r, "forgot", s.newPage(w, r, "title.forgot"), err)
		return
	}
	p := s.newPage(w, r, "title.forgot")
	p.Flash = "flash.reset_sent"
	s.render(w, http.StatusOK, "forgot", p)
}

func (s *Server) resetForm(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(w, r, "title.reset")
	p.Form = url.Values{"token": {r.URL.Query().Get("token")}}
	s.render(w, http.StatusOK, "reset", p)
}

func (s *Server) reset(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	if err := s.svc.ResetPassword(r.Context(), f.Get("token"), f.Get("password"), f.Get("password_confirm")); err != nil {
		p := s.newPage(w, r, "title.reset")
		p.Form = url.Values{"token": {f.Get("token")}}
		s.fail(w, r, "reset", p, err)
		return
	}
	http.Redirect(w, r, "/login?done=reset", http.StatusSeeOther)
}

// --- account ---

// accountPage is the account page, with the member's change of e-mail
// address waiting for confirmation (as Data) when there is one.
func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) *page {
	p := s.newPage(w, r, "title.account")
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
	s.render(w, http.StatusOK, "account", p)
}

func (s *Server) account(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	if f.Get("cancel_email_change") != "" {
		if _, err := s.svc.UpdateAccount(r.Context(), state(r).p, AccountUpdate{CancelEmailChange: true}); err != nil {
			s.fail(w, r, "account", s.accountPage(w, r), err)
			return
		}
		http.Redirect(w, r, "/account?done=email_cancelled", http.StatusSeeOther)
		return
	}
	m, err := s.svc.UpdateAccount(r.Context(), state(r).p, AccountUpdate{FirstName: f.Get("first_name"), LastName: f.Get("last_name"), Email: f.Get("email"), Locale: f.Get("locale")})
	if err != nil {
		s.fail(w, r, "account", s.accountPage(w, r), err)
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
	if err := s.svc.ChangePassword(r.Context(), state(r).p, f.Get("current_password"), f.Get("new_password"), f.Get("new_password_confirm")); err != nil {
		p := s.accountPage(w, r)
		p.Form = url.Values{"first_name": {p.Me.FirstName}, "last_name": {p.Me.LastName}, "email": {p.Me.Email}, "locale": {p.Me.Locale}}
		s.fail(w, r, "account", p, err)
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
	p := s.newPage(w, r, "title.email_confirm")
	token := r.URL.Query().Get("token")
	ch, err := s.svc.EmailChangeLink(r.Context(), state(r).p, token)
	if err != nil {
		s.fail(w, r, "email_confirm", p, err)
		return
	}
	p.Data = emailConfirmData{Token: token, NewEmail: ch.NewEmail}
	s.render(w, http.StatusOK, "email_confirm", p)
}

func (s *Server) emailConfirm(w http.ResponseWriter, r *http.Request) {
	if _, err := s.svc.ConfirmEmailChange(r.Context(), state(r).p, r.PostForm.Get("token")); err != nil {
		s.fail(w, r, "email_confirm", s.newPage(w, r, "title.email_confirm"), err)
		return
	}
	http.Redirect(w, r, "/account?done=email_changed", http.StatusSeeOther)
}

func (s *Server) profileForm(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(w, r, "title.profile")
	if p.Me != nil {
		p.Form = prefsValues(p.Me)
	}
	s.render(w, http.StatusOK, "profile_edit", p)
}

func (s *Server) profile(w http.ResponseWriter, r *http.Request) {
	pr, err := prefsFromForm(r.PostForm, true)
	if err == nil {
		_, err = s.svc.UpdateProfile(r.Context(), state(r).p, pr)
	}
	if err != nil {
		s.fail(w, r, "profile_edit", s.newPage(w, r, "title.profile"), err)
		return
	}
	http.Redirect(w, r, "/account/profile?done=saved", http.StatusSeeOther)
}

func (s *Server) photoUpload(w http.ResponseWriter, r *http.Request) {
	file, _, err := r.FormFile("photo")
	if err != nil {
		p := s.newPage(w, r, "title.profile")
		p.Form = prefsValues(p.Me)
		s.fail(w, r, "profile_edit", p, twinfed.FieldError("photo", "Choose a photo to upload."))
		return
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, s.cfg.MaxUploadBytes+1))
	if err == nil && int64(len(data)) > s.cfg.MaxUploadBytes {
		err = twinfed.Errorf(twinfed.ETOOLARGE, "What you sent is too large. A photo may be at most %d KiB.", s.cfg.MaxUploadBytes>>10)
	}
	if err == nil {
		err = s.svc.SetPhoto(r.Context(), state(r).p, data)
	}
	if err != nil {
		p := s.newPage(w, r, "title.profile")
		p.Form = prefsValues(p.Me)
		s.fail(w, r, "profile_edit", p, err)
		return
	}
	http.Redirect(w, r, "/account/profile?done=photo", http.StatusSeeOther)
}

func (s *Server) schoolsForm(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(w, r, "title.schools")
	d := &stepData{N: 0, Member: p.Me, Query: r.URL.Query().Get("q"), Propose: r.URL.Query().Get("propose") == "1"}
	p.Data = d
	if _, searched := r.URL.Query()["q"]; searched {
		d.Searched = true
		list, total, err := s.svc.FindSchools(r.Context(), d.Query, 0, 20)
		if err != nil {
			s.fail(w, r, "schools", p, err)
			return
		}
		d.Schools, d.Total = list, total
	}
	s.render(w, http.StatusOK, "schools", p)
}

func (s *Server) addSchool(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	if _, err := s.svc.AddSchool(r.Context(), state(r).p, schoolChoiceFromForm(f), f.Get("role")); err != nil {
		p := s.newPage(w, r, "title.schools")
		p.Data = &stepData{Member: p.Me, Propose: f.Get("propose") == "1"}
		s.fail(w, r, "schools", p, err)
		return
	}
	http.Redirect(w, r, "/account/schools?done=saved", http.StatusSeeOther)
}

func (s *Server) removeSchool(w http.ResponseWriter, r *http.Request) {
	i, _ := strconv.Atoi(r.PostForm.Get("index"))
	if _, err := s.svc.RemoveSchool(r.Context(), state(r).p, i); err != nil {
		s.errorPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/account/schools?done=saved", http.StatusSeeOther)
}

func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	data, err := s.svc.Export(r.Context(), state(r).p)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="twinfed-`+data.Account.Username+`.json"`)
	writeJSON(w, http.StatusOK, data)
}

func (s *Server) deleteAccount(w http.ResponseWriter, r *http.Request) {
	st := state(r)
	if err := s.svc.DeleteAccount(r.Context(), st.p, r.PostForm.Get("password")); err != nil {
		s.fail(w, r, "delete", s.newPage(w, r, "title.delete"), err)
		return
	}
	_ = s.svc.Logout(r.Context(), st.token)
	s.clearSession(w)
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
	if !s.cat.Offered(lang) {
		s.errorPage(w, r, twinfed.Errorf(twinfed.EINVALID, "Choose a language from the list."))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieLang, Value: lang, Path: "/", HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600})
	if st := state(r); r.Method == http.MethodPost && st.p != nil && !st.bearer {
		_, _ = s.svc.UpdateAccount(r.Context(), st.p, AccountUpdate{Locale: lang})
	}
	http.Redirect(w, r, safeNext(f.Get("next")), http.StatusSeeOther)
}

// --- people and profiles ---

func (s *Server) photo(w http.ResponseWriter, r *http.Request) {
	data, ct, err := s.svc.Photo(r.Context(), state(r).p, r.PathValue("username"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "private, max-age=300")
	_, _ = w.Write(data)
}

// --- back office ---

type boHomeData struct {
	Pending, Proposals int
}

func (s *Server) boHome(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(w, r, "title.backoffice")
	_, total, err := s.svc.ListMembers(r.Context(), state(r).p, twinfed.StatusPending, 0, 1)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	props, err := s.svc.ListProposals(r.Context(), state(r).p, twinfed.SchoolProposed)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p.Data = boHomeData{Pending: total, Proposals: len(props)}
	s.render(w, http.StatusOK, "bo_home", p)
}

type boMembersData struct {
	Status  string
	Members []*twinfed.Member
	Total   int
	Offset  int
	Next    int
}

func (s *Server) boMembers(w http.ResponseWriter, r *http.Request) {
	status := r.URL.Query().Get("status")
	if status == "" {
		status = string(twinfed.StatusPending)
	}
	off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	list, total, err := s.svc.ListMembers(r.Context(), state(r).p, twinfed.MemberStatus(status), max(off, 0), 50)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p := s.newPage(w, r, "title.bo_members")
	d := boMembersData{Status: status, Members: list, Total: total, Offset: off}
	if off+len(list) < total {
		d.Next = off + len(list)
	}
	p.Data = d
	s.render(w, http.StatusOK, "bo_members", p)
}

type boMemberData struct {
	M        *twinfed.Member
	Proposal *SchoolProposal
}

func (s *Server) boMemberPage(w http.ResponseWriter, r *http.Request, err error) {
	m, gerr := s.svc.AgencyMember(r.Context(), state(r).p, r.PathValue("username"))
	if gerr != nil {
		s.errorPage(w, r, gerr)
		return
	}
	p := s.newPage(w, r, "title.bo_member")
	d := boMemberData{M: m}
	if ms := m.MainSchool(); ms != nil && ms.ProposalID != "" {
		d.Proposal, _ = s.svc.Proposal(r.Context(), state(r).p, ms.ProposalID)
	}
	p.Data = d
	if err != nil {
		s.fail(w, r, "bo_member", p, err)
		return
	}
	s.render(w, http.StatusOK, "bo_member", p)
}

func (s *Server) boMember(w http.ResponseWriter, r *http.Request) { s.boMemberPage(w, r, nil) }

func (s *Server) boValidateMember(w http.ResponseWriter, r *http.Request) {
	if _, err := s.svc.ValidateMember(r.Context(), state(r).p, r.PathValue("username")); err != nil {
		s.boMemberPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/backoffice/members?done=validated", http.StatusSeeOther)
}

func (s *Server) boRejectMember(w http.ResponseWriter, r *http.Request) {
	if _, err := s.svc.RejectMember(r.Context(), state(r).p, r.PathValue("username"), r.PostForm.Get("reason")); err != nil {
		s.boMemberPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/backoffice/members?done=rejected", http.StatusSeeOther)
}

func (s *Server) boSchoolsPage(w http.ResponseWriter, r *http.Request, err error) {
	status := r.URL.Query().Get("status")
	if status == "" {
		status = string(twinfed.SchoolProposed)
	}
	list, lerr := s.svc.ListProposals(r.Context(), state(r).p, twinfed.SchoolStatus(status))
	if lerr != nil {
		s.errorPage(w, r, lerr)
		return
	}
	p := s.newPage(w, r, "title.bo_schools")
	p.Data = list
	p.Form = url.Values{"status": {status}}
	if err != nil {
		s.fail(w, r, "bo_schools", p, err)
		return
	}
	s.render(w, http.StatusOK, "bo_schools", p)
}

func (s *Server) boSchools(w http.ResponseWriter, r *http.Request) { s.boSchoolsPage(w, r, nil) }

func (s *Server) boValidateSchool(w http.ResponseWriter, r *http.Request) {
	if _, err := s.svc.ValidateSchool(r.Context(), state(r).p, r.PathValue("id")); err != nil {
		s.boSchoolsPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/backoffice/schools?done=validated", http.StatusSeeOther)
}

func (s *Server) boRejectSchool(w http.ResponseWriter, r *http.Request) {
	if _, err := s.svc.RejectSchool(r.Context(), state(r).p, r.PathValue("id"), r.PostForm.Get("reason")); err != nil {
		s.boSchoolsPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/backoffice/schools?done=rejected", http.StatusSeeOther)
}

func (s *Server) boStats(w http.ResponseWriter, r *http.Request) {
	st, err := s.svc.Stats(r.Context(), state(r).p)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p := s.newPage(w, r, "title.stats")
	p.Data = st
	s.render(w, http.StatusOK, "bo_stats", p)
}

func (s *Server) boExport(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="members-`+s.svc.cfg.Country+`-`+time.Now().UTC().Format("20060102")+`.csv"`)
	if err := s.svc.ExportCSV(r.Context(), state(r).p, w); err != nil {
		s.log.Error("export csv", "err", err)
	}
}

func (s *Server) boStaff(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	_, err := s.svc.CreateStaff(r.Context(), state(r).p, f.Get("username"), f.Get("email"), f.Get("first_name"), f.Get("last_name"), f.Get("password"), twinfed.Role(f.Get("role")))
	if err != nil {
		p := s.newPage(w, r, "title.staff")
		p.Form = url.Values{"username": {f.Get("username")}, "email": {f.Get("email")}, "first_name": {f.Get("first_name")}, "last_name": {f.Get("last_name")}, "role": {f.Get("role")}}
		s.fail(w, r, "bo_staff", p, err)
		return
	}
	http.Redirect(w, r, "/backoffice/staff?done=saved", http.StatusSeeOther)
}
