package eventforum

import (
	"testing"
	"time"

	"github.com/twinfed/twinfed"
)

// TestNewer: the ordering rule every node applies to a message's copies.
func TestNewer(t *testing.T) {
	t0 := time.Now().UTC().Truncate(time.Second)
	post := func(text string, updated time.Duration, deleted bool) *Post {
		p := &Post{ID: "http://it.example/event-posts/1", Text: text, Published: t0, Deleted: deleted}
		if updated > 0 {
			p.Updated = t0.Add(updated)
		}
		return p
	}
	for _, c := range []struct {
		name    string
		in, old *Post
		want    bool
	}{
		{"new here", post("a", 0, false), nil, true},
		{"a replay", post("a", 0, false), post("a", 0, false), false},
		{"an edit", post("b", time.Minute, false), post("a", 0, false), true},
		{"an older edit after a newer one", post("b", time.Minute, false), post("c", 2*time.Minute, false), false},
		{"the creation after an edit", post("a", 0, false), post("b", time.Minute, false), false},
		{"a deletion", post("", time.Minute, true), post("b", 2*time.Minute, false), true},
		{"an edit after the deletion", post("d", 3*time.Minute, false), post("", time.Minute, true), false},
		{"a deletion replayed", post("", time.Minute, true), post("", time.Minute, true), false},
		{"two edits in one second: the greater text", post("z", time.Minute, false), post("y", time.Minute, false), true},
		{"two edits in one second: the other way", post("y", time.Minute, false), post("z", time.Minute, false), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := newer(c.in, c.old); got != c.want {
				t.Fatalf("newer = %v, want %v", got, c.want)
			}
		})
	}
}

// TestFromNote: what a note from another node may be.
func TestFromNote(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	n := func(content string, updated time.Time) *twinfed.Note {
		return &twinfed.Note{ID: "http://fr.example/event-posts/1", From: "http://fr.example/users/marie", To: "http://it.example/events/1",
			InReplyTo: "http://it.example/events/1", Content: content, Published: now, Updated: updated}
	}
	if p, err := fromNote(n(" ciao ", time.Time{}), false); err != nil || p.Text != "ciao" || p.Deleted || p.Edited() {
		t.Fatalf("a message: %+v %v", p, err)
	}
	if _, err := fromNote(n("", time.Time{}), true); twinfed.ErrorCode(err) != twinfed.EINVALID {
		t.Fatalf("an empty note without its time: %v", err)
	}
	if _, err := fromNote(n("", now), false); twinfed.ErrorCode(err) != twinfed.EINVALID {
		t.Fatalf("an empty note where no deletion is taken: %v", err)
	}
	if p, err := fromNote(n("", now), true); err != nil || !p.Deleted {
		t.Fatalf("a deletion: %+v %v", p, err)
	}
	long := make([]rune, maxText+1)
	for i := range long {
		long[i] = 'a'
	}
	if _, err := fromNote(n(string(long), now), true); twinfed.ErrorCode(err) != twinfed.EINVALID {
		t.Fatalf("a note too long: %v", err)
	}
}
