package node

import (
	"embed"
	"net/http"
	"net/url"
	"strconv"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/web"
)

// The registration's web pages: the first form, the confirmation of the
// address, the four steps, and the member's schools (a school chosen from
// the registry or proposed to the agency).

//go:embed templates/registration/*.html
var registrationTemplates embed.FS

// registrationRoutes registers the registration's templates, pages and
// JSON API.
func (s *Server) registrationRoutes(k *web.Kit) error {
	if err := k.AddTemplates(registrationTemplates, "templates/registration/*.html"); err != nil {
		return err
	}
	k.HandleFunc("GET /register", k.Web(s.registerForm))
	k.HandleFunc("POST /register", k.Web(s.register))
	k.HandleFunc("GET /register/sent", k.Web(k.Simple("register_sent", "title.register")))
	k.HandleFunc("GET /register/confirm", k.Web(s.confirmForm))
	k.HandleFunc("POST /register/confirm", k.Web(s.confirm))
	k.HandleFunc("GET /register/resend", k.Web(k.Simple("resend", "title.resend")))
	k.HandleFunc("POST /register/resend", k.Web(s.resend))
	k.HandleFunc("GET /register/step/{n}", k.Member(s.stepForm))
	k.HandleFunc("POST /register/step/{n}", k.Member(s.step))
	k.HandleFunc("GET /account/schools", k.Member(s.schoolsForm))
	k.HandleFunc("POST /account/schools", k.Member(s.addSchool))
	k.HandleFunc("POST /account/schools/remove", k.Member(s.removeSchool))
	s.registrationAPIRoutes(k)
	return nil
}

func (s *Server) registerForm(w http.ResponseWriter, r *http.Request) {
	s.kit.Render(w, http.StatusOK, "register", s.kit.NewPage(w, r, "title.register"))
}

func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	_, err := s.svc.accounts.PreRegister(r.Context(), account.PreRegistration{
		FirstName: f.Get("first_name"), LastName: f.Get("last_name"), Email: f.Get("email"), EmailConfirm: f.Get("email_confirm"),
		Username: f.Get("username"), Password: f.Get("password"), PasswordConfirm: f.Get("password_confirm"), Locale: web.State(r).Lang,
	})
	if err != nil {
		p := s.kit.NewPage(w, r, "title.register")
		p.Form = url.Values{}
		for _, k := range []string{"first_name", "last_name", "email", "email_confirm", "username"} {
			p.Form.Set(k, f.Get(k)) // never echo passwords
		}
		s.kit.Fail(w, r, "register", p, err)
		return
	}
	http.Redirect(w, r, "/register/sent", http.StatusSeeOther)
}

func (s *Server) confirmForm(w http.ResponseWriter, r *http.Request) {
	p := s.kit.NewPage(w, r, "title.confirm")
	p.Data = r.URL.Query().Get("token")
	s.kit.Render(w, http.StatusOK, "confirm", p)
}

func (s *Server) confirm(w http.ResponseWriter, r *http.Request) {
	_, token, sess, err := s.svc.accounts.ConfirmEmail(r.Context(), r.PostForm.Get("token"))
	if err != nil {
		p := s.kit.NewPage(w, r, "title.confirm")
		p.Data = ""
		s.kit.Fail(w, r, "confirm", p, err)
		return
	}
	s.kit.SetSession(w, token, sess.Expires)
	http.Redirect(w, r, "/register/step/1", http.StatusSeeOther)
}

func (s *Server) resend(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.accounts.ResendConfirmation(r.Context(), r.PostForm.Get("email")); err != nil {
		s.kit.Fail(w, r, "resend", s.kit.NewPage(w, r, "title.resend"), err)
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

func (s *Server) stepPage(w http.ResponseWriter, r *http.Request, n int) (*web.Page, *stepData) {
	p := s.kit.NewPage(w, r, "title.step"+strconv.Itoa(n))
	d := &stepData{N: n, Member: p.Me}
	p.Data = d
	return p, d
}

func (s *Server) stepNumber(w http.ResponseWriter, r *http.Request) (int, bool) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 || n > 4 {
		s.kit.ErrorPage(w, r, twinfed.Errorf(twinfed.ENOTFOUND, "There is no such registration step."))
		return 0, false
	}
	me, err := s.svc.Member(r.Context(), web.State(r).Principal.Username)
	if err != nil {
		s.kit.ErrorPage(w, r, err)
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
				s.kit.Fail(w, r, "step1", p, err)
				return
			}
			d.Schools, d.Total = list, total
		}
	}
	if n == 3 && p.Me != nil {
		p.Form = account.PrefsValues(p.Me)
	}
	s.kit.Render(w, http.StatusOK, "step"+strconv.Itoa(n), p)
}

func schoolChoiceFromForm(f url.Values) SchoolChoice {
	if f.Get("propose") == "1" {
		years, _ := strconv.Atoi(f.Get("course_years"))
		return SchoolChoice{Proposal: &SchoolProposal{LegalName: f.Get("legal_name"), PublicName: f.Get("public_name"), City: f.Get("city"), Region: f.Get("region"),
			NationalNumber: f.Get("national_number"), Level: twinfed.SchoolLevel(f.Get("level")), CourseYears: years, Institution: twinfed.Institution(f.Get("institution"))}}
	}
	return SchoolChoice{SchoolID: f.Get("school_id")}
}

func (s *Server) step(w http.ResponseWriter, r *http.Request) {
	n, ok := s.stepNumber(w, r)
	if !ok {
		return
	}
	st := web.State(r)
	f := r.PostForm
	var err error
	switch n {
	case 1:
		_, err = s.svc.SetSchool(r.Context(), st.Principal, schoolChoiceFromForm(f))
	case 2:
		_, err = s.svc.SetRole(r.Context(), st.Principal, f.Get("role"))
	case 3:
		var pr Preferences
		if pr, err = prefsFromForm(f, true); err == nil {
			_, err = s.svc.SetPreferences(r.Context(), st.Principal, pr)
		}
	case 4:
		_, err = s.svc.Submit(r.Context(), st.Principal)
	}
	if err != nil {
		p, d := s.stepPage(w, r, n)
		d.Propose = f.Get("propose") == "1"
		s.kit.Fail(w, r, "step"+strconv.Itoa(n), p, err)
		return
	}
	if n == 4 {
		http.Redirect(w, r, "/?done=submitted", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/register/step/"+strconv.Itoa(n+1), http.StatusSeeOther)
}

func (s *Server) schoolsForm(w http.ResponseWriter, r *http.Request) {
	p := s.kit.NewPage(w, r, "title.schools")
	d := &stepData{N: 0, Member: p.Me, Query: r.URL.Query().Get("q"), Propose: r.URL.Query().Get("propose") == "1"}
	p.Data = d
	if _, searched := r.URL.Query()["q"]; searched {
		d.Searched = true
		list, total, err := s.svc.FindSchools(r.Context(), d.Query, 0, 20)
		if err != nil {
			s.kit.Fail(w, r, "schools", p, err)
			return
		}
		d.Schools, d.Total = list, total
	}
	s.kit.Render(w, http.StatusOK, "schools", p)
}

func (s *Server) addSchool(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	if _, err := s.svc.AddSchool(r.Context(), web.State(r).Principal, schoolChoiceFromForm(f), f.Get("role")); err != nil {
		p := s.kit.NewPage(w, r, "title.schools")
		p.Data = &stepData{Member: p.Me, Propose: f.Get("propose") == "1"}
		s.kit.Fail(w, r, "schools", p, err)
		return
	}
	http.Redirect(w, r, "/account/schools?done=saved", http.StatusSeeOther)
}

func (s *Server) removeSchool(w http.ResponseWriter, r *http.Request) {
	i, _ := strconv.Atoi(r.PostForm.Get("index"))
	if _, err := s.svc.RemoveSchool(r.Context(), web.State(r).Principal, i); err != nil {
		s.kit.ErrorPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/account/schools?done=saved", http.StatusSeeOther)
}
