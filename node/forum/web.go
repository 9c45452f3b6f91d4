package forum

import (
	"embed"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The forum's pages: the threads with the search (/forum), a new post
// (/forum/new), a post with its replies and its actions (/forum/post), the
// agency's reports (/backoffice/forum), and the posts served to other
// nodes' backfill.

//go:embed templates/*.html
var templates embed.FS

// WebConfig is what the pages need of the node's server.
type WebConfig struct {
	// Signed wraps the routes only other nodes may read (the backfill);
	// nil: not served.
	Signed func(http.Handler) http.Handler
}

type handlers struct {
	svc *Service
	kit *web.Kit
	cfg WebConfig
}

// Routes registers the forum's templates, pages and JSON API on k.
func (s *Service) Routes(k *web.Kit, cfg WebConfig) error {
	if err := k.AddTemplates(templates, "templates/*.html"); err != nil {
		return err
	}
	h := &handlers{svc: s, kit: k, cfg: cfg}
	k.HandleFunc("GET /forum", k.Member(h.list))
	k.HandleFunc("GET /forum/new", k.Member(h.newForm))
	k.HandleFunc("POST /forum/new", k.Member(h.create))
	k.HandleFunc("GET /forum/edit", k.Member(h.editForm))
	k.HandleFunc("POST /forum/edit", k.Member(h.edit))
	k.HandleFunc("GET /forum/post", k.Member(h.view))
	k.HandleFunc("POST /forum/reply", k.Member(h.reply))
	k.HandleFunc("POST /forum/contact", k.Member(h.contact))
	k.HandleFunc("POST /forum/report", k.Member(h.report))
	k.HandleFunc("POST /forum/delete", k.Member(h.remove))
	k.HandleFunc("POST /forum/hide", k.Agency(h.hide))
	k.HandleFunc("GET /backoffice/forum", k.Agency(h.reports))
	if cfg.Signed != nil {
		k.Handle("GET "+BackfillPath, cfg.Signed(http.HandlerFunc(h.backfillPage)))
	}
	h.apiRoutes(k)
	return nil
}

// PostLink is where a post is read on this node.
func PostLink(id string) string { return "/forum/post?id=" + url.QueryEscape(id) }

// countries are those a post may seek, for the lists to choose from.
var countries = func() []*twinfed.Country {
	var out []*twinfed.Country
	for _, c := range twinfed.SeedCountries() {
		out = append(out, &c)
	}
	return out
}()

// queryOf reads a search from query parameters: thread, band, subject,
// language, country (sought), q, offset.
func queryOf(v url.Values) Query {
	off, _ := strconv.Atoi(v.Get("offset"))
	return Query{Thread: v.Get("thread"), Band: v.Get("band"), Subject: v.Get("subject"), Language: v.Get("language"),
		Country: v.Get("country"), Text: v.Get("q"), Offset: off}
}

// listData is the forum's page.
type listData struct {
	Threads   []string
	Countries []*twinfed.Country
	Thread    string
	Edit      string // the post being changed (the form's)
	Page      *Page
	NextURL   string
	Links     map[string]string // post id → its page
}

func (h *handlers) list(w http.ResponseWriter, r *http.Request) {
	p := h.kit.NewPage(w, r, "nav.forum")
	p.Nav = "forum"
	p.Form = r.URL.Query()
	q := queryOf(r.URL.Query())
	d := &listData{Threads: twinfed.ForumThreads, Countries: countries, Thread: q.Thread, Links: map[string]string{}}
	p.Data = d
	page, err := h.svc.Search(r.Context(), web.State(r).Principal, q)
	if err != nil {
		if twinfed.ErrorCode(err) == twinfed.EINVALID {
			h.kit.Fail(w, r, "forum", p, err)
			return
		}
		h.kit.ErrorPage(w, r, err)
		return
	}
	d.Page = page
	for _, post := range page.Posts {
		d.Links[post.ID] = PostLink(post.ID)
	}
	if page.Next > 0 {
		v := r.URL.Query()
		v.Set("offset", strconv.Itoa(page.Next))
		d.NextURL = "/forum?" + v.Encode()
	}
	h.kit.Render(w, http.StatusOK, "forum", p)
}

func (h *handlers) newForm(w http.ResponseWriter, r *http.Request) {
	if err := twinfed.CanPostInForum(web.State(r).Principal); err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.kit.NewPage(w, r, "forum.new")
	p.Nav = "forum"
	p.Form = url.Values{"thread": {r.URL.Query().Get("thread")}}
	p.Data = &listData{Threads: twinfed.ForumThreads, Countries: countries}
	h.kit.Render(w, http.StatusOK, "forum_new", p)
}

// postForm reads a post from the form.
func postForm(f url.Values) *twinfed.ForumPost {
	months, _ := strconv.Atoi(strings.TrimSpace(f.Get("months")))
	return &twinfed.ForumPost{Thread: f.Get("thread"), Title: f.Get("title"), Subjects: f["subjects"], AgeBands: f["age_bands"],
		Languages: f["languages"], Seeking: f["seeking"], Months: months, Idea: f.Get("idea")}
}

// saved answers the post form: the post's page, or the form again with
// the errors next to its fields.
func (h *handlers) saved(w http.ResponseWriter, r *http.Request, edit string, post *twinfed.ForumPost, err error, flash string) {
	if err != nil {
		if twinfed.ErrorCode(err) == twinfed.EINVALID {
			p := h.kit.NewPage(w, r, "forum.new")
			p.Nav = "forum"
			p.Data = &listData{Threads: twinfed.ForumThreads, Countries: countries, Edit: edit}
			h.kit.Fail(w, r, "forum_new", p, err)
			return
		}
		h.kit.ErrorPage(w, r, err)
		return
	}
	http.Redirect(w, r, PostLink(post.ID)+"&done="+flash, http.StatusSeeOther)
}

func (h *handlers) create(w http.ResponseWriter, r *http.Request) {
	post, err := h.svc.Post(r.Context(), web.State(r).Principal, postForm(r.PostForm))
	h.saved(w, r, "", post, err, "forum_posted")
}

// editForm is the post form filled with the member's own post.
func (h *handlers) editForm(w http.ResponseWriter, r *http.Request) {
	t, err := h.svc.Read(r.Context(), web.State(r).Principal, r.URL.Query().Get("id"))
	if err == nil && !t.Mine {
		err = twinfed.Errorf(twinfed.EFORBIDDEN, "Only its author may change a post.")
	}
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	post := t.Post
	p := h.kit.NewPage(w, r, "forum.edit")
	p.Nav = "forum"
	p.Form = url.Values{"thread": {post.Thread}, "title": {post.Title}, "subjects": post.Subjects, "age_bands": post.AgeBands,
		"languages": post.Languages, "seeking": post.Seeking, "months": {strconv.Itoa(post.Months)}, "idea": {post.Idea}}
	p.Data = &listData{Threads: twinfed.ForumThreads, Countries: countries, Edit: post.ID}
	h.kit.Render(w, http.StatusOK, "forum_new", p)
}

func (h *handlers) edit(w http.ResponseWriter, r *http.Request) {
	id := r.PostForm.Get("id")
	post, err := h.svc.Edit(r.Context(), web.State(r).Principal, id, postForm(r.PostForm))
	h.saved(w, r, id, post, err, "forum_changed")
}

// viewData is a post's page.
type viewData struct {
	*Thread
	Agency bool // the reader is the node's agency and may hide the post
}

func (h *handlers) viewPage(w http.ResponseWriter, r *http.Request, id string, ferr error) {
	st := web.State(r)
	t, err := h.svc.Read(r.Context(), st.Principal, id)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.kit.NewPage(w, r, "forum.post")
	p.Nav = "forum"
	p.Data = viewData{Thread: t, Agency: t.Local && twinfed.CanHideForumPost(st.Principal, t.Post, h.svc.cfg.Country) == nil}
	if ferr != nil {
		h.kit.Fail(w, r, "forum_post", p, ferr)
		return
	}
	h.kit.Render(w, http.StatusOK, "forum_post", p)
}

func (h *handlers) view(w http.ResponseWriter, r *http.Request) {
	h.viewPage(w, r, r.URL.Query().Get("id"), nil)
}

// after answers a form about post id: back to the post with a flash
// message, or the post again with the error next to its field.
func (h *handlers) after(w http.ResponseWriter, r *http.Request, id, flash string, err error) {
	if err != nil {
		if twinfed.ErrorCode(err) == twinfed.EINVALID || twinfed.ErrorCode(err) == twinfed.ECONFLICT {
			h.viewPage(w, r, id, err)
			return
		}
		h.kit.ErrorPage(w, r, err)
		return
	}
	http.Redirect(w, r, PostLink(id)+"&done="+flash, http.StatusSeeOther)
}

func (h *handlers) reply(w http.ResponseWriter, r *http.Request) {
	id := r.PostForm.Get("id")
	_, err := h.svc.Reply(r.Context(), web.State(r).Principal, id, r.PostForm.Get("text"))
	h.after(w, r, id, "forum_replied", err)
}

func (h *handlers) contact(w http.ResponseWriter, r *http.Request) {
	id := r.PostForm.Get("id")
	_, err := h.svc.Contact(r.Context(), web.State(r).Principal, id, r.PostForm.Get("message"))
	h.after(w, r, id, "contact_requested", err)
}

func (h *handlers) report(w http.ResponseWriter, r *http.Request) {
	id := r.PostForm.Get("id")
	h.after(w, r, id, "forum_reported", h.svc.Report(r.Context(), web.State(r).Principal, id, r.PostForm.Get("reason")))
}

func (h *handlers) remove(w http.ResponseWriter, r *http.Request) {
	if err := h.svc.Delete(r.Context(), web.State(r).Principal, r.PostForm.Get("id")); err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/forum?done=forum_deleted", http.StatusSeeOther)
}

func (h *handlers) hide(w http.ResponseWriter, r *http.Request) {
	id := r.PostForm.Get("id")
	hidden := r.PostForm.Get("hidden") == "1"
	flash := "forum_shown"
	if hidden {
		flash = "forum_hidden"
	}
	_, err := h.svc.SetHidden(r.Context(), web.State(r).Principal, id, hidden)
	h.after(w, r, id, flash, err)
}

func (h *handlers) reports(w http.ResponseWriter, r *http.Request) {
	list, err := h.svc.Reports(r.Context(), web.State(r).Principal)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.kit.NewPage(w, r, "forum.reports")
	p.Nav = "backoffice"
	p.Data = list
	h.kit.Render(w, http.StatusOK, "forum_reports", p)
}

// backfillPage serves the posts this node hosts to other nodes (signed
// GETs only).
func (h *handlers) backfillPage(w http.ResponseWriter, r *http.Request) {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	page, err := h.svc.LocalPosts(r.Context(), r.URL.Query().Get("after"), limit)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, page)
}
