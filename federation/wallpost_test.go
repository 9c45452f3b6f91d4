package federation_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/federation"
)

// TestAS2_WallPostAndLike round-trips what wall posts send: a Note to the
// author's followers with image attachments, a Like of a post, and the
// author's node's Update of the post's like count (its likes collection's
// totalItems, and the count by node and its time under twinfed:postLikes,
// to the nanosecond); a count that names another post is refused.
func TestAS2_WallPostAndLike(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	author := "https://it.twinfed.example/users/maria"
	note := &twinfed.Note{ID: "https://it.twinfed.example/posts/p1", From: author, To: twinfed.FollowersURL(author), Content: "<p>Primavera</p>", Published: at,
		Images: []twinfed.PostImage{{URL: "https://it.twinfed.example/media/ab12", MediaType: "image/png"}, {URL: "https://it.twinfed.example/media/cd34", MediaType: "image/jpeg"}}}
	for _, a := range []*twinfed.Activity{
		{ID: "https://it.twinfed.example/activities/a1", Type: twinfed.ActivityCreate, Actor: author, To: []string{"https://fr.twinfed.example/users/marie"}, Object: note.ID, Note: note, Published: at},
		{ID: "https://fr.twinfed.example/activities/a2", Type: twinfed.ActivityLike, Actor: "https://fr.twinfed.example/users/marie", To: []string{author}, Object: note.ID, Published: at},
		{ID: "https://it.twinfed.example/activities/a3", Type: twinfed.ActivityUpdate, Actor: author, To: []string{"https://fr.twinfed.example/users/marie", "https://es.twinfed.example/users/ana"},
			Object: note.ID, Likes: &twinfed.PostLikes{Post: note.ID, Likes: 3, ByNode: map[string]int{"fr.twinfed.example": 2}, At: at.Add(123456789)}, Published: at},
	} {
		body, err := federation.EncodeActivity(a)
		if err != nil {
			t.Fatalf("%s: %v", a.Type, err)
		}
		if a.Note != nil && (!strings.Contains(string(body), `"attachment"`) || !strings.Contains(string(body), `"mediaType":"image/png"`)) {
			t.Fatalf("the images are not attachments:\n%s", body)
		}
		if a.Likes != nil && !strings.Contains(string(body), `"likes":{"totalItems":3,"type":"Collection"}`) {
			t.Fatalf("the count is not the likes collection's totalItems:\n%s", body)
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

// TestAS2_PostLikesRefused: an Update whose like count names another post
// than its Note, or counts below zero, is refused as invalid.
func TestAS2_PostLikesRefused(t *testing.T) {
	author := "https://it.twinfed.example/users/maria"
	post := "https://it.twinfed.example/posts/p1"
	for name, l := range map[string]*twinfed.PostLikes{
		"another post": {Post: "https://it.twinfed.example/posts/p2", Likes: 1, At: time.Now()},
		"negative":     {Post: post, Likes: -1, At: time.Now()},
	} {
		body, err := federation.EncodeActivity(&twinfed.Activity{ID: "https://it.twinfed.example/activities/a4", Type: twinfed.ActivityUpdate, Actor: author,
			To: []string{"https://fr.twinfed.example/users/marie"}, Object: post, Likes: &twinfed.PostLikes{Post: post, Likes: 1, At: l.At}})
		if err != nil {
			t.Fatal(err)
		}
		// The record under twinfed:postLikes is replaced by the bad one.
		bad := strings.Replace(string(body), `"post":"`+post+`"`, `"post":"`+l.Post+`"`, 1)
		bad = strings.Replace(bad, `"likes":1,`, fmt.Sprintf(`"likes":%d,`, l.Likes), 1)
		if bad == string(body) {
			t.Fatalf("%s: the body did not change:\n%s", name, body)
		}
		if _, err := federation.DecodeActivity([]byte(bad)); twinfed.ErrorCode(err) != twinfed.EINVALID {
			t.Errorf("%s: %v, want EINVALID\n%s", name, err, bad)
		}
	}
}
