package twinspace

import (
	"net/http"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The TwinSpace core's JSON API: the TwinSpace as its reader sees it with
// the Twinboard, updates and bulletin notes, the members and their roles,
// the settings. The same rules as the pages (View, twinfed.SpaceCan).

func (h *Web) apiRoutes(k *web.Kit) {
	k.HandleFunc("GET /api/v1/twinspace", k.API(false, h.apiTwinSpace))
	k.HandleFunc("POST /api/v1/twinspace/updates", k.API(true, h.apiPost))
	k.HandleFunc("GET /api/v1/twinspace/members", k.API(true, h.apiMembers))
	k.HandleFunc("POST /api/v1/twinspace/members", k.API(true, h.apiAddMembers))
	k.HandleFunc("POST /api/v1/twinspace/members/role", k.API(true, h.apiSetRole))
	k.HandleFunc("POST /api/v1/twinspace/members/remove", k.API(true, h.apiRemoveMember))
	k.HandleFunc("POST /api/v1/twinspace/settings", k.API(true, h.apiSettings))
}

// apiView is the TwinSpace as GET /api/v1/twinspace returns it.
type apiView struct {
	*View
	Can   map[twinfed.SpaceAction]bool `json:"can"`
	Board *Board                       `json:"board"`
}

func (h *Web) apiTwinSpace(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	v, err := h.svc.OpenView(r.Context(), st.Principal, r.URL.Query().Get("id"), r.URL.Query().Get("public") == "1")
	if err != nil {
		web.APIFail(w, err)
		return
	}
	out := apiView{View: v, Can: map[twinfed.SpaceAction]bool{}}
	for _, a := range twinfed.SpaceActions {
		out.Can[a] = v.Can(a)
	}
	if out.Board, err = h.svc.Board(r.Context(), v, 50); err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, out)
}

func (h *Web) apiPost(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in struct {
		ID       string `json:"id"`
		Content  string `json:"content"`
		Bulletin bool   `json:"bulletin"`
	}
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	o, err := h.svc.PostUpdate(r.Context(), st.Principal, in.ID, in.Content, in.Bulletin)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, o)
}

func (h *Web) apiMembers(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	v, err := h.svc.OpenView(r.Context(), st.Principal, r.URL.Query().Get("id"), false)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	ms, err := h.svc.Members(r.Context(), v)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"members": ms})
}

func (h *Web) apiAddMembers(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in struct {
		ID        string   `json:"id"`
		Usernames []string `json:"usernames"`
	}
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	n, err := h.svc.AddMembers(r.Context(), st.Principal, in.ID, in.Usernames)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]int{"added": n})
}

type apiMember struct {
	ID    string            `json:"id"`
	Actor string            `json:"actor"`
	Role  twinfed.SpaceRole `json:"role"`
}

func (h *Web) apiSetRole(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in apiMember
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	if err := h.svc.SetRole(r.Context(), st.Principal, in.ID, in.Actor, in.Role); err != nil {
		web.APIFail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Web) apiRemoveMember(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in apiMember
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	if err := h.svc.RemoveMember(r.Context(), st.Principal, in.ID, in.Actor); err != nil {
		web.APIFail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Web) apiSettings(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in struct {
		ID         string `json:"id"`
		Cover      string `json:"cover"`
		PupilsChat bool   `json:"pupils_chat"`
	}
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	if err := h.svc.SaveSettings(r.Context(), st.Principal, in.ID, in.Cover, in.PupilsChat); err != nil {
		web.APIFail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
