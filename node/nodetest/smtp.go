package nodetest

import (
	"bufio"
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"

	nodemail "github.com/twinfed/twinfed/node/mail"
)

// SMTPServer is a small SMTP server on 127.0.0.1 for tests: it speaks the
// commands net/smtp's client sends (EHLO, HELO, MAIL, RCPT, DATA, RSET,
// NOOP, QUIT), without authentication nor TLS, and keeps every message it
// accepts. A node sends to it through a real mail.SMTP and a real TCP
// connection.
type SMTPServer struct {
	addr string
	lnMu sync.Mutex
	ln   net.Listener
	mu   sync.Mutex
	msgs []Received
	wg   sync.WaitGroup
}

// Received is one message the SMTPServer accepted.
type Received struct {
	From string   // the envelope sender
	To   []string // the envelope recipients
	Data []byte   // the message as sent, dot-unstuffed, CRLF line ends
}

// MustStartSMTP starts an SMTPServer and stops it at the end of the test.
func MustStartSMTP(tb testing.TB) *SMTPServer {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &SMTPServer{ln: ln, addr: ln.Addr().String()}
	s.wg.Add(1)
	go s.serve(ln)
	tb.Cleanup(func() { s.Stop(); s.wg.Wait() })
	return s
}

// Stop closes the server's listener: connections are refused until
// Restart (the SMTP server is down).
func (s *SMTPServer) Stop() {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil
	}
}

// Restart listens again on the address the server had.
func (s *SMTPServer) Restart(tb testing.TB) {
	tb.Helper()
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	if s.ln != nil {
		return
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		tb.Fatal(err)
	}
	s.ln = ln
	s.wg.Add(1)
	go s.serve(ln)
}

// Sender returns a mail.SMTP sending to the server from the address from.
func (s *SMTPServer) Sender(from string) *nodemail.SMTP {
	host, port, _ := net.SplitHostPort(s.addr)
	p, _ := strconv.Atoi(port)
	return &nodemail.SMTP{Host: host, Port: p, TLS: "none", From: from}
}

// Messages returns the messages accepted so far, oldest first.
func (s *SMTPServer) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// To returns the messages accepted for addr, parsed, oldest first.
func (s *SMTPServer) To(tb testing.TB, addr string) []Mail {
	tb.Helper()
	var out []Mail
	for _, m := range s.Messages() {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				out = append(out, ParseMail(tb, m.Data))
			}
		}
	}
	return out
}

func (s *SMTPServer) serve(ln net.Listener) {
	defer s.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			s.session(c)
		}()
	}
}

// session runs one SMTP conversation.
func (s *SMTPServer) session(c net.Conn) {
	r := bufio.NewReader(c)
	reply := func(line string) bool { _, err := io.WriteString(c, line+"\r\n"); return err == nil }
	if !reply("220 twinfed-test ESMTP") {
		return
	}
	var cur Received
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(line)
		switch {
		case strings.HasPrefix(verb, "EHLO"):
			reply("250-twinfed-test\r\n250-8BITMIME\r\n250 SMTPUTF8")
		case strings.HasPrefix(verb, "HELO"):
			reply("250 twinfed-test")
		case strings.HasPrefix(verb, "MAIL FROM:"):
			cur = Received{From: address(line[len("MAIL FROM:"):])}
			reply("250 OK")
		case strings.HasPrefix(verb, "RCPT TO:"):
			if cur.From == "" {
				reply("503 MAIL first")
				continue
			}
			cur.To = append(cur.To, address(line[len("RCPT TO:"):]))
			reply("250 OK")
		case verb == "DATA":
			if len(cur.To) == 0 {
				reply("503 RCPT first")
				continue
			}
			reply("354 end with <CRLF>.<CRLF>")
			var data bytes.Buffer
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, "."))
			}
			cur.Data = data.Bytes()
			s.mu.Lock()
			s.msgs = append(s.msgs, cur)
			s.mu.Unlock()
			cur = Received{}
			reply("250 OK queued")
		case verb == "RSET":
			cur = Received{}
			reply("250 OK")
		case verb == "NOOP":
			reply("250 OK")
		case verb == "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 command not implemented")
		}
	}
}

// address reads the address of a MAIL FROM or RCPT TO argument.
func address(arg string) string {
	arg = strings.TrimSpace(arg)
	if i := strings.IndexByte(arg, ' '); i >= 0 { // parameters such as BODY=8BITMIME
		arg = arg[:i]
	}
	return strings.Trim(arg, "<>")
}

// Mail is a received e-mail, decoded.
type Mail struct {
	Header  mail.Header
	Subject string // decoded
	Text    string // the plain-text part, decoded, "\n" line ends
	HTML    string // the HTML part, decoded; "" when there is none
	Type    string // the media type of the message, e.g. multipart/alternative
}

// ParseMail decodes a raw message: its headers, subject, and its plain-text
// and HTML parts (quoted-printable or 8bit). A message that does not parse
// fails the test.
func ParseMail(tb testing.TB, raw []byte) Mail {
	tb.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		tb.Fatalf("mail does not parse: %v\n%s", err, raw)
	}
	m := Mail{Header: msg.Header}
	if m.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		tb.Fatalf("subject %q: %v", msg.Header.Get("Subject"), err)
	}
	typ, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		tb.Fatalf("content type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	m.Type = typ
	part := func(typ, cte string, body io.Reader) {
		if cte == "quoted-printable" {
			body = quotedprintable.NewReader(body)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			tb.Fatalf("%s part: %v", typ, err)
		}
		text := strings.ReplaceAll(string(b), "\r\n", "\n")
		switch typ {
		case "text/plain":
			m.Text = text
		case "text/html":
			m.HTML = text
		}
	}
	if !strings.HasPrefix(typ, "multipart/") {
		part(typ, msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
		return m
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return m
		}
		if err != nil {
			tb.Fatalf("multipart: %v", err)
		}
		pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		part(pt, p.Header.Get("Content-Transfer-Encoding"), p)
	}
}
