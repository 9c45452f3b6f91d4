package agency

import (
	"context"
	"net/http"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/mail"
	"github.com/twinfed/twinfed/node/web"
)

// MailQueue returns the node's mail queue as the back office shows it:
// how many mails wait, how many were retried, the oldest one's time and
// the last delivery's error. Agency staff only. A node whose mailer is
// not a queue has nothing waiting.
func (s *Service) MailQueue(ctx context.Context, p *twinfed.Principal) (mail.Stats, error) {
	if err := Require(p); err != nil {
		return mail.Stats{}, err
	}
	q, ok := s.mailer.(*mail.Queue)
	if !ok {
		return mail.Stats{}, nil
	}
	st, err := q.Stats()
	return st, s.internal("mail queue", err)
}

// boMailData is what the mail queue page shows: the queue's stats and how
// long the oldest mail has waited (in words on the page).
type boMailData struct {
	mail.Stats
	Wait time.Duration
}

func (h *Web) boMail(w http.ResponseWriter, r *http.Request) {
	st, err := h.svc.MailQueue(r.Context(), web.State(r).Principal)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	p := h.kit.NewPage(w, r, "title.bo_mail")
	d := boMailData{Stats: st}
	if !st.Oldest.IsZero() {
		d.Wait = time.Since(st.Oldest)
	}
	p.Data = d
	h.kit.Render(w, http.StatusOK, "bo_mail", p)
}
