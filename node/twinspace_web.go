package node

import (
	"embed"
	"html/template"
	"net/http"
	"net/url"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The TwinSpace's web pages: a project's board and its posts.

//go:embed templates/twinspace/*.html
var twinspaceTemplates embed.FS

// twinspaceRoutes registers the TwinSpace's templates, pages and JSON API.
func (s *Server) twinspaceRoutes(k *web.Kit) error {
	if err := k.AddTemplates(twinspaceTemplates, "templates/twinspace/*.html"); err != nil {
		return err
	}
	k.HandleFunc("GET /projects/twinspace", k.Member(s.twinSpace))
	k.HandleFunc("POST /projects/twinspace/post", k.Member(s.postToTwinSpace))
	k.HandleFunc("GET /projects/{rid}/twinspace", k.Web(func(w http.ResponseWriter, r *http.Request) {
		id := twinfed.ProjectURL(s.svc.BaseURL(), r.PathValue("rid"))
		http.Redirect(w, r, "/projects/twinspace?id="+url.QueryEscape(id), http.StatusSeeOther)
	}))
	s.twinspaceAPIRoutes(k)
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

func (s *Server) twinSpacePage(w http.ResponseWriter, r *http.Request, id string, ferr error) {
	ts, err := s.svc.TwinSpace(r.Context(), web.State(r).Principal, id)
	if err != nil {
		s.kit.ErrorPage(w, r, err)
		return
	}
	p := s.kit.NewPage(w, r, "title.twinspace")
	p.Nav = "projects"
	d := twinSpaceData{TS: ts, Members: ts.Project.TwinSpaceMembers()}
	for _, post := range ts.Posts {
		d.Posts = append(d.Posts, twinSpacePost{TwinSpacePost: post, HTML: template.HTML(post.Content)})
	}
	p.Data = d
	if ferr != nil {
		s.kit.Fail(w, r, "project_twinspace", p, ferr)
		return
	}
	s.kit.Render(w, http.StatusOK, "project_twinspace", p)
}

func (s *Server) twinSpace(w http.ResponseWriter, r *http.Request) {
	s.twinSpacePage(w, r, r.URL.Query().Get("id"), nil)
}

func (s *Server) postToTwinSpace(w http.ResponseWriter, r *http.Request) {
	id := r.PostForm.Get("id")
	if _, err := s.svc.PostToTwinSpace(r.Context(), web.State(r).Principal, id, r.PostForm.Get("content")); err != nil {
		if len(twinfed.ErrorFields(err)) > 0 {
			s.twinSpacePage(w, r, id, err)
			return
		}
		s.kit.ErrorPage(w, r, err)
		return
	}
	web.RedirectDone(w, r, "/projects/twinspace?id="+url.QueryEscape(id), "posted")
}
