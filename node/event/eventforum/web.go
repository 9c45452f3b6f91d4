package eventforum

import (
	"embed"
	"net/http"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

//go:embed templates/*.html
var templates embed.FS

// Web is the forum's page: GET and POST /events/{id}/forum.
type Web struct {
	svc *Service
	kit *web.Kit
}

// NewWeb returns the forum's page; Routes registers it.
func NewWeb(svc *Service) *Web { return &Web{svc: svc} }

// Routes registers the forum's template and page on k.
func (h *Web) Routes(k *web.Kit) error {
	if err := k.AddTemplates(templates, "templates/*.html"); err != nil {
		return err
	}
	h.kit = k
	k.HandleFunc("GET /events/{id}/forum", k.Member(h.page))
	k.HandleFunc("POST /events/{id}/forum", k.Member(h.write))
	return nil
}

// pageData is the forum's page.
type pageData struct {
	Event *twinfed.Event
	Path  string // the event's page
	Posts []Post
}

func (h *Web) render(w http.ResponseWriter, r *http.Request, ferr error) {
	ev := h.svc.events
	id := ev.EventID(r.PathValue("id"))
	v, err := ev.Get(r.Context(), web.State(r).Principal, id)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	posts, err := h.svc.List(r.Context(), web.State(r).Principal, id)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.kit.NewPage(w, r, "title.event_forum")
	p.Nav = "events"
	if r.Method == http.MethodPost {
		p.Form = r.PostForm
	}
	p.Data = pageData{Event: v.Event, Path: ev.Path(id), Posts: posts}
	if ferr != nil {
		h.kit.Fail(w, r, "event_forum", p, ferr)
		return
	}
	h.kit.Render(w, http.StatusOK, "event_forum", p)
}

func (h *Web) page(w http.ResponseWriter, r *http.Request) { h.render(w, r, nil) }

func (h *Web) write(w http.ResponseWriter, r *http.Request) {
	id := h.svc.events.EventID(r.PathValue("id"))
	if _, err := h.svc.Write(r.Context(), web.State(r).Principal, id, r.PostForm.Get("text")); err != nil {
		if len(twinfed.ErrorFields(err)) > 0 {
			h.render(w, r, err)
			return
		}
		h.kit.ErrorPage(w, r, err)
		return
	}
	web.RedirectDone(w, r, h.svc.events.Path(id)+"/forum", "event_posted")
}
