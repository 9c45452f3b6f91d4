package node_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/nodetest"
)

// The notifications' e-mails through the node's mail queue, to a real
// SMTP server on 127.0.0.1: delivered once while the server goes down and
// back, as each member prefers (at once, daily digest, never), with a
// working one-click unsubscribe link, and kept across a restart.

// openMailNode opens a node mailing to srv, retrying quickly.
func openMailNode(t *testing.T, dir string, srv *nodetest.SMTPServer, now func() time.Time) *node.Node {
	return nodetest.MustOpenNode(t, nodetest.Options{Dir: dir, Mailer: srv.Sender("no-reply@it.example"), Now: now,
		Tune: func(o *node.Options) { o.MailBackoff, o.DigestPoll = 30*time.Millisecond, 30*time.Millisecond }})
}

// befriend makes anna and bruno contacts (two notifications, two mails).
func befriend(t *testing.T, n *node.Node) (anna, bruno func(text string)) {
	t.Helper()
	ctx, svc := context.Background(), n.Social()
	a, aURL := seedTeacher(t, n, "anna", "Anna")
	b, bURL := seedTeacher(t, n, "bruno", "Bruno")
	if _, err := svc.RequestContact(ctx, a, bURL, "Ciao!"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AnswerContact(ctx, b, aURL, true); err != nil {
		t.Fatal(err)
	}
	send := func(from any, to string) func(string) {
		return func(text string) {
			t.Helper()
			p := a
			if from == "bruno" {
				p = b
			}
			if _, err := svc.SendMessage(ctx, p, to, text); err != nil {
				t.Fatal(err)
			}
		}
	}
	return send("anna", bURL), send("bruno", aURL)
}

func TestNotify_SMTPDownDuring100(t *testing.T) {
	srv := nodetest.MustStartSMTP(t)
	n := openMailNode(t, t.TempDir(), srv, nil)
	annaSays, _ := befriend(t, n)
	nodetest.Eventually(t, 10*time.Second, func() bool { return len(srv.To(t, "bruno@scuola.it")) == 1 }, "no contact request mail")
	srv.Stop()
	for i := range 100 {
		annaSays(fmt.Sprintf("message %d", i))
	}
	nodetest.Eventually(t, 10*time.Second, func() bool { s, _ := n.MailQueue().Stats(); return s.Retrying > 0 }, "no failed try while SMTP is down")
	if s, _ := n.MailQueue().Stats(); s.Queued < 100 || s.LastError == "" {
		t.Fatalf("queue while SMTP is down: %+v", s)
	}
	// The agency sees the queue and the server's error; a member does not.
	seedStaff(t, n, "officer", twinfed.RoleAgencyOfficer)
	off := login(t, n, "officer", "staff password 1")
	if code, page := off.Get("/backoffice/mail"); code != http.StatusOK || !strings.Contains(page, `id="mail-queued">10`) || !strings.Contains(page, "connection refused") ||
		!regexp.MustCompile(`id="mail-wait">[0-9]+ second`).MatchString(page) {
		t.Fatalf("the back office's mail queue page while SMTP is down: %d\n%s", code, page)
	}
	if code, _ := login(t, n, "bruno", "correct horse 1").Get("/backoffice/mail"); code != http.StatusForbidden {
		t.Fatalf("a member opened the mail queue page: %d", code)
	}
	srv.Restart(t)
	nodetest.Eventually(t, 30*time.Second, func() bool { s, _ := n.MailQueue().Stats(); return s.Queued == 0 }, "the queue did not empty")
	time.Sleep(200 * time.Millisecond)
	if _, metrics := newBrowser(t, n.URL()).Get("/metrics"); !strings.Contains(metrics, "twinfed_mail_queued 0") ||
		!strings.Contains(metrics, `twinfed_mail_failed_total{kind="retry"}`) || !regexp.MustCompile(`(?m)^twinfed_mail_sent_total 10[2-9]$`).MatchString(metrics) {
		t.Fatalf("mail metrics:\n%s", grepLines(metrics, "twinfed_mail_"))
	}
	got := srv.To(t, "bruno@scuola.it")[1:]
	if len(got) != 100 {
		t.Fatalf("%d mails after the server came back; want 100", len(got))
	}
	ids := map[string]bool{}
	for _, m := range got {
		id := m.Header.Get("Message-ID")
		if id == "" || ids[id] {
			t.Fatalf("Message-ID %q missing or twice", id)
		}
		ids[id] = true
		if m.Header.Get("Date") == "" || m.Type != "multipart/alternative" || m.HTML == "" || !strings.Contains(m.Text, n.URL()+"/messages/with?peer=") ||
			!strings.HasPrefix(m.Header.Get("List-Unsubscribe"), "<"+n.URL()+"/unsubscribe?") || m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
			t.Fatalf("mail lacks a part, a header or the link back:\n%v\n%s", m.Header, m.Text)
		}
		if !strings.Contains(m.Text, "C'è una novità") { // the member's language (the node's default, Italian)
			t.Fatalf("mail not in Italian:\n%s", m.Text)
		}
	}
}

func TestNotify_PreferencesDigestUnsubscribe(t *testing.T) {
	srv := nodetest.MustStartSMTP(t)
	clk := newClock()
	n := openMailNode(t, t.TempDir(), srv, clk.Now)
	annaSays, _ := befriend(t, n)
	mailsTo := func() []nodetest.Mail { return srv.To(t, "bruno@scuola.it") }
	annaSays("first")
	nodetest.Eventually(t, 10*time.Second, func() bool { return len(mailsTo()) == 2 }, "no mail at once for the message")
	unsub := strings.Trim(mailsTo()[1].Header.Get("List-Unsubscribe"), "<>")

	// Daily: nothing at once; one digest when the day is over on the clock.
	b := login(t, n, "bruno", "correct horse 1")
	if code, _, loc := b.Form("/account/notifications", "/account/notifications", url.Values{"message": {"daily"}}); code != http.StatusSeeOther || !strings.Contains(loc, "done=saved") {
		t.Fatalf("saving the preferences: %d %s", code, loc)
	}
	if code, body, _ := b.Form("/account/notifications", "/account/notifications", url.Values{"message": {"hourly"}}); code != http.StatusBadRequest {
		t.Fatalf("a mode that is not one: %d\n%s", code, body)
	}
	annaSays("second")
	annaSays("third")
	time.Sleep(300 * time.Millisecond)
	if len(mailsTo()) != 2 {
		t.Fatalf("%d mails; the daily digest's notifications were mailed at once", len(mailsTo()))
	}
	clk.Add(25 * time.Hour)
	nodetest.Eventually(t, 10*time.Second, func() bool { return len(mailsTo()) == 3 }, "no digest after a day")
	d := mailsTo()[2]
	if !strings.Contains(d.Subject, "riepilogo giornaliero") || strings.Count(d.Text, n.URL()+"/messages/with?peer=") != 2 {
		t.Fatalf("digest: %q\n%s", d.Subject, d.Text)
	}

	// Unsubscribe: a wrong signature changes nothing; the one-click POST
	// stops the message mails, at once and in the digest.
	bad := strings.Replace(unsub, "t=", "t=x", 1)
	if resp, err := http.Post(bad, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click")); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("a forged unsubscribe link: %v %v", resp, err)
	}
	annaSays("fourth")
	clk.Add(25 * time.Hour)
	nodetest.Eventually(t, 10*time.Second, func() bool { return len(mailsTo()) == 4 }, "no digest after the forged link")
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Post(unsub, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("one-click unsubscribe: %v %v", resp, err)
	}
	annaSays("fifth")
	clk.Add(25 * time.Hour)
	time.Sleep(300 * time.Millisecond)
	if len(mailsTo()) != 4 {
		t.Fatalf("%d mails after unsubscribing; want 4", len(mailsTo()))
	}
	if code, body := b.Get("/account/notifications"); code != http.StatusOK || !strings.Contains(body, `name="message" value="never" checked`) {
		t.Fatalf("preferences page after unsubscribing: %d", code)
	}
	// The centre lists the messages too, each leading to its conversation,
	// and marks them read.
	if code, body := b.Get("/notifications"); code != http.StatusOK || strings.Count(body, `href="/messages/with?peer=`) < 5 {
		t.Fatalf("notification centre: %d\n%s", code, body)
	}
	if c := n.Social().Counts(context.Background(), &twinfed.Principal{Username: "bruno", Role: twinfed.RoleMember, Status: twinfed.StatusValidated}); c.Notifications != 0 {
		t.Fatalf("%d notifications unread after the centre was seen", c.Notifications)
	}
}

func TestNotify_QueuedMailSurvivesRestart(t *testing.T) {
	srv := nodetest.MustStartSMTP(t)
	dir := t.TempDir()
	n := openMailNode(t, dir, srv, nil)
	annaSays, _ := befriend(t, n)
	nodetest.Eventually(t, 10*time.Second, func() bool { return len(srv.To(t, "bruno@scuola.it")) == 1 }, "no contact request mail")
	srv.Stop()
	annaSays("while the server is down")
	nodetest.Eventually(t, 10*time.Second, func() bool { s, _ := n.MailQueue().Stats(); return s.Retrying > 0 }, "no failed try")
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	srv.Restart(t)
	n = openMailNode(t, dir, srv, nil)
	nodetest.Eventually(t, 10*time.Second, func() bool { return len(srv.To(t, "bruno@scuola.it")) == 2 }, "the queued mail was not delivered after the restart")
	if s, _ := n.MailQueue().Stats(); s.Queued != 0 {
		t.Fatalf("queue after delivery: %+v", s)
	}
}

// grepLines returns the lines of text that contain s.
func grepLines(text, s string) string {
	var out []string
	for l := range strings.SplitSeq(text, "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
