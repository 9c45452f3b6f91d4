package mail_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed/node/mail"
	"github.com/twinfed/twinfed/node/nodetest"
)

// TestSpool_Send checks that a spooled mail is one file in Dir, named by
// the time, holding the headers (the subject Q-encoded) and the body with
// CRLF line ends.
func TestSpool_Send(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	at := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	s := &mail.Spool{Dir: dir, From: "no-reply@it.example", Now: func() time.Time { return at }}
	if err := s.Send(context.Background(), mail.Message{To: "anna@example.org", Subject: "Città", Body: "line 1\nline 2"}); err != nil {
		t.Fatal(err)
	}
	files, err := os.ReadDir(dir)
	if err != nil || len(files) != 1 || !strings.HasPrefix(files[0].Name(), "20240301T100000.000000000-") || !strings.HasSuffix(files[0].Name(), ".eml") {
		t.Fatalf("spool holds %v (%v); want one file named by the time", files, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, files[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"From: no-reply@it.example\r\n", "To: anna@example.org\r\n", "Subject: =?utf-8?q?Citt=C3=A0?=\r\n",
		"Date: Fri, 01 Mar 2024 10:00:00 +0000\r\n", "Message-ID: <", "@it.example>\r\n", "Auto-Submitted: auto-generated\r\n", "Content-Type: text/plain; charset=utf-8\r\n", "Content-Transfer-Encoding: 8bit\r\n", "\r\n\r\nline 1\r\nline 2"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("spooled mail lacks %q:\n%s", want, b)
		}
	}
}

// TestSMTP_Multipart sends a mail with both parts through a real SMTP
// server over TCP: it arrives as multipart/alternative, the plain text
// first, each part decoding to what was sent (a line longer than SMTP's
// 998 octets included), with Date and Message-ID headers.
func TestSMTP_Multipart(t *testing.T) {
	srv := nodetest.MustStartSMTP(t)
	s := srv.Sender("no-reply@it.twinfed.example")
	at := time.Now().Add(-time.Hour).Truncate(time.Second)
	s.Now = func() time.Time { return at }
	long := strings.Repeat("àèìòù ", 400) // 4,400 octets on one line
	text := "Ciao Anna,\n\n" + long + "\n\nhttp://it.example/register/confirm?token=abc_DEF-1\n"
	html := `<!DOCTYPE html><html lang="it"><p><a href="http://it.example/register/confirm?token=abc_DEF-1">link</a></p></html>`
	for range 2 {
		if err := s.Send(context.Background(), mail.Message{To: "anna@example.org", Subject: "Conferma — città", Body: text, HTML: html}); err != nil {
			t.Fatal(err)
		}
	}
	got := srv.To(t, "anna@example.org")
	if len(got) != 2 {
		t.Fatalf("%d mails received, want 2", len(got))
	}
	m := got[0]
	if m.Type != "multipart/alternative" || m.Subject != "Conferma — città" || m.Text != text || m.HTML != html {
		t.Errorf("received %s %q:\ntext %q\nhtml %q", m.Type, m.Subject, m.Text, m.HTML)
	}
	if d, err := m.Header.Date(); err != nil || !d.Equal(at) {
		t.Errorf("Date %q: %v, want %v", m.Header.Get("Date"), err, at)
	}
	if id := m.Header.Get("Message-Id"); !strings.HasSuffix(id, "@it.twinfed.example>") || id == got[1].Header.Get("Message-Id") {
		t.Errorf("Message-ID %q (the next one %q): want a new one in the sender's domain", id, got[1].Header.Get("Message-Id"))
	}
	raw := string(srv.Messages()[0].Data)
	if !strings.Contains(raw, "Content-Transfer-Encoding: quoted-printable") || !strings.Contains(raw, "Content-Transfer-Encoding: 8bit") {
		t.Error("the long text is not quoted-printable, or the short HTML is not as written")
	}
	if strings.Index(raw, "text/plain") > strings.Index(raw, "text/html") {
		t.Error("the HTML part comes before the plain text")
	}
	for _, line := range strings.Split(raw, "\r\n") {
		if len(line) > 998 {
			t.Fatalf("a line of %d octets", len(line))
		}
	}
}
