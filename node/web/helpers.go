package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/twinfed/twinfed"
)

// WantsActivity reports whether the request asks for ActivityStreams.
func WantsActivity(r *http.Request) bool {
	a := r.Header.Get("Accept")
	return strings.Contains(a, "application/activity+json") || strings.Contains(a, "application/ld+json")
}

// SafeNext is next when it is a path on this site, "/" otherwise: where
// a form may send the visitor after it.
func SafeNext(next string) string {
	if strings.HasPrefix(next, "/") && !strings.HasPrefix(next, "//") && !strings.Contains(next, "\\") {
		return next
	}
	return "/"
}

// RedirectDone goes to path with a flash message (?done=flash).
func RedirectDone(w http.ResponseWriter, r *http.Request, path, flash string) {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	http.Redirect(w, r, path+sep+"done="+flash, http.StatusSeeOther)
}

// DisplayName is a peer's name, or user@host when the directory does not
// hold their profile.
func DisplayName(p *twinfed.Profile, actor string) string {
	if p != nil && p.Name != "" {
		return p.Name
	}
	return actor[strings.LastIndexByte(actor, '/')+1:] + "@" + twinfed.URLHost(actor)
}

// ProfileLink is where a peer's profile page is on this node.
func ProfileLink(actor string) string { return "/people/profile?id=" + url.QueryEscape(actor) }

// AvatarPath is the default avatar, shown for a member without a photo.
const AvatarPath = "/static/avatar.svg"

// PhotoSrc is where a page shows a member's photo: the default avatar
// when they show none, else through the node's image proxy
// (/media/proxy, node/feed), which serves other nodes' photos from this
// node (the pages' Content-Security-Policy keeps img-src 'self') and
// sends this node's own to their path.
func PhotoSrc(p *twinfed.Profile) string {
	if p == nil || p.PhotoURL == "" {
		return AvatarPath
	}
	return "/media/proxy?url=" + url.QueryEscape(p.PhotoURL)
}
