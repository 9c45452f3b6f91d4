package materials

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/blob"
)

func TestCleanName(t *testing.T) {
	long := strings.Repeat("a", 300) + ".pdf"
	for _, tc := range []struct{ in, want string }{
		{"report.pdf", "report.pdf"},
		{"../../etc/passwd", "passwd"},
		{`C:\Users\ada\photo.jpg`, "photo.jpg"},
		{"bad\x00name\n.txt", "badname.txt"},
		{"  spaced.png  ", "spaced.png"},
		{"/", ""},
		{"", ""},
		{"..", ""},
	} {
		if got := CleanName(tc.in); got != tc.want {
			t.Errorf("CleanName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := CleanName(long); utf8.RuneCountInString(got) != maxNameRunes || !strings.HasSuffix(got, ".pdf") {
		t.Errorf("a long name: %d runes, %q…", utf8.RuneCountInString(got), got[len(got)-8:])
	}
}

// TestCheckMaterial: what every node checks of a material's record, the
// origin first (a record cannot point readers to a third node).
func TestCheckMaterial(t *testing.T) {
	good := func() *twinfed.SpaceObject {
		return &twinfed.SpaceObject{Author: "https://it.example/users/anna", Fields: map[string]string{
			"hash": blob.HashOf([]byte("x")), "size": "1", "type": "application/pdf", "filename": "dir/r.pdf", "origin": "https://it.example"}}
	}
	o := good()
	if err := checkMaterial(o); err != nil || o.Title != "r.pdf" || o.Fields["filename"] != "r.pdf" {
		t.Fatalf("a good record: %v, %+v", err, o)
	}
	for name, edit := range map[string]func(o *twinfed.SpaceObject){
		"origin elsewhere":    func(o *twinfed.SpaceObject) { o.Fields["origin"] = "https://evil.example" },
		"origin with a path":  func(o *twinfed.SpaceObject) { o.Fields["origin"] = "https://it.example/files" },
		"origin not http":     func(o *twinfed.SpaceObject) { o.Fields["origin"] = "file://it.example" },
		"bad hash":            func(o *twinfed.SpaceObject) { o.Fields["hash"] = "../x" },
		"bad thumbnail":       func(o *twinfed.SpaceObject) { o.Fields["thumb"] = "x" },
		"no size":             func(o *twinfed.SpaceObject) { o.Fields["size"] = "0" },
		"a type not accepted": func(o *twinfed.SpaceObject) { o.Fields["type"] = "text/html" },
		"no name":             func(o *twinfed.SpaceObject) { o.Fields["filename"] = "/" },
		"no fields at all":    func(o *twinfed.SpaceObject) { o.Fields = nil },
	} {
		o := good()
		edit(o)
		if err := checkMaterial(o); twinfed.ErrorCode(err) != twinfed.EINVALID {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
	}
	f := &twinfed.SpaceObject{Title: "   "}
	if err := checkFolder(f); twinfed.ErrorCode(err) != twinfed.EINVALID {
		t.Errorf("a folder without a name: %v", err)
	}
}
