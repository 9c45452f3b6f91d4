package twinfed

import (
	"strings"
	"testing"
)

func TestCheckEmbedPrefix(t *testing.T) {
	for _, ok := range []string{"www.youtube-nocookie.com/embed/", "learningapps.org/watch", "quizlet.com/*/*/embed", "view.genial.ly/", "docs.google.com/document/d/e/*/pub"} {
		if err := CheckEmbedPrefix(ok); err != nil {
			t.Errorf("CheckEmbedPrefix(%q) = %v", ok, err)
		}
	}
	for bad, want := range map[string]string{
		"www.youtube.com":             "host and a path prefix",
		"/embed/":                     "host and a path prefix",
		"https://player.vimeo.com/x/": "host",
		"localhost/x/":                "full domain name",
		"Player.Vimeo.com/video/":     "lower case",
		"-bad.example/x":              "not a domain name",
		"a..example/x":                "not a domain name",
		"example.org/a/../b":          `".."`,
		"example.org/./b":             `"."`,
		"example.org/a*/b":            "whole path segment",
		"example.org/a%2e/b":          "the path has",
		"example.org/a?b":             "the path has",
		"example.org/a b":             "the path has",
		"example.org:8443/a":          "has ':'",
	} {
		if err := CheckEmbedPrefix(bad); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckEmbedPrefix(%q) = %v, want an error with %q", bad, err, want)
		}
	}
}
