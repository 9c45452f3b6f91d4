package twinfed_test

import (
	"testing"
	"time"

	"github.com/twinfed/twinfed"
)

// TestPostLikes: a replica shows the author's node's count of the other
// nodes' likes and its own members' likes as it holds them; only a newer
// count replaces the one held.
func TestPostLikes(t *testing.T) {
	l := &twinfed.PostLikes{Likes: 5, ByNode: map[string]int{"fr.example": 2, "es.example": 1}}
	for _, tt := range []struct {
		host  string
		local int
		want  int
	}{
		{"fr.example", 2, 5}, // as the author's node knows them
		{"fr.example", 3, 6}, // a like of theirs on its way
		{"fr.example", 1, 4}, // an unlike of theirs on its way
		{"es.example", 1, 5},
		{"de.example", 0, 5}, // no member of theirs likes it
	} {
		if got := l.ReplicaLikes(tt.host, tt.local); got != tt.want {
			t.Errorf("ReplicaLikes(%s, %d) = %d, want %d", tt.host, tt.local, got, tt.want)
		}
	}
	now := time.Now()
	for _, tt := range []struct {
		name     string
		held, at time.Time
		want     bool
	}{
		{"none held", time.Time{}, now, true},
		{"newer", now, now.Add(time.Nanosecond), true},
		{"the same", now, now, false},
		{"older", now, now.Add(-time.Second), false},
	} {
		if got := twinfed.NewerLikes(tt.held, tt.at); got != tt.want {
			t.Errorf("NewerLikes %s = %v, want %v", tt.name, got, tt.want)
		}
	}
}
