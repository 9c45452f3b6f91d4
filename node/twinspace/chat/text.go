package chat

import (
	"html"
	"html/template"
	"regexp"
	"strings"
)

// linkRE finds the web addresses of a message: http and https only, up
// to a space or a character that cannot be in one unescaped.
var linkRE = regexp.MustCompile(`https?://[^\s<>"'\x60]+`)

// TextHTML renders a message's plain text as HTML: every character
// escaped, line breaks kept, and web addresses made into links that open
// apart from the page and pass on nothing (rel noopener noreferrer), with
// trailing punctuation left out of the link.
func TextHTML(text string) template.HTML {
	var b strings.Builder
	last := 0
	for _, m := range linkRE.FindAllStringIndex(text, -1) {
		start, end := m[0], m[1]
		end -= len(text[start:end]) - len(strings.TrimRight(text[start:end], ".,;:!?)]}"))
		if end-start <= len("https://") {
			continue
		}
		b.WriteString(escape(text[last:start]))
		u := html.EscapeString(text[start:end])
		b.WriteString(`<a href="` + u + `" rel="nofollow noopener noreferrer ugc" target="_blank">` + u + `</a>`)
		last = end
	}
	b.WriteString(escape(text[last:]))
	return template.HTML(b.String())
}

// escape escapes text and keeps its line breaks.
func escape(text string) string {
	return strings.ReplaceAll(html.EscapeString(strings.ReplaceAll(text, "\r\n", "\n")), "\n", "<br>")
}
