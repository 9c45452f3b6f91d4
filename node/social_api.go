package node

import (
	"net/http"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The social JSON API: contacts, follows, messages, notifications and the
// menu's counts.

func (s *Server) socialAPIRoutes(k *web.Kit) {
	k.HandleFunc("GET /api/v1/contacts", k.API(true, s.apiContacts))
	k.HandleFunc("POST /api/v1/contacts", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in peerInput) (any, error) {
		return s.svc.RequestContact(r.Context(), p, in.Peer, in.Message)
	})))
	k.HandleFunc("POST /api/v1/contacts/accept", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in peerInput) (any, error) {
		return s.svc.AnswerContact(r.Context(), p, in.Peer, true)
	})))
	k.HandleFunc("POST /api/v1/contacts/decline", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in peerInput) (any, error) {
		return s.svc.AnswerContact(r.Context(), p, in.Peer, false)
	})))
	k.HandleFunc("POST /api/v1/contacts/remove", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in peerInput) (any, error) {
		return nil, s.svc.RemoveContact(r.Context(), p, in.Peer)
	})))
	k.HandleFunc("POST /api/v1/follows", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in peerInput) (any, error) {
		return nil, s.svc.FollowMember(r.Context(), p, in.Peer)
	})))
	k.HandleFunc("POST /api/v1/follows/remove", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in peerInput) (any, error) {
		return nil, s.svc.UnfollowMember(r.Context(), p, in.Peer)
	})))
	k.HandleFunc("GET /api/v1/messages", k.API(true, s.apiConversations))
	k.HandleFunc("GET /api/v1/messages/with", k.API(true, s.apiConversation))
	k.HandleFunc("POST /api/v1/messages", k.API(true, s.apiSendMessage))
	k.HandleFunc("GET /api/v1/notifications", k.API(true, s.apiNotifications))
	k.HandleFunc("GET /api/v1/me/counts", k.API(true, s.apiCounts))
}

type peerInput struct {
	Peer    string `json:"peer"`
	Message string `json:"message,omitempty"`
}

func (s *Server) apiContacts(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	n, err := s.svc.Network(r.Context(), st.Principal)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, n)
}

func (s *Server) apiConversations(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	list, err := s.svc.Conversations(r.Context(), st.Principal)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"conversations": list})
}

func (s *Server) apiConversation(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	conv, msgs, err := s.svc.ConversationWith(r.Context(), st.Principal, r.URL.Query().Get("peer"), 200)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"conversation": conv, "messages": msgs})
}

func (s *Server) apiSendMessage(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in struct {
		To      string `json:"to"`
		Content string `json:"content"`
	}
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	m, err := s.svc.SendMessage(r.Context(), st.Principal, in.To, in.Content)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, m)
}

func (s *Server) apiNotifications(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	list, err := s.svc.Notifications(r.Context(), st.Principal, 50)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"notifications": list})
}

func (s *Server) apiCounts(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	web.WriteJSON(w, http.StatusOK, s.svc.Counts(r.Context(), st.Principal))
}
