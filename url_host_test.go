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

// FuzzPlainURL: a URL PlainURL accepts parses as an absolute http(s) URL
// with a host, and prints back unchanged.
func FuzzPlainURL(f *testing.F) {
	for _, raw := range urlHostCases {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw string) { checkPlainURL(t, raw) })
}

// TestPlainURL: the plain URLs of the cases pass, the others do not.
func TestPlainURL(t *testing.T) {
	for _, raw := range urlHostCases {
		checkPlainURL(t, raw)
	}
	for raw, want := range map[string]bool{
		"https://it.twinfed.example/activities/01HXYZ-a_b.c~d": true,
		"http://127.0.0.1:8421":                                true,
		"http://host/a?b":                                      false,
		"http://host/a#b":                                      false,
		"http://host/a%41":                                     false,
		"http://host/a@b":                                      false,
		"http://host/a!b":                                      false,
	} {
		if PlainURL(raw) != want {
			t.Errorf("PlainURL(%q) = %v, want %v", raw, !want, want)
		}
	}
}

func checkPlainURL(t *testing.T, raw string) {
	t.Helper()
	if !PlainURL(raw) {
		return
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.String() != raw {
		t.Errorf("PlainURL(%q) but url.Parse gives %v, %v", raw, u, err)
	}
}

func parsedHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}
