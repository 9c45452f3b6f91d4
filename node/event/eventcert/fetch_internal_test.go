package eventcert

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/twinfed/twinfed"
)

// TestFetch_Bounds: a member's node passes on the home node's certificate
// only when it is a PDF of at most MaxPDF bytes, whatever size the home
// node announces; anything else is EUNAVAILABLE, never a cut file.
func TestFetch_Bounds(t *testing.T) {
	pdf := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("x"), 1000)...)
	cases := []struct {
		name string
		body []byte
		size int64 // announced
		ok   bool
	}{
		{"a certificate", pdf, int64(len(pdf)), true},
		{"size unknown", pdf, -1, true},
		{"not a PDF", []byte("<html>hello</html>"), 18, false},
		{"too large", append([]byte("%PDF-1.7\n"), make([]byte, MaxPDF)...), -1, false},
		{"announced too large", pdf, MaxPDF + 1, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &Service{d: Deps{Logger: slog.New(slog.DiscardHandler), Fetch: func(ctx context.Context, rawURL string) (io.ReadCloser, int64, error) {
				if !strings.Contains(rawURL, "/certificate/for?actor=") {
					t.Errorf("asked %s", rawURL)
				}
				return io.NopCloser(bytes.NewReader(c.body)), c.size, nil
			}}}
			r, err := s.fetch(context.Background(), &twinfed.Event{ID: "https://it.example/events/e1"}, "https://fr.example/users/marie", "fr")
			if !c.ok {
				if twinfed.ErrorCode(err) != twinfed.EUNAVAILABLE {
					t.Fatalf("%v, want EUNAVAILABLE", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(r)
			if !bytes.Equal(got, c.body) {
				t.Fatalf("got %d bytes, want %d", len(got), len(c.body))
			}
		})
	}
}
