package social

import (
	"net/http"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// The social JSON API: contacts, follows, messages, notifications and the
// menu's counts.

func (h *handlers) apiRoutes(k *web.Kit) {
	s := h.svc
	k.HandleFunc("GET /api/v1/contacts", k.API(true, h.apiContacts))
	k.HandleFunc("POST /api/v1/contacts", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in peerInput) (any, error) {
		return s.RequestContact(r.Context(), p, in.Peer, in.Message)
	})))
	k.HandleFunc("POST /api/v1/contacts/accept", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in peerInput) (any, error) {
		return s.AnswerContact(r.Context(), p, in.Peer, true)
	})))
	k.HandleFunc("POST /api/v1/contacts/decline", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in peerInput) (any, error) {
		return s.AnswerContact(r.Context(), p, in.Peer, false)
	})))
	k.HandleFunc("POST /api/v1/contacts/remove", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in peerInput) (any, error) {
		return nil, s.RemoveContact(r.Context(), p, in.Peer)
	})))
	k.HandleFunc("POST /api/v1/follows", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in peerInput) (any, error) {
		return nil, s.FollowMember(r.Context(), p, in.Peer)
	})))
	k.HandleFunc("POST /api/v1/follows/remove", k.API(true, web.Action(func(r *http.Request, p *twinfed.Principal, in peerInput) (any, error) {
		return nil, s.UnfollowMember(r.Context(), p, in.Peer)
	})))
	k.HandleFunc("GET /api/v1/messages", k.API(true, h.apiConversations))
	k.HandleFunc("GET /api/v1/messages/with", k.API(true, h.apiConversation))
	k.HandleFunc("POST /api/v1/messages", k.API(true, h.apiSendMessage))
	k.HandleFunc("GET /api/v1/notifications", k.API(true, h.apiNotifications))
	k.HandleFunc("GET /api/v1/me/counts", k.API(true, h.apiCounts))
}

type peerInput struct {
	Peer    string `json:"peer"`
	Message string `json:"message,omitempty"`
}

func (h *handlers) apiContacts(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	n, err := h.svc.Network(r.Context(), st.Principal)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, n)
}

func (h *handlers) apiConversations(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	list, err := h.svc.Conversations(r.Context(), st.Principal)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"conversations": list})
}

func (h *handlers) apiConversation(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	conv, msgs, err := h.svc.ConversationWith(r.Context(), st.Principal, r.URL.Query().Get("peer"), 200)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"conversation": conv, "messages": msgs})
}

func (h *handlers) apiSendMessage(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	var in struct {
		To      string `json:"to"`
		Content string `json:"content"`
	}
	if err := web.Decode(r, &in); err != nil {
		web.APIFail(w, err)
		return
	}
	m, err := h.svc.SendMessage(r.Context(), st.Principal, in.To, in.Content)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, m)
}

func (h *handlers) apiNotifications(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	list, err := h.svc.Notifications(r.Context(), st.Principal, 50)
	if err != nil {
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"notifications": list})
}

func (h *handlers) apiCounts(w http.ResponseWriter, r *http.Request, st *web.RequestState) {
	web.WriteJSON(w, http.StatusOK, h.svc.Counts(r.Context(), st.Principal))
}
