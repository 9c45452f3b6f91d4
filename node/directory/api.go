package directory

import (
	"net/http"

	"github.com/twinfed/twinfed/node/web"
)

// The directory's JSON API.

func (h *Web) apiRoutes(k *web.Kit) {
	k.HandleFunc("GET /api/v1/profiles/{username}", k.API(false, h.apiProfileGet))
	k.HandleFunc("GET /api/v1/directory", k.API(true, h.apiDirectory))
	k.HandleFunc("GET /api/v1/directory/suggestions", k.API(true, h.apiSuggestions))
	k.HandleFunc("GET /api/v1/directory/profile", k.API(true, h.apiDirectoryProfile))
}

func (h *Web) apiProfileGet(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	p, err := h.svc.LocalProfile(r.Context(), r.PathValue("username"))
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, p)
}

func (h *Web) apiDirectory(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	q, err := parseDirQuery(r.URL.Query())
	if err == nil {
		var page *DirectoryPage
		if page, err = h.svc.SearchDirectory(r.Context(), st.Principal, q); err == nil {
			web.WriteJSON(w, http.StatusOK, page)
			return
		}
	}
	web.APIFail(w, err)
}

func (h *Web) apiSuggestions(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	list, err := h.svc.Suggestions(r.Context(), st.Principal, 10)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"profiles": list})
}

func (h *Web) apiDirectoryProfile(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	prof, err := h.svc.Profile(r.Context(), st.Principal, r.URL.Query().Get("id"))
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"profile": prof, "relation": h.svc.relationTo(r.Context(), st.Principal, prof.ID)})
}
