package node

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

//go:embed templates/label/*.html
var labelTemplates embed.FS

// labelRoutes registers the labels' templates, page and JSON API.
func (s *Server) labelRoutes(k *web.Kit) error {
	if err := k.AddTemplates(labelTemplates, "templates/label/*.html"); err != nil {
		return err
	}
	k.HandleFunc("GET /backoffice/labels", k.Agency(s.boLabels))
	k.HandleFunc("POST /backoffice/labels", k.Agency(s.boRecordLabel))
	s.labelAPIRoutes(k)
	return nil
}

// boLabelsPage is the back office's labels page: the projects the agency
// may label (a page of them, at offset) and the form to record a label,
// filled with f; ferr is the form's error, shown next to its fields.
func (s *Server) boLabelsPage(w http.ResponseWriter, r *http.Request, offset int, f url.Values, ferr error) {
	list, err := s.svc.LabelProjects(r.Context(), web.State(r).Principal, offset, 50)
	if err != nil {
		s.kit.ErrorPage(w, r, err)
		return
	}
	p := s.kit.NewPage(w, r, "title.bo_labels")
	p.Data = list
	if f.Get("school_year") == "" && ferr == nil {
		f.Set("school_year", s.svc.CurrentSchoolYear())
	}
	p.Form = f
	if ferr != nil {
		s.kit.Fail(w, r, "bo_labels", p, ferr)
		return
	}
	s.kit.Render(w, http.StatusOK, "bo_labels", p)
}

func (s *Server) boLabels(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	off, _ := strconv.Atoi(q.Get("offset"))
	s.boLabelsPage(w, r, off, url.Values{"project_id": {q.Get("project")}}, nil)
}

// boRecordLabel records the agency's label from the form. A wrong field,
// or a registry that cannot be reached, shows the page again with the
// form as it was sent.
func (s *Server) boRecordLabel(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	in := NationalLabelInput{ProjectID: f.Get("project_id"), SchoolYear: f.Get("school_year")}
	if n, err := strconv.Atoi(strings.TrimSpace(f.Get("score"))); err == nil {
		in.Score = &n
	}
	off, _ := strconv.Atoi(f.Get("offset"))
	if _, err := s.svc.RecordNationalLabel(r.Context(), web.State(r).Principal, in); err != nil {
		kept := url.Values{}
		for _, k := range []string{"project_id", "school_year", "score"} {
			kept.Set(k, f.Get(k))
		}
		s.boLabelsPage(w, r, off, kept, err)
		return
	}
	next := "/backoffice/labels"
	if off > 0 {
		next += "?offset=" + strconv.Itoa(off)
	}
	web.RedirectDone(w, r, next, "label_recorded")
}
