package node_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/nodetest"
	"github.com/twinfed/twinfed/node/web"
)

// browserNotifyPrefs: a member chooses, in Italian then in French, how
// each kind of notification is mailed, with the real form in Chromium,
// and the choice changes what the real SMTP server receives: a daily
// digest holds the messages back, at once sends the next one, written in
// the language the member chose last. The preferences page, the
// unsubscribe page and the agency's mail queue page show no English
// string and no raw message id in either language.
func browserNotifyPrefs(t *testing.T, browser context.Context) {
	langs := []string{"it", "fr", "en"}
	cat, err := web.NewCatalog(langs)
	if err != nil {
		t.Fatal(err)
	}
	srv := nodetest.MustStartSMTP(t)
	n := nodetest.MustOpenNode(t, nodetest.Options{Mailer: srv.Sender("no-reply@it.example"), Languages: langs,
		Tune: func(o *node.Options) { o.MailBackoff, o.DigestPoll = 30*time.Millisecond, 30*time.Millisecond }})
	annaSays, _ := befriend(t, n)
	seedStaff(t, n, "officer", twinfed.RoleAgencyOfficer)
	mails := func() []nodetest.Mail { return srv.To(t, "bruno@scuola.it") }
	nodetest.Eventually(t, 10*time.Second, func() bool { return len(mails()) == 1 }, "no contact request mail")
	unsub := strings.Trim(mails()[0].Header.Get("List-Unsubscribe"), "<>")
	u, err := url.Parse(unsub)
	if err != nil {
		t.Fatal(err)
	}

	leaks := func(b *tab, lang string) {
		t.Helper()
		if got := eval[string](b, `document.documentElement.lang`); got != lang {
			t.Fatalf("%s: html lang=%q, want %s", b.path, got, lang)
		}
		if bad := i18nLeaks(cat, lang, eval[[]string](b, pageTextJS)); len(bad) > 0 {
			t.Errorf("%s in %s: %d problem(s):\n  %s", b.path, lang, len(bad), strings.Join(bad, "\n  "))
		}
	}
	choose := func(b *tab, kind, mode string) {
		t.Helper()
		b.do("choose "+mode+" for "+kind, chromedp.Click(chromedp.CSS(`input[name="`+kind+`"][value="`+mode+`"]`)))
		b.click("save the preferences", `form[action="/account/notifications"] button[type=submit]`)
		if !strings.Contains(b.path, "done=saved") {
			t.Fatalf("saving led to %s", b.path)
		}
	}

	b := reuseTab(t, browser, n)
	b.logIn("bruno", "correct horse 1")
	b.open("/language?lang=it&next=/account/notifications")
	leaks(b, "it")
	b.wantText("h2", cat.T("it", "title.notice_prefs"))
	choose(b, "message", "daily")
	leaks(b, "it")
	annaSays("Ciao, a domani")
	time.Sleep(300 * time.Millisecond)
	if len(mails()) != 1 {
		t.Fatalf("%d mails: the message was mailed at once though bruno chose the daily digest", len(mails()))
	}

	// French, chosen in the footer's list as a person would: it becomes
	// the language of bruno's mails.
	b.do("choose Français", chromedp.SetValue(chromedp.CSS("#lang-select"), "fr"))
	b.click("change the language", `footer form.lang button[type=submit]`)
	leaks(b, "fr")
	if !eval[bool](b, `document.querySelector('input[name="message"][value="daily"]').checked`) {
		t.Fatal("the saved choice is not shown")
	}
	choose(b, "message", "now")
	annaSays("Salut !")
	nodetest.Eventually(t, 10*time.Second, func() bool { return len(mails()) == 2 }, "no mail at once after choosing it")
	if m := mails()[1]; !strings.Contains(m.Text, cat.T("fr", "mail.notice.intro")) || !strings.Contains(m.Text, n.URL()+"/messages/with?peer=") {
		t.Fatalf("the mail is not the French one with its link back:\n%s", m.Text)
	}

	// The unsubscribe link of the first mail, in French: a page with a
	// button; the button stops the contact requests' mails.
	b.open("/unsubscribe?" + u.RawQuery)
	leaks(b, "fr")
	b.click("unsubscribe", `form[action="/unsubscribe"] button[type=submit]`)
	leaks(b, "fr")
	b.open("/account/notifications")
	if !eval[bool](b, `document.querySelector('input[name="contact_request"][value="never"]').checked`) {
		t.Fatal("after the unsubscribe link, contact requests are not set to never")
	}

	b.click("log out", `form[action="/logout"] button[type=submit]`)
	b.logIn("officer", "staff password 1")
	for _, lang := range []string{"it", "fr"} {
		b.open("/language?lang=" + lang + "&next=/backoffice/mail")
		leaks(b, lang)
		if got := b.text("#mail-queued"); got != "0" {
			t.Errorf("mail queue page in %s: %q waiting, want 0", lang, got)
		}
	}
}
