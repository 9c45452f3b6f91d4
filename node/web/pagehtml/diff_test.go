package pagehtml

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestDiffHTML: blocks same, added, removed, and a rewritten block
// compared word by word.
func TestDiffHTML(t *testing.T) {
	old := `<h2>Our town</h2><p>We live by the sea.</p><ul><li>fish</li><li>boats</li></ul>` +
		`<table><tr><th>Day</th><th>Hour</th></tr><tr><td>Monday</td><td>9:00</td></tr></table><p>Goodbye</p>`
	new := `<h2>Our town</h2><p>We live by the <strong>big</strong> sea.</p><ul><li>fish</li><li>nets</li><li>boats</li></ul>` +
		`<table><tr><th>Day</th><th>Hour</th></tr><tr><td>Monday</td><td>9:00</td></tr></table>` +
		`<figure><img src="/twinspace/materials/file?f=1" alt="The harbour"></figure><iframe src="` + yt + `"></iframe>`
	got := Diff(old, new)
	want := []Block{
		{Op: Same, Tag: "h2", Text: "Our town"},
		{Op: Changed, Tag: "p", Text: "We live by the big sea.", Words: []Word{
			{Same, "We"}, {Same, "live"}, {Same, "by"}, {Same, "the"}, {Added, "big"}, {Same, "sea."}}},
		{Op: Same, Tag: "li", Text: "fish"},
		{Op: Added, Tag: "li", Text: "nets"},
		{Op: Same, Tag: "li", Text: "boats"},
		{Op: Same, Tag: "tr", Text: "Day | Hour"},
		{Op: Same, Tag: "tr", Text: "Monday | 9:00"},
		{Op: Removed, Tag: "p", Text: "Goodbye"},
		{Op: Added, Tag: "img", Text: "The harbour"},
		{Op: Added, Tag: "iframe", Text: yt},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Diff:\n got %s\nwant %s", dump(got), dump(want))
	}
	if !HasChanges(got) {
		t.Error("HasChanges = false")
	}
	if same := Diff(old, old); HasChanges(same) || len(same) != 7 {
		t.Errorf("a page against itself: %s", dump(same))
	}
}

// TestDiffHTML_Edges: empty versions, text outside blocks, and a change
// too large for the table, which still lists every block.
func TestDiffHTML_Edges(t *testing.T) {
	if d := Diff("", ""); len(d) != 0 {
		t.Errorf("two empty pages: %s", dump(d))
	}
	if d := Diff("", "plain text"); len(d) != 1 || d[0].Op != Added || d[0].Tag != "" || d[0].Text != "plain text" {
		t.Errorf("text outside blocks: %s", dump(d))
	}
	if d := Diff("<p>a</p>", ""); len(d) != 1 || d[0].Op != Removed {
		t.Errorf("all removed: %s", dump(d))
	}
	var a, b strings.Builder
	for i := range 2100 {
		fmt.Fprintf(&a, "<p>old %d</p>", i)
		fmt.Fprintf(&b, "<li>new %d</li>", i)
	}
	d := Diff("<p>first</p>"+a.String(), "<p>first</p>"+b.String())
	if len(d) != 1+2100+2100 || d[0].Op != Same || d[1].Op != Removed || d[len(d)-1].Op != Added {
		t.Errorf("a large change: %d blocks, %v … %v", len(d), d[1], d[len(d)-1])
	}
}

func dump(d []Block) string {
	var b strings.Builder
	for _, x := range d {
		fmt.Fprintf(&b, "\n  %s <%s> %q %v", x.Op, x.Tag, x.Text, x.Words)
	}
	return b.String()
}
