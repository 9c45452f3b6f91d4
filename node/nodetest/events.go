package nodetest

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Event is one Server-Sent Event as a browser's EventSource gets it.
type Event struct {
	ID   string // the id: line (the Last-Event-ID of a reconnection)
	Type string // the event: line ("message" when none)
	Data string // the data: lines, joined by newlines
}

// EventStream reads a Server-Sent Events stream in the background.
type EventStream struct {
	// C gets the stream's events; it is closed when the stream ends.
	C      <-chan Event
	cancel context.CancelFunc
	done   chan struct{}
}

// OpenEvents opens the event stream at url with client (its cookies),
// in language lang, sending lastID as Last-Event-ID when it is set. When
// the node answers otherwise than 200 with text/event-stream, it returns
// a nil stream and the status; a transport error fails the test.
func OpenEvents(tb testing.TB, client *http.Client, url, lang, lastID string) (*EventStream, int) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	req.Header.Set("Accept", "text/event-stream")
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := client.Do(req)
	if err != nil {
		cancel()
		tb.Fatalf("GET %s: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		resp.Body.Close()
		cancel()
		return nil, resp.StatusCode
	}
	c := make(chan Event, 1024)
	s := &EventStream{C: c, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer close(c)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var ev Event
		var data []string
		for sc.Scan() {
			line := sc.Text()
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch {
			case line == "":
				if data != nil {
					ev.Data = strings.Join(data, "\n")
					if ev.Type == "" {
						ev.Type = "message"
					}
					select {
					case c <- ev:
					case <-ctx.Done():
						return
					}
				}
				ev, data = Event{ID: ev.ID}, nil
			case field == "": // a comment: a heartbeat
			case field == "id":
				ev.ID = value
			case field == "event":
				ev.Type = value
			case field == "data":
				data = append(data, value)
			}
		}
	}()
	return s, http.StatusOK
}

// Next returns the stream's next event, failing the test when none comes
// within timeout or the stream ends.
func (s *EventStream) Next(tb testing.TB, timeout time.Duration) Event {
	tb.Helper()
	select {
	case ev, ok := <-s.C:
		if !ok {
			tb.Fatal("the event stream ended")
		}
		return ev
	case <-time.After(timeout):
		tb.Fatalf("no event within %v", timeout)
	}
	return Event{}
}

// Close ends the stream and waits until its reader has stopped.
func (s *EventStream) Close() {
	s.cancel()
	<-s.done
}

// Stream is the browser's client for long requests (event streams): its
// cookies, no timeout.
func (b *Browser) Stream() *http.Client { return &http.Client{Jar: b.C.Jar} }
