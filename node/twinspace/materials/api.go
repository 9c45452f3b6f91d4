package materials

import (
	"mime/multipart"
	"net/http"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The Materials tab's JSON API: the same rules as the pages (the core's
// View, twinfed.SpaceCan). Files are read and uploaded at the pages'
// addresses (/twinspace/materials/file, /twinspace/materials/upload with
// an X-CSRF-Token header and Accept: application/json).

func (h *Web) apiRoutes(k *web.Kit, most int64) {
	k.HandleFunc("GET /api/v1/twinspace/materials", k.SpacePublicAPI(h.apiList))
	k.HandleFunc("POST /api/v1/twinspace/materials", upload(k, most, uploadTime, h.apiUpload))
	k.HandleFunc("POST /api/v1/twinspace/materials/folders", k.SpaceAPI(h.apiFolder))
	k.HandleFunc("POST /api/v1/twinspace/materials/delete", k.SpaceAPI(h.apiDelete))
}

func (h *Web) apiList(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	v, err := h.svc.spaces.OpenView(r.Context(), st.Principal, r.URL.Query().Get("id"), false)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	l, err := h.svc.List(r.Context(), v, r.URL.Query().Get("folder"))
	if err != nil {
		web.APIFail(w, err)
		return
	}
	out := map[string]any{"listing": l, "can_upload": v.Can(twinfed.SpaceUpload), "can_create_folder": v.Can(twinfed.SpaceCreateFolder)}
	if v.Role.IsTeacher() {
		out["usage"] = h.svc.Usage(v.Project.ID)
	}
	web.WriteJSON(w, http.StatusOK, out)
}

func (h *Web) apiUpload(w http.ResponseWriter, r *http.Request, mr *multipart.Reader) {
	if web.State(r).Principal == nil {
		web.APIFail(w, twinfed.Errorf(twinfed.EUNAUTHORIZED, "Log in first (POST /api/v1/session) or send the agency's bearer token."))
		return
	}
	_, _, out := h.receive(r, mr, web.State(r).Lang)
	status := http.StatusCreated
	if len(out.Files) == 0 {
		status = twinfed.HTTPStatus(twinfed.ErrorCode(out.first))
	}
	web.WriteJSON(w, status, map[string]any{"files": out.Files, "errors": out.Errors})
}

func (h *Web) apiFolder(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in struct {
		ID     string `json:"id"`
		Parent string `json:"parent"`
		Name   string `json:"name"`
	}
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	o, err := h.svc.CreateFolder(r.Context(), st.Principal, in.ID, in.Parent, in.Name)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, o)
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
	web.WriteJSON(w, http.StatusOK, map[string]bool{"deleted": true})
}
