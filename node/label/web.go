package label

import (
	"embed"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/twinfed/twinfed/node/web"
)

// The quality labels' web page: the agency's back-office page that lists
// the projects it may label and records its label.

//go:embed templates/*.html
var templates embed.FS

// handlers are the labels' pages and JSON API, on the web kit.
type handlers struct {
	svc *Service
	kit *web.Kit
}

// Routes registers the labels' templates, page and JSON API with the web
// kit: GET and POST /backoffice/labels, GET and POST
// /api/v1/agency/labels, GET /api/v1/projects/labels.
func (s *Service) Routes(k *web.Kit) error {
	if err := k.AddTemplates(templates, "templates/*.html"); err != nil {
		return err
	}
	h := &handlers{svc: s, kit: k}
	k.HandleFunc("GET /backoffice/labels", k.Agency(h.boLabels))
	k.HandleFunc("POST /backoffice/labels", k.Agency(h.boRecordLabel))
	h.apiRoutes(k)
	return nil
}

// boLabelsPage is the back office's labels page: the projects the agency
// may label (a page of them, at offset) and the form to record a label,
// filled with f; ferr is the form's error, shown next to its fields.
func (h *handlers) boLabelsPage(w http.ResponseWriter, r *http.Request, offset int, f url.Values, ferr error) {
	list, err := h.svc.LabelProjects(r.Context(), web.State(r).Principal, offset, 50)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.kit.NewPage(w, r, "title.bo_labels")
	p.Data = list
	if f.Get("school_year") == "" && ferr == nil {
		f.Set("school_year", h.svc.CurrentSchoolYear())
	}
	p.Form = f
	if ferr != nil {
		h.kit.Fail(w, r, "bo_labels", p, ferr)
		return
	}
	h.kit.Render(w, http.StatusOK, "bo_labels", p)
}

func (h *handlers) boLabels(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	off, _ := strconv.Atoi(q.Get("offset"))
	h.boLabelsPage(w, r, off, url.Values{"project_id": {q.Get("project")}}, nil)
}

// boRecordLabel records the agency's label from the form. A wrong field,
// or a registry that cannot be reached, shows the page again with the
// form as it was sent.
func (h *handlers) boRecordLabel(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	in := NationalLabelInput{ProjectID: f.Get("project_id"), SchoolYear: f.Get("school_year")}
	if n, err := strconv.Atoi(strings.TrimSpace(f.Get("score"))); err == nil {
		in.Score = &n
	}
	off, _ := strconv.Atoi(f.Get("offset"))
	if _, err := h.svc.RecordNationalLabel(r.Context(), web.State(r).Principal, in); err != nil {
		kept := url.Values{}
		for _, k := range []string{"project_id", "school_year", "score"} {
			kept.Set(k, f.Get(k))
		}
		h.boLabelsPage(w, r, off, kept, err)
		return
	}
	next := "/backoffice/labels"
	if off > 0 {
		next += "?offset=" + strconv.Itoa(off)
	}
	web.RedirectDone(w, r, next, "label_recorded")
}
