package diary

import (
	"embed"
	"net/http"
	"net/url"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/twinspace"
	"github.com/twinfed/twinfed/node/web"
)

//go:embed templates/*.html
var templates embed.FS

// WebConfig is what the diary's pages need of the node.
type WebConfig struct {
	// Federation serves the diary actor's ActivityPub documents and inbox
	// (<project>/diary for activity+json, its outbox, followers, posts and
	// inbox); nil: a node without federation serves the HTML pages only.
	Federation http.Handler
}

// Web is the diary's pages and feed.
type Web struct {
	svc *Service
	cfg WebConfig
	kit *web.Kit
}

// NewWeb returns the diary's pages; Routes registers them.
func NewWeb(svc *Service, cfg WebConfig) *Web { return &Web{svc: svc, cfg: cfg} }

// Routes registers the diary's templates, pages, feed, the routes of its
// fediverse actor and the agency's fediverse page.
func (h *Web) Routes(k *web.Kit) error {
	if err := twinspace.AddToolTemplates(k, templates, "templates/*.html"); err != nil {
		return err
	}
	h.kit = k
	k.HandleFunc("GET /twinspace/diary", k.SpacePublic(h.page))
	k.HandleFunc("POST /twinspace/diary/save", k.Space(h.save))
	k.HandleFunc("POST /twinspace/diary/delete", k.Space(h.remove))
	k.HandleFunc("GET /twinspace/diary/atom", k.SpacePublic(h.atom))
	// The diary actor's URL is its canonical public page for a browser.
	k.HandleFunc("GET /projects/{rid}/diary", k.SpacePublic(h.canonical))
	k.HandleFunc("GET /projects/{rid}/diary/posts/{post}", k.SpacePublic(h.canonical))
	fed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.cfg.Federation == nil {
			h.kit.ErrorPage(w, r, twinfed.Errorf(twinfed.ENOTFOUND, "This page does not exist."))
			return
		}
		h.cfg.Federation.ServeHTTP(w, r)
	})
	k.Handle("GET /projects/{rid}/diary/outbox", fed)
	k.Handle("GET /projects/{rid}/diary/followers", fed)
	k.Handle("POST /projects/{rid}/diary/inbox", fed)
	k.HandleFunc("GET /agency/fediverse", k.Agency(h.fediverse))
	k.HandleFunc("POST /agency/fediverse/block", k.Agency(h.block))
	k.HandleFunc("POST /agency/fediverse/unblock", k.Agency(h.unblock))
	h.apiRoutes(k)
	return nil
}

// pageData is the Diary tab.
type pageData struct {
	twinspace.Frame
	Posts   []Post
	CanPost bool
	Editing *Post       // the post being changed, when ?edit= names one the reader may change
	Editor  *web.Editor // the post's text in the formatting editor (images from Materials, no embeds), when CanPost
	Atom    string      // the feed's URL
	Actor   string      // the diary's fediverse actor (on the home node)
	Handle  string      // its WebFinger address, acct without the scheme
}

func (h *Web) page(w http.ResponseWriter, r *http.Request) { h.render(w, r, nil, nil) }

// canonical is the diary actor's URL: its ActivityPub document for a
// fediverse server, the diary's public page for a browser.
func (h *Web) canonical(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Federation != nil && web.WantsActivity(r) {
		h.cfg.Federation.ServeHTTP(w, r)
		return
	}
	project := twinfed.ProjectURL(h.svc.core.BaseURL(), r.PathValue("rid"))
	v, err := h.svc.core.OpenView(r.Context(), nil, project, true)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	h.render(w, r, v, nil)
}

func (h *Web) render(w http.ResponseWriter, r *http.Request, v *twinspace.View, ferr error) {
	var err error
	if v == nil {
		if v, err = h.svc.core.PageView(r); err != nil {
			h.kit.ErrorPage(w, r, err)
			return
		}
	}
	d := pageData{Frame: h.svc.core.Frame(v, "diary"), CanPost: v.Can(twinfed.SpaceWriteDiary) && !v.ReadOnly,
		Atom: "/twinspace/diary/atom?id=" + url.QueryEscape(v.Project.ID), Actor: Actor(v.Project.ID)}
	d.Handle = Handle(v.Project.ID)
	if d.Posts, err = h.svc.Posts(v); err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	if e := r.URL.Query().Get("edit"); e != "" {
		for i := range d.Posts {
			if d.Posts[i].ID == e && d.Posts[i].CanEdit {
				d.Editing = &d.Posts[i]
			}
		}
	}
	p := h.kit.NewPage(w, r, "title.twinspace")
	p.Nav = "projects"
	if ferr != nil {
		p.Form = r.PostForm // the editor shows what was sent
	}
	if d.CanPost {
		text := ""
		if d.Editing != nil {
			text = d.Editing.Content
		}
		d.Editor = p.Editor("content", "diary.content", text, "/api/v1/twinspace/pages/images?id="+url.QueryEscape(v.Project.ID), "")
	}
	p.Data = d
	if ferr != nil {
		h.kit.Fail(w, r, "twinspace_diary", p, ferr)
		return
	}
	h.kit.Render(w, http.StatusOK, "twinspace_diary", p)
}

func (h *Web) back(w http.ResponseWriter, r *http.Request, flash string) {
	web.RedirectDone(w, r, "/twinspace/diary?id="+url.QueryEscape(r.PostForm.Get("id")), flash)
}

func (h *Web) save(w http.ResponseWriter, r *http.Request) {
	_, err := h.svc.Save(r.Context(), web.State(r).Principal, r.PostForm.Get("id"), r.PostForm.Get("object"), r.PostForm.Get("title"), r.PostForm.Get("content"))
	if err != nil {
		if len(twinfed.ErrorFields(err)) > 0 {
			h.render(w, r, nil, err)
			return
		}
		h.kit.ErrorPage(w, r, err)
		return
	}
	h.back(w, r, "diary_published")
}

func (h *Web) remove(w http.ResponseWriter, r *http.Request) {
	if err := h.svc.Delete(r.Context(), web.State(r).Principal, r.PostForm.Get("id"), r.PostForm.Get("object")); err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	h.back(w, r, "diary_removed")
}
