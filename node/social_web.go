package node

import (
	"embed"
	"net/http"
	"net/url"
	"strings"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The social web pages: contacts, follows, messages and notifications.

//go:embed templates/social/*.html
var socialTemplates embed.FS

// socialRoutes registers the social templates, pages and JSON API.
func (s *Server) socialRoutes(k *web.Kit) error {
	if err := k.AddTemplates(socialTemplates, "templates/social/*.html"); err != nil {
		return err
	}
	k.HandleFunc("GET /contacts", k.Member(s.contacts))
	k.HandleFunc("POST /contacts/request", k.Member(s.socialAction(func(r *http.Request, p *twinfed.Principal, peer string) (string, error) {
		_, err := s.svc.RequestContact(r.Context(), p, peer, r.PostForm.Get("message"))
		return "contact_requested", err
	})))
	k.HandleFunc("POST /contacts/accept", k.Member(s.socialAction(func(r *http.Request, p *twinfed.Principal, peer string) (string, error) {
		_, err := s.svc.AnswerContact(r.Context(), p, peer, true)
		return "contact_accepted", err
	})))
	k.HandleFunc("POST /contacts/decline", k.Member(s.socialAction(func(r *http.Request, p *twinfed.Principal, peer string) (string, error) {
		_, err := s.svc.AnswerContact(r.Context(), p, peer, false)
		return "contact_declined", err
	})))
	k.HandleFunc("POST /contacts/remove", k.Member(s.socialAction(func(r *http.Request, p *twinfed.Principal, peer string) (string, error) {
		return "contact_removed", s.svc.RemoveContact(r.Context(), p, peer)
	})))
	k.HandleFunc("POST /follow", k.Member(s.socialAction(func(r *http.Request, p *twinfed.Principal, peer string) (string, error) {
		return "followed", s.svc.FollowMember(r.Context(), p, peer)
	})))
	k.HandleFunc("POST /unfollow", k.Member(s.socialAction(func(r *http.Request, p *twinfed.Principal, peer string) (string, error) {
		return "unfollowed", s.svc.UnfollowMember(r.Context(), p, peer)
	})))
	k.HandleFunc("GET /messages", k.Member(s.messages))
	k.HandleFunc("GET /messages/with", k.Member(s.conversation))
	k.HandleFunc("POST /messages", k.Member(s.sendMessage))
	k.HandleFunc("GET /notifications", k.Member(s.notifications))
	s.socialAPIRoutes(k)
	return nil
}

// socialAction wraps a form post about one peer (field "peer"): on success
// it goes back to the page named by "next" with a flash message.
func (s *Server) socialAction(do func(r *http.Request, p *twinfed.Principal, peer string) (string, error)) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		flash, err := do(r, web.State(r).Principal, r.PostForm.Get("peer"))
		if err != nil {
			s.kit.ErrorPage(w, r, err)
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

func (s *Server) contacts(w http.ResponseWriter, r *http.Request) {
	n, err := s.svc.Network(r.Context(), web.State(r).Principal)
	if err != nil {
		s.kit.ErrorPage(w, r, err)
		return
	}
	p := s.kit.NewPage(w, r, "title.contacts")
	p.Nav = "contacts"
	p.Data = n
	s.kit.Render(w, http.StatusOK, "contacts", p)
}

func (s *Server) messages(w http.ResponseWriter, r *http.Request) {
	list, err := s.svc.Conversations(r.Context(), web.State(r).Principal)
	if err != nil {
		s.kit.ErrorPage(w, r, err)
		return
	}
	p := s.kit.NewPage(w, r, "title.messages")
	p.Nav = "messages"
	p.Data = list
	s.kit.Render(w, http.StatusOK, "messages", p)
}

// conversationData is the page of one conversation.
type conversationData struct {
	Conv     *Conversation
	Messages []*Message
	Name     string
}

func (s *Server) conversationPage(w http.ResponseWriter, r *http.Request, peer string, ferr error) {
	conv, msgs, err := s.svc.ConversationWith(r.Context(), web.State(r).Principal, peer, 200)
	if err != nil {
		s.kit.ErrorPage(w, r, err)
		return
	}
	p := s.kit.NewPage(w, r, "title.conversation")
	p.Nav = "messages"
	d := conversationData{Conv: conv, Messages: msgs, Name: web.DisplayName(conv.Profile, peer)}
	p.Data = d
	if ferr != nil {
		s.kit.Fail(w, r, "conversation", p, ferr)
		return
	}
	s.kit.Render(w, http.StatusOK, "conversation", p)
}

func (s *Server) conversation(w http.ResponseWriter, r *http.Request) {
	s.conversationPage(w, r, r.URL.Query().Get("peer"), nil)
}

func (s *Server) sendMessage(w http.ResponseWriter, r *http.Request) {
	to := r.PostForm.Get("to")
	if _, err := s.svc.SendMessage(r.Context(), web.State(r).Principal, to, r.PostForm.Get("content")); err != nil {
		if twinfed.ErrorCode(err) == twinfed.EINVALID && len(twinfed.ErrorFields(err)) > 0 {
			s.conversationPage(w, r, to, err)
			return
		}
		s.kit.ErrorPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/messages/with?peer="+url.QueryEscape(to)+"&done=sent#last", http.StatusSeeOther)
}

func (s *Server) notifications(w http.ResponseWriter, r *http.Request) {
	list, err := s.svc.Notifications(r.Context(), web.State(r).Principal, 50)
	if err != nil {
		s.kit.ErrorPage(w, r, err)
		return
	}
	p := s.kit.NewPage(w, r, "title.notifications")
	p.Nav = "notifications"
	p.Data = list
	s.kit.Render(w, http.StatusOK, "notifications", p)
}
