package diary

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The diary's Atom 1.0 feed (RFC 4287): /twinspace/diary/atom?id=<project>,
// on every node that holds the TwinSpace, for anyone.

const atomNS = "http://www.w3.org/2005/Atom"

// atomFeed is an Atom feed document.
type atomFeed struct {
	XMLName xml.Name    `xml:"feed"`
	NS      string      `xml:"xmlns,attr"`
	Lang    string      `xml:"xml:lang,attr,omitempty"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  *atomAuthor `xml:"author,omitempty"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomAuthor struct {
	Name string `xml:"name"`
	URI  string `xml:"uri,omitempty"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type atomEntry struct {
	ID        string     `xml:"id"`
	Title     string     `xml:"title"`
	Updated   string     `xml:"updated"`
	Published string     `xml:"published"`
	Author    atomAuthor `xml:"author"`
	Links     []atomLink `xml:"link"`
	Content   atomText   `xml:"content"`
}

// Absolute makes a post's relative URLs (its materials' images) absolute
// on base, for readers elsewhere (a feed reader, a fediverse server).
func Absolute(content, base string) string {
	base = strings.TrimRight(base, "/")
	content = strings.ReplaceAll(content, `src="/`, `src="`+base+"/")
	return strings.ReplaceAll(content, `href="/`, `href="`+base+"/")
}

func atomTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (h *Web) atom(w http.ResponseWriter, r *http.Request) {
	v, err := h.svc.core.OpenView(r.Context(), nil, r.URL.Query().Get("id"), true)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	posts, err := h.svc.PublicPosts(v.Project.ID)
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	base := h.svc.core.BaseURL()
	page := Actor(v.Project.ID)
	f := atomFeed{NS: atomNS, ID: page, Title: v.Project.Title, Updated: atomTime(v.Project.Created),
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: base + "/twinspace/diary/atom?id=" + url.QueryEscape(v.Project.ID)},
			{Rel: "alternate", Type: "text/html", Href: page},
		},
		Author: &atomAuthor{Name: v.Project.Title, URI: page}}
	var newest time.Time
	for _, o := range posts {
		if o.Updated.After(newest) {
			newest = o.Updated
		}
		f.Entries = append(f.Entries, atomEntry{
			ID: PostURL(v.Project.ID, o.ID), Title: o.Title, Updated: atomTime(o.Updated), Published: atomTime(o.Created),
			Author:  atomAuthor{Name: o.Name},
			Links:   []atomLink{{Rel: "alternate", Type: "text/html", Href: PostURL(v.Project.ID, o.ID)}},
			Content: atomText{Type: "html", Body: Absolute(o.Content, base)},
		})
	}
	if !newest.IsZero() {
		f.Updated = atomTime(newest)
	}
	out, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		h.kit.ErrorPage(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Write([]byte(xml.Header))
	w.Write(out)
}
