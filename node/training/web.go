package training

import (
	"bytes"
	"embed"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The training's pages: the list (filters by kind and language), a
// training's page with Apply and where the member's application stands,
// "My training" with the certificates, and the agency's back office:
// publish, the applicants of its country with accept, waiting list,
// refuse (with a reason) and completed, and cancel.

//go:embed templates/*.html
var templates embed.FS

// Web is the training's web pages.
type Web struct {
	svc *Service
	kit *web.Kit
}

// NewWeb returns the pages of svc; Routes registers them.
func NewWeb(svc *Service) *Web { return &Web{svc: svc} }

// Routes registers the training's templates and pages on k.
func (h *Web) Routes(k *web.Kit) error {
	if err := k.AddTemplates(templates, "templates/*.html"); err != nil {
		return err
	}
	h.kit = k
	k.HandleFunc("GET /training", k.Member(h.list))
	k.HandleFunc("GET /training/mine", k.Member(h.mine))
	k.HandleFunc("GET /training/{id}", k.Member(h.show))
	k.HandleFunc("POST /training/{id}/apply", k.Member(h.apply))
	k.HandleFunc("GET /training/{id}/certificate", k.Member(h.certificate))
	k.HandleFunc("GET /backoffice/training", k.Agency(h.boList))
	k.HandleFunc("GET /backoffice/training/new", k.Agency(h.boNew))
	k.HandleFunc("POST /backoffice/training/new", k.Agency(h.boPublish))
	k.HandleFunc("GET /backoffice/training/{id}", k.Agency(h.boApplicants))
	k.HandleFunc("POST /backoffice/training/{id}/decide", k.Agency(h.boDecide))
	k.HandleFunc("POST /backoffice/training/{id}/complete", k.Agency(h.boComplete))
	k.HandleFunc("POST /backoffice/training/{id}/cancel", k.Agency(h.boCancel))
	k.HandleFunc("GET /backoffice/training/{id}/edit", k.Agency(h.boEdit))
	k.HandleFunc("POST /backoffice/training/{id}/edit", k.Agency(h.boChange))
	h.apiRoutes(k)
	return nil
}

// listData is the training list's page.
type listData struct {
	Kind, Language string
	Kinds          []twinfed.TrainingKind
	Languages      []string
	Items          []Item
}

func (h *Web) listPage(w http.ResponseWriter, r *http.Request, title, tmpl string) {
	q := r.URL.Query()
	f := Filter{Kind: twinfed.TrainingKind(q.Get("kind")), Language: q.Get("language")}
	list, err := h.svc.List(r.Context(), web.State(r).Principal, f)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.kit.NewPage(w, r, title)
	p.Nav = "training"
	d := listData{Kind: string(f.Kind), Language: f.Language, Kinds: twinfed.TrainingKinds, Languages: twinfed.UILanguageCodes()}
	for _, t := range list {
		it := Item{Training: t, Path: Path(t.ID)}
		if web.State(r).Principal.IsAgency() { // the staff go to the applicants
			it.Path = "/backoffice" + it.Path
		}
		d.Items = append(d.Items, it)
	}
	p.Data = d
	h.kit.Render(w, http.StatusOK, tmpl, p)
}

func (h *Web) list(w http.ResponseWriter, r *http.Request) {
	h.listPage(w, r, "title.training", "training_list")
}

func (h *Web) boList(w http.ResponseWriter, r *http.Request) {
	h.listPage(w, r, "title.bo_training", "training_bo")
}

func (h *Web) show(w http.ResponseWriter, r *http.Request) {
	v, err := h.svc.Get(r.Context(), web.State(r).Principal, idOf(r.PathValue("id")))
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.kit.NewPage(w, r, "title.training_one")
	p.Nav = "training"
	p.Data = v
	h.kit.Render(w, http.StatusOK, "training", p)
}

func (h *Web) apply(w http.ResponseWriter, r *http.Request) {
	id := idOf(r.PathValue("id"))
	st, err := h.svc.Apply(r.Context(), web.State(r).Principal, id)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	flash := "training_applied"
	if st == twinfed.ApplicationAccepted {
		flash = "training_accepted"
	}
	web.RedirectDone(w, r, Path(id), flash)
}

func (h *Web) mine(w http.ResponseWriter, r *http.Request) {
	list, err := h.svc.MemberTraining(r.Context(), web.State(r).Principal.Username)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.kit.NewPage(w, r, "title.training_mine")
	p.Nav = "training"
	p.Data = list
	h.kit.Render(w, http.StatusOK, "training_mine", p)
}

func (h *Web) certificate(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	if err := h.svc.Certificate(r.Context(), web.State(r).Principal, idOf(r.PathValue("id")), &buf); err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="training-certificate.pdf"`)
	w.Write(buf.Bytes())
}

// formData is the publishing form, and the form that changes a training.
type formData struct {
	Kinds     []twinfed.TrainingKind
	Languages []string
	Action    string // where the form posts
	Change    bool   // a training's change, not a new one
}

func (h *Web) form(w http.ResponseWriter, r *http.Request, ferr error) {
	p := h.kit.NewPage(w, r, "title.training_new")
	d := formData{Kinds: twinfed.TrainingKinds, Languages: twinfed.UILanguageCodes(), Action: "/backoffice/training/new"}
	if id := r.PathValue("id"); id != "" {
		d.Action, d.Change, p.Title = "/backoffice"+Path(idOf(id))+"/edit", true, "title.training_edit"
	}
	p.Data, p.Form = d, r.PostForm
	if ferr != nil {
		h.kit.Fail(w, r, "training_new", p, ferr)
		return
	}
	h.kit.Render(w, http.StatusOK, "training_new", p)
}

func (h *Web) boNew(w http.ResponseWriter, r *http.Request) { h.form(w, r, nil) }

// formInput reads the publishing form; an error for places that are no
// number.
func formInput(f url.Values) (Input, error) {
	in := Input{Kind: twinfed.TrainingKind(f.Get("kind")), Title: f.Get("title"), Description: f.Get("description"), Language: f.Get("language"),
		Place: f.Get("place"), Start: f.Get("start"), End: f.Get("end"), Deadline: f.Get("deadline"), Audience: twinfed.TrainingAudience(f.Get("audience"))}
	places, err := strconv.Atoi(f.Get("places"))
	if f.Get("places") == "" {
		places, err = 0, nil
	}
	if err != nil {
		return in, &twinfed.Error{Code: twinfed.EINVALID, Message: "The training cannot be saved; correct the fields shown.",
			Fields: map[string]string{"places": "Give the places per country, from 0 (unlimited) to 1,000."}}
	}
	in.Places = places
	return in, nil
}

func (h *Web) boPublish(w http.ResponseWriter, r *http.Request) {
	in, err := formInput(r.PostForm)
	if err != nil {
		h.form(w, r, err)
		return
	}
	t, err := h.svc.Publish(r.Context(), web.State(r).Principal, in)
	if err != nil {
		h.form(w, r, err)
		return
	}
	web.RedirectDone(w, r, "/backoffice"+Path(t.ID), "training_published")
}

// boEdit shows the form that changes a training, filled with its fields.
func (h *Web) boEdit(w http.ResponseWriter, r *http.Request) {
	v, err := h.svc.Get(r.Context(), web.State(r).Principal, idOf(r.PathValue("id")))
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	t := v.Training
	date := func(d time.Time) []string { return []string{d.UTC().Format("2006-01-02")} }
	r.PostForm = url.Values{"kind": {string(t.Kind)}, "title": {t.Title}, "description": {t.Description}, "language": {t.Language}, "place": {t.Place},
		"start": date(t.Start), "end": date(t.End), "deadline": date(v.LastDay()), "places": {strconv.Itoa(t.Places)}, "audience": {string(t.Audience)}}
	h.form(w, r, nil)
}

func (h *Web) boChange(w http.ResponseWriter, r *http.Request) {
	in, err := formInput(r.PostForm)
	if err != nil {
		h.form(w, r, err)
		return
	}
	t, err := h.svc.Change(r.Context(), web.State(r).Principal, idOf(r.PathValue("id")), in)
	if err != nil {
		if c := twinfed.ErrorCode(err); c == twinfed.EFORBIDDEN || c == twinfed.ENOTFOUND {
			h.kit.ErrorPage(w, r, err)
			return
		}
		h.form(w, r, err)
		return
	}
	web.RedirectDone(w, r, "/backoffice"+Path(t.ID), "training_changed")
}

// boData is a training's page in the back office: its applicants.
type boData struct {
	*View
	Apps []*Application
}

func (h *Web) boPage(w http.ResponseWriter, r *http.Request, ferr error) {
	pr := web.State(r).Principal
	id := idOf(r.PathValue("id"))
	v, err := h.svc.Get(r.Context(), pr, id)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	apps, err := h.svc.Applicants(r.Context(), pr, id)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.kit.NewPage(w, r, "title.bo_training_one")
	p.Data = boData{View: v, Apps: apps}
	if ferr != nil {
		h.kit.Fail(w, r, "training_bo_one", p, ferr)
		return
	}
	h.kit.Render(w, http.StatusOK, "training_bo_one", p)
}

func (h *Web) boApplicants(w http.ResponseWriter, r *http.Request) { h.boPage(w, r, nil) }

func (h *Web) boDecide(w http.ResponseWriter, r *http.Request) {
	id := idOf(r.PathValue("id"))
	f := r.PostForm
	err := h.svc.Decide(r.Context(), web.State(r).Principal, id, f.Get("applicant"), twinfed.ApplicationState(f.Get("decision")), f.Get("reason"))
	if err != nil {
		if twinfed.ErrorCode(err) == twinfed.EFORBIDDEN || twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			h.kit.ErrorPage(w, r, err)
			return
		}
		h.boPage(w, r, err)
		return
	}
	web.RedirectDone(w, r, "/backoffice"+Path(id), "training_decided")
}

func (h *Web) boComplete(w http.ResponseWriter, r *http.Request) {
	id := idOf(r.PathValue("id"))
	if err := h.svc.Complete(r.Context(), web.State(r).Principal, id, r.PostForm.Get("applicant")); err != nil {
		if twinfed.ErrorCode(err) == twinfed.EFORBIDDEN || twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			h.kit.ErrorPage(w, r, err)
			return
		}
		h.boPage(w, r, err)
		return
	}
	web.RedirectDone(w, r, "/backoffice"+Path(id), "training_completed")
}

func (h *Web) boCancel(w http.ResponseWriter, r *http.Request) {
	id := idOf(r.PathValue("id"))
	if err := h.svc.Cancel(r.Context(), web.State(r).Principal, id); err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	web.RedirectDone(w, r, "/backoffice"+Path(id), "training_cancelled")
}
