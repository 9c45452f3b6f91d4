package twinfed

import (
	"strings"
	"testing"
	"time"
)

func TestCanDeleteEventFile(t *testing.T) {
	e := validEvent(time.Now())
	f := &EventFile{Uploader: "https://it.example/users/luca"}
	for _, tc := range []struct {
		name      string
		actor     string
		cancelled bool
		want      string
	}{
		{"the uploader", f.Uploader, false, ""},
		{"the organiser", e.Organiser, false, ""},
		{"another participant", "https://es.example/users/ana", false, EFORBIDDEN},
		{"nobody", "", false, EFORBIDDEN},
		{"the uploader once cancelled", f.Uploader, true, EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.Cancelled = tc.cancelled
			err := CanDeleteEventFile(e, f, tc.actor)
			if (tc.want == "") != (err == nil) || (err != nil && ErrorCode(err) != tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestCheckEventFile(t *testing.T) {
	hash := strings.Repeat("ab", 32)
	good := func() *EventFile {
		return &EventFile{ID: "https://it.example/event-files/1", Event: "https://fr.example/events/2", Uploader: "https://it.example/users/luca",
			Name: "notes.pdf", Type: "application/pdf", Size: 10, Hash: hash, Published: time.Now()}
	}
	for _, tc := range []struct {
		name string
		edit func(f *EventFile)
		ok   bool
	}{
		{"ok", func(*EventFile) {}, true},
		{"with a thumbnail", func(f *EventFile) { f.Thumb = hash }, true},
		{"no id", func(f *EventFile) { f.ID = "" }, false},
		{"no name", func(f *EventFile) { f.Name = "" }, false},
		{"empty", func(f *EventFile) { f.Size = 0 }, false},
		{"too large", func(f *EventFile) { f.Size = 101 }, false},
		{"not a hash", func(f *EventFile) { f.Hash = "../../etc/passwd" }, false},
		{"a bad thumbnail", func(f *EventFile) { f.Thumb = "x" }, false},
		{"undated", func(f *EventFile) { f.Published = time.Time{} }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := good()
			tc.edit(f)
			if err := CheckEventFile(f, 100); (err == nil) != tc.ok || (err != nil && ErrorCode(err) != EINVALID) {
				t.Fatalf("got %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
