package discuss

import (
	"net/http"
	"strconv"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The forum's JSON API: the same reads and writes as the pages, with the
// same rules (the core's View, twinfed.SpaceCan).

func (h *Web) apiRoutes(k *web.Kit) {
	k.HandleFunc("GET /api/v1/twinspace/forum", k.SpaceAPI(h.apiOverview))
	k.HandleFunc("GET /api/v1/twinspace/forum/discussion", k.SpaceAPI(h.apiDiscussion))
	k.HandleFunc("GET /api/v1/twinspace/forum/thread", k.SpaceAPI(h.apiThread))
	k.HandleFunc("POST /api/v1/twinspace/forum/discussions", k.SpaceAPI(h.apiNewDiscussion))
	k.HandleFunc("POST /api/v1/twinspace/forum/threads", k.SpaceAPI(h.apiNewThread))
	k.HandleFunc("POST /api/v1/twinspace/forum/replies", k.SpaceAPI(h.apiReply))
	k.HandleFunc("POST /api/v1/twinspace/forum/edit", k.SpaceAPI(h.apiEdit))
	k.HandleFunc("POST /api/v1/twinspace/forum/delete", k.SpaceAPI(h.apiDelete))
}

// apiIn is what the API's writes read: the project (id), the parent
// (discussion or thread) or the object changed, and the Input.
type apiIn struct {
	ID         string `json:"id"`
	Discussion string `json:"discussion,omitempty"`
	Thread     string `json:"thread,omitempty"`
	Object     string `json:"object,omitempty"`
	Input
}

func (h *Web) apiOverview(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	v, err := h.svc.ts.OpenView(r.Context(), st.Principal, r.URL.Query().Get("id"), false)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	ds, err := h.svc.Overview(v)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"discussions": ds, "can_open": v.Can(twinfed.SpaceOpenDiscussion)})
}

func (h *Web) apiDiscussion(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	v, err := h.svc.ts.OpenView(r.Context(), st.Principal, r.URL.Query().Get("id"), false)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	d, err := h.svc.Discussion(v, r.URL.Query().Get("d"))
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, d)
}

func (h *Web) apiThread(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	q := r.URL.Query()
	v, err := h.svc.ts.OpenView(r.Context(), st.Principal, q.Get("id"), false)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	n := FirstUnread
	if q.Get("page") != "" {
		n, _ = strconv.Atoi(q.Get("page"))
	}
	t, err := h.svc.Thread(v, q.Get("t"), n)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, t)
}

// apiWrite decodes a write, runs it and answers with the object.
func (h *Web) apiWrite(w http.ResponseWriter, r *http.Request, status int, fn func(in *apiIn) (*twinfed.SpaceObject, error)) {
	var in apiIn
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	o, err := fn(&in)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, status, o)
}

func (h *Web) apiNewDiscussion(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	h.apiWrite(w, r, http.StatusCreated, func(in *apiIn) (*twinfed.SpaceObject, error) {
		return h.svc.OpenDiscussion(r.Context(), st.Principal, in.ID, in.Input)
	})
}

func (h *Web) apiNewThread(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	h.apiWrite(w, r, http.StatusCreated, func(in *apiIn) (*twinfed.SpaceObject, error) {
		return h.svc.OpenThread(r.Context(), st.Principal, in.ID, in.Discussion, in.Input)
	})
}

func (h *Web) apiReply(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	h.apiWrite(w, r, http.StatusCreated, func(in *apiIn) (*twinfed.SpaceObject, error) {
		return h.svc.Reply(r.Context(), st.Principal, in.ID, in.Thread, in.Input)
	})
}

func (h *Web) apiEdit(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	h.apiWrite(w, r, http.StatusOK, func(in *apiIn) (*twinfed.SpaceObject, error) {
		return h.svc.Change(r.Context(), st.Principal, in.ID, in.Object, in.Input)
	})
}

func (h *Web) apiDelete(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	h.apiWrite(w, r, http.StatusOK, func(in *apiIn) (*twinfed.SpaceObject, error) {
		return h.svc.Delete(r.Context(), st.Principal, in.ID, in.Object)
	})
}
