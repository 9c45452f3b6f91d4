package twinspace

import (
	"embed"
	"html/template"
	"net/http"
	"net/url"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The TwinSpace's web pages: a project's board and its posts.

//go:embed templates/*.html
var templates embed.FS

// Web is the TwinSpace's web page and JSON API.
type Web struct {
	svc *Service
	kit *web.Kit
}

// NewWeb returns the page and API of svc; Routes registers them.
func NewWeb(svc *Service) *Web { return &Web{svc: svc} }

// Routes registers the TwinSpace's templates, pages and JSON API on k.
func (h *Web) Routes(k *web.Kit) error {
	if err := k.AddTemplates(templates, "templates/*.html"); err != nil {
		return err
	}
	h.kit = k
	k.HandleFunc("GET /projects/twinspace", k.Member(h.twinSpace))
	k.HandleFunc("POST /projects/twinspace/post", k.Member(h.postToTwinSpace))
	k.HandleFunc("GET /projects/{rid}/twinspace", k.Web(func(w http.ResponseWriter, r *http.Request) {
		id := twinfed.ProjectURL(h.svc.BaseURL(), r.PathValue("rid"))
		http.Redirect(w, r, "/projects/twinspace?id="+url.QueryEscape(id), http.StatusSeeOther)
	}))
	h.apiRoutes(k)
	return nil
}

// twinSpaceData is the TwinSpace page.
type twinSpaceData struct {
	TS      *TwinSpaceView
	Members []twinfed.Partner
	Posts   []twinSpacePost
}

type twinSpacePost struct {
	*TwinSpacePost
	HTML template.HTML // the post's content, sanitised on arrival
}

func (h *Web) twinSpacePage(w http.ResponseWriter, r *http.Request, id string, ferr error) {
	ts, err := h.svc.TwinSpace(r.Context(), web.State(r).Principal, id)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.kit.NewPage(w, r, "title.twinspace")
	p.Nav = "projects"
	d := twinSpaceData{TS: ts, Members: ts.Project.TwinSpaceMembers()}
	for _, post := range ts.Posts {
		d.Posts = append(d.Posts, twinSpacePost{TwinSpacePost: post, HTML: template.HTML(post.Content)})
	}
	p.Data = d
	if ferr != nil {
		h.kit.Fail(w, r, "project_twinspace", p, ferr)
		return
	}
	h.kit.Render(w, http.StatusOK, "project_twinspace", p)
}

func (h *Web) twinSpace(w http.ResponseWriter, r *http.Request) {
	h.twinSpacePage(w, r, r.URL.Query().Get("id"), nil)
}

func (h *Web) postToTwinSpace(w http.ResponseWriter, r *http.Request) {
	id := r.PostForm.Get("id")
	if _, err := h.svc.PostToTwinSpace(r.Context(), web.State(r).Principal, id, r.PostForm.Get("content")); err != nil {
		if len(twinfed.ErrorFields(err)) > 0 {
			h.twinSpacePage(w, r, id, err)
			return
		}
		h.kit.ErrorPage(w, r, err)
		return
	}
	web.RedirectDone(w, r, "/projects/twinspace?id="+url.QueryEscape(id), "posted")
}
