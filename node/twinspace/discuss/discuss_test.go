package discuss

import (
	"strings"
	"testing"

	"github.com/twinfed/twinfed"
)

func TestTextHTML(t *testing.T) {
	for in, want := range map[string]string{
		"Hello":                         "<p>Hello</p>",
		"One\ntwo":                      "<p>One<br>two</p>",
		"One\r\n\r\nTwo\n \nThree":      "<p>One</p><p>Two</p><p>Three</p>",
		"<script>alert(1)</script> & x": "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; x</p>",
		"  \n\n  ":                      "",
	} {
		if got := TextHTML(in); got != want {
			t.Errorf("TextHTML(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCheck_RemoteObjects: what every node requires of a forum object it
// receives, whoever sent it: the HTML made here from the text, never the
// sender's; the bounds; the shape of each kind.
func TestCheck_RemoteObjects(t *testing.T) {
	reply := func(edit func(o *twinfed.SpaceObject)) *twinfed.SpaceObject {
		o := &twinfed.SpaceObject{ID: "https://fr.example/twinspace/o/1", Kind: twinfed.SpaceKindReply, Parent: "https://it.example/twinspace/o/t",
			Title: "ignored", Content: `<img src=x onerror=alert(1)>`, Public: true,
			Fields: map[string]string{"text": "Ciao <b>tutti</b>", "discussion": "https://it.example/twinspace/o/d"}}
		if edit != nil {
			edit(o)
		}
		return o
	}
	o := reply(nil)
	if err := checkReply(o); err != nil {
		t.Fatal(err)
	}
	if o.Content != "<p>Ciao &lt;b&gt;tutti&lt;/b&gt;</p>" || o.Title != "" || o.Public {
		t.Fatalf("a reply as stored: %+v", o)
	}
	bad := map[string]*twinfed.SpaceObject{
		"no thread":           reply(func(o *twinfed.SpaceObject) { o.Parent = "" }),
		"no discussion":       reply(func(o *twinfed.SpaceObject) { delete(o.Fields, "discussion") }),
		"no text":             reply(func(o *twinfed.SpaceObject) { o.Fields["text"] = "  " }),
		"too long":            reply(func(o *twinfed.SpaceObject) { o.Fields["text"] = strings.Repeat("x", MaxText+1) }),
		"a malformed quote":   reply(func(o *twinfed.SpaceObject) { o.Fields["quote"] = "a b" }),
		"too many materials":  reply(func(o *twinfed.SpaceObject) { o.Fields["materials"] = strings.Repeat("m,", MaxMaterials) + "m" }),
		"an empty material":   reply(func(o *twinfed.SpaceObject) { o.Fields["materials"] = "a,,b" }),
		"a thread untitled":   {ID: "t", Kind: twinfed.SpaceKindThread, Parent: "d", Fields: map[string]string{"text": "x"}},
		"a thread at the top": {ID: "t", Kind: twinfed.SpaceKindThread, Title: "T", Fields: map[string]string{"text": "x"}},
		"a title too long":    {ID: "t", Kind: twinfed.SpaceKindThread, Parent: "d", Title: strings.Repeat("t", MaxTitle+1), Fields: map[string]string{"text": "x"}},
		"a discussion inside": {ID: "d", Kind: twinfed.SpaceKindDiscussion, Parent: "x", Title: "D"},
	}
	for name, o := range bad {
		var err error
		switch o.Kind {
		case twinfed.SpaceKindReply:
			err = checkReply(o)
		case twinfed.SpaceKindThread:
			err = checkThread(o)
		default:
			err = checkDiscussion(o)
		}
		if twinfed.ErrorCode(err) != twinfed.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
	d := &twinfed.SpaceObject{ID: "d", Kind: twinfed.SpaceKindDiscussion, Title: " Art ", Content: "<script>x</script>"}
	if err := checkDiscussion(d); err != nil || d.Content != "" || d.Title != "Art" {
		t.Fatalf("a discussion without a description: %v %+v", err, d)
	}
	if err := keepParent(nil, &twinfed.SpaceObject{Parent: "a"}, &twinfed.SpaceObject{Parent: "b"}); twinfed.ErrorCode(err) != twinfed.EINVALID {
		t.Errorf("a thread moved: %v", err)
	}
}
