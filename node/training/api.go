package training

import (
	"net/http"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The training's JSON API: the same as its pages. A training is named by
// its id (a URL) in the query (?id=) or the body, never in the path.

func (h *Web) apiRoutes(k *web.Kit) {
	k.HandleFunc("GET /api/v1/training", k.API(true, h.apiList))
	k.HandleFunc("GET /api/v1/training/one", k.API(true, h.apiGet))
	k.HandleFunc("POST /api/v1/training/apply", k.API(true, h.apiApply))
	k.HandleFunc("GET /api/v1/training/mine", k.API(true, h.apiMine))
	k.HandleFunc("POST /api/v1/agency/training", k.API(true, h.apiPublish))
	k.HandleFunc("GET /api/v1/agency/training/applicants", k.API(true, h.apiApplicants))
	k.HandleFunc("POST /api/v1/agency/training/decide", k.API(true, h.apiDecide))
	k.HandleFunc("POST /api/v1/agency/training/complete", k.API(true, h.apiComplete))
	k.HandleFunc("POST /api/v1/agency/training/change", k.API(true, h.apiChange))
	k.HandleFunc("POST /api/v1/agency/training/cancel", k.API(true, h.apiCancel))
}

func (h *Web) apiList(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	q := r.URL.Query()
	list, err := h.svc.List(r.Context(), st.Principal, Filter{Kind: twinfed.TrainingKind(q.Get("kind")), Language: q.Get("language")})
	if err != nil {
		web.APIFail(w, err)
		return
	}
	if list == nil {
		list = []*twinfed.Training{}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"training": list})
}

// viewJSON is a training as the API gives it, with the caller's
// application and the country's counts.
type viewJSON struct {
	Training    *twinfed.Training `json:"training"`
	Application *Application      `json:"application,omitempty"`
	Accepted    int               `json:"accepted"`
	Applied     int               `json:"applied"`
	Open        bool              `json:"open"`
}

func (h *Web) apiGet(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	v, err := h.svc.Get(r.Context(), st.Principal, r.URL.Query().Get("id"))
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, viewJSON{Training: v.Training, Application: v.Mine, Accepted: v.Accepted, Applied: v.Applied, Open: v.Open})
}

// idBody names a training, and for the agency an applicant (a username of
// this node or an actor URL), a decision and its reason.
type idBody struct {
	ID        string                   `json:"id"`
	Applicant string                   `json:"applicant,omitempty"`
	Decision  twinfed.ApplicationState `json:"decision,omitempty"`
	Reason    string                   `json:"reason,omitempty"`
}

func (h *Web) apiApply(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in idBody
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	s, err := h.svc.Apply(r.Context(), st.Principal, in.ID)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"state": s})
}

func (h *Web) apiMine(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	list, err := h.svc.MemberTraining(r.Context(), st.Principal.Username)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	out := []viewJSON{}
	for _, m := range list {
		out = append(out, viewJSON{Training: m.Training, Application: m.App})
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"training": out})
}

// inputJSON is a training offer to publish (or its new fields, with its
// id, to change it).
type inputJSON struct {
	ID          string                   `json:"id,omitempty"`
	Kind        twinfed.TrainingKind     `json:"kind"`
	Title       string                   `json:"title"`
	Description string                   `json:"description"`
	Language    string                   `json:"language"`
	Place       string                   `json:"place"`
	Start       string                   `json:"start"`
	End         string                   `json:"end"`
	Deadline    string                   `json:"deadline"`
	Places      int                      `json:"places"`
	Audience    twinfed.TrainingAudience `json:"audience"`
}

func (h *Web) apiPublish(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in inputJSON
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	t, err := h.svc.Publish(r.Context(), st.Principal, in.input())
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, t)
}

// input is the service's Input of a request's body.
func (in inputJSON) input() Input {
	return Input{Kind: in.Kind, Title: in.Title, Description: in.Description, Language: in.Language, Place: in.Place,
		Start: in.Start, End: in.End, Deadline: in.Deadline, Places: in.Places, Audience: in.Audience}
}

func (h *Web) apiChange(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in inputJSON
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	t, err := h.svc.Change(r.Context(), st.Principal, in.ID, in.input())
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, t)
}

func (h *Web) apiApplicants(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	list, err := h.svc.Applicants(r.Context(), st.Principal, r.URL.Query().Get("id"))
	if err != nil {
		web.APIFail(w, err)
		return
	}
	if list == nil {
		list = []*Application{}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"applications": list})
}

func (h *Web) apiDecide(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in idBody
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	if err := h.svc.Decide(r.Context(), st.Principal, in.ID, in.Applicant, in.Decision, in.Reason); err != nil {
		web.APIFail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Web) apiComplete(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in idBody
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	if err := h.svc.Complete(r.Context(), st.Principal, in.ID, in.Applicant); err != nil {
		web.APIFail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Web) apiCancel(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in idBody
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	if err := h.svc.Cancel(r.Context(), st.Principal, in.ID); err != nil {
		web.APIFail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
