package discuss

import (
	"embed"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/twinspace"
	"github.com/twinfed/twinfed/node/web"
)

// The Forum tab's pages: the discussions (/twinspace/forum), a
// discussion's threads (/twinspace/forum/discussion), a thread's replies
// (/twinspace/forum/thread), the edit form, and the forms' posts. Every
// page is framed by the core's partials and asks the core's View what its
// reader may do.

//go:embed templates/*.html
var templates embed.FS

// maxPicker is how many materials the reply form offers.
const maxPicker = 200

// Web is the forum's pages and JSON API.
type Web struct {
	svc *Service
	kit *web.Kit
}

// NewWeb returns the pages and API of svc; Routes registers them.
func NewWeb(svc *Service) *Web { return &Web{svc: svc} }

// Routes registers the forum's templates, pages and JSON API on k.
func (h *Web) Routes(k *web.Kit) error {
	if err := twinspace.AddToolTemplates(k, templates, "templates/*.html"); err != nil {
		return err
	}
	h.kit = k
	k.HandleFunc("GET /twinspace/forum", k.Space(h.overview))
	k.HandleFunc("POST /twinspace/forum/discussion/new", k.Space(h.newDiscussion))
	k.HandleFunc("GET /twinspace/forum/discussion", k.Space(h.discussion))
	k.HandleFunc("POST /twinspace/forum/thread/new", k.Space(h.newThread))
	k.HandleFunc("GET /twinspace/forum/thread", k.Space(h.thread))
	k.HandleFunc("POST /twinspace/forum/reply", k.Space(h.reply))
	k.HandleFunc("GET /twinspace/forum/edit", k.Space(h.editForm))
	k.HandleFunc("POST /twinspace/forum/edit", k.Space(h.edit))
	k.HandleFunc("POST /twinspace/forum/delete", k.Space(h.remove))
	h.apiRoutes(k)
	return nil
}

// Links of the forum's pages on this node.

// ForumLink is a TwinSpace's forum.
func ForumLink(project string) string {
	return "/twinspace/forum?" + url.Values{"id": {project}}.Encode()
}

// DiscussionLink is a discussion's page.
func DiscussionLink(project, id string) string {
	return "/twinspace/forum/discussion?" + url.Values{"id": {project}, "d": {id}}.Encode()
}

// ThreadLink is a page of a thread (page 0: the last; FirstUnread: the
// reader's first unread reply's).
func ThreadLink(project, id string, page int) string {
	q := url.Values{"id": {project}, "t": {id}}
	if page != FirstUnread {
		q.Set("page", strconv.Itoa(page))
	}
	return "/twinspace/forum/thread?" + q.Encode()
}

// EditLink is the edit form of a discussion, a thread or a reply.
func EditLink(project, id string) string {
	return "/twinspace/forum/edit?" + url.Values{"id": {project}, "o": {id}}.Encode()
}

// view opens the TwinSpace of the request for a member; nil after an
// error page.
func (h *Web) view(w http.ResponseWriter, r *http.Request) *twinspace.View {
	v, err := h.svc.ts.PageView(r)
	if err == nil {
		err = v.RequireMember()
	}
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return nil
	}
	return v
}

func (h *Web) page(w http.ResponseWriter, r *http.Request, data any) *web.Page {
	p := h.kit.NewPage(w, r, "title.twinspace")
	p.Nav = "projects"
	p.Data = data
	return p
}

// render renders a page, or the form again with ferr's messages.
func (h *Web) render(w http.ResponseWriter, r *http.Request, name string, p *web.Page, ferr error) {
	if ferr != nil {
		h.kit.Fail(w, r, name, p, ferr)
		return
	}
	h.kit.Render(w, http.StatusOK, name, p)
}

// failed answers a form's error: the form again when it names fields,
// else the error page.
func failed(err error) bool { return len(twinfed.ErrorFields(err)) > 0 }

// overviewData is the forum's page.
type overviewData struct {
	twinspace.Frame
	Discussions []DiscussionInfo
}

func (h *Web) overview(w http.ResponseWriter, r *http.Request) { h.overviewPage(w, r, nil) }

func (h *Web) overviewPage(w http.ResponseWriter, r *http.Request, ferr error) {
	v := h.view(w, r)
	if v == nil {
		return
	}
	ds, err := h.svc.Overview(v)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	h.render(w, r, "twinspace_forum", h.page(w, r, overviewData{Frame: h.svc.ts.Frame(v, "forum"), Discussions: ds}), ferr)
}

func (h *Web) newDiscussion(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	o, err := h.svc.OpenDiscussion(r.Context(), web.State(r).Principal, f.Get("id"), Input{Title: f.Get("title"), Text: f.Get("text")})
	if err != nil {
		if failed(err) {
			h.overviewPage(w, r, err)
			return
		}
		h.kit.ErrorPage(w, r, err)
		return
	}
	web.RedirectDone(w, r, DiscussionLink(o.Project, o.ID), "posted")
}

// discussionData is a discussion's page.
type discussionData struct {
	twinspace.Frame
	*DiscussionPage
	HTML   template.HTML
	Object *twinfed.SpaceObject // the discussion, for its actions
}

func (h *Web) discussion(w http.ResponseWriter, r *http.Request) { h.discussionPage(w, r, nil) }

func (h *Web) discussionPage(w http.ResponseWriter, r *http.Request, ferr error) {
	v := h.view(w, r)
	if v == nil {
		return
	}
	id := r.URL.Query().Get("d")
	if id == "" && r.PostForm != nil {
		id = r.PostForm.Get("d")
	}
	d, err := h.svc.Discussion(v, id)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	h.render(w, r, "twinspace_forum_discussion", h.page(w, r, discussionData{Frame: h.svc.ts.Frame(v, "forum"), DiscussionPage: d, HTML: safe(d.Discussion.Content), Object: d.Discussion.SpaceObject}), ferr)
}

func (h *Web) newThread(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	o, err := h.svc.OpenThread(r.Context(), web.State(r).Principal, f.Get("id"), f.Get("d"), Input{Title: f.Get("title"), Text: f.Get("text")})
	if err != nil {
		if failed(err) {
			h.discussionPage(w, r, err)
			return
		}
		h.kit.ErrorPage(w, r, err)
		return
	}
	web.RedirectDone(w, r, ThreadLink(o.Project, o.ID, 0), "posted")
}

// threadData is a thread's page.
type threadData struct {
	twinspace.Frame
	*ThreadPage
	HTML      template.HTML        // the thread's first message
	Object    *twinfed.SpaceObject // the thread, for its actions
	Pages     []pageLink
	Quoting   *ReplyInfo // the reply the form quotes
	Materials []Attachment
}

// pageLink is a link of the pager; N 0 is a gap.
type pageLink struct {
	N       int
	Href    string
	Current bool
}

// pager returns the pages a thread's pager links: the first, the last,
// and two on each side of the current one, 0 for a gap; none for one page.
func pager(cur, pages int) []int {
	if pages < 2 {
		return nil
	}
	var out []int
	for i := 1; i <= pages; i++ {
		switch {
		case i == 1 || i == pages || i >= cur-2 && i <= cur+2:
			out = append(out, i)
		case len(out) > 0 && out[len(out)-1] != 0:
			out = append(out, 0)
		}
	}
	return out
}

func (h *Web) thread(w http.ResponseWriter, r *http.Request) { h.threadPage(w, r, nil) }

func (h *Web) threadPage(w http.ResponseWriter, r *http.Request, ferr error) {
	v := h.view(w, r)
	if v == nil {
		return
	}
	q := r.URL.Query()
	id, quote := q.Get("t"), q.Get("quote")
	if r.PostForm != nil && r.Method == http.MethodPost {
		id, quote = r.PostForm.Get("t"), r.PostForm.Get("quote")
	}
	n := FirstUnread
	if q.Get("page") != "" {
		n, _ = strconv.Atoi(q.Get("page"))
	}
	if ferr != nil {
		n = 0 // back to the form, at the end
	}
	t, err := h.svc.Thread(v, id, n)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	d := threadData{Frame: h.svc.ts.Frame(v, "forum"), ThreadPage: t, HTML: safe(t.Thread.Content), Object: t.Thread.SpaceObject}
	for _, i := range pager(t.Page, t.Pages) {
		l := pageLink{N: i, Current: i == t.Page}
		if i > 0 {
			l.Href = ThreadLink(v.Project.ID, t.Thread.ID, i)
		}
		d.Pages = append(d.Pages, l)
	}
	for i := range t.Replies {
		r := &t.Replies[i]
		r.QuoteHref = ThreadLink(v.Project.ID, t.Thread.ID, t.Page) + "&quote=" + url.QueryEscape(r.ID) + "#reply-title"
		r.EditHref = EditLink(v.Project.ID, r.ID)
	}
	if quote != "" {
		d.Quoting = h.svc.quoting(v, id, quote)
	}
	if v.Can(twinfed.SpaceReply) {
		if d.Materials, err = h.svc.Materials(v, maxPicker); err != nil {
			h.kit.ErrorPage(w, r, err)
			return
		}
	}
	h.render(w, r, "twinspace_forum_thread", h.page(w, r, d), ferr)
}

func (h *Web) reply(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	o, err := h.svc.Reply(r.Context(), web.State(r).Principal, f.Get("id"), f.Get("t"), Input{Text: f.Get("text"), Quote: f.Get("quote"), Materials: f["materials"]})
	if err != nil {
		if failed(err) {
			h.threadPage(w, r, err)
			return
		}
		h.kit.ErrorPage(w, r, err)
		return
	}
	http.Redirect(w, r, done(ThreadLink(o.Project, o.Parent, 0)+"#"+anchor(o.ID), "posted"), http.StatusSeeOther)
}

// editData is the edit form of a discussion, a thread or a reply.
type editData struct {
	twinspace.Frame
	Object *twinfed.SpaceObject
	Back   string
}

func (h *Web) editForm(w http.ResponseWriter, r *http.Request) { h.editPage(w, r, nil) }

func (h *Web) editPage(w http.ResponseWriter, r *http.Request, ferr error) {
	v := h.view(w, r)
	if v == nil {
		return
	}
	id := r.URL.Query().Get("o")
	if r.Method == http.MethodPost {
		id = r.PostForm.Get("o")
	}
	o, err := h.svc.kindOf(v.Project.ID, id)
	if err == nil && (!h.svc.ts.CanChange(v, o) || v.ReadOnly) {
		err = twinfed.Errorf(twinfed.EFORBIDDEN, "Your role in this TwinSpace does not allow this.")
	}
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.page(w, r, editData{Frame: h.svc.ts.Frame(v, "forum"), Object: o, Back: h.backOf(o)})
	if ferr == nil {
		p.Form = url.Values{"title": {o.Title}, "text": {o.Fields["text"]}}
	}
	h.render(w, r, "twinspace_forum_edit", p, ferr)
}

// done adds a flash message to a link (before its fragment).
func done(link, flash string) string {
	frag := ""
	if i := strings.IndexByte(link, '#'); i >= 0 {
		link, frag = link[:i], link[i:]
	}
	return link + "&done=" + flash + frag
}

// backOf is the page that shows o.
func (h *Web) backOf(o *twinfed.SpaceObject) string {
	switch o.Kind {
	case twinfed.SpaceKindDiscussion:
		return DiscussionLink(o.Project, o.ID)
	case twinfed.SpaceKindThread:
		return ThreadLink(o.Project, o.ID, 1)
	}
	return ThreadLink(o.Project, o.Parent, h.svc.PageOf(o.Project, o)) + "#" + anchor(o.ID)
}

func (h *Web) edit(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	o, err := h.svc.Change(r.Context(), web.State(r).Principal, f.Get("id"), f.Get("o"), Input{Title: f.Get("title"), Text: f.Get("text")})
	if err != nil {
		if failed(err) {
			h.editPage(w, r, err)
			return
		}
		h.kit.ErrorPage(w, r, err)
		return
	}
	http.Redirect(w, r, done(h.backOf(o), "saved"), http.StatusSeeOther)
}

func (h *Web) remove(w http.ResponseWriter, r *http.Request) {
	o, err := h.svc.Delete(r.Context(), web.State(r).Principal, r.PostForm.Get("id"), r.PostForm.Get("o"))
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	back := ForumLink(o.Project)
	switch o.Kind {
	case twinfed.SpaceKindThread:
		back = DiscussionLink(o.Project, o.Parent)
	case twinfed.SpaceKindReply:
		back = ThreadLink(o.Project, o.Parent, 0)
	}
	web.RedirectDone(w, r, back, "removed")
}
