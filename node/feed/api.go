package feed

import (
	"io"
	"net/http"
	"strings"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The feed's JSON API: the member's feed, posting (JSON, or multipart
// with images), a post and its replies, replying, liking, deleting, and a
// member's posts.

func (h *handlers) apiRoutes(k *web.Kit) {
	s := h.svc
	k.HandleFunc("GET /api/v1/feed", k.API(true, func(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
		page, err := s.Feed(r.Context(), st.Principal, r.URL.Query().Get("before"), PageSize)
		answer(w, http.StatusOK, page, err)
	}))
	k.HandleFunc("POST /api/v1/posts", k.API(true, h.apiPublish))
	k.HandleFunc("GET /api/v1/posts/view", k.API(true, func(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
		post, replies, err := s.Get(r.Context(), st.Principal, r.URL.Query().Get("id"))
		if replies == nil {
			replies = []*Reply{}
		}
		answer(w, http.StatusOK, map[string]any{"post": post, "replies": replies}, err)
	}))
	k.HandleFunc("POST /api/v1/posts/reply", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in postInput) (any, error) {
		return s.Reply(r.Context(), p, in.ID, in.Text)
	})))
	k.HandleFunc("POST /api/v1/posts/like", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in postInput) (any, error) {
		return nil, s.Like(r.Context(), p, in.ID)
	})))
	k.HandleFunc("POST /api/v1/posts/unlike", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in postInput) (any, error) {
		return nil, s.Unlike(r.Context(), p, in.ID)
	})))
	k.HandleFunc("POST /api/v1/posts/reply/delete", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in postInput) (any, error) {
		return nil, s.DeleteReply(r.Context(), p, in.ID, in.Reply)
	})))
	k.HandleFunc("POST /api/v1/posts/edit", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in postInput) (any, error) {
		return s.Edit(r.Context(), p, in.ID, in.Text)
	})))
	k.HandleFunc("POST /api/v1/posts/delete", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in postInput) (any, error) {
		return nil, s.Remove(r.Context(), p, in.ID)
	})))
	k.HandleFunc("GET /api/v1/people/posts", k.API(true, func(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
		q := r.URL.Query()
		page, err := s.ByAuthor(r.Context(), st.Principal, q.Get("id"), q.Get("before"), PageSize)
		answer(w, http.StatusOK, map[string]any{"items": page.Items, "next": page.Next, "counts": s.Counts(r.Context(), q.Get("id"))}, err)
	}))
}

// postInput is the body of an action on a post.
type postInput struct {
	ID    string `json:"id"`
	Text  string `json:"text,omitempty"`
	Reply string `json:"reply,omitempty"` // a reply's id, for its deletion
}

// answer writes v, or the error.
func answer(w http.ResponseWriter, status int, v any, err error) {
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, status, v)
}

// apiPublish posts on the member's wall: a JSON body {"text": …}, or a
// multipart form with "text" and "images" files.
func (h *handlers) apiPublish(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var text string
	var images [][]byte
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		if err := r.ParseMultipartForm(h.kit.MaxUploadBytes()); err != nil {
			web.APIFail(w, twinfed.Errorf(twinfed.ETOOLARGE, "What you sent is too large. A post's images may be at most 2 MiB together."))
			return
		}
		text = r.FormValue("text")
		for _, fh := range r.MultipartForm.File["images"] {
			f, err := fh.Open()
			if err != nil {
				web.APIFail(w, err)
				return
			}
			data, err := io.ReadAll(io.LimitReader(f, twinfed.MaxImageBytes+1))
			f.Close()
			if err != nil {
				web.APIFail(w, err)
				return
			}
			images = append(images, data)
		}
	} else {
		var in struct {
			Text string `json:"text"`
		}
		if err := web.Decode(r, &in); err != nil {
			web.APIFail(w, err)
			return
		}
		text = in.Text
	}
	post, err := h.svc.Publish(r.Context(), st.Principal, text, images)
	answer(w, http.StatusCreated, post, err)
}
