package feed

import (
	"context"
	"embed"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The feed's web pages: the home feed and its form, a post with its
// replies, the profile's tabs, the images and the image proxy.

//go:embed templates/*.html
var templates embed.FS

// Suggester gives the people a member may know (the directory).
type Suggester interface {
	// Suggestions returns up to limit public profiles p may know.
	Suggestions(ctx context.Context, p *twinfed.Principal, limit int) ([]*twinfed.Profile, error)
}

// handlers are the feature's pages and JSON API on the kit.
type handlers struct {
	svc        *Service
	kit        *web.Kit
	suggest    Suggester
	schoolDeps SchoolDeps
}

// Routes registers the feature's templates, pages and JSON API on the
// kit; suggest (nil: none) fills "people you may know", schools the
// school pages and the new members.
func (s *Service) Routes(k *web.Kit, suggest Suggester, schools SchoolDeps) error {
	if err := k.AddTemplates(templates, "templates/*.html"); err != nil {
		return err
	}
	h := &handlers{svc: s, kit: k, suggest: suggest, schoolDeps: schools}
	s.web = h
	k.HandleFunc("POST /posts", k.Member(h.publish))
	k.HandleFunc("GET /posts/view", k.Member(h.post))
	k.HandleFunc("GET /posts/{id}", k.Member(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/posts/view?id="+url.QueryEscape(s.base+"/posts/"+r.PathValue("id")), http.StatusSeeOther)
	}))
	k.HandleFunc("POST /posts/reply", k.Member(h.reply))
	k.HandleFunc("POST /posts/like", k.Member(h.action("liked", func(r *http.Request, p *twinfed.Principal, id string) error { return s.Like(r.Context(), p, id) })))
	k.HandleFunc("POST /posts/unlike", k.Member(h.action("unliked", func(r *http.Request, p *twinfed.Principal, id string) error { return s.Unlike(r.Context(), p, id) })))
	k.HandleFunc("POST /posts/reply/delete", k.Member(h.deleteReply))
	k.HandleFunc("POST /posts/delete", k.Member(h.action("post_deleted", func(r *http.Request, p *twinfed.Principal, id string) error { return s.Remove(r.Context(), p, id) })))
	k.HandleFunc("GET /people/activity", k.Member(h.tabs))
	k.HandleFunc("GET "+MediaPath+"{hash}", h.media)
	k.HandleFunc("GET "+ProxyPath, k.Member(h.proxy))
	h.schoolRoutes(k)
	h.apiRoutes(k)
	return nil
}

// view is what the feed's templates receive as .Data.
type view struct {
	svc         *Service
	Page        *Page
	Post        *Post
	Replies     []*Reply
	Suggestions []*twinfed.Profile
	NextURL     string
	// The profile tabs.
	Actor   string
	Profile *twinfed.Profile
	Tab     string
	Counts  any
	Visible bool
	Photos  []twinfed.PostImage
	// LastLogin says when the shown member last logged in ("" when they do not show it).
	LastLogin string
	// MeActor is the reader's actor URL (their own posts get a Delete button).
	MeActor string
}

// Src is where a page shows an image (Service.Src).
func (v *view) Src(raw string) string { return v.svc.Src(raw) }

// Photo is where a page shows a member's photo: theirs, or the default
// avatar.
func (v *view) Photo(p *twinfed.Profile) string {
	if p == nil || p.PhotoURL == "" {
		return web.AvatarPath
	}
	return v.svc.Src(p.PhotoURL)
}

// Home renders the member's home feed: the post form, the feed page, the
// people they may know. The node's home page calls it for a validated
// member.
func (s *Service) Home(w http.ResponseWriter, r *http.Request) { s.web.home(w, r, nil) }

func (h *handlers) home(w http.ResponseWriter, r *http.Request, ferr error) {
	p := h.kit.NewPage(w, r, "title.home")
	before := r.URL.Query().Get("before")
	page, err := h.svc.Feed(r.Context(), p.P, before, PageSize)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	v := &view{svc: h.svc, Page: page, Profile: h.svc.profile(h.svc.actor(p.P.Username))}
	if page.Next != "" {
		v.NextURL = "/?before=" + url.QueryEscape(page.Next)
	}
	if h.suggest != nil && before == "" {
		v.Suggestions, _ = h.suggest.Suggestions(r.Context(), p.P, 5)
	}
	p.Data = v
	if ferr != nil {
		h.kit.Fail(w, r, "feed", p, ferr)
		return
	}
	h.kit.Render(w, http.StatusOK, "feed", p)
}

// publish takes the home page's form (multipart: text, images).
func (h *handlers) publish(w http.ResponseWriter, r *http.Request) {
	var images [][]byte
	if r.MultipartForm != nil {
		for _, fh := range r.MultipartForm.File["images"] {
			if fh.Size == 0 && fh.Filename == "" {
				continue
			}
			if fh.Size > twinfed.MaxImageBytes {
				h.home(w, r, twinfed.FieldError("images", "An image may be at most 2 MiB."))
				return
			}
			f, err := fh.Open()
			if err != nil {
				h.home(w, r, twinfed.FieldError("images", "This file is not an image: upload a JPEG, PNG, GIF or WebP image."))
				return
			}
			data, err := io.ReadAll(io.LimitReader(f, twinfed.MaxImageBytes+1))
			f.Close()
			if err != nil {
				h.kit.ErrorPage(w, r, err)
				return
			}
			if len(data) > 0 {
				images = append(images, data)
			}
		}
	}
	if _, err := h.svc.Publish(r.Context(), web.State(r).Principal, r.FormValue("text"), images); err != nil {
		if twinfed.ErrorCode(err) == twinfed.EINTERNAL {
			h.kit.ErrorPage(w, r, err)
			return
		}
		h.home(w, r, err)
		return
	}
	http.Redirect(w, r, "/?done=wall_posted", http.StatusSeeOther)
}

func (h *handlers) postPage(w http.ResponseWriter, r *http.Request, id string, ferr error) {
	post, replies, err := h.svc.Get(r.Context(), web.State(r).Principal, id)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.kit.NewPage(w, r, "feed.post_title")
	p.Data = &view{svc: h.svc, Post: post, Replies: replies, MeActor: h.svc.actor(p.P.Username)}
	if ferr != nil {
		h.kit.Fail(w, r, "post", p, ferr)
		return
	}
	h.kit.Render(w, http.StatusOK, "post", p)
}

func (h *handlers) post(w http.ResponseWriter, r *http.Request) {
	h.postPage(w, r, r.URL.Query().Get("id"), nil)
}

func (h *handlers) reply(w http.ResponseWriter, r *http.Request) {
	id := r.PostForm.Get("id")
	if _, err := h.svc.Reply(r.Context(), web.State(r).Principal, id, r.PostForm.Get("text")); err != nil {
		if twinfed.ErrorCode(err) == twinfed.EINVALID {
			h.postPage(w, r, id, err)
			return
		}
		h.kit.ErrorPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/posts/view?id="+url.QueryEscape(id)+"&done=replied#replies", http.StatusSeeOther)
}

// deleteReply takes the post page's "Delete my reply" (fields id: the
// post, reply: the reply).
func (h *handlers) deleteReply(w http.ResponseWriter, r *http.Request) {
	id := r.PostForm.Get("id")
	if err := h.svc.DeleteReply(r.Context(), web.State(r).Principal, id, r.PostForm.Get("reply")); err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/posts/view?id="+url.QueryEscape(id)+"&done=reply_deleted#replies", http.StatusSeeOther)
}

// action wraps a form post about one post (field "id"), back to "next".
func (h *handlers) action(flash string, do func(r *http.Request, p *twinfed.Principal, id string) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := do(r, web.State(r).Principal, r.PostForm.Get("id")); err != nil {
			h.kit.ErrorPage(w, r, err)
			return
		}
		web.RedirectDone(w, r, web.SafeNext(r.PostForm.Get("next")), flash)
	}
}

// profileTabs are the profile's tabs, in the handbook's order.
var profileTabs = []string{"activity", "about", "projects", "events", "groups", "photos"}

// tabs is a member's profile tabs: /people/activity?id=<actor>&tab=….
func (h *handlers) tabs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	actor, tab := q.Get("id"), q.Get("tab")
	if tab == "" {
		tab = "activity"
	}
	if tab == "about" {
		http.Redirect(w, r, web.ProfileLink(actor), http.StatusSeeOther)
		return
	}
	known := false
	for _, t := range profileTabs {
		known = known || t == tab
	}
	p := h.kit.NewPage(w, r, "profile.activity")
	st := web.State(r)
	prof := h.svc.profile(actor)
	if prof == nil || !known {
		h.kit.ErrorPage(w, r, twinfed.Errorf(twinfed.ENOTFOUND, "There is no such member."))
		return
	}
	v := &view{svc: h.svc, Actor: actor, Profile: prof, Tab: tab, Counts: h.svc.Counts(r.Context(), actor), Visible: h.svc.CanSee(r.Context(), st.Principal, actor)}
	if t, ok := h.svc.LastLogin(r.Context(), actor); ok {
		v.LastLogin = h.kit.Catalog().TData(p.Lang, "feed.last_login", map[string]any{"When": p.DateTime(t)})
	}
	switch tab {
	case "activity":
		page, err := h.svc.ByAuthor(r.Context(), st.Principal, actor, q.Get("before"), PageSize)
		if err != nil {
			h.kit.ErrorPage(w, r, err)
			return
		}
		v.Page = page
		if page.Next != "" {
			v.NextURL = "/people/activity?id=" + url.QueryEscape(actor) + "&before=" + url.QueryEscape(page.Next)
		}
	case "photos":
		photos, err := h.svc.Photos(r.Context(), st.Principal, actor, 60)
		if err != nil {
			h.kit.ErrorPage(w, r, err)
			return
		}
		v.Photos = photos
	}
	p.Data = v
	h.kit.Render(w, http.StatusOK, "wall", p)
}

// media serves an image of a local member's post; its URL names its
// content, so it never changes.
func (h *handlers) media(w http.ResponseWriter, r *http.Request) {
	data, ct, err := h.svc.Media(r.Context(), r.PathValue("hash"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	serveImage(w, ct, data, "public, max-age=31536000, immutable")
}

// proxy serves an image of another node (Service.Proxy).
func (h *handlers) proxy(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.Query().Get("url")
	if u, err := url.Parse(raw); err == nil && h.svc.acts.IsLocal(raw) && strings.HasPrefix(u.Path, "/users/") && strings.HasSuffix(u.Path, "/photo") {
		http.Redirect(w, r, u.Path, http.StatusSeeOther) // a photo of this node's: from its own route
		return
	}
	data, ct, err := h.svc.Proxy(r.Context(), raw)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	serveImage(w, ct, data, "private, max-age=3600")
}

func serveImage(w http.ResponseWriter, ct string, data []byte, cache string) {
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", cache)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	_, _ = w.Write(data)
}

// ProfileTabsLink is the link of a member's tab.
func ProfileTabsLink(actor, tab string) string {
	return "/people/activity?id=" + url.QueryEscape(actor) + "&tab=" + strings.ToLower(tab)
}

// card is what the "post-item" partial renders.
type card struct {
	Page *web.Page
	View *view
	Post *Post
}

// Card pairs a post with the page and the view, for the partial.
func (v *view) Card(p *web.Page, post *Post) card { return card{Page: p, View: v, Post: post} }

// TabLink is the link of one of the shown member's tabs.
func (v *view) TabLink(tab string) string { return ProfileTabsLink(v.Actor, tab) }

// Local reports whether the shown member is a member of this node (whose
// counts this node keeps).
func (v *view) Local() bool { return v.svc.acts.IsLocal(v.Actor) }
