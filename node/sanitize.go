package node

import "github.com/microcosm-cc/bluemonday"

// newHTMLPolicy allows the little formatting a profile description needs.
func newHTMLPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "b", "strong", "i", "em", "ul", "ol", "li")
	p.AllowStandardURLs()
	p.AllowAttrs("href").OnElements("a")
	p.RequireNoFollowOnLinks(true)
	return p
}
