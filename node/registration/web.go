package registration

import (
	"context"
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

//go:embed templates/*.html
var templates embed.FS

// Accounts is what the registration's pages ask of the account feature:
// the unconfirmed account and its confirmation link, the session opened by
// the confirmation, and the member's record.
type Accounts interface {
	// Member returns a member's whole record; ENOTFOUND when there is none.
	Member(ctx context.Context, username string) (*twinfed.Member, error)
	// PreRegister creates an unconfirmed account and mails its confirmation
	// link. EINVALID lists the wrong fields; ECONFLICT: taken.
	PreRegister(ctx context.Context, r account.PreRegistration) (*twinfed.Member, error)
	// ConfirmEmail consumes a confirmation link (ENOTFOUND, ECONFLICT: used,
	// EINVALID: expired) and opens a session: its token (the cookie) and
	// the session.
	ConfirmEmail(ctx context.Context, token string) (*twinfed.Member, string, *account.Session, error)
	// ResendConfirmation mails a new confirmation link to an unconfirmed
	// account's address, answering the same for an unknown one.
	ResendConfirmation(ctx context.Context, email string) error
}

// Web is the registration's pages and JSON API.
type Web struct {
	svc      *Service
	accounts Accounts
	kit      *web.Kit
}

// NewWeb returns the registration's handlers over svc and the account
// feature.
func NewWeb(svc *Service, accounts Accounts) *Web { return &Web{svc: svc, accounts: accounts} }

// Routes registers the registration's templates, pages and JSON API on k.
func (h *Web) Routes(k *web.Kit) error {
	if err := k.AddTemplates(templates, "templates/*.html"); err != nil {
		return err
	}
	h.kit = k
	k.HandleFunc("GET /register", k.Web(h.registerForm))
	k.Handle("POST /register", k.Limited(web.LimitRegister, k.Web(h.register)))
	k.HandleFunc("GET /register/sent", k.Web(k.Simple("register_sent", "title.register")))
	k.HandleFunc("GET /register/confirm", k.Web(h.confirmForm))
	k.HandleFunc("POST /register/confirm", k.Web(h.confirm))
	k.HandleFunc("GET /register/resend", k.Web(k.Simple("resend", "title.resend")))
	k.Handle("POST /register/resend", k.Limited(web.LimitResend, k.Web(h.resend)))
	k.HandleFunc("GET /register/step/{n}", k.Member(h.stepForm))
	k.HandleFunc("POST /register/step/{n}", k.Member(h.step))
	k.HandleFunc("GET /account/schools", k.Member(h.schoolsForm))
	k.HandleFunc("POST /account/schools", k.Member(h.addSchool))
	k.HandleFunc("POST /account/schools/remove", k.Member(h.removeSchool))
	h.apiRoutes(k)
	return nil
}

func (h *Web) registerForm(w http.ResponseWriter, r *http.Request) {
	h.kit.Render(w, http.StatusOK, "register", h.kit.NewPage(w, r, "title.register"))
}

func (h *Web) register(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	_, err := h.accounts.PreRegister(r.Context(), account.PreRegistration{
		FirstName: f.Get("first_name"), LastName: f.Get("last_name"), Email: f.Get("email"), EmailConfirm: f.Get("email_confirm"),
		Username: f.Get("username"), Password: f.Get("password"), PasswordConfirm: f.Get("password_confirm"), Locale: web.State(r).Lang,
	})
	if err != nil {
		p := h.kit.NewPage(w, r, "title.register")
		p.Form = url.Values{}
		for _, k := range []string{"first_name", "last_name", "email", "email_confirm", "username"} {
			p.Form.Set(k, f.Get(k)) // never echo passwords
		}
		h.kit.Fail(w, r, "register", p, err)
		return
	}
	http.Redirect(w, r, "/register/sent", http.StatusSeeOther)
}

func (h *Web) confirmForm(w http.ResponseWriter, r *http.Request) {
	p := h.kit.NewPage(w, r, "title.confirm")
	p.Data = r.URL.Query().Get("token")
	h.kit.Render(w, http.StatusOK, "confirm", p)
}

func (h *Web) confirm(w http.ResponseWriter, r *http.Request) {
	_, tok, sess, err := h.accounts.ConfirmEmail(r.Context(), r.PostForm.Get("token"))
	if err != nil {
		p := h.kit.NewPage(w, r, "title.confirm")
		p.Data = ""
		h.kit.Fail(w, r, "confirm", p, err)
		return
	}
	h.kit.SetSession(w, tok, sess.Expires)
	http.Redirect(w, r, "/register/step/1", http.StatusSeeOther)
}

func (h *Web) resend(w http.ResponseWriter, r *http.Request) {
	if err := h.accounts.ResendConfirmation(r.Context(), r.PostForm.Get("email")); err != nil {
		h.kit.Fail(w, r, "resend", h.kit.NewPage(w, r, "title.resend"), err)
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
	Proposal *twinfed.SchoolProposal
}

func (h *Web) stepPage(w http.ResponseWriter, r *http.Request, n int) (*web.Page, *stepData) {
	p := h.kit.NewPage(w, r, "title.step"+strconv.Itoa(n))
	d := &stepData{N: n, Member: p.Me}
	p.Data = d
	return p, d
}

func (h *Web) stepNumber(w http.ResponseWriter, r *http.Request) (int, bool) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 || n > 4 {
		h.kit.ErrorPage(w, r, twinfed.Errorf(twinfed.ENOTFOUND, "There is no such registration step."))
		return 0, false
	}
	me, err := h.accounts.Member(r.Context(), web.State(r).Principal.Username)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return 0, false
	}
	if me.Status != twinfed.StatusRegistering && me.Status != twinfed.StatusRejected {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return 0, false
	}
	if first := twinfed.RegistrationStep(me); n > first {
		http.Redirect(w, r, "/register/step/"+strconv.Itoa(first), http.StatusSeeOther)
		return 0, false
	}
	return n, true
}

func (h *Web) stepForm(w http.ResponseWriter, r *http.Request) {
	n, ok := h.stepNumber(w, r)
	if !ok {
		return
	}
	p, d := h.stepPage(w, r, n)
	if n == 1 {
		d.Query = r.URL.Query().Get("q")
		d.Propose = r.URL.Query().Get("propose") == "1"
		if _, searched := r.URL.Query()["q"]; searched {
			d.Searched = true
			list, total, err := h.svc.FindSchools(r.Context(), d.Query, 0, 20)
			if err != nil {
				h.kit.Fail(w, r, "step1", p, err)
				return
			}
			d.Schools, d.Total = list, total
		}
	}
	if n == 3 && p.Me != nil {
		p.Form = account.PrefsValues(p.Me)
	}
	h.kit.Render(w, http.StatusOK, "step"+strconv.Itoa(n), p)
}

func schoolChoiceFromForm(f url.Values) twinfed.SchoolChoice {
	if f.Get("propose") == "1" {
		years, _ := strconv.Atoi(f.Get("course_years"))
		return twinfed.SchoolChoice{Proposal: &twinfed.SchoolProposal{LegalName: f.Get("legal_name"), PublicName: f.Get("public_name"), City: f.Get("city"), Region: f.Get("region"),
			NationalNumber: f.Get("national_number"), Level: twinfed.SchoolLevel(f.Get("level")), CourseYears: years, Institution: twinfed.Institution(f.Get("institution"))}}
	}
	return twinfed.SchoolChoice{SchoolID: f.Get("school_id")}
}

func (h *Web) step(w http.ResponseWriter, r *http.Request) {
	n, ok := h.stepNumber(w, r)
	if !ok {
		return
	}
	st := web.State(r)
	f := r.PostForm
	var err error
	switch n {
	case 1:
		_, err = h.svc.SetSchool(r.Context(), st.Principal, schoolChoiceFromForm(f))
	case 2:
		_, err = h.svc.SetRole(r.Context(), st.Principal, f.Get("role"))
	case 3:
		var pr twinfed.Preferences
		// The public fields are the ones ticked (none: an empty list,
		// which shows nothing).
		if pr, err = account.PrefsFromForm(f, true); err == nil {
			_, err = h.svc.SetPreferences(r.Context(), st.Principal, pr)
		}
	case 4:
		_, err = h.svc.Submit(r.Context(), st.Principal)
	}
	if err != nil {
		p, d := h.stepPage(w, r, n)
		d.Propose = f.Get("propose") == "1"
		h.kit.Fail(w, r, "step"+strconv.Itoa(n), p, err)
		return
	}
	if n == 4 {
		http.Redirect(w, r, "/?done=submitted", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/register/step/"+strconv.Itoa(n+1), http.StatusSeeOther)
}

func (h *Web) schoolsForm(w http.ResponseWriter, r *http.Request) {
	p := h.kit.NewPage(w, r, "title.schools")
	d := &stepData{N: 0, Member: p.Me, Query: r.URL.Query().Get("q"), Propose: r.URL.Query().Get("propose") == "1"}
	p.Data = d
	if _, searched := r.URL.Query()["q"]; searched {
		d.Searched = true
		list, total, err := h.svc.FindSchools(r.Context(), d.Query, 0, 20)
		if err != nil {
			h.kit.Fail(w, r, "schools", p, err)
			return
		}
		d.Schools, d.Total = list, total
	}
	h.kit.Render(w, http.StatusOK, "schools", p)
}

func (h *Web) addSchool(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	if _, err := h.svc.AddSchool(r.Context(), web.State(r).Principal, schoolChoiceFromForm(f), f.Get("role")); err != nil {
		p := h.kit.NewPage(w, r, "title.schools")
		p.Data = &stepData{Member: p.Me, Propose: f.Get("propose") == "1"}
		h.kit.Fail(w, r, "schools", p, err)
		return
	}
	http.Redirect(w, r, "/account/schools?done=saved", http.StatusSeeOther)
}

func (h *Web) removeSchool(w http.ResponseWriter, r *http.Request) {
	i, _ := strconv.Atoi(r.PostForm.Get("index"))
	if _, err := h.svc.RemoveSchool(r.Context(), web.State(r).Principal, i); err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/account/schools?done=saved", http.StatusSeeOther)
}
