package federation_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/federation"
)

// TestAS2_EventFile round-trips a file of an event's archive: the record
// under twinfed:eventFile on its Note; a record that is not its Note's is
// refused.
func TestAS2_EventFile(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	ev := "https://fr.twinfed.example/events/e1"
	f := &twinfed.EventFile{ID: "https://it.twinfed.example/event-files/f1", Event: ev, Uploader: "https://it.twinfed.example/users/luca",
		Name: "robots.pdf", Type: "application/pdf", Size: 1234, Hash: strings.Repeat("ab", 32), Published: at}
	note := &twinfed.Note{ID: f.ID, From: f.Uploader, To: ev, InReplyTo: ev, Content: f.Name, Published: at, File: f}
	a := &twinfed.Activity{ID: "https://it.twinfed.example/activities/a1", Type: twinfed.ActivityCreate, Actor: f.Uploader, To: []string{"https://fr.twinfed.example/users/marie"}, Object: f.ID, Note: note, Published: at}
	body, err := federation.EncodeActivity(a)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), `"twinfed:eventFile"`) {
		t.Fatalf("no twinfed:eventFile:\n%s", body)
	}
	got, err := federation.DecodeActivity(body)
	if err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	if !reflect.DeepEqual(got, a) {
		t.Fatalf("round trip:\n got %+v\nwant %+v\n%s", got, a, body)
	}
	other := *f
	other.ID = "https://it.twinfed.example/event-files/f2"
	note.File = &other
	if body, err = federation.EncodeActivity(a); err != nil {
		t.Fatal(err)
	}
	if _, err := federation.DecodeActivity(body); twinfed.ErrorCode(err) != twinfed.EINVALID {
		t.Fatalf("another note's record: %v", err)
	}
}
