package mail_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed/node/mail"
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
	for _, want := range []string{"From: no-reply@it.example\r\n", "To: anna@example.org\r\n", "Subject: =?utf-8?q?Citt=C3=A0?=\r\n", "\r\n\r\nline 1\r\nline 2"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("spooled mail lacks %q:\n%s", want, b)
		}
	}
}
