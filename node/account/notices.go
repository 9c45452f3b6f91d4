package account

import (
	"net/http"
	"net/url"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/mail"
	"github.com/twinfed/twinfed/node/notice"
	"github.com/twinfed/twinfed/node/web"
)

// The e-mails of notifications (the node's notice.Postman), the member's
// e-mail preferences on /account/notifications, and the unsubscribe link.

var _ notice.Postman = (*Service)(nil)

// NoticeMail writes, in the member's language, the mail telling username
// about notes: one notification (a mail at once) or the daily digest,
// each with its link back to the node, the link to the preferences and
// the one-click unsubscribe link unsub. ok is false for a member who gets
// no mail: unknown, or not validated.
func (s *Service) NoticeMail(txn *badger.Txn, username string, notes []*notice.Notification, unsub string) (mail.Message, bool, error) {
	m, err := LoadMember(txn, username)
	if twinfed.ErrorCode(err) == twinfed.ENOTFOUND || (err == nil && (m.Email == "" || m.Status != twinfed.StatusValidated)) || s.cat == nil {
		return mail.Message{}, false, nil
	}
	if err != nil {
		return mail.Message{}, false, err
	}
	lang := s.cat.MailLang(m.Locale)
	l := web.Letter{Subject: "mail.digest.subject", Name: m.FirstName, Site: s.cfg.BaseURL + "/", Parts: []web.LetterPart{web.Para("mail.digest.intro")}}
	for _, v := range notes {
		line := s.noticeLine(txn, lang, v)
		if len(notes) == 1 {
			l.Subject, l.Data = "mail.notice.subject", map[string]any{"Line": line}
			l.Parts = []web.LetterPart{web.Para("mail.notice.intro")}
		}
		l.Parts = append(l.Parts, web.QuotePart(line), web.LinkPart(s.cfg.BaseURL+v.Path()))
	}
	l.Parts = append(l.Parts, web.Para("mail.notice.prefs"), web.LinkPart(s.cfg.BaseURL+"/account/notifications"),
		web.Para("mail.notice.unsubscribe"), web.LinkPart(unsub))
	msg := s.cat.Mail(lang, m.Email, l)
	msg.Unsubscribe = unsub
	return msg, true, nil
}

// noticeLine is one notification as a sentence in lang, as the
// notification centre shows it: who, what, and the title of what it is
// about.
func (s *Service) noticeLine(txn *badger.Txn, lang string, v *notice.Notification) string {
	what := s.cat.TData(lang, "notice."+string(v.Kind), nil)
	who := web.DisplayName(s.dir.Get(txn, v.Actor), v.Actor)
	switch {
	case v.Project != "" && v.Kind != notice.ProjectInvited && v.Kind != notice.PartnerJoined, v.Kind == notice.TrainingDecided, v.Kind == notice.TrainingCompleted, v.Kind == notice.TrainingCancelled:
		return what + " “" + v.Title + "”"
	case v.Title != "":
		return who + " " + what + " “" + v.Title + "”"
	}
	return who + " " + what
}

// kindPref is one row of the preferences' form.
type kindPref struct {
	Kind notice.Kind
	Mode notice.Mode
}

// prefsData is what the preferences' page shows.
type prefsData struct {
	Rows  []kindPref
	Modes []notice.Mode
}

// notificationsForm shows the member's e-mail preferences, a choice per
// kind of notification.
func (h *Web) notificationsForm(w http.ResponseWriter, r *http.Request) {
	h.renderPrefs(w, r, http.StatusOK, nil)
}

func (h *Web) renderPrefs(w http.ResponseWriter, r *http.Request, status int, failed error) {
	p := h.kit.NewPage(w, r, "title.notice_prefs")
	var rows []kindPref
	err := h.svc.store.View(func(txn *badger.Txn) error {
		prefs, err := h.svc.notices.Prefs(txn, web.State(r).Principal.Username)
		for _, k := range notice.Kinds {
			rows = append(rows, kindPref{k, prefs.Mode(k)})
		}
		return err
	})
	p.Data = prefsData{Rows: rows, Modes: notice.Modes}
	if err == nil {
		err = failed
	}
	if err != nil {
		h.kit.Fail(w, r, "notice_prefs", p, h.svc.internal("notification preferences", err))
		return
	}
	h.kit.Render(w, status, "notice_prefs", p)
}

// notifications saves the member's e-mail preferences: every kind's
// choice, all refused when one is not a choice.
func (h *Web) notifications(w http.ResponseWriter, r *http.Request) {
	prefs := notice.Prefs{}
	for _, k := range notice.Kinds {
		if v := r.PostForm.Get(string(k)); v != "" {
			prefs[k] = notice.Mode(v)
		}
	}
	err := h.svc.store.Update(func(txn *badger.Txn) error {
		return h.svc.notices.SetPrefs(txn, web.State(r).Principal.Username, prefs)
	})
	if err != nil {
		h.renderPrefs(w, r, http.StatusBadRequest, err)
		return
	}
	http.Redirect(w, r, "/account/notifications?done=saved", http.StatusSeeOther)
}

// unsubscribeData is what the unsubscribe page shows.
type unsubscribeData struct {
	User, Token string      // the link's, posted back by the button
	Kind        notice.Kind // "": every kind
	Done        bool
}

// unsubscribeForm shows what the link stops and its button (a mail
// client's prefetch of the link must not unsubscribe anyone).
func (h *Web) unsubscribeForm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := h.kit.NewPage(w, r, "title.unsubscribe")
	d := unsubscribeData{User: q.Get("u"), Token: q.Get("t"), Kind: notice.Kind(q.Get("k")), Done: q.Get("done") != ""}
	p.Data = d
	if err := h.svc.notices.CheckUnsubscribe(q.Get("u"), d.Kind, q.Get("t")); err != nil && !d.Done {
		h.kit.ErrorPage(w, r, err)
		return
	}
	h.kit.Render(w, http.StatusOK, "unsubscribe", p)
}

// unsubscribe is the one-click unsubscribe (RFC 8058): a POST to the
// link, from the page's button or the mail client, authorised by the
// link's signature alone (no session, no CSRF token: there is neither in
// a mail client).
func (h *Web) unsubscribe(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := h.svc.notices.Unsubscribe(r.FormValue("u"), notice.Kind(r.FormValue("k")), r.FormValue("t")); err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	v := url.Values{"done": {"unsubscribed"}}
	if k := r.FormValue("k"); k != "" {
		v.Set("k", k)
	}
	http.Redirect(w, r, "/unsubscribe?"+v.Encode(), http.StatusSeeOther)
}
