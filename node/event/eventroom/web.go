package eventroom

import (
	"io"
	"net/http"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// Web is the meeting room's routes: "Enter the meeting room" (GET
// /events/{id}/room, members), the home node's link for another node's
// member (GET /events/{id}/room/for, signed GETs only) and the presence
// reports of the meeting room's service (POST /events/presence, neither
// session nor node signature: the report's token is its credential).
type Web struct {
	svc    *Service
	kit    *web.Kit
	signed func(http.Handler) http.Handler
}

// NewWeb returns the room's routes; signed guards the ones only other
// nodes read (nil: they are not served). Routes registers them.
func NewWeb(svc *Service, signed func(http.Handler) http.Handler) *Web {
	return &Web{svc: svc, signed: signed}
}

// Routes registers the room's routes on k.
func (h *Web) Routes(k *web.Kit) {
	h.kit = k
	k.HandleFunc("GET /events/{id}/room", k.Member(h.enter))
	if h.signed != nil {
		k.Handle("GET /events/{id}"+forPath, h.signed(http.HandlerFunc(h.roomFor)))
	}
	k.HandleFunc("POST /events/presence", h.presence)
}

func (h *Web) enter(w http.ResponseWriter, r *http.Request) {
	u, err := h.svc.Enter(r.Context(), web.State(r).Principal, h.svc.events.EventID(r.PathValue("id")))
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}

// roomFor answers a member's node: the link as JSON, or the refusal's
// message as text (a 404 marked as a missing record, so that the asking
// node keeps asking this node's events).
func (h *Web) roomFor(w http.ResponseWriter, r *http.Request) {
	host, _ := web.Signer(r.Context())
	u, err := h.svc.RoomFor(r.Context(), host, h.svc.events.EventID(r.PathValue("id")), r.URL.Query().Get("actor"))
	if err != nil {
		if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			w.Header().Set(twinfed.HeaderNotFound, "record")
		}
		http.Error(w, twinfed.ErrorMessage(err), twinfed.HTTPStatus(twinfed.ErrorCode(err)))
		return
	}
	web.WriteJSON(w, http.StatusOK, link{URL: u})
}

func (h *Web) presence(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxReport+1))
	if err != nil {
		web.APIFail(w, twinfed.Errorf(twinfed.EINVALID, "The report could not be read: %v.", err))
		return
	}
	p, err := h.svc.Presence(r.Context(), r.Header.Get("Authorization"), body)
	if err != nil {
		if twinfed.ErrorCode(err) == twinfed.EINTERNAL {
			h.kit.Logger().Error("event room: presence report", "err", err)
		}
		web.APIFail(w, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, p)
}
