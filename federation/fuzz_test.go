package federation_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/federation"
)

// FuzzDecodeActivity feeds the inbox parser arbitrary bodies. It must never
// panic, must refuse with EINVALID only, and what it accepts must encode
// back to a document that decodes and encodes to the same bytes.
func FuzzDecodeActivity(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "as2", "*.json"))
	files = append(files, filepath.Join("testdata", "mastodon_follow.json"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := federation.DecodeActivity(body)
		if err != nil {
			if code := twinfed.ErrorCode(err); code != twinfed.EINVALID {
				t.Fatalf("refused with %s, want %s: %v", code, twinfed.EINVALID, err)
			}
			return
		}
		if a.ID == "" || a.Actor == "" || a.Type == "" {
			t.Fatalf("accepted an activity without id, actor or type: %+v", a)
		}
		enc, err := federation.EncodeActivity(a)
		if err != nil {
			return // accepted input may hold values we would not write (a relative inReplyTo, say)
		}
		b, err := federation.DecodeActivity(enc)
		if err != nil {
			t.Fatalf("our own encoding does not decode: %v\n%s", err, enc)
		}
		enc2, err := federation.EncodeActivity(b)
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable:\n%s\n%s", enc, enc2)
		}
	})
}
