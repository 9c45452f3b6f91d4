package web

import (
	"html"
	"strings"

	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/twinfed/twinfed/node/mail"
)

// Letter is an e-mail to a member, written from catalogue messages in the
// recipient's language by Catalog.Mail: a greeting, then its parts in
// order, each a paragraph of the catalogue, a link back to the node or a
// text quoted as it is (the agency's reason).
type Letter struct {
	Subject string         // message id of the subject
	Name    string         // the recipient's first name, for the greeting
	Site    string         // the node's base URL, in the signature
	Parts   []LetterPart   // the body, in order
	Data    map[string]any // the placeholders of the messages ({{.Duration}}, {{.Email}}…)
}

// LetterPart is one part of a Letter's body: exactly one of its fields is
// set.
type LetterPart struct {
	Msg   string // a message id, filled with the letter's Data
	Link  string // an absolute URL, on a line of its own
	Quote string // a text shown as it is
}

// Para is a paragraph of the catalogue.
func Para(id string) LetterPart { return LetterPart{Msg: id} }

// LinkPart is a link back to the node: an absolute URL.
func LinkPart(url string) LetterPart { return LetterPart{Link: url} }

// QuotePart is a text shown as it is, such as the agency's reason.
func QuotePart(text string) LetterPart { return LetterPart{Quote: text} }

// MailLang returns the language to write to a member in: their chosen
// language (the page's language when they registered) if the node offers
// it, else the node's default.
func (c *Catalog) MailLang(locale string) string {
	if c.Offered(locale) {
		return locale
	}
	return c.langs[0]
}

// Mail writes l to the address to in lang (see MailLang), as a plain-text
// part and an HTML part.
func (c *Catalog) Mail(lang, to string, l Letter) mail.Message {
	data := map[string]any{"Name": l.Name, "Site": l.Site}
	for k, v := range l.Data {
		data[k] = v
	}
	subject := c.TData(lang, l.Subject, data)
	hello := c.TData(lang, "mail.hello", data)
	signature := c.TData(lang, "mail.signature", data)

	var text, body strings.Builder
	text.WriteString(hello + "\n\n")
	body.WriteString("<p>" + html.EscapeString(hello) + "</p>\n")
	for _, p := range l.Parts {
		switch {
		case p.Link != "":
			text.WriteString(p.Link + "\n\n")
			u := html.EscapeString(p.Link)
			body.WriteString(`<p><a href="` + u + `">` + u + "</a></p>\n")
		case p.Quote != "":
			text.WriteString(p.Quote + "\n\n")
			body.WriteString(`<blockquote style="margin:1em 0;padding:0 1em;border-inline-start:3px solid #ccc">` +
				strings.ReplaceAll(html.EscapeString(p.Quote), "\n", "<br>\n") + "</blockquote>\n")
		default:
			s := c.TData(lang, p.Msg, data)
			text.WriteString(s + "\n\n")
			body.WriteString("<p>" + html.EscapeString(s) + "</p>\n")
		}
	}
	text.WriteString("-- \n" + signature + "\n")
	sig := html.EscapeString(signature)
	if l.Site != "" { // the node's address in the signature, as a link
		u := html.EscapeString(l.Site)
		sig = strings.Replace(sig, u, `<a href="`+u+`">`+u+"</a>", 1)
	}
	body.WriteString(`<p style="color:#555">` + sig + "</p>\n")

	dir := "ltr"
	if lang == "ar" {
		dir = "rtl"
	}
	page := "<!DOCTYPE html>\n<html lang=\"" + html.EscapeString(lang) + "\" dir=\"" + dir + "\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
		html.EscapeString(subject) + "</title>\n</head>\n<body style=\"font-family:sans-serif;line-height:1.5\">\n" + body.String() + "</body>\n</html>\n"
	return mail.Message{To: to, Subject: subject, Body: text.String(), HTML: page}
}

// TData returns message id in lang with its placeholders filled from data
// ({{.Name}}); a message the language lacks is English's, and an unknown id
// is returned as it is.
func (c *Catalog) TData(lang, id string, data map[string]any) string {
	loc := c.locs[lang]
	if loc == nil {
		loc = c.locs["en"]
	}
	if loc == nil {
		return id
	}
	s, err := loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil && lang != "en" && c.locs["en"] != nil { // a catalogue not yet complete: English, never the id
		s, err = c.locs["en"].Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	}
	if err != nil {
		return id
	}
	return s
}
