package node

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Web pages and JSON API of quality labels: the agency's back-office page
// that lists the projects it may label and records its label, and the
// labels beside a project's card.

func (s *Server) labelRoutes() {
	m := s.mux
	m.HandleFunc("GET /backoffice/labels", s.agency(s.boLabels))
	m.HandleFunc("POST /backoffice/labels", s.agency(s.boRecordLabel))

	m.HandleFunc("GET /api/v1/agency/labels", s.api(true, s.apiLabelProjects))
	m.HandleFunc("POST /api/v1/agency/labels", s.api(true, s.apiRecordLabel))
	m.HandleFunc("GET /api/v1/projects/labels", s.api(false, s.apiProjectLabels))
}

// boLabelsPage is the back office's labels page: the projects the agency
// may label (a page of them, at offset) and the form to record a label,
// filled with f; ferr is the form's error, shown next to its fields.
func (s *Server) boLabelsPage(w http.ResponseWriter, r *http.Request, offset int, f url.Values, ferr error) {
	list, err := s.svc.LabelProjects(r.Context(), state(r).p, offset, 50)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p := s.newPage(w, r, "title.bo_labels")
	p.Data = list
	if f.Get("school_year") == "" && ferr == nil {
		f.Set("school_year", s.svc.CurrentSchoolYear())
	}
	p.Form = f
	if ferr != nil {
		s.fail(w, r, "bo_labels", p, ferr)
		return
	}
	s.render(w, http.StatusOK, "bo_labels", p)
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
	if _, err := s.svc.RecordNationalLabel(r.Context(), state(r).p, in); err != nil {
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
	redirectDone(w, r, next, "label_recorded")
}

// --- JSON API ---

func (s *Server) apiLabelProjects(w http.ResponseWriter, r *http.Request, st *reqState) {
	q := r.URL.Query()
	off, _ := strconv.Atoi(q.Get("offset"))
	lim, _ := strconv.Atoi(q.Get("limit"))
	page, err := s.svc.LabelProjects(r.Context(), st.p, off, lim)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) apiRecordLabel(w http.ResponseWriter, r *http.Request, st *reqState) {
	var in NationalLabelInput
	if err := decode(r, &in); err != nil {
		s.apiFail(w, err)
		return
	}
	l, err := s.svc.RecordNationalLabel(r.Context(), st.p, in)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, l)
}

func (s *Server) apiProjectLabels(w http.ResponseWriter, r *http.Request, st *reqState) {
	l, err := s.svc.ProjectLabels(r.Context(), st.p, r.URL.Query().Get("id"))
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, l)
}
