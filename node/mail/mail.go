// Package mail sends the node's outgoing e-mail: confirmation and reset
// links, the agency's decisions, changes of address. A Sender is either
// SMTP (a configured server) or Spool (files in a directory, logged: a
// demo or a test without SMTP); cmd/twinfed chooses which. The features
// never send through it directly: the node puts a Queue (queue.go) in
// front, the durable queue in Badger that retries with backoff.
//
// Every message carries Date and Message-ID headers, and Auto-Submitted:
// auto-generated (RFC 3834: no vacation replies); a message with an HTML
// part is sent as multipart/alternative (the plain text first, the HTML
// second), both parts UTF-8: as they are (8bit, so that a spooled mail
// reads as written, links included) when every line fits SMTP's 998
// octets, in quoted-printable otherwise. The texts themselves, in the
// recipient's language, are written by node/web (Catalog.Mail).
package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Message is one outgoing e-mail.
type Message struct {
	To      string
	Subject string
	Body    string // the plain-text part
	HTML    string // the HTML part; "": a plain-text mail
	// ID is the Message-ID header, with its angle brackets; "": a new one
	// at each sending. The Queue gives each message its own when it is
	// queued, so that a retried message keeps it.
	ID string `json:",omitempty"`
	// Date is the Date header; zero: the time of sending. The Queue sets
	// it when the message is queued.
	Date time.Time `json:",omitzero"`
	// Unsubscribe is a one-click unsubscribe URL (RFC 8058): the
	// List-Unsubscribe and List-Unsubscribe-Post headers; "": none (a
	// mail that is not a notification).
	Unsubscribe string `json:",omitempty"`
}

// Sender sends e-mail.
type Sender interface {
	// Send delivers m, or returns why it could not (the caller logs it:
	// mail is best effort, never a domain error).
	Send(ctx context.Context, m Message) error
}

// Spool writes each mail to a file in Dir and logs it, so that a node
// without SMTP (a demo, a test) still delivers its links somewhere a person
// can read them.
type Spool struct {
	Dir    string           // created when missing
	From   string           // the From header
	Logger *slog.Logger     // nil: nothing logged
	Now    func() time.Time // nil: time.Now; names the files
}

var _ Sender = (*Spool)(nil)

// Transport returns the sender of a node's mail and its From address: m,
// or when nil a Spool in spoolDir; from, else the SMTP server's From,
// else no-reply@<country>.twinfed.example.
func Transport(m Sender, from, spoolDir, country string, log *slog.Logger, now func() time.Time) (Sender, string) {
	if from == "" {
		from = "no-reply@" + strings.ToLower(country) + ".twinfed.example"
		if smtp, ok := m.(*SMTP); ok && smtp.From != "" {
			from = smtp.From
		}
	}
	if m == nil {
		m = &Spool{Dir: spoolDir, From: from, Logger: log, Now: now}
	}
	return m, from
}

// Send writes m to <Dir>/<time>-<random>.eml (synced) and logs it.
func (s *Spool) Send(ctx context.Context, m Message) error {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("mail spool: %w", err)
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	name := fmt.Sprintf("%s-%s.eml", now().UTC().Format("20060102T150405.000000000"), hex.EncodeToString(rnd[:]))
	path := filepath.Join(s.Dir, name)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("mail spool: %w", err)
	}
	if _, err := f.Write(formatMail(s.From, m, now())); err != nil {
		f.Close()
		return fmt.Errorf("mail spool: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("mail spool: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("mail spool: %w", err)
	}
	if s.Logger != nil {
		s.Logger.Info("mail spooled (no SMTP configured)", "to", m.To, "subject", m.Subject, "file", path, "body", m.Body)
	}
	return nil
}

// SMTP sends mail through an SMTP server, one connection per mail.
type SMTP struct {
	Host     string
	Port     int
	Username string // empty: no authentication
	Password string
	TLS      string           // starttls, implicit or none
	From     string           // the envelope sender and the From header
	Timeout  time.Duration    // of the whole exchange; zero: 30s
	Now      func() time.Time // nil: time.Now; the Date header
}

var _ Sender = (*SMTP)(nil)

// Send delivers m to the SMTP server.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	addr := net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	timeout := s.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	d := net.Dialer{Timeout: timeout}
	var conn net.Conn
	var err error
	if s.TLS == "implicit" {
		conn, err = tls.DialWithDialer(&d, "tcp", addr, &tls.Config{ServerName: s.Host})
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return fmt.Errorf("smtp dial %s: %w", addr, err)
	}
	_ = conn.SetDeadline(time.Now().Add(timeout))
	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp: %w", err)
	}
	defer c.Close()
	if s.TLS == "starttls" {
		if err := c.StartTLS(&tls.Config{ServerName: s.Host}); err != nil {
			return fmt.Errorf("smtp starttls: %w", err)
		}
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, s.Host)); err != nil {
			return fmt.Errorf("smtp auth: %w", err)
		}
	}
	if err := c.Mail(s.From); err != nil {
		return fmt.Errorf("smtp MAIL: %w", err)
	}
	if err := c.Rcpt(m.To); err != nil {
		return fmt.Errorf("smtp RCPT: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	if _, err := w.Write(formatMail(s.From, m, now())); err != nil {
		return fmt.Errorf("smtp write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp DATA end: %w", err)
	}
	return c.Quit()
}

// formatMail renders m as an RFC 5322 message sent at now, CRLF line
// ends: plain text, or multipart/alternative when m has an HTML part.
func formatMail(from string, m Message, now time.Time) []byte {
	var b strings.Builder
	if !m.Date.IsZero() {
		now = m.Date
	}
	if m.ID == "" {
		m.ID = messageID(from)
	}
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: %s\r\nAuto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n",
		from, m.To, mime.QEncoding.Encode("utf-8", m.Subject), now.Format(time.RFC1123Z), m.ID)
	if m.Unsubscribe != "" {
		fmt.Fprintf(&b, "List-Unsubscribe: <%s>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n", m.Unsubscribe)
	}
	if m.HTML == "" {
		body, cte := encodeText(m.Body)
		b.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: " + cte + "\r\n\r\n" + body)
		return []byte(b.String())
	}
	var parts strings.Builder
	mw := multipart.NewWriter(&parts)
	fmt.Fprintf(&b, "Content-Type: multipart/alternative; boundary=%s\r\n\r\n", mw.Boundary())
	for _, p := range []struct{ typ, text string }{{"text/plain", m.Body}, {"text/html", m.HTML}} {
		body, cte := encodeText(p.text)
		w, _ := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {p.typ + "; charset=utf-8"},
			"Content-Transfer-Encoding": {cte},
		})
		_, _ = io.WriteString(w, body)
	}
	_ = mw.Close()
	b.WriteString(parts.String())
	return []byte(b.String())
}

// encodeText returns text with CRLF line ends and its transfer encoding:
// 8bit when every line fits SMTP's 998 octets, else quoted-printable.
func encodeText(text string) (string, string) {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\n", "\r\n")
	fits := true
	for line := range strings.SplitSeq(text, "\r\n") {
		fits = fits && len(line) <= 998
	}
	if fits {
		return text, "8bit"
	}
	var b strings.Builder
	w := quotedprintable.NewWriter(&b)
	_, _ = w.Write([]byte(text))
	_ = w.Close()
	return b.String(), "quoted-printable"
}

// MessageID returns a new Message-ID in the domain of the address from.
func MessageID(from string) string { return messageID(from) }

// messageID returns a new Message-ID in the domain of the From address.
func messageID(from string) string {
	domain := "twinfed.invalid"
	if at := strings.LastIndexByte(from, '@'); at >= 0 {
		if d := strings.Trim(from[at+1:], "<> \t"); d != "" {
			domain = d
		}
	}
	var rnd [16]byte
	_, _ = rand.Read(rnd[:])
	return "<" + hex.EncodeToString(rnd[:]) + "@" + domain + ">"
}
