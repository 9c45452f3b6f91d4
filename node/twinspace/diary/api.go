package diary

import (
	"net/http"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The diary's JSON API: its posts for anyone, writing and removing for
// those the core's View allows (twinfed.SpaceCan), as the pages.

func (h *Web) apiRoutes(k *web.Kit) {
	k.HandleFunc("GET /api/v1/twinspace/diary", k.SpacePublicAPI(h.apiList))
	k.HandleFunc("POST /api/v1/twinspace/diary", k.SpaceAPI(h.apiSave))
	k.HandleFunc("POST /api/v1/twinspace/diary/delete", k.SpaceAPI(h.apiDelete))
}

// apiPost is a post as the API returns it.
type apiPost struct {
	*twinfed.SpaceObject
	URL     string `json:"url"`
	CanEdit bool   `json:"can_edit"`
}

// apiDiary is GET /api/v1/twinspace/diary's answer.
type apiDiary struct {
	Posts   []apiPost `json:"posts"`
	CanPost bool      `json:"can_post"`
	Atom    string    `json:"atom"`
	Actor   string    `json:"actor"`
	Handle  string    `json:"handle"`
}

func (h *Web) apiList(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	v, err := h.svc.core.OpenView(r.Context(), st.Principal, r.URL.Query().Get("id"), r.URL.Query().Get("public") == "1")
	if err != nil {
		web.APIFail(w, err)
		return
	}
	posts, err := h.svc.Posts(v)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	out := apiDiary{Posts: []apiPost{}, CanPost: v.Can(twinfed.SpaceWriteDiary) && !v.ReadOnly,
		Atom: h.svc.core.BaseURL() + "/twinspace/diary/atom?id=" + v.Project.ID, Actor: Actor(v.Project.ID), Handle: Handle(v.Project.ID)}
	for _, p := range posts {
		out.Posts = append(out.Posts, apiPost{SpaceObject: p.SpaceObject, URL: p.URL, CanEdit: p.CanEdit})
	}
	web.WriteJSON(w, http.StatusOK, out)
}

func (h *Web) apiSave(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Title   string `json:"title"`
		Content string `json:"content"`
	}
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	o, err := h.svc.Save(r.Context(), st.Principal, in.ID, in.Object, in.Title, in.Content)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	status := http.StatusOK
	if in.Object == "" {
		status = http.StatusCreated
	}
	web.WriteJSON(w, status, o)
}

func (h *Web) apiDelete(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in struct {
		ID     string `json:"id"`
		Object string `json:"object"`
	}
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	if err := h.svc.Delete(r.Context(), st.Principal, in.ID, in.Object); err != nil {
		web.APIFail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
