package directory

import (
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The directory's web pages: people search, profile pages (a local
// member's, cached for visitors in pagecache.go, and another node's), and
// the page of public profiles other nodes backfill from.

//go:embed templates/*.html
var templates embed.FS

// WebConfig configures the directory's pages.
type WebConfig struct {
	// Federation serves /users/{username} when the request asks for
	// ActivityPub (the federation's handler); nil: the page only.
	Federation http.Handler
	// Signed wraps the backfill page, which only other nodes may read,
	// with an HTTP-signature check; nil: not served.
	Signed func(http.Handler) http.Handler
	// PageCacheBytes bounds the memory of the cache of public profile
	// pages rendered for visitors without a session (see pagecache.go).
	// Zero: DefaultPageCacheBytes; negative: no cache.
	PageCacheBytes int64
	Metrics        *prometheus.Registry // nil: metrics are not registered
}

// Web is the directory's web pages and JSON API.
type Web struct {
	svc *Service
	cfg WebConfig
	kit *web.Kit
	pc  *pageCache // nil: no profile page cache
}

// NewWeb builds the directory's pages on svc and registers the page
// cache's metrics.
func NewWeb(svc *Service, cfg WebConfig) (*Web, error) {
	h := &Web{svc: svc, cfg: cfg}
	if cfg.PageCacheBytes == 0 {
		cfg.PageCacheBytes = DefaultPageCacheBytes
	}
	if cfg.PageCacheBytes > 0 {
		h.pc = newPageCache(cfg.PageCacheBytes)
		if cfg.Metrics != nil {
			for _, c := range h.pc.collectors() {
				if err := cfg.Metrics.Register(c); err != nil {
					return nil, fmt.Errorf("directory: register metrics: %w", err)
				}
			}
		}
	}
	return h, nil
}

// Routes registers the directory's templates, pages and JSON API on k.
func (h *Web) Routes(k *web.Kit) error {
	h.kit = k
	if err := k.AddTemplates(templates, "templates/*.html"); err != nil {
		return err
	}
	k.HandleFunc("GET /people", k.Member(h.people))
	k.HandleFunc("GET /people/profile", k.Member(h.remoteProfile))
	k.HandleFunc("GET /users/{username}", k.Web(h.userPage))
	if h.cfg.Signed != nil {
		k.Handle("GET "+BackfillPath, h.cfg.Signed(http.HandlerFunc(h.backfillPage)))
	}
	h.apiRoutes(k)
	return nil
}

// parseDirQuery reads a directory search from query parameters: q,
// country, region, level, role, subject, language, band (an age band's
// id: its ages, when age_min and age_max are not given), age_min, age_max,
// project, erasmus, kit (flags: "1" or "on"), offset.
func parseDirQuery(v url.Values) (DirectoryQuery, error) {
	q := DirectoryQuery{Text: v.Get("q"), Country: strings.ToUpper(v.Get("country")), Region: v.Get("region"), Level: twinfed.SchoolLevel(v.Get("level")),
		Role: v.Get("role"), Subject: v.Get("subject"), Language: v.Get("language")}
	if id, ok := twinfed.SubjectID(q.Subject); ok {
		q.Subject = id // a subject's name, as an older link wrote it
	}
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
	if b := v.Get("band"); b != "" {
		band, ok := twinfed.AgeBandByID(b)
		switch {
		case !ok:
			bad["band"] = "Choose an age band from the list."
		case v.Get("age_min") == "" && v.Get("age_max") == "":
			q.AgeMin, q.AgeMax = band.Min, band.Max
		}
	}
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

func (h *Web) people(w http.ResponseWriter, r *http.Request) {
	p := h.kit.NewPage(w, r, "nav.people")
	p.Nav = "people"
	p.Form = r.URL.Query()
	d := peopleData{Searched: len(r.URL.Query()) > 0}
	d.Countries = h.svc.Countries(r.Context())
	q, err := parseDirQuery(r.URL.Query())
	if err == nil {
		d.Page, err = h.svc.SearchDirectory(r.Context(), web.State(r).Principal, q)
	}
	if err != nil {
		p.Data = d
		if twinfed.ErrorCode(err) == twinfed.EFORBIDDEN {
			h.kit.ErrorPage(w, r, err)
			return
		}
		h.kit.Fail(w, r, "people", p, err)
		return
	}
	if d.Page.Next > 0 {
		v := r.URL.Query()
		v.Set("offset", strconv.Itoa(d.Page.Next))
		d.NextURL = "/people?" + v.Encode()
	}
	if !d.Searched {
		d.Suggestions, _ = h.svc.Suggestions(r.Context(), web.State(r).Principal, 6)
	}
	p.Data = d
	h.kit.Render(w, http.StatusOK, "people", p)
}

// profileView is a profile page: the profile (its description was
// sanitised on input: by this node for its members, on arrival for other
// nodes'), and how the viewer stands to the member.
type profileView struct {
	*twinfed.Profile
	Description template.HTML
	Rel         any // the social feature's relation; nil: none
	Local       bool
}

func (h *Web) profilePage(w http.ResponseWriter, r *http.Request, prof *twinfed.Profile) {
	h.kit.Render(w, http.StatusOK, "user", h.userPageOf(w, r, prof))
}

// userPageOf is the page of a profile for this request's viewer.
func (h *Web) userPageOf(w http.ResponseWriter, r *http.Request, prof *twinfed.Profile) *web.Page {
	p := h.kit.NewPage(w, r, "title.profile_of")
	p.Nav = "people"
	p.Data = profileView{Profile: prof, Description: template.HTML(prof.Description), Rel: h.svc.relationTo(r.Context(), web.State(r).Principal, prof.ID),
		Local: h.svc.IsLocal(prof.ID)}
	return p
}

func (h *Web) userPage(w http.ResponseWriter, r *http.Request) {
	if web.WantsActivity(r) && h.cfg.Federation != nil {
		h.cfg.Federation.ServeHTTP(w, r)
		return
	}
	if st := web.State(r); h.pageCacheable(r, st) {
		h.cachedUserPage(w, r, st, r.PathValue("username"))
		return
	}
	prof, err := h.svc.LocalProfile(r.Context(), r.PathValue("username"))
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	h.profilePage(w, r, prof)
}

func (h *Web) remoteProfile(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	if h.svc.IsLocal(id) {
		if u, ok := twinfed.UsernameFromActor(h.svc.BaseURL(), id); ok {
			http.Redirect(w, r, "/users/"+url.PathEscape(u), http.StatusSeeOther)
			return
		}
	}
	prof, err := h.svc.Profile(r.Context(), web.State(r).Principal, id)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	h.profilePage(w, r, prof)
}

// backfillPage serves a page of this node's public profiles to another
// node (behind the signature check).
func (h *Web) backfillPage(w http.ResponseWriter, r *http.Request) {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	page, err := h.svc.LocalProfiles(r.Context(), r.URL.Query().Get("after"), limit)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, page)
}
