package node

import (
	"net/http"

	"github.com/twinfed/twinfed/node/web"
)

// The directory's JSON API.

func (s *Server) directoryAPIRoutes(k *web.Kit) {
	k.HandleFunc("GET /api/v1/profiles/{username}", k.API(false, s.apiProfileGet))
	k.HandleFunc("GET /api/v1/people", k.API(true, s.apiPeople))
	k.HandleFunc("GET /api/v1/directory", k.API(true, s.apiDirectory))
	k.HandleFunc("GET /api/v1/directory/suggestions", k.API(true, s.apiSuggestions))
	k.HandleFunc("GET /api/v1/directory/profile", k.API(true, s.apiDirectoryProfile))
}

func (s *Server) apiProfileGet(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	p, err := s.svc.LocalProfile(r.Context(), r.PathValue("username"))
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, p)
}

func (s *Server) apiPeople(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	list, err := s.svc.People(r.Context(), st.Principal, r.URL.Query().Get("q"), 50)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"people": list})
}

func (s *Server) apiDirectory(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	q, err := parseDirQuery(r.URL.Query())
	if err == nil {
		var page *DirectoryPage
		if page, err = s.svc.SearchDirectory(r.Context(), st.Principal, q); err == nil {
			web.WriteJSON(w, http.StatusOK, page)
			return
		}
	}
	web.APIFail(w, err)
}

func (s *Server) apiSuggestions(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	list, err := s.svc.Suggestions(r.Context(), st.Principal, 10)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"profiles": list})
}

func (s *Server) apiDirectoryProfile(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	prof, err := s.svc.Profile(r.Context(), st.Principal, r.URL.Query().Get("id"))
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"profile": prof, "relation": s.svc.social.RelationTo(r.Context(), st.Principal, prof.ID)})
}
