package diary

import (
	"net/http"
	"strings"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The agency's page of the open edge, /agency/fediverse: who follows the
// node's diaries from fediverse servers, and the blocked domains, which
// the agency's staff block (with a reason) and unblock.

// fediverseData is the agency's fediverse page.
type fediverseData struct {
	Federated bool
	Diaries   []diaryFollowers
	Blocks    []twinfed.DomainBlock
}

// diaryFollowers are one diary's followers.
type diaryFollowers struct {
	Diary     string
	Title     string
	Followers []twinfed.DiaryFollower
}

func (h *Web) fediverse(w http.ResponseWriter, r *http.Request) { h.fediversePage(w, r, nil) }

func (h *Web) fediversePage(w http.ResponseWriter, r *http.Request, ferr error) {
	d := fediverseData{Federated: h.svc.fedi != nil}
	if d.Federated {
		all, err := h.svc.fedi.DiaryFollowers("")
		if err == nil {
			d.Blocks, err = h.svc.fedi.Blocks()
		}
		if err != nil {
			h.kit.ErrorPage(w, r, web.Internal(h.svc.core.Logger(), "diary: the agency's fediverse page", err))
			return
		}
		for _, f := range all {
			if n := len(d.Diaries); n == 0 || d.Diaries[n-1].Diary != f.Diary {
				df := diaryFollowers{Diary: f.Diary, Title: f.Diary}
				if p, err := h.svc.LocalDiary(r.Context(), strings.TrimSuffix(f.Diary, "/diary")); err == nil {
					df.Title = p.Title
				}
				d.Diaries = append(d.Diaries, df)
			}
			d.Diaries[len(d.Diaries)-1].Followers = append(d.Diaries[len(d.Diaries)-1].Followers, f)
		}
	}
	p := h.kit.NewPage(w, r, "title.bo_fediverse")
	p.Data = d
	if ferr != nil {
		h.kit.Fail(w, r, "agency_fediverse", p, ferr)
		return
	}
	h.kit.Render(w, http.StatusOK, "agency_fediverse", p)
}

func (h *Web) block(w http.ResponseWriter, r *http.Request) {
	if h.svc.fedi == nil {
		h.kit.ErrorPage(w, r, twinfed.Errorf(twinfed.EUNAVAILABLE, "This node is not connected to the other nodes right now; try again later."))
		return
	}
	err := h.svc.fedi.Block(r.PostForm.Get("domain"), r.PostForm.Get("reason"), web.State(r).Principal.Username)
	if err != nil {
		if len(twinfed.ErrorFields(err)) > 0 {
			h.fediversePage(w, r, err)
			return
		}
		h.kit.ErrorPage(w, r, err)
		return
	}
	web.RedirectDone(w, r, "/agency/fediverse", "blocked")
}

func (h *Web) unblock(w http.ResponseWriter, r *http.Request) {
	if h.svc.fedi == nil {
		h.kit.ErrorPage(w, r, twinfed.Errorf(twinfed.EUNAVAILABLE, "This node is not connected to the other nodes right now; try again later."))
		return
	}
	if err := h.svc.fedi.Unblock(r.PostForm.Get("domain")); err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	web.RedirectDone(w, r, "/agency/fediverse", "unblocked")
}
