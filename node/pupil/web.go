package pupil

import (
	"bytes"
	"embed"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The pages: the teacher's "My pupils" (/pupils: the list, adding one
// pupil or a class list, the credentials shown once and their sheet,
// resetting a password, removing a pupil, inviting a visitor and ending
// an invitation), the pupils' and visitors' login (/pupils/login), and
// their home, My TwinSpaces (/my-twinspaces).

//go:embed templates/*.html
var templates embed.FS

// Web is the pupils' pages and JSON API.
type Web struct {
	svc *Service
	kit *web.Kit
}

// NewWeb builds the pages on svc.
func NewWeb(svc *Service) *Web { return &Web{svc: svc} }

// Routes registers the templates, pages and JSON API on k.
func (h *Web) Routes(k *web.Kit) error {
	h.kit = k
	if err := k.AddTemplates(templates, "templates/*.html"); err != nil {
		return err
	}
	k.HandleFunc("GET /pupils", k.Member(h.list))
	k.HandleFunc("POST /pupils/create", k.Member(h.create))
	k.HandleFunc("POST /pupils/sheet", k.Member(h.sheet))
	k.HandleFunc("POST /pupils/visitors", k.Member(h.invite))
	k.HandleFunc("POST /pupils/{username}/reset", k.Member(h.reset))
	k.HandleFunc("POST /pupils/{username}/remove", k.Member(h.remove))
	k.HandleFunc("GET /pupils/login", k.Web(h.loginForm))
	k.Handle("POST /pupils/login", k.Limited(web.LimitLogin, k.Web(h.login)))
	k.HandleFunc("POST /pupils/logout", k.Web(h.logout))
	k.HandleFunc("POST /pupils/language", k.Web(h.language))
	k.HandleFunc("GET /my-twinspaces", k.Space(h.mySpaces))
	h.apiRoutes(k)
	return nil
}

// listData is what the teacher's page shows.
type listData struct {
	Pupils   []*Account
	Visitors []*Account
	Spaces   []SpaceRef // the TwinSpaces a visitor may be invited to
	Today    string     // yyyy-mm-dd, the expiry field's minimum
	Max      string     // a year ahead, its maximum
	Created  []Credential
}

func (h *Web) listPage(w http.ResponseWriter, r *http.Request) (*web.Page, *listData, error) {
	st := web.State(r)
	p := h.kit.NewPage(w, r, "title.pupils")
	p.Nav = "pupils"
	d := &listData{}
	p.Data = d
	var err error
	if d.Pupils, d.Visitors, err = h.svc.Mine(r.Context(), st.Principal); err != nil {
		return p, d, err
	}
	if d.Spaces, err = h.svc.TeacherSpaces(r.Context(), st.Principal); err != nil {
		return p, d, err
	}
	now := h.svc.now().UTC()
	d.Today = now.AddDate(0, 0, 1).Format(time.DateOnly)
	d.Max = now.AddDate(1, 0, 0).Format(time.DateOnly)
	if p.Form == nil {
		p.Form = url.Values{"lang": {p.Lang}, "expires": {now.AddDate(0, 1, 0).Format(time.DateOnly)}}
	}
	return p, d, nil
}

func (h *Web) list(w http.ResponseWriter, r *http.Request) {
	p, _, err := h.listPage(w, r)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	h.kit.Render(w, http.StatusOK, "pupils", p)
}

// fail shows the teacher's page again with err beside the form's fields.
func (h *Web) fail(w http.ResponseWriter, r *http.Request, err error) {
	p, _, lerr := h.listPage(w, r)
	if lerr != nil {
		h.kit.ErrorPage(w, r, lerr)
		return
	}
	p.Form = r.PostForm
	h.kit.Fail(w, r, "pupils", p, err)
}

func (h *Web) create(w http.ResponseWriter, r *http.Request) {
	names, err := ParseClassList(r.PostForm.Get("names"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	creds, err := h.svc.CreatePupils(r.Context(), web.State(r).Principal, names)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.showCreated(w, r, creds)
}

// showCreated shows credentials once, with the form that gets their
// sheet.
func (h *Web) showCreated(w http.ResponseWriter, r *http.Request, creds []Credential) {
	p := h.kit.NewPage(w, r, "title.pupils_created")
	p.Nav = "pupils"
	p.Data = &listData{Created: creds}
	h.kit.Render(w, http.StatusOK, "pupils_created", p)
}

func (h *Web) reset(w http.ResponseWriter, r *http.Request) {
	cred, err := h.svc.ResetPassword(r.Context(), web.State(r).Principal, r.PathValue("username"))
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	h.showCreated(w, r, []Credential{*cred})
}

func (h *Web) remove(w http.ResponseWriter, r *http.Request) {
	u := r.PathValue("username")
	a, err := h.svc.Account(r.Context(), u)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	if err := h.svc.Remove(r.Context(), web.State(r).Principal, u); err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	done := "pupil_removed"
	if a.Kind == KindVisitor {
		done = "visitor_ended"
	}
	http.Redirect(w, r, "/pupils?done="+done, http.StatusSeeOther)
}

func (h *Web) invite(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	_, err := h.svc.Invite(r.Context(), web.State(r).Principal, Invitation{Name: f.Get("name"), Email: f.Get("email"),
		Project: f.Get("project"), Expires: f.Get("expires"), Lang: f.Get("lang")})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/pupils?done=visitor_invited", http.StatusSeeOther)
}

// sheet answers the credentials sheet of the credentials the form sends
// back (those just shown), for the teacher's own pupils only.
func (h *Web) sheet(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	users, names, pws := f["username"], f["name"], f["password"]
	if len(users) == 0 || len(users) != len(names) || len(users) != len(pws) || len(users) > MaxClassList {
		h.kit.ErrorPage(w, r, twinfed.Errorf(twinfed.EINVALID, "The credentials sheet could not be made from this form. Reset the passwords to print new ones."))
		return
	}
	st := web.State(r)
	if err := RequireTeacher(st.Principal); err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	creds := make([]Credential, len(users))
	err := h.svc.d.Store.View(func(txn *badger.Txn) error {
		for i, u := range users {
			a, err := own(txn, st.Principal.Username, u)
			if err != nil {
				return err
			}
			creds[i] = Credential{Username: a.Username, DisplayName: a.DisplayName, Password: pws[i]}
		}
		return nil
	})
	if err != nil {
		h.kit.ErrorPage(w, r, h.svc.internal("sheet", err))
		return
	}
	var buf bytes.Buffer
	if err := h.svc.WriteSheet(&buf, st.Lang, creds); err != nil {
		h.kit.ErrorPage(w, r, h.svc.internal("sheet", err))
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/pdf")
	hd.Set("Content-Disposition", `attachment; filename="credentials.pdf"`)
	hd.Set("Content-Length", strconv.Itoa(buf.Len()))
	hd.Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

func (h *Web) loginForm(w http.ResponseWriter, r *http.Request) {
	if web.State(r).Scoped != nil {
		http.Redirect(w, r, "/my-twinspaces", http.StatusSeeOther)
		return
	}
	h.kit.Render(w, http.StatusOK, "pupil_login", h.kit.NewPage(w, r, "title.pupil_login"))
}

func (h *Web) login(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	_, sess, err := h.svc.Login(r.Context(), f.Get("username"), f.Get("password"), web.ClientIP(r))
	if err != nil {
		p := h.kit.NewPage(w, r, "title.pupil_login")
		p.Form = url.Values{"username": {f.Get("username")}}
		h.kit.Fail(w, r, "pupil_login", p, err)
		return
	}
	h.kit.SetSession(w, sess.Token, sess.Expires)
	http.Redirect(w, r, "/my-twinspaces", http.StatusSeeOther)
}

func (h *Web) logout(w http.ResponseWriter, r *http.Request) {
	if st := web.State(r); IsToken(st.Token) {
		_ = h.svc.Logout(r.Context(), st.Token)
	}
	h.kit.ClearSession(w)
	http.Redirect(w, r, "/pupils/login?done=logout", http.StatusSeeOther)
}

// language stores a pupil's or a visitor's language (and the cookie, as
// for anyone).
func (h *Web) language(w http.ResponseWriter, r *http.Request) {
	lang := r.PostForm.Get("lang")
	if !h.kit.Catalog().Offered(lang) {
		h.kit.ErrorPage(w, r, twinfed.FieldError("lang", "Choose one of the languages offered."))
		return
	}
	if st := web.State(r); st.Scoped != nil {
		if err := h.svc.SetLocale(r.Context(), st.Scoped, lang); err != nil {
			h.kit.ErrorPage(w, r, err)
			return
		}
	}
	h.kit.SetLanguage(w, lang)
	http.Redirect(w, r, web.SafeNext(r.PostForm.Get("next")), http.StatusSeeOther)
}

// spacesData is what My TwinSpaces shows.
type spacesData struct {
	Account *Account
	Spaces  []SpaceRef
}

func (h *Web) mySpaces(w http.ResponseWriter, r *http.Request) {
	st := web.State(r)
	if !st.Principal.Role.IsScoped() {
		http.Redirect(w, r, "/projects", http.StatusSeeOther) // a member's TwinSpaces are on their projects
		return
	}
	a, err := h.svc.Account(r.Context(), st.Principal.Username)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.kit.NewPage(w, r, "title.my_twinspaces")
	p.Nav = "my-twinspaces"
	p.Data = &spacesData{Account: a, Spaces: a.Spaces}
	h.kit.Render(w, http.StatusOK, "my_twinspaces", p)
}
