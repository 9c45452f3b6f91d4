package eventcert

import (
	"bytes"
	"io"
	"net/http"
	"strconv"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// Web is the certificates' routes: a member's download and, for other
// nodes, the signed one.
type Web struct {
	svc    *Service
	kit    *web.Kit
	signed func(http.Handler) http.Handler
}

// NewWeb returns the routes of svc; signed guards the route only other
// nodes read (nil: not served).
func NewWeb(svc *Service, signed func(http.Handler) http.Handler) *Web {
	return &Web{svc: svc, signed: signed}
}

// Routes registers them on k.
func (h *Web) Routes(k *web.Kit) {
	h.kit = k
	k.HandleFunc("GET /events/{id}/certificate", k.Member(h.certificate))
	if h.signed != nil {
		k.Handle("GET /events/{id}"+ForPath, h.signed(http.HandlerFunc(h.forNode)))
	}
}

// certificate gives a member their certificate, made here or streamed
// from the event's home node.
func (h *Web) certificate(w http.ResponseWriter, r *http.Request) {
	pdf, err := h.svc.Open(r.Context(), web.State(r).Principal, h.svc.d.Events.EventID(r.PathValue("id")))
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	defer pdf.Close()
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", `attachment; filename="certificate.pdf"`)
	if _, err := io.Copy(w, pdf); err != nil {
		h.svc.d.Logger.Info("eventcert: send a certificate", "err", err)
	}
}

// forNode answers a node's signed GET of the certificate of one of its
// members (Service.For); a refusal is the error's message, in English.
func (h *Web) forNode(w http.ResponseWriter, r *http.Request) {
	host, _ := web.Signer(r.Context())
	q := r.URL.Query()
	var buf bytes.Buffer
	if err := h.svc.For(r.Context(), host, h.svc.d.Events.EventID(r.PathValue("id")), q.Get("actor"), q.Get("lang"), &buf); err != nil {
		http.Error(w, twinfed.ErrorMessage(err), twinfed.HTTPStatus(twinfed.ErrorCode(err)))
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	_, _ = w.Write(buf.Bytes())
}
