package eventforum

import (
	"net/http"
	"strconv"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The forum's JSON API, with the pages' rules and errors:
//
//	GET  /api/v1/events/{id}/forum?after=&limit=   a page of messages, oldest first
//	POST /api/v1/events/{id}/forum                 {"text"}: write (201)
//	POST /api/v1/events/{id}/forum/edit            {"post", "text"}: edit one's message
//	POST /api/v1/events/{id}/forum/delete          {"post"}: delete (author or organiser)

// postInput is a message as the API takes it.
type postInput struct {
	Post string `json:"post,omitempty"` // the message's id: to edit or delete it
	Text string `json:"text,omitempty"`
}

func (h *Web) apiRoutes(k *web.Kit) {
	id := func(r *http.Request) string { return h.svc.events.EventID(r.PathValue("id")) }
	k.HandleFunc("GET /api/v1/events/{id}/forum", k.API(true, func(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		if limit == 0 {
			limit = 50
		}
		pg, err := h.svc.ListPage(r.Context(), st.Principal, id(r), r.URL.Query().Get("after"), limit)
		if err != nil {
			web.APIFail(w, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, pg)
	}))
	k.HandleFunc("POST /api/v1/events/{id}/forum", k.API(true, func(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
		var in postInput
		if err := web.Decode(r, &in); err != nil {
			web.APIFail(w, err)
			return
		}
		p, err := h.svc.Write(r.Context(), st.Principal, id(r), in.Text)
		if err != nil {
			web.APIFail(w, err)
			return
		}
		web.WriteJSON(w, http.StatusCreated, p)
	}))
	k.HandleFunc("POST /api/v1/events/{id}/forum/edit", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in postInput) (any, error) {
		return h.svc.Edit(r.Context(), p, id(r), in.Post, in.Text)
	})))
	k.HandleFunc("POST /api/v1/events/{id}/forum/delete", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in postInput) (any, error) {
		return nil, h.svc.Delete(r.Context(), p, id(r), in.Post)
	})))
}
