package twinspace

import (
	"context"
	"embed"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The TwinSpace's frame and its core tabs: Home (the Twinboard: cover,
// latest actions, updates, the teachers' bulletin) and Members. Each tool
// (pages, materials, forum, chat, diary) registers its own tab's routes
// and templates, and frames its pages with this package's partials
// ("space_top", "space_bottom": AddToolTemplates).

//go:embed templates/*.html
var templates embed.FS

// Partials are the frame's templates, for the tools' pages.
var Partials = templates

// PartialsPattern matches the frame's partials in Partials.
const PartialsPattern = "templates/_space.html"

// AddToolTemplates registers a tool's templates with the frame's
// partials.
func AddToolTemplates(k *web.Kit, fsys embedFS, pattern string) error {
	return k.AddTemplatesWith(fsys, pattern, Partials, PartialsPattern)
}

type embedFS = embed.FS

// Tab is one of the TwinSpace's tabs.
type Tab struct {
	ID   string // home, pages, materials, forum, chat, members, diary
	Kind twinfed.SpaceKind
	// Public tabs show to the public (the published pages, the diary).
	Public bool
}

// tabs are the TwinSpace's tabs in their order; a tool's shows once its
// kind is registered.
var tabs = []Tab{
	{ID: "home", Public: true},
	{ID: "pages", Kind: twinfed.SpaceKindPage, Public: true},
	{ID: "materials", Kind: twinfed.SpaceKindMaterial},
	{ID: "forum", Kind: twinfed.SpaceKindDiscussion},
	{ID: "chat", Kind: twinfed.SpaceKindChat},
	{ID: "members"},
	{ID: "diary", Kind: twinfed.SpaceKindDiary, Public: true},
	{ID: "live"}, // the project's online meetings: node/event's /projects/live
}

// Frame is what the frame's partials show around a tab: the TwinSpace as
// its reader sees it, the tabs, the cover. A tool's page data embeds it.
type Frame struct {
	Space   *View
	Tab     string
	Tabs    []FrameTab
	Schools []twinfed.Partner // the partner schools, for the cover
	Cover   template.HTML     // the cover's text, sanitised
	Query   string            // id=<project>[&public=1], for the tabs' links
}

// FrameTab is a tab as the frame links it.
type FrameTab struct{ ID, Href string }

// Frame returns the frame of tab for v.
func (s *Service) Frame(v *View, tab string) Frame {
	f := Frame{Space: v, Tab: tab, Schools: v.Project.TwinSpaceMembers()}
	q := url.Values{"id": {v.Project.ID}}
	if v.Browsing {
		q.Set("public", "1")
	}
	f.Query = q.Encode()
	for _, t := range tabs {
		if t.Kind != "" {
			if _, ok := s.kind(t.Kind); !ok {
				continue
			}
		}
		if v.Public && !t.Public || t.ID == "live" && !v.Role.IsTeacher() {
			continue // the public's tabs; the online meetings' page is the teachers'
		}
		href := "/twinspace/" + t.ID + "?" + f.Query
		if t.ID == "live" {
			href = "/projects/live?id=" + url.QueryEscape(v.Project.ID)
		}
		f.Tabs = append(f.Tabs, FrameTab{ID: t.ID, Href: href})
	}
	if v.Settings != nil && !v.Settings.Deleted {
		f.Cover = template.HTML(v.Settings.Content) // sanitised when stored
	}
	return f
}

// Web is the TwinSpace's core pages and JSON API.
type Web struct {
	svc *Service
	kit *web.Kit
}

// NewWeb returns the pages and API of svc; Routes registers them.
func NewWeb(svc *Service) *Web { return &Web{svc: svc} }

// Routes registers the TwinSpace's templates, core pages and JSON API on k.
func (h *Web) Routes(k *web.Kit) error {
	if err := k.AddTemplates(templates, "templates/*.html"); err != nil {
		return err
	}
	h.kit = k
	k.HandleFunc("GET /twinspace/home", k.SpacePublic(h.home))
	k.HandleFunc("POST /twinspace/home/post", k.Space(h.post))
	k.HandleFunc("POST /twinspace/home/delete", k.Space(h.deletePost))
	k.HandleFunc("POST /twinspace/settings", k.Space(h.settings))
	k.HandleFunc("GET /twinspace/members", k.Space(h.members))
	k.HandleFunc("POST /twinspace/members/add", k.Space(h.addMembers))
	k.HandleFunc("POST /twinspace/members/role", k.Space(h.setRole))
	k.HandleFunc("POST /twinspace/members/remove", k.Space(h.removeMember))
	k.HandleFunc("GET /projects/twinspace", k.SpacePublic(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/twinspace/home?id="+url.QueryEscape(r.URL.Query().Get("id")), http.StatusSeeOther)
	}))
	k.HandleFunc("GET /projects/{rid}/twinspace", k.SpacePublic(func(w http.ResponseWriter, r *http.Request) {
		id := twinfed.ProjectURL(h.svc.BaseURL(), r.PathValue("rid"))
		http.Redirect(w, r, "/twinspace/home?id="+url.QueryEscape(id), http.StatusSeeOther)
	}))
	h.apiRoutes(k)
	return nil
}

// PageView opens the TwinSpace of the request's ?id= (or posted id) for
// its reader, in public mode when ?public=1 asks for it.
func (s *Service) PageView(r *http.Request) (*View, error) {
	id := r.URL.Query().Get("id")
	if id == "" && r.PostForm != nil {
		id = r.PostForm.Get("id")
	}
	return s.OpenView(r.Context(), web.State(r).Principal, id, r.URL.Query().Get("public") == "1")
}

// homeData is the Home tab.
type homeData struct {
	Frame
	Log      []*LogEntry
	Updates  []post
	Bulletin []post
}

type post struct {
	*twinfed.SpaceObject
	HTML    template.HTML
	CanEdit bool
}

// Board is the Twinboard as v's reader sees it: the latest actions of
// every tool they may see, the updates, and the teachers' bulletin for
// teachers.
type Board struct {
	Log      []*LogEntry            `json:"log"`
	Updates  []*twinfed.SpaceObject `json:"updates"`
	Bulletin []*twinfed.SpaceObject `json:"bulletin,omitempty"`
}

// Board returns the Twinboard of v's TwinSpace (limit entries of each).
func (s *Service) Board(ctx context.Context, v *View, limit int) (*Board, error) {
	b := &Board{Log: []*LogEntry{}, Updates: []*twinfed.SpaceObject{}}
	if v.Public {
		return b, nil
	}
	err := s.store.View(func(txn *badger.Txn) error {
		var err error
		b.Log, err = Log(txn, v.Project.ID, limit, func(e *LogEntry) bool {
			k, ok := s.kind(e.Kind)
			if !ok || k.Teachers && !v.Can(twinfed.SpaceReadBulletin) {
				return false
			}
			return e.Op != "deleted"
		})
		if err != nil {
			return err
		}
		b.Updates, err = s.latest(txn, v, twinfed.SpaceKindUpdate, limit)
		if err != nil || !v.Can(twinfed.SpaceReadBulletin) {
			return err
		}
		b.Bulletin, err = s.latest(txn, v, twinfed.SpaceKindBulletin, limit)
		return err
	})
	return b, err
}

// latest returns the newest live objects of kind at the top, newest first:
// it reads limit of them from the index's end, not every one (the soak test
// found the home page slower with each of thousands of updates).
func (s *Service) latest(txn *badger.Txn, v *View, kind twinfed.SpaceKind, limit int) ([]*twinfed.SpaceObject, error) {
	all := []*twinfed.SpaceObject{}
	if limit <= 0 {
		return all, nil
	}
	err := Newest(txn, v.Project.ID, kind, "", nil, func(o *twinfed.SpaceObject) error {
		all = append(all, o)
		if len(all) == limit {
			return ErrStop
		}
		return nil
	})
	return all, err
}

func (h *Web) home(w http.ResponseWriter, r *http.Request) { h.homePage(w, r, nil) }

func (h *Web) homePage(w http.ResponseWriter, r *http.Request, ferr error) {
	v, err := h.svc.PageView(r)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	b, err := h.svc.Board(r.Context(), v, 20)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	h.svc.recordVisit(r.Context(), web.State(r).Principal, v)
	p := h.kit.NewPage(w, r, "title.twinspace")
	p.Nav = "projects"
	d := homeData{Frame: h.svc.Frame(v, "home"), Log: b.Log}
	for _, o := range b.Updates {
		d.Updates = append(d.Updates, post{SpaceObject: o, HTML: template.HTML(o.Content), CanEdit: h.svc.CanChange(v, o)})
	}
	for _, o := range b.Bulletin {
		d.Bulletin = append(d.Bulletin, post{SpaceObject: o, HTML: template.HTML(o.Content), CanEdit: h.svc.CanChange(v, o)})
	}
	p.Data = d
	if ferr != nil {
		h.kit.Fail(w, r, "twinspace_home", p, ferr)
		return
	}
	h.kit.Render(w, http.StatusOK, "twinspace_home", p)
}

// CanChange reports whether v's reader may change or delete o (their own
// with SpaceEditOwn, anyone's with SpaceManageOthers).
func (s *Service) CanChange(v *View, o *twinfed.SpaceObject) bool {
	if o.Author == v.Actor {
		return v.Can(twinfed.SpaceEditOwn)
	}
	return v.Can(twinfed.SpaceManageOthers)
}

// recordVisit notes a member's last visit in their member record, at most
// once a day (it travels like any other change).
func (s *Service) recordVisit(ctx context.Context, p *twinfed.Principal, v *View) {
	if !v.Member() || v.ReadOnly {
		return
	}
	var rec *twinfed.SpaceObject
	_ = s.store.View(func(txn *badger.Txn) error {
		rec, _ = Object(txn, v.Project.ID, MemberID(v.Project.ID, v.Actor))
		return nil
	})
	if rec != nil && !rec.Deleted {
		if t, err := time.Parse(time.RFC3339, rec.Fields["visited"]); err == nil && s.now().Sub(t) < 24*time.Hour {
			return
		}
	}
	_, err := s.Edit(ctx, p, v.Project.ID, twinfed.SpaceKindMember, MemberID(v.Project.ID, v.Actor), func(v *View, o *twinfed.SpaceObject) error {
		if o.Fields == nil {
			o.Fields = map[string]string{"actor": v.Actor, "role": string(v.Role)}
			o.Title = v.Name
		}
		o.Fields["visited"] = s.now().UTC().Format(time.RFC3339)
		return nil
	})
	if err != nil {
		s.log.Warn("twinspace: recording a visit", "project", v.Project.ID, "err", err)
	}
}

func (h *Web) back(w http.ResponseWriter, r *http.Request, tab, flash string) {
	web.RedirectDone(w, r, "/twinspace/"+tab+"?id="+url.QueryEscape(r.PostForm.Get("id")), flash)
}

func (h *Web) post(w http.ResponseWriter, r *http.Request) {
	_, err := h.svc.PostUpdate(r.Context(), web.State(r).Principal, r.PostForm.Get("id"), r.PostForm.Get("content"), r.PostForm.Get("bulletin") == "1")
	if err != nil {
		if len(twinfed.ErrorFields(err)) > 0 {
			h.homePage(w, r, err)
			return
		}
		h.kit.ErrorPage(w, r, err)
		return
	}
	h.back(w, r, "home", "posted")
}

func (h *Web) deletePost(w http.ResponseWriter, r *http.Request) {
	if err := h.svc.DeletePost(r.Context(), web.State(r).Principal, r.PostForm.Get("id"), r.PostForm.Get("object")); err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	h.back(w, r, "home", "removed")
}

func (h *Web) settings(w http.ResponseWriter, r *http.Request) {
	if err := h.svc.SaveSettings(r.Context(), web.State(r).Principal, r.PostForm.Get("id"), r.PostForm.Get("cover"), r.PostForm.Get("pupils_chat") == "1"); err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	h.back(w, r, "members", "saved")
}

// Member is one person of a TwinSpace's member list.
type Member struct {
	Actor   string            `json:"actor"`
	Name    string            `json:"name"`
	Role    twinfed.SpaceRole `json:"role"`
	Country string            `json:"country,omitempty"` // teachers
	School  string            `json:"school,omitempty"`  // teachers
	Visited time.Time         `json:"visited,omitzero"`
	Expires time.Time         `json:"expires,omitzero"` // visitors
}

// Members returns the TwinSpace's members (teachers first, then pupils
// and visitors by name) for a member; the public sees none.
func (s *Service) Members(ctx context.Context, v *View) ([]Member, error) {
	if !v.Member() {
		return nil, v.RequireMember()
	}
	var out []Member
	err := s.store.View(func(txn *badger.Txn) error {
		for _, pt := range v.Project.TwinSpaceMembers() {
			m := Member{Actor: pt.Actor, Name: pt.Name, Country: pt.Country, School: pt.SchoolName}
			m.Role, _ = s.roleOf(txn, v.Project, pt.Actor, twinfed.RoleMember)
			if rec, _ := Object(txn, v.Project.ID, MemberID(v.Project.ID, pt.Actor)); rec != nil {
				m.Visited, _ = time.Parse(time.RFC3339, rec.Fields["visited"])
			}
			out = append(out, m)
		}
		var others []Member
		err := Children(txn, v.Project.ID, twinfed.SpaceKindMember, "", func(o *twinfed.SpaceObject) error {
			actor := o.Fields["actor"]
			if !twinfed.IsPupilURL(actor) {
				return nil
			}
			m := Member{Actor: actor, Name: o.Title, Role: twinfed.SpaceRole(o.Fields["role"])}
			m.Visited, _ = time.Parse(time.RFC3339, o.Fields["visited"])
			m.Expires, _ = time.Parse(time.RFC3339, o.Fields["expires"])
			others = append(others, m)
			return nil
		})
		sort.SliceStable(others, func(i, j int) bool { return others[i].Name < others[j].Name })
		out = append(out, others...)
		return err
	})
	return out, err
}

// membersPerPage is how many pupils and visitors the Members tab shows at
// once.
const membersPerPage = 60

// membersData is the Members tab.
type membersData struct {
	Frame
	Members []Member
	Mine    []PupilRef // the teacher's pupils and visitors not in yet
	Next    string     // the next page of pupils and visitors, if any
	// The roles an administrator may give a teacher, and a pupil.
	TeacherRoles, PupilRoles []twinfed.SpaceRole
}

func (h *Web) members(w http.ResponseWriter, r *http.Request) { h.membersPage(w, r, nil) }

func (h *Web) membersPage(w http.ResponseWriter, r *http.Request, ferr error) {
	v, err := h.svc.PageView(r)
	if err == nil {
		err = v.RequireMember()
	}
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	d := membersData{Frame: h.svc.Frame(v, "members"), TeacherRoles: []twinfed.SpaceRole{twinfed.SpaceAdmin, twinfed.SpaceTeacher, twinfed.SpaceObserver},
		PupilRoles: []twinfed.SpaceRole{twinfed.SpacePupilAdmin, twinfed.SpacePupil}}
	all, err := h.svc.Members(r.Context(), v)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	// The teachers, then the pupils and visitors membersPerPage at a time
	// (a TwinSpace may hold hundreds of pupils).
	page, _ := strconv.Atoi(r.URL.Query().Get("p"))
	page = max(page, 0)
	var others []Member
	for _, m := range all {
		if m.School != "" {
			d.Members = append(d.Members, m)
		} else {
			others = append(others, m)
		}
	}
	from := min(page*membersPerPage, len(others))
	to := min(from+membersPerPage, len(others))
	d.Members = append(d.Members, others[from:to]...)
	if to < len(others) {
		d.Next = "/twinspace/members?" + url.Values{"id": {v.Project.ID}, "p": {strconv.Itoa(page + 1)}}.Encode()
	}
	if st := web.State(r); v.Can(twinfed.SpaceInvite) && h.svc.pupils != nil && st.Principal.Role == twinfed.RoleMember {
		in := map[string]bool{}
		for _, m := range all {
			in[m.Actor] = true
		}
		mine, err := h.svc.pupils.Mine(r.Context(), st.Principal.Username)
		if err != nil {
			h.kit.ErrorPage(w, r, err)
			return
		}
		for _, m := range mine {
			if !in[twinfed.PupilURL(h.svc.BaseURL(), m.Username)] && (!m.Visitor || m.Expires.After(h.svc.now())) {
				d.Mine = append(d.Mine, m)
			}
		}
	}
	p := h.kit.NewPage(w, r, "title.twinspace")
	p.Nav = "projects"
	p.Data = d
	if ferr != nil {
		h.kit.Fail(w, r, "twinspace_members", p, ferr)
		return
	}
	h.kit.Render(w, http.StatusOK, "twinspace_members", p)
}

func (h *Web) addMembers(w http.ResponseWriter, r *http.Request) {
	names := r.PostForm["pupil"]
	if len(names) == 0 {
		h.membersPage(w, r, &twinfed.Error{Code: twinfed.EINVALID, Message: "Choose at least one pupil or visitor.", Fields: map[string]string{"pupil": "Choose at least one pupil or visitor."}})
		return
	}
	if _, err := h.svc.AddMembers(r.Context(), web.State(r).Principal, r.PostForm.Get("id"), names); err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	h.back(w, r, "members", "saved")
}

func (h *Web) setRole(w http.ResponseWriter, r *http.Request) {
	err := h.svc.SetRole(r.Context(), web.State(r).Principal, r.PostForm.Get("id"), r.PostForm.Get("actor"), twinfed.SpaceRole(r.PostForm.Get("role")))
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	h.back(w, r, "members", "saved")
}

func (h *Web) removeMember(w http.ResponseWriter, r *http.Request) {
	if err := h.svc.RemoveMember(r.Context(), web.State(r).Principal, r.PostForm.Get("id"), r.PostForm.Get("actor")); err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	h.back(w, r, "members", "removed")
}
