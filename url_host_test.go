package twinfed

import (
	"net/url"
	"testing"
)

// urlHostCases are URLs of every form URLHost meets, plain and not.
var urlHostCases = []string{
	"http://127.0.0.1:8421/users/marco.bianchi",
	"https://it.twinfed.example/events/01HXYZ",
	"https://it.twinfed.example",
	"http://localhost:/x",
	"http://IT.Example.ORG/a?b=c#d",
	"http://host?x=1",
	"http://host#frag",
	"http://user:pw@host/x",
	"http://[::1]:80/x",
	"http://host:8o/x",
	"http://host:80:90/x",
	"http://:80/x",
	"http:///x",
	"http://",
	"http://host/a%20b",
	"http://host/a%zz",
	"http://host/a b",
	"http://host/a\x7fb",
	"http://host/\x01",
	"http://hÖst/x",
	"http://host/é",
	"HTTP://host/x",
	"ftp://host/x",
	"host/x",
	"//host/x",
	"",
	"http://host\\x/y",
	"http://ho_st/x",
	"https://a-b.c-d.example:443/users/x/outbox?page=true",
}

// TestURLHost: the plain path answers as url.Parse does, on plain URLs and
// on every other form.
func TestURLHost(t *testing.T) {
	plain := 0
	for _, raw := range urlHostCases {
		if _, ok := plainHost(raw); ok {
			plain++
		}
		if got, want := URLHost(raw), parsedHost(raw); got != want {
			t.Errorf("URLHost(%q) = %q, url.Parse says %q", raw, got, want)
		}
	}
	if plain < 5 {
		t.Errorf("only %d of the cases took the plain path", plain)
	}
}

// FuzzURLHost compares URLHost with url.Parse on any input.
func FuzzURLHost(f *testing.F) {
	for _, raw := range urlHostCases {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if got, want := URLHost(raw), parsedHost(raw); got != want {
			t.Errorf("URLHost(%q) = %q, url.Parse says %q", raw, got, want)
		}
	})
}

func parsedHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}
