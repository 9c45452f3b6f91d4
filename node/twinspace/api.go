package twinspace

import (
	"net/http"

	"github.com/twinfed/twinfed/node/web"
)

// The TwinSpace's JSON API.

func (h *Web) apiRoutes(k *web.Kit) {
	k.HandleFunc("GET /api/v1/projects/twinspace", k.API(true, h.apiTwinSpace))
	k.HandleFunc("POST /api/v1/projects/twinspace/posts", k.API(true, h.apiPostToTwinSpace))
}

func (h *Web) apiTwinSpace(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	ts, err := h.svc.TwinSpace(r.Context(), st.Principal, r.URL.Query().Get("id"))
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, ts)
}

func (h *Web) apiPostToTwinSpace(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in struct {
		ID      string `json:"id"`
		Content string `json:"content"`
	}
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	post, err := h.svc.PostToTwinSpace(r.Context(), st.Principal, in.ID, in.Content)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, post)
}
