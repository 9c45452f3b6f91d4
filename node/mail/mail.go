// Package mail sends the node's outgoing e-mail: confirmation and reset
// links, the agency's decisions, changes of address. A Sender is either
// SMTP (a configured server) or Spool (files in a directory, logged: a
// demo or a test without SMTP). The node's account, registration and
// agency features send through a Sender; cmd/twinfed chooses which.
package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/smtp"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Message is one outgoing e-mail, plain text.
type Message struct {
	To      string
	Subject string
	Body    string
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
	if _, err := f.Write(formatMail(s.From, m)); err != nil {
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
	TLS      string        // starttls, implicit or none
	From     string        // the envelope sender and the From header
	Timeout  time.Duration // of the whole exchange; zero: 30s
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
	if _, err := w.Write(formatMail(s.From, m)); err != nil {
		return fmt.Errorf("smtp write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp DATA end: %w", err)
	}
	return c.Quit()
}

// formatMail renders m as an RFC 5322 message, CRLF line ends.
func formatMail(from string, m Message) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n", from, m.To, mime.QEncoding.Encode("utf-8", m.Subject))
	b.WriteString(strings.ReplaceAll(m.Body, "\n", "\r\n"))
	return []byte(b.String())
}
