package pagehtml

import (
	"io"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/twinfed/twinfed"
	"golang.org/x/net/html"
)

// Field is the form field a TwinSpace page's HTML is sent in; the
// errors of Check name it.
const Field = "content"

// MaterialsImages is the address prefix of the images a TwinSpace page may
// show: files of the TwinSpace's Materials, served by the node itself.
const MaterialsImages = "/twinspace/materials/file?"

// Sandbox is the sandbox every embed of a page is given: the
// service's player runs and may open its own page in a new tab, but may
// not navigate the TwinSpace's page or reach it.
const Sandbox = "allow-scripts allow-same-origin allow-popups allow-presentation allow-forms"

// Policy is what a TwinSpace page's HTML may hold: headings h2 to h4,
// paragraphs, bold, italic, underline, strike-through, quotes, lists,
// links (http, https, mailto and addresses of the node, rel="nofollow
// noopener", target only _blank), tables, figures, images of the
// TwinSpace's Materials, and iframes of the node's embeddable services.
// Check refuses what is dangerous with a message saying what; Sanitize
// keeps only what the policy allows, for what is stored and what other
// nodes send.
type Policy struct {
	embeds *Embeds
	images string
	img    *regexp.Regexp
	bm     *bluemonday.Policy
}

// New returns the policy of pages whose embeds are on allow and
// whose images' addresses start with images (a path of the node, such as
// MaterialsImages: it starts with one "/").
func New(allow *Embeds, images string) *Policy {
	if !strings.HasPrefix(images, "/") || strings.HasPrefix(images, "//") {
		panic("web: New: images must be a path of the node, such as " + MaterialsImages)
	}
	rest := `(?:` + segment + `)?` + tail
	if strings.Contains(images, "?") {
		rest = `[^#\s"'<>\\` + "`" + `]*`
	} else if !strings.HasSuffix(images, "/") {
		rest = segChar + `*` + tail
	}
	img := regexp.MustCompile(`^` + regexp.QuoteMeta(images) + rest + `$`)

	p := bluemonday.NewPolicy()
	p.AllowElements("h2", "h3", "h4", "p", "br", "strong", "b", "em", "i", "u", "s", "blockquote", "ul", "ol", "li",
		"table", "thead", "tbody", "tr", "th", "td", "caption", "figure", "figcaption")
	p.AllowStandardURLs() // http, https, mailto and relative addresses
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("target").Matching(regexp.MustCompile(`^_blank$`)).OnElements("a")
	p.RequireNoFollowOnLinks(true)
	span := regexp.MustCompile(`^[1-9][0-9]?$`)
	p.AllowAttrs("colspan", "rowspan").Matching(span).OnElements("th", "td")
	p.AllowAttrs("scope").Matching(regexp.MustCompile(`^(?:row|col|rowgroup|colgroup)$`)).OnElements("th")
	size := regexp.MustCompile(`^[0-9]{1,4}$`)
	p.AllowAttrs("src").Matching(img).OnElements("img")
	p.AllowAttrs("alt").OnElements("img")
	p.AllowAttrs("width", "height").Matching(size).OnElements("img", "iframe")
	p.AllowAttrs("src").Matching(allow.pattern()).OnElements("iframe")
	p.AllowAttrs("title").OnElements("iframe")
	return &Policy{embeds: allow, images: images, img: img, bm: p}
}

// Embeds returns the list of embeddable services the policy allows.
func (p *Policy) Embeds() *Embeds { return p.embeds }

// Sanitize returns the part of s the policy allows, with every link given
// rel="nofollow noopener" and every iframe the Sandbox, lazy loading
// and no referrer beyond the node's origin.
func (p *Policy) Sanitize(s string) string {
	clean := p.bm.Sanitize(s)
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(clean))
	openFrames := 0 // iframes dropped whose end tag is still to come
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		t := z.Token()
		if (t.Data == "img" || t.Data == "iframe") && tt != html.EndTagToken {
			if _, ok := attr(t, "src"); !ok { // its address was refused: nothing to show
				if t.Data == "iframe" && tt == html.StartTagToken {
					openFrames++
				}
				continue
			}
		}
		if tt == html.EndTagToken && t.Data == "iframe" && openFrames > 0 {
			openFrames--
			continue
		}
		if tt == html.StartTagToken || tt == html.SelfClosingTagToken {
			switch t.Data {
			case "a":
				t.Attr = setAttr(t.Attr, "rel", "nofollow noopener")
			case "iframe":
				t.Attr = setAttr(t.Attr, "sandbox", Sandbox)
				t.Attr = setAttr(t.Attr, "loading", "lazy")
				t.Attr = setAttr(t.Attr, "referrerpolicy", "strict-origin-when-cross-origin")
				t.Attr = setAttr(t.Attr, "allowfullscreen", "")
			case "img":
				t.Attr = setAttr(t.Attr, "loading", "lazy")
			}
		}
		b.WriteString(t.String())
	}
	return b.String()
}

func setAttr(attrs []html.Attribute, key, val string) []html.Attribute {
	for i := range attrs {
		if attrs[i].Key == key {
			attrs[i].Val = val
			return attrs
		}
	}
	return append(attrs, html.Attribute{Key: key, Val: val})
}

// Check is Check with the policy's embeds, and refuses as well an
// image whose address is not one of the TwinSpace's Materials (the page
// would show nothing: the node's pages load images only from itself).
func (p *Policy) Check(s string) error {
	if err := Check(s, p.embeds); err != nil {
		return err
	}
	return walkTags(s, func(t html.Token) error {
		if t.Type == html.EndTagToken || t.Data != "img" {
			return nil
		}
		src, _ := attr(t, "src")
		if !p.img.MatchString(src) {
			return pageRefused(twinfed.Errorf(twinfed.EINVALID, "An image of a page comes from the TwinSpace's Materials: upload it there, then insert it with the editor's image button."))
		}
		return nil
	})
}

// refusedElements are the elements a page may never hold: they run code,
// restyle the site, load plug-ins or send forms elsewhere.
var refusedElements = map[string]bool{
	"script": true, "style": true, "object": true, "embed": true, "form": true, "applet": true,
	"frame": true, "frameset": true, "base": true, "link": true, "meta": true, "noscript": true,
	"input": true, "button": true, "textarea": true, "select": true, "template": true,
	"svg": true, "math": true, "portal": true,
}

// urlAttrs are the attributes whose value a browser loads or follows.
var urlAttrs = map[string]bool{
	"href": true, "src": true, "srcset": true, "action": true, "formaction": true, "xlink:href": true,
	"poster": true, "background": true, "data": true, "cite": true, "longdesc": true, "lowsrc": true,
	"dynsrc": true, "ping": true, "manifest": true, "codebase": true, "archive": true, "classid": true,
	"icon": true, "usemap": true, "to": true, "from": true, "values": true,
}

// Check refuses the HTML of a page that holds what is dangerous,
// with an EINVALID error whose message names it and whose field error is
// on Field: a script, style, object, embed or form element (or a
// frame, base, link, meta, a form control, svg or math), an event handler attribute
// (on…) or an iframe's srcdoc, a javascript:, vbscript: or data: address, a style attribute
// with a script in it, or an iframe whose address is not on allow (the
// message names its host and the services allowed). Whatever it lets
// through is still sanitised (Policy.Sanitize) before it is stored.
func Check(s string, allow *Embeds) error {
	return walkTags(s, func(t html.Token) error {
		if refusedElements[t.Data] {
			return pageRefused(twinfed.Errorf(twinfed.EINVALID, "A page may not hold a <%s> element: pages have no scripts, styles, plug-ins, forms or drawings in code. Remove it and save again.", t.Data))
		}
		for _, a := range t.Attr {
			key := strings.ToLower(a.Key)
			if a.Namespace != "" {
				key = a.Namespace + ":" + key
			}
			if key == "srcdoc" {
				return pageRefused(twinfed.Errorf(twinfed.EINVALID, "A page may not hold an iframe's srcdoc: embed an address from the list of services instead."))
			}
			if strings.HasPrefix(key, "on") {
				return pageRefused(twinfed.Errorf(twinfed.EINVALID, "A page may not hold the event handler %s (on a <%s> element): pages run no scripts. Remove it and save again.", a.Key, t.Data))
			}
			if urlAttrs[key] || strings.HasSuffix(key, ":href") {
				if scheme := dangerousScheme(a.Val); scheme != "" {
					return pageRefused(twinfed.Errorf(twinfed.EINVALID, "A page may not hold a %s address: use an http or https address, or an image from the TwinSpace's Materials.", scheme))
				}
			}
			if key == "style" {
				v := strings.ToLower(squeeze(a.Val))
				if strings.Contains(v, "javascript:") || strings.Contains(v, "expression(") || strings.Contains(v, "url(") {
					return pageRefused(twinfed.Errorf(twinfed.EINVALID, "A page may not hold a style that loads an address or runs a script; use the editor's formatting instead."))
				}
			}
		}
		if t.Data == "iframe" && t.Type != html.EndTagToken {
			src, _ := attr(t, "src")
			if !allow.Allows(strings.TrimSpace(src)) {
				return pageRefused(embedRefused(strings.TrimSpace(src), allow))
			}
		}
		return nil
	})
}

// pageRefused adds the field error of Field to err.
func pageRefused(err *twinfed.Error) *twinfed.Error {
	err.Fields = map[string]string{Field: "This page holds something pages may not have; see the message at the top."}
	return err
}

// walkTags calls f with every start and end tag of s (nested in any way: the
// tokenizer sees what a browser's does, also inside elements a browser
// would not show), and returns f's first error. Tags in an svg or math
// element are walked too: their attributes run scripts the same way.
func walkTags(s string, f func(html.Token) error) error {
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			if z.Err() == io.EOF {
				return nil
			}
			return z.Err()
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			t := z.Token()
			t.Data = strings.ToLower(t.Data)
			if err := f(t); err != nil {
				return err
			}
		}
	}
}

func attr(t html.Token, key string) (string, bool) {
	for _, a := range t.Attr {
		if strings.EqualFold(a.Key, key) {
			return a.Val, true
		}
	}
	return "", false
}

// squeeze removes what a browser ignores inside an address's scheme:
// ASCII whitespace and control characters.
func squeeze(s string) string {
	return strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// dangerousScheme returns the scheme of a javascript:, vbscript: or data:
// address (as a browser reads it: spaces and control characters dropped,
// in any case), or "".
func dangerousScheme(v string) string {
	v = strings.ToLower(squeeze(v))
	for _, s := range []string{"javascript:", "vbscript:", "data:", "livescript:"} {
		if strings.HasPrefix(v, s) {
			return s
		}
	}
	return ""
}
