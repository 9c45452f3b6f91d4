package forum

import (
	"net/http"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The forum's JSON API.

func (h *handlers) apiRoutes(k *web.Kit) {
	s := h.svc
	k.HandleFunc("GET /api/v1/forum/posts", k.API(true, h.apiSearch))
	k.HandleFunc("POST /api/v1/forum/posts", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in postInput) (any, error) {
		return s.Post(r.Context(), p, &twinfed.ForumPost{Thread: in.Thread, Title: in.Title, Subjects: in.Subjects, AgeBands: in.AgeBands,
			Languages: in.Languages, Seeking: in.Seeking, Months: in.Months, Idea: in.Idea})
	})))
	k.HandleFunc("POST /api/v1/forum/edit", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in editInput) (any, error) {
		return s.Edit(r.Context(), p, in.ID, &twinfed.ForumPost{Thread: in.Thread, Title: in.Title, Subjects: in.Subjects, AgeBands: in.AgeBands,
			Languages: in.Languages, Seeking: in.Seeking, Months: in.Months, Idea: in.Idea})
	})))
	k.HandleFunc("GET /api/v1/forum/post", k.API(true, h.apiRead))
	k.HandleFunc("POST /api/v1/forum/replies", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in idInput) (any, error) {
		return s.Reply(r.Context(), p, in.ID, in.Text)
	})))
	k.HandleFunc("POST /api/v1/forum/contact", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in idInput) (any, error) {
		return s.Contact(r.Context(), p, in.ID, in.Message)
	})))
	k.HandleFunc("POST /api/v1/forum/reports", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in idInput) (any, error) {
		return nil, s.Report(r.Context(), p, in.ID, in.Reason)
	})))
	k.HandleFunc("POST /api/v1/forum/delete", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in idInput) (any, error) {
		return nil, s.Delete(r.Context(), p, in.ID)
	})))
	k.HandleFunc("POST /api/v1/forum/hide", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in idInput) (any, error) {
		return s.SetHidden(r.Context(), p, in.ID, in.Hidden)
	})))
	k.HandleFunc("GET /api/v1/forum/reports", k.API(true, func(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
		list, err := s.Reports(r.Context(), st.Principal)
		if err != nil {
			web.APIFail(w, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, map[string]any{"reported": list})
	}))
}

// postInput is a new post as the API takes it.
type postInput struct {
	Thread    string   `json:"thread"`
	Title     string   `json:"title"`
	Subjects  []string `json:"subjects"`
	AgeBands  []string `json:"age_bands"`
	Languages []string `json:"languages"`
	Seeking   []string `json:"seeking"`
	Months    int      `json:"months"`
	Idea      string   `json:"idea"`
}

// editInput is a change of one's post: its id and the whole post again.
type editInput struct {
	ID string `json:"id"`
	postInput
}

// idInput is an action on one post.
type idInput struct {
	ID      string `json:"id"`
	Text    string `json:"text,omitempty"`    // a reply
	Message string `json:"message,omitempty"` // a contact request
	Reason  string `json:"reason,omitempty"`  // a report
	Hidden  bool   `json:"hidden,omitempty"`  // hide (true) or show
}

func (h *handlers) apiSearch(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	page, err := h.svc.Search(r.Context(), st.Principal, queryOf(r.URL.Query()))
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, page)
}

func (h *handlers) apiRead(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	t, err := h.svc.Read(r.Context(), st.Principal, r.URL.Query().Get("id"))
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, t)
}
