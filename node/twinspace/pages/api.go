package pages

import (
	"net/http"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/twinspace"
	"github.com/twinfed/twinfed/node/web"
	"github.com/twinfed/twinfed/node/web/pagehtml"
)

// The Pages tab's JSON API: the same rules as its pages (the View,
// twinfed.SpaceCan, the page HTML policy).

func (h *Web) apiRoutes(k *web.Kit) {
	k.HandleFunc("GET /api/v1/twinspace/pages", k.SpacePublicAPI(h.apiTree))
	k.HandleFunc("GET /api/v1/twinspace/pages/page", k.SpacePublicAPI(h.apiPage))
	k.HandleFunc("POST /api/v1/twinspace/pages", k.Large(maxFormBytes, k.SpaceAPI(h.apiSave)))
	k.HandleFunc("POST /api/v1/twinspace/pages/publish", k.SpaceAPI(h.apiPublish))
	k.HandleFunc("POST /api/v1/twinspace/pages/move", k.SpaceAPI(h.apiMove))
	k.HandleFunc("POST /api/v1/twinspace/pages/delete", k.SpaceAPI(h.apiDelete))
	k.HandleFunc("GET /api/v1/twinspace/pages/history", k.SpaceAPI(h.apiHistory))
	k.HandleFunc("GET /api/v1/twinspace/pages/compare", k.SpaceAPI(h.apiCompare))
	k.HandleFunc("POST /api/v1/twinspace/pages/restore", k.SpaceAPI(h.apiRestore))
	k.HandleFunc("GET /api/v1/twinspace/pages/images", k.SpaceAPI(h.apiImages))
	k.HandleFunc("GET /api/v1/twinspace/pages/embed", k.SpaceAPI(pagehtml.EmbedLookup(k, h.svc.policy.Embeds())))
}

func (h *Web) apiView(w http.ResponseWriter, r *http.Request, st *web.RequestState, id string) (*twinspace.View, bool) {
	v, err := h.svc.ts.OpenView(r.Context(), st.Principal, id, r.URL.Query().Get("public") == "1")
	if err != nil {
		web.APIFail(w, err)
		return nil, false
	}
	return v, true
}

func (h *Web) apiTree(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	v, ok := h.apiView(w, r, st, r.URL.Query().Get("id"))
	if !ok {
		return
	}
	tree, err := h.svc.Tree(v)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	if tree == nil {
		tree = []Entry{}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"pages": tree})
}

func (h *Web) apiPage(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	v, ok := h.apiView(w, r, st, r.URL.Query().Get("id"))
	if !ok {
		return
	}
	pg, err := h.svc.Page(v, r.URL.Query().Get("page"))
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"page": pg.SpaceObject, "path": pg.Path, "last_save": pg.LastSave, "concurrent": pg.Concurrent})
}

// apiEdit is a save through the API: page "" creates one (under parent).
type apiEdit struct {
	ID      string `json:"id"`
	Page    string `json:"page"`
	Parent  string `json:"parent"`
	Title   string `json:"title"`
	Content string `json:"content"`
	Base    int64  `json:"base"`
}

func (h *Web) apiSave(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in apiEdit
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	o, err := h.svc.Save(r.Context(), st.Principal, in.ID, Edit{Page: in.Page, Parent: in.Parent, Title: in.Title, Content: in.Content, Base: in.Base})
	if err != nil {
		web.APIFail(w, err)
		return
	}
	status := http.StatusOK
	if in.Page == "" {
		status = http.StatusCreated
	}
	web.WriteJSON(w, status, o)
}

func (h *Web) apiPublish(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in struct {
		ID     string `json:"id"`
		Page   string `json:"page"`
		Public bool   `json:"public"`
	}
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	h.apiDone(w, h.svc.Publish(r.Context(), st.Principal, in.ID, in.Page, in.Public))
}

func (h *Web) apiMove(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in struct {
		ID        string `json:"id"`
		Page      string `json:"page"`
		Direction string `json:"direction"` // up or down; empty: move under parent
		Parent    string `json:"parent"`
	}
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	var err error
	switch in.Direction {
	case "up", "down":
		err = h.svc.Move(r.Context(), st.Principal, in.ID, in.Page, in.Direction == "up")
	case "":
		err = h.svc.Reparent(r.Context(), st.Principal, in.ID, in.Page, in.Parent)
	default:
		err = twinfed.Errorf(twinfed.EINVALID, "The direction is up or down; leave it empty to move the page under parent.")
	}
	h.apiDone(w, err)
}

func (h *Web) apiDelete(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in struct {
		ID   string `json:"id"`
		Page string `json:"page"`
	}
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	h.apiDone(w, h.svc.Delete(r.Context(), st.Principal, in.ID, in.Page))
}

func (h *Web) apiDone(w http.ResponseWriter, err error) {
	if err != nil {
		web.APIFail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Web) apiHistory(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	v, ok := h.apiView(w, r, st, r.URL.Query().Get("id"))
	if !ok {
		return
	}
	revs, err := h.svc.History(v, r.URL.Query().Get("page"))
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"revisions": revs})
}

func (h *Web) apiCompare(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	q := r.URL.Query()
	v, ok := h.apiView(w, r, st, q.Get("id"))
	if !ok {
		return
	}
	c, err := h.svc.Compare(v, q.Get("page"), q.Get("from"), q.Get("to"))
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"blocks": c.Blocks})
}

func (h *Web) apiRestore(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in struct {
		ID       string `json:"id"`
		Page     string `json:"page"`
		Revision string `json:"revision"`
		Base     int64  `json:"base"`
	}
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	o, err := h.svc.Restore(r.Context(), st.Principal, in.ID, in.Page, in.Revision, in.Base)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, o)
}

func (h *Web) apiImages(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	v, ok := h.apiView(w, r, st, r.URL.Query().Get("id"))
	if !ok {
		return
	}
	imgs, err := h.svc.EditorImages(r.Context(), v)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, imgs)
}
