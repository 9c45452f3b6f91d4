package twinfed_test

import (
	"testing"

	"github.com/twinfed/twinfed"
)

func TestCheckSameOrigin(t *testing.T) {
	const it, fr = "it.example", "fr.example"
	anna, jean := "https://it.example/users/anna", "https://fr.example/users/jean"
	proj := &twinfed.Project{ID: "https://it.example/projects/rivers"}
	tests := []struct {
		name string
		a    twinfed.Activity
		ok   bool
	}{
		{"own follow", twinfed.Activity{ID: "https://it.example/activities/1", Type: twinfed.ActivityFollow, Actor: anna, Object: jean}, true},
		{"actor of another node", twinfed.Activity{ID: "https://it.example/activities/1", Type: twinfed.ActivityFollow, Actor: jean, Object: anna}, false},
		{"id of another node", twinfed.Activity{ID: "https://fr.example/activities/1", Type: twinfed.ActivityFollow, Actor: anna, Object: jean}, false},
		{"update of another node's object", twinfed.Activity{ID: "https://it.example/activities/2", Type: twinfed.ActivityUpdate, Actor: anna, Object: jean}, false},
		{"founder asks the home node to update its project", twinfed.Activity{ID: "https://fr.example/activities/3", Type: twinfed.ActivityUpdate, Actor: jean, Object: proj.ID, Project: proj}, true},
		{"note written by someone else", twinfed.Activity{ID: "https://it.example/activities/4", Type: twinfed.ActivityCreate, Actor: anna, Object: "https://it.example/notes/4",
			Note: &twinfed.Note{ID: "https://it.example/notes/4", From: jean}}, false},
		{"announce of a partner's post", twinfed.Activity{ID: "https://it.example/activities/5", Type: twinfed.ActivityAnnounce, Actor: proj.ID, Object: "https://fr.example/notes/5",
			Note: &twinfed.Note{ID: "https://fr.example/notes/5", From: jean}}, true},
		{"profile of another node", twinfed.Activity{ID: "https://it.example/activities/6", Type: twinfed.ActivityUpdate, Actor: anna, Object: anna,
			Profile: &twinfed.Profile{ID: jean}}, false},
		{"like count of its own member's post", twinfed.Activity{ID: "https://it.example/activities/7", Type: twinfed.ActivityUpdate, Actor: anna, Object: "https://it.example/posts/7",
			Likes: &twinfed.PostLikes{Post: "https://it.example/posts/7", Likes: 2}}, true},
		{"like count of another node's post", twinfed.Activity{ID: "https://it.example/activities/8", Type: twinfed.ActivityUpdate, Actor: anna, Object: "https://fr.example/posts/8",
			Likes: &twinfed.PostLikes{Post: "https://fr.example/posts/8", Likes: 2}}, false},
		{"like count naming another node's post", twinfed.Activity{ID: "https://it.example/activities/9", Type: twinfed.ActivityUpdate, Actor: anna, Object: "https://it.example/posts/9",
			Likes: &twinfed.PostLikes{Post: "https://fr.example/posts/9", Likes: 2}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signer := it
			if tt.name == "founder asks the home node to update its project" {
				signer = fr
			}
			err := twinfed.CheckSameOrigin(signer, &tt.a)
			if (err == nil) != tt.ok {
				t.Fatalf("CheckSameOrigin: %v, want ok=%v", err, tt.ok)
			}
			if err != nil && twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
				t.Fatalf("code %s, want EFORBIDDEN", twinfed.ErrorCode(err))
			}
		})
	}
}
