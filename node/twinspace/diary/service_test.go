package diary

import (
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/twinfed/twinfed/node/twinspace"
)

// TestPolicy_ImagesFromMaterialsOnly: the policy keeps formatting and the
// project's materials' images, and drops every other image, script and
// handler; twinspace.MaterialIDs finds the materials a post shows.
func TestPolicy_ImagesFromMaterialsOnly(t *testing.T) {
	project := "https://it.example/projects/p1"
	src := func(p, m string) string {
		return `/twinspace/materials/file?id=` + url.QueryEscape(p) + `&amp;m=` + url.QueryEscape(m)
	}
	in := `<h2>Day one</h2><p onclick="x()">By the <b>river</b></p><script>alert(1)</script>` +
		`<img src="` + src(project, "https://it.example/twinspace/o/m1") + `" alt="river" onerror="x()">` +
		`<img src="` + src("https://fr.example/projects/p2", "m2") + `" alt="other">` +
		`<img src="https://evil.example/x.png"><img src="javascript:alert(1)">`
	out := dropForeignImages(Policy().Sanitize(in), project)
	for _, want := range []string{"<h2>Day one</h2>", "<b>river</b>", `alt="river"`} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in %s", want, out)
		}
	}
	for _, bad := range []string{"onclick", "<script", "onerror", "evil.example", "javascript:", `alt="other"`} {
		if strings.Contains(out, bad) {
			t.Errorf("%q kept in %s", bad, out)
		}
	}
	if got := twinspace.MaterialIDs(out); !reflect.DeepEqual(got, []string{"https://it.example/twinspace/o/m1"}) {
		t.Fatalf("MaterialIDs: %q", got)
	}
	if got := Handle(project); got != "diary-p1@it.example" {
		t.Fatalf("Handle: %q", got)
	}
}
