package web

// Editor is what the "editor" template (templates/_editor.html) renders:
// a textarea of a page's HTML that static/editor.js turns into a
// formatting editor (headings, bold, italic, lists, links, tables, images
// of the TwinSpace's Materials, embeds, undo and redo) whose toolbar is
// labelled in the reader's language. Without JavaScript the textarea is
// the editor, and the server sanitises what it sends (PagePolicy).
type Editor struct {
	p     *Page
	Name  string // the form field, and the textarea's id
	Label string // the field's label, translated
	Value string // the HTML to edit
	Err   string // the field's error, translated
	// Images is the address of the JSON list of images the image button
	// offers ([]EditorImage); "": no image button.
	Images string
	// Embed is the address of the embed field's check (Kit.EmbedLookup,
	// asked with ?url=); "": no embed button.
	Embed string
	// Hosts are the services a teacher may embed from (Embeds.Hosts),
	// named in the embed field's hint.
	Hosts []string
}

// EditorImage is an image the editor's image button offers.
type EditorImage struct {
	URL   string `json:"url"`             // the image's address, under the PagePolicy's images prefix
	Name  string `json:"name"`            // its file name, shown in the list
	Thumb string `json:"thumb,omitempty"` // a small version for the list; "": URL
	Alt   string `json:"alt,omitempty"`   // a description to start the alt text from
}

// Editor returns the editor of form field name, labelled by message id
// label, filled with the form's value of name (or value when the form has
// none), offering the images of the JSON list at images and the embeds
// that embed checks. It marks the page as one that runs the node's
// scripts.
func (p *Page) Editor(name, label, value, images, embed string) *Editor {
	p.Scripts = true
	if v, ok := p.Form[name]; ok && len(v) > 0 {
		value = v[0]
	}
	return &Editor{p: p, Name: name, Label: p.T(label), Value: value, Err: p.Err(name), Images: images, Embed: embed}
}

// T translates a message id into the page's language.
func (e *Editor) T(id string) string { return e.p.T(id) }

// HostList names the services of Hosts, for the embed field's hint.
func (e *Editor) HostList() string {
	out := ""
	for i, h := range e.Hosts {
		if i > 0 {
			out += ", "
		}
		out += h
	}
	return out
}
