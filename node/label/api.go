package label

import (
	"net/http"
	"strconv"

	"github.com/twinfed/twinfed/node/web"
)

// The quality labels' JSON API: the agency's projects to label and its
// labels, and the labels beside a project's card.

func (h *handlers) apiRoutes(k *web.Kit) {
	k.HandleFunc("GET /api/v1/agency/labels", k.API(true, h.apiLabelProjects))
	k.HandleFunc("POST /api/v1/agency/labels", k.API(true, h.apiRecordLabel))
	k.HandleFunc("GET /api/v1/projects/labels", k.API(false, h.apiProjectLabels))
}

func (h *handlers) apiLabelProjects(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	q := r.URL.Query()
	off, _ := strconv.Atoi(q.Get("offset"))
	lim, _ := strconv.Atoi(q.Get("limit"))
	page, err := h.svc.LabelProjects(r.Context(), st.Principal, off, lim)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, page)
}

func (h *handlers) apiRecordLabel(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in NationalLabelInput
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	l, err := h.svc.RecordNationalLabel(r.Context(), st.Principal, in)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, l)
}

func (h *handlers) apiProjectLabels(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	l, err := h.svc.ProjectLabels(r.Context(), st.Principal, r.URL.Query().Get("id"))
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, l)
}
