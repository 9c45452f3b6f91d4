package social

import (
	"embed"
	"net/http"
	"net/url"
	"strings"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The social web pages: contacts, follows, messages and notifications.

//go:embed templates/*.html
var templates embed.FS

// handlers are the feature's web pages and JSON API on the kit.
type handlers struct {
	svc *Service
	kit *web.Kit
}

// Routes registers the feature's templates, web pages and JSON API on the
// web kit.
func (s *Service) Routes(k *web.Kit) error {
	if err := k.AddTemplates(templates, "templates/*.html"); err != nil {
		return err
	}
	h := &handlers{svc: s, kit: k}
	k.HandleFunc("GET /contacts", k.Member(h.contacts))
	k.HandleFunc("POST /contacts/request", k.Member(h.action(func(r *http.Request, p *twinfed.Principal, peer string) (string, error) {
		_, err := s.RequestContact(r.Context(), p, peer, r.PostForm.Get("message"))
		return "contact_requested", err
	})))
	k.HandleFunc("POST /contacts/accept", k.Member(h.action(func(r *http.Request, p *twinfed.Principal, peer string) (string, error) {
		_, err := s.AnswerContact(r.Context(), p, peer, true)
		return "contact_accepted", err
	})))
	k.HandleFunc("POST /contacts/decline", k.Member(h.action(func(r *http.Request, p *twinfed.Principal, peer string) (string, error) {
		_, err := s.AnswerContact(r.Context(), p, peer, false)
		return "contact_declined", err
	})))
	k.HandleFunc("POST /contacts/remove", k.Member(h.action(func(r *http.Request, p *twinfed.Principal, peer string) (string, error) {
		return "contact_removed", s.RemoveContact(r.Context(), p, peer)
	})))
	k.HandleFunc("POST /follow", k.Member(h.action(func(r *http.Request, p *twinfed.Principal, peer string) (string, error) {
		return "followed", s.FollowMember(r.Context(), p, peer)
	})))
	k.HandleFunc("POST /unfollow", k.Member(h.action(func(r *http.Request, p *twinfed.Principal, peer string) (string, error) {
		return "unfollowed", s.UnfollowMember(r.Context(), p, peer)
	})))
	k.HandleFunc("GET /messages", k.Member(h.messages))
	k.HandleFunc("GET /messages/with", k.Member(h.conversation))
	k.HandleFunc("POST /messages", k.Member(h.sendMessage))
	k.HandleFunc("GET /notifications", k.Member(h.notifications))
	h.apiRoutes(k)
	return nil
}

// action wraps a form post about one peer (field "peer"): on success it
// goes back to the page named by "next" with a flash message.
func (h *handlers) action(do func(r *http.Request, p *twinfed.Principal, peer string) (string, error)) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		flash, err := do(r, web.State(r).Principal, r.PostForm.Get("peer"))
		if err != nil {
			h.kit.ErrorPage(w, r, err)
			return
		}
		next := web.SafeNext(r.PostForm.Get("next"))
		sep := "?"
		if strings.Contains(next, "?") {
			sep = "&"
		}
		http.Redirect(w, r, next+sep+"done="+flash, http.StatusSeeOther)
	}
}

func (h *handlers) contacts(w http.ResponseWriter, r *http.Request) {
	n, err := h.svc.Network(r.Context(), web.State(r).Principal)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.kit.NewPage(w, r, "title.contacts")
	p.Nav = "contacts"
	p.Data = n
	h.kit.Render(w, http.StatusOK, "contacts", p)
}

func (h *handlers) messages(w http.ResponseWriter, r *http.Request) {
	list, err := h.svc.Conversations(r.Context(), web.State(r).Principal)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.kit.NewPage(w, r, "title.messages")
	p.Nav = "messages"
	p.Data = list
	h.kit.Render(w, http.StatusOK, "messages", p)
}

// conversationData is the page of one conversation.
type conversationData struct {
	Conv     *Conversation
	Messages []*Message
	Name     string
}

func (h *handlers) conversationPage(w http.ResponseWriter, r *http.Request, peer string, ferr error) {
	conv, msgs, err := h.svc.ConversationWith(r.Context(), web.State(r).Principal, peer, 200)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.kit.NewPage(w, r, "title.conversation")
	p.Nav = "messages"
	d := conversationData{Conv: conv, Messages: msgs, Name: web.DisplayName(conv.Profile, peer)}
	p.Data = d
	if ferr != nil {
		h.kit.Fail(w, r, "conversation", p, ferr)
		return
	}
	h.kit.Render(w, http.StatusOK, "conversation", p)
}

func (h *handlers) conversation(w http.ResponseWriter, r *http.Request) {
	h.conversationPage(w, r, r.URL.Query().Get("peer"), nil)
}

func (h *handlers) sendMessage(w http.ResponseWriter, r *http.Request) {
	to := r.PostForm.Get("to")
	if _, err := h.svc.SendMessage(r.Context(), web.State(r).Principal, to, r.PostForm.Get("content")); err != nil {
		if twinfed.ErrorCode(err) == twinfed.EINVALID && len(twinfed.ErrorFields(err)) > 0 {
			h.conversationPage(w, r, to, err)
			return
		}
		h.kit.ErrorPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/messages/with?peer="+url.QueryEscape(to)+"&done=sent#last", http.StatusSeeOther)
}

func (h *handlers) notifications(w http.ResponseWriter, r *http.Request) {
	list, err := h.svc.Notifications(r.Context(), web.State(r).Principal, 50)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.kit.NewPage(w, r, "title.notifications")
	p.Nav = "notifications"
	p.Data = list
	h.kit.Render(w, http.StatusOK, "notifications", p)
}
