package node

import (
	"embed"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/web"
)

// The directory's web pages: people search, profile pages (a local
// member's, cached for visitors in pagecache.go, and another node's), and
// the page of public profiles other nodes backfill from.

//go:embed templates/directory/*.html
var directoryTemplates embed.FS

// directoryRoutes registers the directory's templates, pages and JSON API.
func (s *Server) directoryRoutes(k *web.Kit) error {
	if err := k.AddTemplates(directoryTemplates, "templates/directory/*.html"); err != nil {
		return err
	}
	k.HandleFunc("GET /people", k.Member(s.people))
	k.HandleFunc("GET /people/profile", k.Member(s.remoteProfile))
	k.HandleFunc("GET /users/{username}", k.Web(s.userPage))
	if s.cfg.Signed != nil {
		k.Handle("GET "+BackfillPath, s.cfg.Signed(http.HandlerFunc(s.backfillPage)))
	}
	s.directoryAPIRoutes(k)
	return nil
}

// parseDirQuery reads a directory search from query parameters: q,
// country, region, level, role, subject, language, age_min, age_max,
// project, erasmus, kit (flags: "1" or "on"), offset.
func parseDirQuery(v url.Values) (DirectoryQuery, error) {
	q := DirectoryQuery{Text: v.Get("q"), Country: strings.ToUpper(v.Get("country")), Region: v.Get("region"), Level: twinfed.SchoolLevel(v.Get("level")),
		Role: v.Get("role"), Subject: v.Get("subject"), Language: v.Get("language")}
	flag := func(k string) bool { return v.Get(k) == "1" || v.Get(k) == "on" || v.Get(k) == "true" }
	q.Available = twinfed.Available{Project: flag("project"), Erasmus: flag("erasmus"), ProjKit: flag("kit")}
	bad := map[string]string{}
	num := func(k string) int {
		if v.Get(k) == "" {
			return 0
		}
		n, err := strconv.Atoi(v.Get(k))
		if err != nil || n < 0 {
			bad[k] = "Give pupils' ages from 0 to 99, the lowest first."
		}
		return n
	}
	q.AgeMin, q.AgeMax, q.Offset = num("age_min"), num("age_max"), num("offset")
	if len(q.Text) > 200 {
		bad["q"] = "Search for at most 200 characters."
	}
	if len(bad) > 0 {
		return q, &twinfed.Error{Code: twinfed.EINVALID, Message: "Some fields need your attention.", Fields: bad}
	}
	return q, nil
}

// peopleData is the directory page.
type peopleData struct {
	Page        *DirectoryPage
	Suggestions []*twinfed.Profile
	Searched    bool
	Countries   []*twinfed.Country
	NextURL     string
}

func (s *Server) people(w http.ResponseWriter, r *http.Request) {
	p := s.kit.NewPage(w, r, "nav.people")
	p.Nav = "people"
	p.Form = r.URL.Query()
	d := peopleData{Searched: len(r.URL.Query()) > 0}
	d.Countries = s.svc.Countries(r.Context())
	q, err := parseDirQuery(r.URL.Query())
	if err == nil {
		d.Page, err = s.svc.SearchDirectory(r.Context(), web.State(r).Principal, q)
	}
	if err != nil {
		p.Data = d
		if twinfed.ErrorCode(err) == twinfed.EFORBIDDEN {
			s.kit.ErrorPage(w, r, err)
			return
		}
		s.kit.Fail(w, r, "people", p, err)
		return
	}
	if d.Page.Next > 0 {
		v := r.URL.Query()
		v.Set("offset", strconv.Itoa(d.Page.Next))
		d.NextURL = "/people?" + v.Encode()
	}
	if !d.Searched {
		d.Suggestions, _ = s.svc.Suggestions(r.Context(), web.State(r).Principal, 6)
	}
	p.Data = d
	s.kit.Render(w, http.StatusOK, "people", p)
}

// profileView is a profile page: the profile (its description was
// sanitised on input: by this node for its members, on arrival for other
// nodes'), and how the viewer stands to the member.
type profileView struct {
	*twinfed.Profile
	Description template.HTML
	Rel         *social.Relation
	Local       bool
}

func (s *Server) profilePage(w http.ResponseWriter, r *http.Request, prof *twinfed.Profile) {
	s.kit.Render(w, http.StatusOK, "user", s.userPageOf(w, r, prof))
}

// userPageOf is the page of a profile for this request's viewer.
func (s *Server) userPageOf(w http.ResponseWriter, r *http.Request, prof *twinfed.Profile) *web.Page {
	p := s.kit.NewPage(w, r, "title.profile_of")
	p.Nav = "people"
	p.Data = profileView{Profile: prof, Description: template.HTML(prof.Description), Rel: s.svc.social.RelationTo(r.Context(), web.State(r).Principal, prof.ID),
		Local: s.svc.IsLocal(prof.ID)}
	return p
}

func (s *Server) userPage(w http.ResponseWriter, r *http.Request) {
	if web.WantsActivity(r) && s.cfg.Federation != nil {
		s.cfg.Federation.ServeHTTP(w, r)
		return
	}
	if st := web.State(r); s.pageCacheable(r, st) {
		s.cachedUserPage(w, r, st, r.PathValue("username"))
		return
	}
	prof, err := s.svc.LocalProfile(r.Context(), r.PathValue("username"))
	if err != nil {
		s.kit.ErrorPage(w, r, err)
		return
	}
	s.profilePage(w, r, prof)
}

func (s *Server) remoteProfile(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	if s.svc.IsLocal(id) {
		if u, ok := twinfed.UsernameFromActor(s.svc.BaseURL(), id); ok {
			http.Redirect(w, r, "/users/"+url.PathEscape(u), http.StatusSeeOther)
			return
		}
	}
	prof, err := s.svc.Profile(r.Context(), web.State(r).Principal, id)
	if err != nil {
		s.kit.ErrorPage(w, r, err)
		return
	}
	s.profilePage(w, r, prof)
}

// backfillPage serves a page of this node's public profiles to another
// node (behind the signature check).
func (s *Server) backfillPage(w http.ResponseWriter, r *http.Request) {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	page, err := s.svc.LocalProfiles(r.Context(), r.URL.Query().Get("after"), limit)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, page)
}
