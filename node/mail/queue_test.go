package mail_test

import (
	"context"
	"fmt"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/twinfed/twinfed/node/mail"
	"github.com/twinfed/twinfed/node/nodetest"
	"github.com/twinfed/twinfed/node/store"
)

// startQueue opens a store in dir and runs a queue on it sending to s; the
// returned stop ends the worker and closes the store.
func startQueue(t *testing.T, dir string, to mail.Sender) (*mail.Queue, *store.Store, func()) {
	t.Helper()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	q := mail.NewQueue(st, to, mail.QueueOptions{From: "no-reply@it.example", MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { q.Run(ctx); close(done) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
			st.Close()
		}
	}
	t.Cleanup(stop)
	return q, st, stop
}

// waitFor polls cond for up to 20 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestQueue_SMTPDownThenBack stops the SMTP server, queues 100 mails (each
// in a store transaction, as a notification would be), and starts the
// server again: every mail arrives, exactly once (no Message-ID twice),
// and the queue is empty.
func TestQueue_SMTPDownThenBack(t *testing.T) {
	srv := nodetest.MustStartSMTP(t)
	q, st, _ := startQueue(t, t.TempDir(), srv.Sender("no-reply@it.example"))
	srv.Stop()
	for i := range 100 {
		if err := st.Update(func(txn *badger.Txn) error {
			return q.Enqueue(txn, mail.Message{To: "anna@example.org", Subject: fmt.Sprintf("n%d", i), Body: "text", HTML: "<p>html</p>"})
		}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "failed tries while the server is down", func() bool { s, _ := q.Stats(); return s.Retrying > 0 && s.LastError != "" })
	if s, _ := q.Stats(); s.Queued != 100 || s.Oldest.IsZero() {
		t.Fatalf("queue while SMTP is down: %+v; want 100 queued with the oldest's time", s)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("server down, yet %d mails arrived", n)
	}
	srv.Restart(t)
	waitFor(t, "100 mails", func() bool { return len(srv.Messages()) >= 100 })
	waitFor(t, "an empty queue", func() bool { s, _ := q.Stats(); return s.Queued == 0 })
	time.Sleep(300 * time.Millisecond) // longer than the longest backoff: a duplicate would have arrived
	got := srv.To(t, "anna@example.org")
	ids := map[string]bool{}
	subjects := map[string]bool{}
	for _, m := range got {
		id := m.Header.Get("Message-ID")
		if id == "" || ids[id] {
			t.Errorf("Message-ID %q missing or seen twice", id)
		}
		ids[id] = true
		subjects[m.Subject] = true
		if m.Header.Get("Date") == "" || m.Type != "multipart/alternative" {
			t.Errorf("mail %s: Date %q, type %s", m.Subject, m.Header.Get("Date"), m.Type)
		}
	}
	if len(got) != 100 || len(subjects) != 100 {
		t.Fatalf("%d mails arrived, %d different subjects; want 100 of each, once", len(got), len(subjects))
	}
	if s, _ := q.Stats(); s.LastError != "" {
		t.Errorf("last error after the server came back: %q", s.LastError)
	}
}

// TestQueue_Restart queues mail while the server is down, stops the
// worker and closes the store (a node's restart), then opens it again with
// the server up: the mail queued before arrives, once.
func TestQueue_Restart(t *testing.T) {
	srv := nodetest.MustStartSMTP(t)
	dir := t.TempDir()
	srv.Stop()
	q, _, stop := startQueue(t, dir, srv.Sender("no-reply@it.example"))
	for i := range 3 {
		if err := q.Send(context.Background(), mail.Message{To: "luca@example.org", Subject: fmt.Sprintf("before %d", i), Body: "text"}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "a failed try", func() bool { s, _ := q.Stats(); return s.Retrying > 0 })
	stop()
	srv.Restart(t)
	q, _, _ = startQueue(t, dir, srv.Sender("no-reply@it.example"))
	waitFor(t, "the 3 mails queued before the restart", func() bool { return len(srv.To(t, "luca@example.org")) >= 3 })
	waitFor(t, "an empty queue", func() bool { s, _ := q.Stats(); return s.Queued == 0 })
	if n := len(srv.To(t, "luca@example.org")); n != 3 {
		t.Fatalf("%d mails arrived; want 3", n)
	}
}

// refusing is a Sender that refuses every mail for good (550).
type refusing struct{ n int }

func (r *refusing) Send(context.Context, mail.Message) error {
	r.n++
	return fmt.Errorf("smtp RCPT: %w", &textproto.Error{Code: 550, Msg: "no such mailbox"})
}

// TestQueue_RejectedForGood checks that a mail the server refuses with a
// 5xx answer is dropped after one try, not retried forever; and that a
// message without a recipient is not queued.
func TestQueue_RejectedForGood(t *testing.T) {
	r := &refusing{}
	q, _, stop := startQueue(t, t.TempDir(), r)
	if err := q.Send(context.Background(), mail.Message{To: "nobody@example.org", Subject: "x", Body: "x"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the refused mail dropped", func() bool { s, _ := q.Stats(); return s.Queued == 0 })
	if err := q.Send(context.Background(), mail.Message{Subject: "x"}); err == nil || !strings.Contains(err.Error(), "recipient") {
		t.Errorf("mail without a recipient: %v", err)
	}
	stop()
	if r.n != 1 {
		t.Errorf("refused mail tried %d times; want 1", r.n)
	}
}
