package twinfed

import (
	"encoding/base64"
	"net/url"
	"strings"
)

// URLHost returns the host[:port] of a URL, or "" when it does not parse.
// The nodes' own URLs take a path without url.Parse (plainHost): the same
// answer without its allocations, on every same-origin check of an
// activity.
func URLHost(raw string) string {
	if host, ok := plainHost(raw); ok {
		return host
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}

// plainHost returns the host of raw when raw has the plain form of the
// nodes' URLs, "http(s)://" then a host of letters, digits, dots and
// hyphens with an optional ":port" of digits, then nothing or a path of
// printable ASCII without '%' (nothing url.Parse refuses or rewrites); ok
// is false for any other form, which URLHost leaves to url.Parse.
func plainHost(raw string) (host string, ok bool) {
	rest, ok := strings.CutPrefix(raw, "https://")
	if !ok {
		if rest, ok = strings.CutPrefix(raw, "http://"); !ok {
			return "", false
		}
	}
	end := strings.IndexByte(rest, '/')
	if end < 0 {
		end = len(rest)
	}
	host = rest[:end]
	if host == "" || host[0] == ':' {
		return "", false
	}
	port := false
	for i := range len(host) {
		switch c := host[i]; {
		case '0' <= c && c <= '9':
		case c == ':' && !port:
			port = true
		case !port && ('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '.' || c == '-'):
		default:
			return "", false
		}
	}
	for i := end; i < len(rest); i++ {
		if c := rest[i]; c <= ' ' || c >= 0x7f || c == '%' {
			return "", false
		}
	}
	return host, true
}

// PlainURL reports whether raw is an absolute http(s) URL of the plain form
// (plainHost) whose path is only letters, digits, '-', '.', '_', '~' and
// '/': url.Parse reads it and its String gives raw back unchanged.
func PlainURL(raw string) bool {
	host, ok := plainHost(raw)
	if !ok {
		return false
	}
	_, rest, _ := strings.Cut(raw, "://")
	for i := len(host); i < len(rest); i++ {
		switch c := rest[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~', c == '/':
		default:
			return false
		}
	}
	return true
}

// The URL layout every node serves. Actor and object ids live under the
// node's base URL (the same-origin rule of ARCHITECTURE.md relies on it).

// ActorURL returns the ActivityPub id of a member: <base>/users/<username>.
func ActorURL(base, username string) string {
	return strings.TrimRight(base, "/") + "/users/" + url.PathEscape(username)
}

// AgencyURL returns the id of the node's agency Service actor: <base>/agency.
func AgencyURL(base string) string { return strings.TrimRight(base, "/") + "/agency" }

// SharedInboxURL returns the node's shared inbox: <base>/inbox.
func SharedInboxURL(base string) string { return strings.TrimRight(base, "/") + "/inbox" }

// ActivityURL returns the id of an activity the node sends: <base>/activities/<id>.
func ActivityURL(base, id string) string {
	return strings.TrimRight(base, "/") + "/activities/" + url.PathEscape(id)
}

// KeyID returns the keyId an actor signs with: <actor>#main-key.
func KeyID(actor string) string { return actor + "#main-key" }

// UsernameFromActor returns the username of a member actor URL under base,
// and false when actor is not one.
func UsernameFromActor(base, actor string) (string, bool) {
	prefix := strings.TrimRight(base, "/") + "/users/"
	if !strings.HasPrefix(actor, prefix) {
		return "", false
	}
	name, err := url.PathUnescape(strings.TrimPrefix(actor, prefix))
	if err != nil || name == "" || strings.Contains(name, "/") {
		return "", false
	}
	return name, true
}

// ProjectURL returns the id of a project, the URL of its Group actor on the
// founder's node: <base>/projects/<id>.
func ProjectURL(base, id string) string {
	return strings.TrimRight(base, "/") + "/projects/" + url.PathEscape(id)
}

// TwinSpaceURL returns the URL of a project's TwinSpace: <project>/twinspace.
func TwinSpaceURL(project string) string { return project + "/twinspace" }

// PupilURL is the actor URL of a pupil's or a visitor's account on the
// node at base: what their writes in a TwinSpace are attributed to. It is
// never a member's actor (members live under /users/).
func PupilURL(base, username string) string {
	return strings.TrimRight(base, "/") + "/pupils/" + username
}

// IsPupilURL reports whether actor is a pupil's or a visitor's actor URL.
func IsPupilURL(actor string) bool { return strings.Contains(actor, "/pupils/") }

// DiaryURL returns the URL of a project's diary actor, the fediverse's
// follow target and the diary's canonical public page: <project>/diary.
func DiaryURL(project string) string { return project + "/diary" }

// DiaryPostURL returns the public URL of a diary post, its Article's id:
// <project>/diary/posts/<the post object's id, unpadded base64url>.
func DiaryPostURL(project, object string) string {
	return DiaryURL(project) + "/posts/" + base64.RawURLEncoding.EncodeToString([]byte(object))
}
