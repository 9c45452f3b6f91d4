package project

import (
	"net/http"
	"strconv"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The projects' JSON API.

func (h *Web) apiRoutes(k *web.Kit) {
	k.HandleFunc("GET /api/v1/projects", k.API(true, h.apiMyProjects))
	k.HandleFunc("POST /api/v1/projects", k.API(true, h.apiDraft(true)))
	k.HandleFunc("POST /api/v1/projects/preview", k.API(true, h.apiDraft(false)))
	k.HandleFunc("GET /api/v1/projects/choices", k.API(true, h.apiProjectChoices))
	k.HandleFunc("GET /api/v1/projects/view", k.API(false, h.apiViewProject))
	k.HandleFunc("POST /api/v1/projects/edit", k.API(true, h.apiEditProject))
	k.HandleFunc("POST /api/v1/projects/delete", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in projectInput) (any, error) {
		return nil, h.svc.DeleteProject(r.Context(), p, in.ID)
	})))
	k.HandleFunc("POST /api/v1/projects/answer", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in projectInput) (any, error) {
		return h.svc.AnswerInvitation(r.Context(), p, in.ID, in.Accept, in.SchoolID)
	})))
	k.HandleFunc("POST /api/v1/projects/invite", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in projectInput) (any, error) {
		return h.svc.InvitePartner(r.Context(), p, in.ID, in.Peer)
	})))
	k.HandleFunc("POST /api/v1/projects/close", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in projectInput) (any, error) {
		return h.svc.CloseProject(r.Context(), p, in.ID)
	})))
	k.HandleFunc("GET /api/v1/projects/search", k.API(false, h.apiSearchProjects))
	k.HandleFunc("GET /api/v1/agency/projects", k.API(true, h.apiApprovalQueue))
	k.HandleFunc("POST /api/v1/agency/projects/decide", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in projectInput) (any, error) {
		return h.svc.DecideParticipation(r.Context(), p, in.ID, in.Partner, in.Approve, in.Reason)
	})))
}

// projectInput is the body of the API's project actions.
type projectInput struct {
	ID       string `json:"id"`
	Accept   bool   `json:"accept,omitempty"`
	SchoolID string `json:"school_id,omitempty"`
	Peer     string `json:"peer,omitempty"`
	Partner  string `json:"partner,omitempty"`
	Approve  bool   `json:"approve,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

func (h *Web) apiMyProjects(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	mine, err := h.svc.MyProjects(r.Context(), st.Principal)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, mine)
}

func (h *Web) apiProjectChoices(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	c, err := h.svc.ProjectChoices(r.Context(), st.Principal)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, c)
}

// apiDraft founds a project (create) or previews it.
func (h *Web) apiDraft(create bool) func(http.ResponseWriter, *http.Request, *web.RequestState) {
	return func(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
		var d ProjectDraft
		if err := web.Decode(r, &d); err != nil {
			web.APIFail(w, err)
			return
		}
		if create {
			proj, err := h.svc.CreateProject(r.Context(), st.Principal, d)
			if err != nil {
				web.APIFail(w, err)
				return
			}
			web.WriteJSON(w, http.StatusCreated, proj)
			return
		}
		proj, err := h.svc.PreviewProject(r.Context(), st.Principal, d)
		if err != nil {
			web.APIFail(w, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, proj)
	}
}

func (h *Web) apiViewProject(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	v, err := h.svc.ViewProject(r.Context(), st.Principal, r.URL.Query().Get("id"))
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, v)
}

func (h *Web) apiEditProject(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in struct {
		ID string `json:"id"`
		ProjectDraft
	}
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	proj, err := h.svc.EditProject(r.Context(), st.Principal, in.ID, in.ProjectDraft)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, proj)
}

func (h *Web) apiSearchProjects(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	q, err := parseProjectQuery(r.URL.Query())
	if err == nil {
		if n, aerr := strconv.Atoi(r.URL.Query().Get("limit")); aerr == nil {
			q.Limit = n
		}
		var page *ProjectPage
		if page, err = h.svc.SearchProjects(r.Context(), st.Principal, q); err == nil {
			web.WriteJSON(w, http.StatusOK, page)
			return
		}
	}
	web.APIFail(w, err)
}

func (h *Web) apiApprovalQueue(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	list, err := h.svc.ApprovalQueue(r.Context(), st.Principal)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": list})
}
