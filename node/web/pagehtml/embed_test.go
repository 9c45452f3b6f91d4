package pagehtml

import (
	"strings"
	"testing"
)

// TestEmbedURL: what teachers paste becomes the service's embed address,
// allowed by the default list; what is not on it is not.
func TestEmbedURL(t *testing.T) {
	allow := mustEmbeds(t)
	for _, tc := range []struct {
		pasted, want string
		ok           bool
	}{
		{"https://www.youtube.com/watch?v=dQw4w9WgXcQ", yt, true},
		{"https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=1m30s", yt + "?start=90", true},
		{"https://youtu.be/dQw4w9WgXcQ?t=42", yt + "?start=42", true},
		{"youtu.be/dQw4w9WgXcQ", yt, true},
		{"https://m.youtube.com/watch?v=dQw4w9WgXcQ&feature=share", yt, true},
		{"https://www.youtube.com/shorts/dQw4w9WgXcQ", yt, true},
		{"https://www.youtube.com/embed/dQw4w9WgXcQ", yt, true},
		{yt, yt, true},
		{"https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871", true},
		{"https://vimeo.com/76979871/abc123def", "https://player.vimeo.com/video/76979871?h=abc123def", true},
		{"https://vimeo.com/channels/staffpicks/76979871", "https://player.vimeo.com/video/76979871", true},
		{"https://padlet.com/teacher/our-town-board-x1y2z3", "https://padlet.com/embed/x1y2z3", true},
		{"https://learningapps.org/1234567", "https://learningapps.org/watch?app=1234567", true},
		{"https://wordwall.net/embed/abc123", "https://wordwall.net/embed/abc123", true},
		{"https://view.genial.ly/5f1e2d3c4b5a/interactive-image", "https://view.genial.ly/5f1e2d3c4b5a/interactive-image", true},
		{"https://docs.google.com/document/d/e/2PACX-1vAbC/pub", "https://docs.google.com/document/d/e/2PACX-1vAbC/pub?embedded=true", true},
		{"https://docs.google.com/presentation/d/e/2PACX-1vAbC/pub?start=false", "https://docs.google.com/presentation/d/e/2PACX-1vAbC/embed", true},
		{"https://docs.google.com/forms/d/e/1FAIpQL/viewform", "https://docs.google.com/forms/d/e/1FAIpQL/viewform?embedded=true", true},
		{"https://h5p.org/node/12345", "https://h5p.org/h5p/embed/12345", true},
		{"https://www.canva.com/design/DAFabc/xyz/view", "https://www.canva.com/design/DAFabc/xyz/view?embed", true},
		{"https://quizlet.com/gb/123456789/our-town-flash-cards/", "https://quizlet.com/123456789/flashcards/embed", true},
		{"https://www.geogebra.org/m/abcd1234", "https://www.geogebra.org/material/iframe/id/abcd1234", true},
		{"https://www.menti.com/al1b2c3", "https://www.menti.com/al1b2c3", true},
		{"https://read.bookcreator.com/abc/def", "https://read.bookcreator.com/abc/def", true},
		{`<iframe width="560" height="315" src="https://www.youtube.com/embed/dQw4w9WgXcQ" title="YouTube video player" allowfullscreen></iframe>`, yt, true},
		{"  https://player.vimeo.com/video/76979871  ", "https://player.vimeo.com/video/76979871", true},
		// Not on the list, or not an address.
		{"https://evil.example/embed/x", "https://evil.example/embed/x", false},
		{"https://docs.google.com/document/d/1abc/edit", "https://docs.google.com/document/d/1abc/edit", false},
		{"https://www.youtube.com/watch?v=short", "https://www.youtube.com/watch?v=short", false},
		{"javascript:alert(1)", "", false},
		{"", "", false},
		{"not an address at all", "", false},
	} {
		src, ok := EmbedURL(tc.pasted, allow)
		if ok != tc.ok || (tc.want != "" && src != tc.want) {
			t.Errorf("EmbedURL(%q) = %q, %v; want %q, %v", tc.pasted, src, ok, tc.want, tc.ok)
		}
	}
}

// TestEmbeds_Allows: the list's prefixes, their "*" segments and what
// may follow a prefix.
func TestEmbeds_Allows(t *testing.T) {
	allow := mustEmbeds(t)
	for src, want := range map[string]bool{
		yt: true,
		"HTTPS://WWW.YOUTUBE-NOCOOKIE.COM/embed/dQw4w9WgXcQ":  true,
		"https://www.youtube-nocookie.com:443/embed/x":        true,
		"https://www.youtube-nocookie.com:8443/embed/x":       false,
		"https://www.youtube-nocookie.com/embed":              false,
		"https://www.youtube-nocookie.com/embed/":             true,
		"https://www.youtube-nocookie.com/embed/./x":          false,
		"https://www.youtube-nocookie.com/embed/..":           false,
		"https://www.youtube-nocookie.com/embed/x/../../y":    false,
		"https://www.youtube-nocookie.com/embed/x\\..\\y":     false,
		"https://www.youtube-nocookie.com/embed/x%2F..%2Fy":   false,
		"https://www.youtube-nocookie.com/embed/x?a=../b":     true, // a query does not climb
		"https://www.youtube-nocookie.com/embed/x#t=30":       true,
		"https://www.youtube-nocookie.com/embed/x\"onload=x":  false,
		"https://www.youtube.com/embed/x":                     false,
		"https://learningapps.org/watch?app=1":                true,
		"https://learningapps.org/watchful":                   true, // the prefix ends mid-segment
		"https://learningapps.org/watch/..":                   false,
		"https://quizlet.com/123/flashcards/embed?i=1":        true,
		"https://quizlet.com/123/embed":                       false,
		"https://quizlet.com/123/../embed":                    false,
		"https://docs.google.com/document/d/e/2PACX/pub":      true,
		"https://docs.google.com/document/d/1abc/edit":        false,
		"https://www.canva.com/design/DAF/x/view?embed":       true,
		"https://evil.example/www.youtube-nocookie.com/embed": false,
	} {
		if got := allow.Allows(src); got != want {
			t.Errorf("Allows(%q) = %v, want %v", src, got, want)
		}
	}
	if hosts := allow.Hosts(); len(hosts) == 0 || hosts[0] != "www.youtube-nocookie.com" || strings.Count(strings.Join(hosts, " "), "docs.google.com") != 1 {
		t.Errorf("Hosts = %v", hosts)
	}
	if src := allow.FrameSources(); src[0] != "https://www.youtube-nocookie.com" {
		t.Errorf("FrameSources = %v", src)
	}
}

// TestNewEmbeds_Refuses: an entry twinfed.CheckEmbedPrefix refuses.
func TestNewEmbeds_Refuses(t *testing.T) {
	for _, bad := range []string{"www.youtube.com", "https://www.youtube.com/embed/", "example.org/a/../b", "EXAMPLE.org/x", "example.org/a*/b", "localhost/x", "example.org/a%2e"} {
		if _, err := NewEmbeds([]string{bad}); err == nil {
			t.Errorf("NewEmbeds(%q) accepted it", bad)
		}
	}
}
