package federation_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/federation"
)

// TestAS2_WallPostAndLike round-trips what wall posts send: a Note to the
// author's followers with image attachments, and a Like of a post.
func TestAS2_WallPostAndLike(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	author := "https://it.twinfed.example/users/maria"
	note := &twinfed.Note{ID: "https://it.twinfed.example/posts/p1", From: author, To: twinfed.FollowersURL(author), Content: "<p>Primavera</p>", Published: at,
		Images: []twinfed.PostImage{{URL: "https://it.twinfed.example/media/ab12", MediaType: "image/png"}, {URL: "https://it.twinfed.example/media/cd34", MediaType: "image/jpeg"}}}
	for _, a := range []*twinfed.Activity{
		{ID: "https://it.twinfed.example/activities/a1", Type: twinfed.ActivityCreate, Actor: author, To: []string{"https://fr.twinfed.example/users/marie"}, Object: note.ID, Note: note, Published: at},
		{ID: "https://fr.twinfed.example/activities/a2", Type: twinfed.ActivityLike, Actor: "https://fr.twinfed.example/users/marie", To: []string{author}, Object: note.ID, Published: at},
	} {
		body, err := federation.EncodeActivity(a)
		if err != nil {
			t.Fatalf("%s: %v", a.Type, err)
		}
		if a.Note != nil && (!strings.Contains(string(body), `"attachment"`) || !strings.Contains(string(body), `"mediaType":"image/png"`)) {
			t.Fatalf("the images are not attachments:\n%s", body)
		}
		got, err := federation.DecodeActivity(body)
		if err != nil {
			t.Fatalf("%s: %v\n%s", a.Type, err, body)
		}
		if !reflect.DeepEqual(got, a) {
			t.Fatalf("%s round trip:\n got %+v\nwant %+v\n%s", a.Type, got, a, body)
		}
	}
}
