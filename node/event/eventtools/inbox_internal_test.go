package eventtools

import "testing"

// TestIsEventURL: the answers whose target has the form of an event's id
// go to that event's writer; no other URL does.
func TestIsEventURL(t *testing.T) {
	for u, want := range map[string]bool{
		"https://fr.example/events/01HX":         true,
		"http://127.0.0.1:8080/events/01HX":      true,
		"https://fr.example/events/":             false,
		"https://fr.example/events/01HX/forum":   false,
		"https://fr.example/events/01HX?x=1":     false,
		"https://fr.example/users/a/events/01HX": false,
		"https://fr.example/projects/01HX":       false,
		"":                                       false,
	} {
		if got := isEventURL(u); got != want {
			t.Errorf("isEventURL(%q) = %v, want %v", u, got, want)
		}
	}
}
