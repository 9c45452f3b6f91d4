package eventforum

import (
	"embed"
	"net/http"
	"net/url"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

//go:embed templates/*.html
var templates embed.FS

// Web is the forum's pages (GET and POST /events/{id}/forum, its edit
// page and its deletion), its JSON API, and its catch-up for other nodes.
type Web struct {
	svc    *Service
	kit    *web.Kit
	signed func(http.Handler) http.Handler
}

// NewWeb returns the forum's pages; Routes registers them.
func NewWeb(svc *Service) *Web { return &Web{svc: svc} }

// Signed sets the check of the routes only other nodes read (the
// catch-up, which finds the signing node with web.Signer); without it,
// the catch-up is not served.
func (h *Web) Signed(check func(http.Handler) http.Handler) *Web {
	h.signed = check
	return h
}

// Routes registers the forum's templates, pages, JSON API and catch-up
// on k.
func (h *Web) Routes(k *web.Kit) error {
	if err := k.AddTemplates(templates, "templates/*.html"); err != nil {
		return err
	}
	h.kit = k
	k.HandleFunc("GET /events/{id}/forum", k.Member(h.page))
	k.HandleFunc("POST /events/{id}/forum", k.Member(h.write))
	k.HandleFunc("GET /events/{id}/forum/edit", k.Member(h.editPage))
	k.HandleFunc("POST /events/{id}/forum/edit", k.Member(h.edit))
	k.HandleFunc("POST /events/{id}/forum/delete", k.Member(h.remove))
	if h.signed != nil {
		k.Handle("GET "+CatchUpPath, h.signed(ServeCatchUp(h.svc.Served)))
	}
	h.apiRoutes(k)
	return nil
}

// pageData is the forum's page.
type pageData struct {
	Event *twinfed.Event
	Path  string // the event's page
	Posts []Post
	Me    string // the reader's actor
	Edit  *Post  // on the edit page: the message edited
	names map[string]*twinfed.Profile
}

// Profile is the directory's profile of an author, nil when it has none.
func (d pageData) Profile(actor string) *twinfed.Profile { return d.names[actor] }

// Mine reports whether the reader wrote p (and may edit it).
func (d pageData) Mine(p Post) bool { return p.Author == d.Me }

// EditPath is the edit page of p.
func (d pageData) EditPath(p Post) string {
	return d.Path + "/forum/edit?post=" + url.QueryEscape(p.ID)
}

// CanDelete reports whether the reader may delete p: its author or the
// event's organiser, in an event not cancelled.
func (d pageData) CanDelete(p Post) bool {
	return !d.Event.Cancelled && (p.Author == d.Me || d.Event.Organiser == d.Me)
}

func (h *Web) render(w http.ResponseWriter, r *http.Request, edit string, ferr error) {
	ev := h.svc.events
	pr := web.State(r).Principal
	id := ev.EventID(r.PathValue("id"))
	v, err := ev.Get(r.Context(), pr, id)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	posts, err := h.svc.List(r.Context(), pr, id)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	authors := make([]string, len(posts))
	for i, p := range posts {
		authors[i] = p.Author
	}
	d := pageData{Event: v.Event, Path: ev.Path(id), Posts: posts, Me: actorOf(h.svc.base, pr), names: h.svc.profiles(authors)}
	name, title := "event_forum", "title.event_forum"
	if edit != "" {
		for i := range posts {
			if posts[i].ID == edit && posts[i].Author == d.Me {
				d.Edit = &posts[i]
			}
		}
		if d.Edit == nil || v.Event.Cancelled {
			h.kit.ErrorPage(w, r, errNoPost)
			return
		}
		name, title = "event_forum_edit", "title.event_post_edit"
	}
	p := h.kit.NewPage(w, r, title)
	p.Nav = "events"
	if r.Method == http.MethodPost {
		p.Form = r.PostForm
	}
	p.Data = d
	if ferr != nil {
		h.kit.Fail(w, r, name, p, ferr)
		return
	}
	h.kit.Render(w, http.StatusOK, name, p)
}

func (h *Web) page(w http.ResponseWriter, r *http.Request) { h.render(w, r, "", nil) }

func (h *Web) editPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, r.URL.Query().Get("post"), nil)
}

// done answers a form: back to the forum with its flash, or the form
// again with the error on its field, or the error's page.
func (h *Web) done(w http.ResponseWriter, r *http.Request, edit string, err error, flash string) {
	switch {
	case err == nil:
		web.RedirectDone(w, r, h.svc.events.Path(h.svc.events.EventID(r.PathValue("id")))+"/forum", flash)
	case len(twinfed.ErrorFields(err)) > 0:
		h.render(w, r, edit, err)
	default:
		h.kit.ErrorPage(w, r, err)
	}
}

func (h *Web) write(w http.ResponseWriter, r *http.Request) {
	_, err := h.svc.Write(r.Context(), web.State(r).Principal, h.svc.events.EventID(r.PathValue("id")), r.PostForm.Get("text"))
	h.done(w, r, "", err, "event_posted")
}

func (h *Web) edit(w http.ResponseWriter, r *http.Request) {
	post := r.PostForm.Get("post")
	_, err := h.svc.Edit(r.Context(), web.State(r).Principal, h.svc.events.EventID(r.PathValue("id")), post, r.PostForm.Get("text"))
	h.done(w, r, post, err, "event_post_edited")
}

func (h *Web) remove(w http.ResponseWriter, r *http.Request) {
	err := h.svc.Delete(r.Context(), web.State(r).Principal, h.svc.events.EventID(r.PathValue("id")), r.PostForm.Get("post"))
	h.done(w, r, "", err, "event_post_deleted")
}
