package pages

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/twinspace"
	"github.com/twinfed/twinfed/node/web"
	"github.com/twinfed/twinfed/node/web/pagehtml"
)

//go:embed templates/*.html
var templates embed.FS

// Web is the Pages tab's pages and JSON API.
type Web struct {
	svc *Service
	kit *web.Kit
}

// NewWeb returns the pages and API of svc; Routes registers them.
func NewWeb(svc *Service) *Web { return &Web{svc: svc} }

// Routes registers the Pages tab's templates, pages and JSON API on k.
func (h *Web) Routes(k *web.Kit) error {
	if err := twinspace.AddToolTemplates(k, templates, "templates/*.html"); err != nil {
		return err
	}
	h.kit = k
	k.HandleFunc("GET /twinspace/pages", k.SpacePublic(h.tab))
	k.HandleFunc("GET /twinspace/pages/edit", k.Space(h.edit))
	k.HandleFunc("POST /twinspace/pages/save", k.Large(maxFormBytes, k.Space(h.save)))
	k.HandleFunc("POST /twinspace/pages/publish", k.Space(h.publish))
	k.HandleFunc("POST /twinspace/pages/move", k.Space(h.move))
	k.HandleFunc("POST /twinspace/pages/delete", k.Space(h.delete))
	k.HandleFunc("GET /twinspace/pages/history", k.Space(h.history))
	k.HandleFunc("GET /twinspace/pages/compare", k.Space(h.compare))
	k.HandleFunc("POST /twinspace/pages/restore", k.Space(h.restore))
	h.apiRoutes(k)
	return nil
}

// pageLink is the address of a page in the Pages tab.
func pageLink(v *twinspace.View, page string) string {
	q := url.Values{"id": {v.Project.ID}}
	if page != "" {
		q.Set("page", page)
	}
	if v.Browsing {
		q.Set("public", "1")
	}
	return "/twinspace/pages?" + q.Encode()
}

// tabData is the Pages tab: the tree and the page chosen.
type tabData struct {
	twinspace.Frame
	Tree []Entry
	Page *Page
	HTML template.HTML // the page's text, sanitised when stored
	// What the reader may do.
	CanCreate, CanEdit, CanPublish, CanReorder, CanDelete bool
	// Parents are where the page may move (administrators).
	Parents []Entry
	Nodes   []*Node // the tree, nested
	// LastSaved says who saved the page's text last, and when;
	// Concurrent that two saves made its version at once.
	LastSaved, Concurrent, ConcurrentLink string
}

// Node is a page of the tree as the tab lists it, with its sub-pages.
type Node struct {
	Title, Href string
	Current     bool   // the page shown
	Draft       string // "draft" in the reader's language, for a page not published
	Children    []*Node
}

// nest turns the tree's entries into nested nodes for p.
// visible is the part of the tree a page shows: the top level, and the
// sub-pages of the current page and of its ancestors (the rest opens as
// one goes down). A TwinSpace of thousands of pages then shows tens of
// links, not thousands.
func visible(tree []Entry, current string) []Entry {
	open := map[string]bool{}
	var path []string // the ids of the last entry at each depth
	for _, e := range tree {
		path = append(path[:min(e.Depth, len(path))], e.ID)
		if e.ID == current {
			for _, id := range path {
				open[id] = true
			}
			break
		}
	}
	out := make([]Entry, 0, 64)
	path = path[:0]
	for _, e := range tree {
		path = append(path[:min(e.Depth, len(path))], e.ID)
		if e.Depth == 0 || len(path) >= 2 && open[path[len(path)-2]] {
			out = append(out, e)
		}
	}
	return out
}

func nest(tree []Entry, v *twinspace.View, current string, draft string) []*Node {
	var top []*Node
	var stack []*Node // the last node at each depth
	for _, e := range tree {
		n := &Node{Title: e.Title, Href: pageLink(v, e.ID), Current: e.ID == current}
		if !e.Public && !v.Public {
			n.Draft = draft
		}
		stack = append(stack[:min(e.Depth, len(stack))], n)
		if len(stack) == 1 {
			top = append(top, n)
		} else {
			parent := stack[len(stack)-2]
			parent.Children = append(parent.Children, n)
		}
	}
	return top
}

// Link is the address of a page of the tab.
func (d tabData) Link(page string) string { return pageLink(d.Space, page) }

func (h *Web) view(w http.ResponseWriter, r *http.Request) (*twinspace.View, bool) {
	v, err := h.svc.ts.PageView(r)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return nil, false
	}
	return v, true
}

func (h *Web) newPage(w http.ResponseWriter, r *http.Request) *web.Page {
	p := h.kit.NewPage(w, r, "title.twinspace")
	p.Nav = "projects"
	p.Frames = h.svc.policy.Embeds().FrameSources()
	return p
}

func (h *Web) tab(w http.ResponseWriter, r *http.Request) {
	v, ok := h.view(w, r)
	if !ok {
		return
	}
	h.tabPage(w, r, v, r.URL.Query().Get("page"), nil)
}

func (h *Web) tabPage(w http.ResponseWriter, r *http.Request, v *twinspace.View, page string, ferr error) {
	tree, err := h.svc.Tree(v)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	d := tabData{Frame: h.svc.ts.Frame(v, "pages"), Tree: tree, CanCreate: v.Can(twinfed.SpaceCreatePage), CanReorder: v.Can(twinfed.SpaceReorderPages)}
	if page == "" && len(tree) > 0 {
		page = tree[0].ID
	}
	if page != "" {
		if d.Page, err = h.svc.Page(v, page); err != nil {
			h.kit.ErrorPage(w, r, err)
			return
		}
		d.HTML = template.HTML(d.Page.Content) // sanitised by checkPage on every node
		d.CanEdit, d.CanPublish = v.Can(twinfed.SpaceEditPage), v.Can(twinfed.SpacePublishPage)
		d.CanDelete = h.svc.ts.CanChange(v, d.Page.SpaceObject)
		if d.CanReorder {
			d.Parents = movable(visible(tree, page), page)
		}
	}
	p := h.newPage(w, r)
	d.Nodes = nest(visible(tree, page), v, page, p.T("pages.draft"))
	if d.Page != nil && d.Page.LastSave != nil {
		d.LastSaved = h.kit.Catalog().TData(p.Lang, "pages.last_saved", map[string]any{"Name": d.Page.LastSave.Name, "When": p.DateTime(d.Page.LastSave.Created)})
	}
	if d.Page != nil && len(d.Page.Concurrent) > 1 {
		var names []string
		for _, r := range d.Page.Concurrent {
			names = append(names, r.Name)
		}
		d.Concurrent = h.kit.Catalog().TData(p.Lang, "pages.concurrent", map[string]any{"Names": strings.Join(names, ", ")})
		a, b := d.Page.Concurrent[len(d.Page.Concurrent)-1], d.Page.Concurrent[0]
		d.ConcurrentLink = "/twinspace/pages/compare?" + url.Values{"id": {v.Project.ID}, "page": {page}, "from": {a.ID}, "to": {b.ID}}.Encode()
	}
	p.Data = d
	if ferr != nil {
		h.kit.Fail(w, r, "pages_tab", p, ferr)
		return
	}
	h.kit.Render(w, http.StatusOK, "pages_tab", p)
}

// movable returns the pages page may move under: all but itself and its
// sub-pages.
func movable(tree []Entry, page string) []Entry {
	var out []Entry
	skip := -1
	for _, e := range tree {
		if skip >= 0 && e.Depth > skip {
			continue
		}
		skip = -1
		if e.ID == page {
			skip = e.Depth
			continue
		}
		out = append(out, e)
	}
	return out
}

// editData is the editor's page.
type editData struct {
	twinspace.Frame
	Page        *twinfed.SpaceObject // nil: a new page
	Parent      string
	ParentTitle string
	Base        int64
	Editor      *web.Editor
	Conflict    *Conflict // the save just refused
	Back        string
}

// CompareLink is the address of what changed between the version the
// writer edited and the save that came between.
func (d editData) CompareLink() string {
	if d.Conflict == nil || d.Page == nil {
		return ""
	}
	q := url.Values{"id": {d.Space.Project.ID}, "page": {d.Page.ID}, "from": {d.Conflict.From}, "to": {d.Conflict.To}}
	return "/twinspace/pages/compare?" + q.Encode()
}

func (h *Web) edit(w http.ResponseWriter, r *http.Request) {
	v, ok := h.view(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	h.editPage(w, r, v, q.Get("page"), q.Get("parent"), nil)
}

func (h *Web) editPage(w http.ResponseWriter, r *http.Request, v *twinspace.View, page, parent string, ferr error) {
	need := twinfed.SpaceEditPage
	if page == "" {
		need = twinfed.SpaceCreatePage
	}
	if err := v.Require(need); err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	d := editData{Frame: h.svc.ts.Frame(v, "pages"), Parent: parent, Back: pageLink(v, page)}
	value := ""
	if page != "" {
		pg, err := h.svc.Page(v, page)
		if err != nil {
			h.kit.ErrorPage(w, r, err)
			return
		}
		d.Page, d.Base, value = pg.SpaceObject, pg.Version, pg.Content
	}
	if parent != "" {
		if pg, err := h.svc.Page(v, parent); err == nil {
			d.ParentTitle = pg.Title
		}
	}
	p := h.newPage(w, r)
	if d.Page != nil && r.Method == http.MethodGet {
		p.Form = url.Values{"title": {d.Page.Title}}
	}
	if ferr != nil {
		p.Form = r.PostForm // the writer's text, as they sent it, on the version they edited
		d.Base, _ = strconv.ParseInt(r.PostForm.Get("base"), 10, 64)
	}
	var c *Conflict
	if errors.As(ferr, &c) {
		d.Conflict, d.Base = c, c.Version
		p.Problem = h.kit.Catalog().TData(p.Lang, "pages.conflict", map[string]any{"Name": c.Name, "When": p.DateTime(c.At)})
	}
	d.Editor = p.Editor(pagehtml.Field, "pages.f.content", value, "/api/v1/twinspace/pages/images?id="+url.QueryEscape(v.Project.ID), "/api/v1/twinspace/pages/embed")
	d.Editor.Hosts = h.svc.policy.Embeds().Hosts()
	p.Data = d
	switch {
	case c != nil:
		h.kit.Render(w, http.StatusConflict, "pages_edit", p)
	case ferr != nil:
		h.kit.Fail(w, r, "pages_edit", p, ferr)
	default:
		h.kit.Render(w, http.StatusOK, "pages_edit", p)
	}
}

func (h *Web) save(w http.ResponseWriter, r *http.Request) {
	v, ok := h.view(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	base, _ := strconv.ParseInt(f.Get("base"), 10, 64)
	o, err := h.svc.Save(r.Context(), web.State(r).Principal, v.Project.ID, Edit{Page: f.Get("page"), Parent: f.Get("parent"), Title: f.Get("title"), Content: f.Get(pagehtml.Field), Base: base})
	var c *Conflict
	switch {
	case errors.As(err, &c) || len(twinfed.ErrorFields(err)) > 0:
		h.editPage(w, r, v, f.Get("page"), f.Get("parent"), err)
	case err != nil:
		h.kit.ErrorPage(w, r, err)
	default:
		web.RedirectDone(w, r, pageLink(v, o.ID), "page_saved")
	}
}

// done answers a change of a page: back to it with flash, or the
// error.
func (h *Web) done(w http.ResponseWriter, r *http.Request, v *twinspace.View, page, flash string, err error) {
	if err != nil {
		if twinfed.ErrorCode(err) == twinfed.EINVALID || twinfed.ErrorCode(err) == twinfed.ECONFLICT {
			h.tabPage(w, r, v, page, err)
			return
		}
		h.kit.ErrorPage(w, r, err)
		return
	}
	web.RedirectDone(w, r, pageLink(v, page), flash)
}

func (h *Web) publish(w http.ResponseWriter, r *http.Request) {
	v, ok := h.view(w, r)
	if !ok {
		return
	}
	public, page := r.PostForm.Get("public") == "1", r.PostForm.Get("page")
	flash := "page_draft"
	if public {
		flash = "page_published"
	}
	h.done(w, r, v, page, flash, h.svc.Publish(r.Context(), web.State(r).Principal, v.Project.ID, page, public))
}

func (h *Web) move(w http.ResponseWriter, r *http.Request) {
	v, ok := h.view(w, r)
	if !ok {
		return
	}
	f, p := r.PostForm, web.State(r).Principal
	var err error
	switch f.Get("dir") {
	case "up", "down":
		err = h.svc.Move(r.Context(), p, v.Project.ID, f.Get("page"), f.Get("dir") == "up")
	default:
		err = h.svc.Reparent(r.Context(), p, v.Project.ID, f.Get("page"), f.Get("parent"))
	}
	h.done(w, r, v, f.Get("page"), "page_moved", err)
}

func (h *Web) delete(w http.ResponseWriter, r *http.Request) {
	v, ok := h.view(w, r)
	if !ok {
		return
	}
	page := r.PostForm.Get("page")
	if err := h.svc.Delete(r.Context(), web.State(r).Principal, v.Project.ID, page); err != nil {
		h.done(w, r, v, page, "", err)
		return
	}
	web.RedirectDone(w, r, pageLink(v, ""), "page_deleted")
}

// historyData is a page's history.
type historyData struct {
	twinspace.Frame
	Page       *Page
	Revisions  []*Revision
	CanRestore bool
}

// CompareLink is the address of what a revision changed (from: "" for
// the first save), or of the revision against the page now.
func (d historyData) CompareLink(from, to string) string {
	q := url.Values{"id": {d.Space.Project.ID}, "page": {d.Page.ID}}
	if from != "" {
		q.Set("from", from)
	}
	if to != "" {
		q.Set("to", to)
	}
	return "/twinspace/pages/compare?" + q.Encode()
}

// Back is the address of the page.
func (d historyData) Back() string { return pageLink(d.Space, d.Page.ID) }

func (h *Web) history(w http.ResponseWriter, r *http.Request) {
	v, ok := h.view(w, r)
	if !ok {
		return
	}
	h.historyPage(w, r, v, r.URL.Query().Get("page"), nil)
}

func (h *Web) historyPage(w http.ResponseWriter, r *http.Request, v *twinspace.View, page string, ferr error) {
	if page == "" && r.PostForm != nil {
		page = r.PostForm.Get("page")
	}
	pg, err := h.svc.Page(v, page)
	if err == nil {
		err = v.RequireMember()
	}
	var revs []*Revision
	if err == nil {
		revs, err = h.svc.History(v, page)
	}
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.newPage(w, r)
	p.Data = historyData{Frame: h.svc.ts.Frame(v, "pages"), Page: pg, Revisions: revs, CanRestore: v.Can(twinfed.SpaceEditPage)}
	if ferr != nil {
		h.kit.Fail(w, r, "pages_history", p, ferr)
		return
	}
	h.kit.Render(w, http.StatusOK, "pages_history", p)
}

// compareData is what changed between two versions.
type compareData struct {
	twinspace.Frame
	Page    *Page
	Compare *Compare
	Back    string
}

// Words joins a changed block's words again, marking what was added and
// removed.
func (compareData) Words(ws []pagehtml.Word) template.HTML {
	var b strings.Builder
	for i, x := range ws {
		if i > 0 {
			b.WriteByte(' ')
		}
		t := template.HTMLEscapeString(x.Text)
		switch x.Op {
		case pagehtml.Added:
			b.WriteString("<ins>" + t + "</ins>")
		case pagehtml.Removed:
			b.WriteString("<del>" + t + "</del>")
		default:
			b.WriteString(t)
		}
	}
	return template.HTML(b.String())
}

func (h *Web) compare(w http.ResponseWriter, r *http.Request) {
	v, ok := h.view(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	pg, err := h.svc.Page(v, q.Get("page"))
	var c *Compare
	if err == nil {
		c, err = h.svc.Compare(v, q.Get("page"), q.Get("from"), q.Get("to"))
	}
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.newPage(w, r)
	p.Data = compareData{Frame: h.svc.ts.Frame(v, "pages"), Page: pg, Compare: c,
		Back: "/twinspace/pages/history?" + url.Values{"id": {v.Project.ID}, "page": {pg.ID}}.Encode()}
	h.kit.Render(w, http.StatusOK, "pages_compare", p)
}

func (h *Web) restore(w http.ResponseWriter, r *http.Request) {
	v, ok := h.view(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	base, _ := strconv.ParseInt(f.Get("base"), 10, 64)
	_, err := h.svc.Restore(r.Context(), web.State(r).Principal, v.Project.ID, f.Get("page"), f.Get("revision"), base)
	var c *Conflict
	switch {
	case errors.As(err, &c):
		h.historyPage(w, r, v, f.Get("page"), twinfed.Errorf(twinfed.ECONFLICT, "Someone saved this page after you opened its history; look at the latest save, then restore again."))
	case err != nil:
		h.kit.ErrorPage(w, r, err)
	default:
		web.RedirectDone(w, r, pageLink(v, f.Get("page")), "page_restored")
	}
}

// EditorImages is the Materials' images, from the material objects the
// Materials tool keeps (Fields "type" image/…, the file's address in
// Fields "url", else the Materials' file address of the object): the
// default of Images until the Materials tool gives its own.
func (s *Service) EditorImages(ctx context.Context, v *twinspace.View) ([]web.EditorImage, error) {
	if s.images != nil {
		return s.images.EditorImages(ctx, v)
	}
	out := []web.EditorImage{}
	if err := v.RequireMember(); err != nil {
		return nil, err
	}
	err := s.ts.Store().View(func(txn *badger.Txn) error {
		return twinspace.Each(txn, v.Project.ID, twinfed.SpaceKindMaterial, func(o *twinfed.SpaceObject) error {
			if !strings.HasPrefix(o.Fields["type"], "image/") || !s.ts.Sees(v, o) {
				return nil
			}
			u := o.Fields["url"]
			if !strings.HasPrefix(u, pagehtml.MaterialsImages) {
				u = pagehtml.MaterialsImages + url.Values{"id": {v.Project.ID}, "m": {o.ID}}.Encode()
			}
			out = append(out, web.EditorImage{URL: u, Name: o.Title, Thumb: o.Fields["thumb"]})
			return nil
		})
	})
	return out, err
}
