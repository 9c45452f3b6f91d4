package node_test

import (
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/nodetest"
)

// formIn submits a form of the node as a visitor whose browser asks for
// lang: it gets page, then posts v to action with the page's CSRF token.
func formIn(t *testing.T, b *nodetest.Browser, lang, page, action string, v url.Values) int {
	t.Helper()
	if code, _, _ := b.GetLang(page, lang); code != http.StatusOK {
		t.Fatalf("GET %s: %d", page, code)
	}
	v.Set("csrf", b.CSRF())
	req, _ := http.NewRequest("POST", b.Base+action, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept-Language", lang)
	code, _, _ := b.Do(req)
	return code
}

// TestMail_RecipientsLanguage registers a teacher from an Italian page and
// one from an English page of the same node, each through the form, with
// the node sending to a real SMTP server over TCP: each confirmation and
// password-reset mail is in the registrant's language, durations in words
// ("48 ore", "48 hours", "1 ora"), with a plain-text and an HTML part, an
// absolute link back that works, and Date and Message-ID headers.
func TestMail_RecipientsLanguage(t *testing.T) {
	smtp := nodetest.MustStartSMTP(t)
	n := nodetest.MustOpenNode(t, nodetest.Options{Mailer: smtp.Sender("no-reply@it.twinfed.example"), Languages: []string{"it", "en"}})
	start := time.Now()

	for _, tc := range []struct {
		lang, user, first string
		subject, hello    string
		confirm, reset    []string // in the text
	}{
		{"it", "giulia", "Giulia", "Twinfed: conferma il tuo indirizzo e-mail", "Ciao Giulia,",
			[]string{"Per continuare la registrazione a eTwinning", "valido per 48 ore, una sola volta", "Se non ti sei registrato/a"},
			[]string{"Per scegliere una nuova password", "valido per 1 ora, una sola volta", "la tua password resta invariata"}},
		{"en", "emma", "Emma", "Twinfed: confirm your e-mail address", "Hello Emma,",
			[]string{"To continue your eTwinning registration", "valid for 48 hours, once", "If you did not register"},
			[]string{"To choose a new password", "valid for 1 hour, once", "your password stays as it is"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			email := tc.user + "@scuola.it"
			b := nodetest.NewBrowser(t, n.URL())
			form := url.Values{"first_name": {tc.first}, "last_name": {"Rossi"}, "email": {email}, "email_confirm": {email},
				"username": {tc.user}, "password": {"correct horse 1"}, "password_confirm": {"correct horse 1"}}
			if code := formIn(t, b, tc.lang, "/register", "/register", form); code != http.StatusSeeOther {
				t.Fatalf("registration: %d\n%s", code, b.Last)
			}
			nodetest.Eventually(t, 5*time.Second, func() bool { return len(smtp.To(t, email)) == 1 }, "no confirmation mail")
			m := smtp.To(t, email)[0]
			checkMail(t, m, n, tc.lang, start)
			if m.Subject != tc.subject {
				t.Errorf("subject %q, want %q", m.Subject, tc.subject)
			}
			for _, want := range append([]string{tc.hello}, tc.confirm...) {
				if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, strings.ReplaceAll(want, "'", "&#39;")) {
					t.Errorf("the confirmation mail lacks %q in a part:\n%s\n%s", want, m.Text, m.HTML)
				}
			}
			// The link works: it confirms the address.
			link := mailedLink(t, m, n, "/register/confirm?token=")
			if code, body, _ := b.GetLang(link, tc.lang); code != http.StatusOK || !strings.Contains(body, nodetest.TokenOf(link)) {
				t.Fatalf("the mailed link: %d", code)
			}

			// A password reset, asked from a page in the other language,
			// is still in the member's.
			other := map[string]string{"it": "en", "en": "it"}[tc.lang]
			if code := formIn(t, nodetest.NewBrowser(t, n.URL()), other, "/password/forgot", "/password/forgot", url.Values{"email": {email}}); code != http.StatusSeeOther && code != http.StatusOK {
				t.Fatalf("forgotten password: %d", code)
			}
			nodetest.Eventually(t, 5*time.Second, func() bool { return len(smtp.To(t, email)) == 2 }, "no reset mail")
			m = smtp.To(t, email)[1]
			checkMail(t, m, n, tc.lang, start)
			for _, want := range append([]string{tc.hello}, tc.reset...) {
				if !strings.Contains(m.Text, want) {
					t.Errorf("the reset mail lacks %q:\n%s", want, m.Text)
				}
			}
			mailedLink(t, m, n, "/password/reset?token=")
		})
	}
}

// checkMail checks what every mail has: two parts, the HTML one in lang,
// a Date near now and a Message-ID in the sender's domain, and no Go
// duration ("48h0m0s").
func checkMail(t *testing.T, m nodetest.Mail, n *node.Node, lang string, start time.Time) {
	t.Helper()
	if m.Type != "multipart/alternative" || m.Text == "" || m.HTML == "" {
		t.Errorf("mail is %s with text %d bytes, HTML %d bytes; want multipart/alternative with both", m.Type, len(m.Text), len(m.HTML))
	}
	if !strings.Contains(m.HTML, `<html lang="`+lang+`"`) {
		t.Errorf("the HTML part is not marked %s:\n%s", lang, m.HTML)
	}
	date, err := mail.ParseDate(m.Header.Get("Date"))
	if err != nil || date.Before(start.Add(-time.Second).Truncate(time.Second)) || date.After(time.Now().Add(time.Second)) {
		t.Errorf("Date %q (%v): not the time it was sent", m.Header.Get("Date"), err)
	}
	if !regexp.MustCompile(`^<[0-9a-f]{32}@it\.twinfed\.example>$`).MatchString(m.Header.Get("Message-Id")) {
		t.Errorf("Message-ID %q", m.Header.Get("Message-Id"))
	}
	if regexp.MustCompile(`\d+h\d+m\d+s`).MatchString(m.Text) {
		t.Errorf("a Go duration in the mail:\n%s", m.Text)
	}
	if !strings.Contains(m.Text, n.URL()+"/") {
		t.Errorf("no link to the node in the signature:\n%s", m.Text)
	}
}

// mailedLink returns the path and query of the absolute link to the node
// containing kind, which both parts of m carry.
func mailedLink(t *testing.T, m nodetest.Mail, n *node.Node, kind string) string {
	t.Helper()
	re := regexp.MustCompile(regexp.QuoteMeta(n.URL()) + `(/[^\s"<]*)`)
	for _, l := range re.FindAllStringSubmatch(m.Text, -1) {
		if strings.Contains(l[1], kind) {
			if !strings.Contains(m.HTML, `href="`+strings.ReplaceAll(l[0], "&", "&amp;")+`"`) {
				t.Errorf("the HTML part lacks the link %s:\n%s", l[0], m.HTML)
			}
			return l[1]
		}
	}
	t.Fatalf("no absolute %s link in:\n%s", kind, m.Text)
	return ""
}

// TestMail_AgencyDecisionInItalian: the agency's rejection of a member
// who registered from an Italian page is mailed in Italian, through the
// real SMTP server, the agency's reason quoted as the officer wrote it.
func TestMail_AgencyDecisionInItalian(t *testing.T) {
	smtp := nodetest.MustStartSMTP(t)
	n := nodetest.MustOpenNode(t, nodetest.Options{Mailer: smtp.Sender("no-reply@it.twinfed.example")})
	start := time.Now()
	seedStaff(t, n, "officer", twinfed.RoleAgencyOfficer)
	b := nodetest.NewBrowser(t, n.URL())
	if code := formIn(t, b, "it", "/register", "/register", preReg("giulia")); code != http.StatusSeeOther {
		t.Fatalf("registration: %d\n%s", code, b.Last)
	}
	nodetest.Eventually(t, 5*time.Second, func() bool { return len(smtp.To(t, "giulia@scuola.it")) == 1 }, "no confirmation mail")
	link := mailedLink(t, smtp.To(t, "giulia@scuola.it")[0], n, "/register/confirm")
	b.Get(link)
	if code, _, _ := b.Post("/register/confirm", url.Values{"token": {nodetest.TokenOf(link)}}); code != http.StatusSeeOther {
		t.Fatalf("confirm: %d", code)
	}
	b.Form("/register/step/1?propose=1", "/register/step/1", url.Values{"propose": {"1"}, "legal_name": {"IC Uno"}, "city": {"Roma"}, "region": {"Lazio"}, "level": {"primary"}, "institution": {"state"}})
	finishSteps(t, b)

	officer := login(t, n, "officer", "staff password 1")
	officer.Get("/backoffice/members/giulia")
	reason := "Allega il certificato di servizio, per favore."
	if code, _, _ := officer.Post("/backoffice/members/giulia/reject", url.Values{"reason": {reason}}); code != http.StatusSeeOther {
		t.Fatalf("reject: %d\n%s", code, officer.Last)
	}
	nodetest.Eventually(t, 5*time.Second, func() bool { return len(smtp.To(t, "giulia@scuola.it")) == 2 }, "no rejection mail")
	m := smtp.To(t, "giulia@scuola.it")[1]
	checkMail(t, m, n, "it", start)
	if m.Subject != "Twinfed: la tua registrazione richiede un intervento" {
		t.Errorf("subject %q", m.Subject)
	}
	for _, want := range []string{"Ciao Maria,", "L'Unità nazionale non ha potuto convalidare la tua registrazione:", reason, "Puoi correggerla e inviarla di nuovo:"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("the rejection mail lacks %q:\n%s", want, m.Text)
		}
	}
	if !strings.Contains(m.HTML, "<blockquote") || !strings.Contains(m.HTML, "Allega il certificato di servizio") {
		t.Errorf("the HTML part does not quote the reason:\n%s", m.HTML)
	}
	mailedLink(t, m, n, "/")
}
