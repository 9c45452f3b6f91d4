package node_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/twinfed/twinfed/node/twinspace"
	"github.com/twinfed/twinfed/node/web"
)

// materialImages stands for the Materials tool (node/twinspace/materials,
// not on this node yet): one image for the editor's image button.
type materialImages struct{ project string }

func (m materialImages) EditorImages(context.Context, *twinspace.View) ([]web.EditorImage, error) {
	u := "/twinspace/materials/file?" + url.Values{"id": {m.project}, "m": {"harbour"}}.Encode()
	return []web.EditorImage{{URL: u, Name: "harbour.jpg", Alt: "The harbour at dawn"}}, nil
}

// TestBrowser_Pages: in Chromium, at a phone's width, in Italian and in
// English, a teacher builds a page with the editor alone (a heading, bold
// text, an image of the Materials, a YouTube video) and publishes it; a
// visitor without an account reads it. Every page passes checkPage
// (labels, one h1, contrast, nothing wider than the phone). Set
// TWINFED_SKIP_BROWSER=1 to skip it. Screenshots of the editor, the page
// and the history go to $TWINFED_SCREENSHOTS when set.
func TestBrowser_Pages(t *testing.T) {
	browser := startBrowser(t)
	n, p, _, _ := pagesProject(t)
	n.TwinSpaces().Pages.SetImages(materialImages{p.ID})
	cat, err := web.NewCatalog([]string{"it", "en"})
	if err != nil {
		t.Fatal(err)
	}
	b := reuseTab(t, browser, n)
	b.do("set a phone's window", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
	defer b.do("reset the window", chromedp.EmulateReset())
	b.logIn("anna", "correct horse 1")
	tabPath := "/twinspace/pages?id=" + url.QueryEscape(p.ID)
	shot := func(b *tab, name string) {
		t.Helper()
		dir := os.Getenv("TWINFED_SCREENSHOTS")
		if dir == "" {
			return
		}
		buf, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "pages-"+name+".png"), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	for _, lang := range []string{"it", "en"} {
		t.Run(lang, func(t *testing.T) {
			b.t = t
			b.open("/language?lang=" + lang + "&next=" + url.QueryEscape(tabPath))
			b.click("add a page", `a.button[href^="/twinspace/pages/edit"]`)
			if got := eval[string](b, `document.querySelector('[data-cmd=bold]').getAttribute('aria-label')`); got != cat.T(lang, "editor.bold") {
				t.Errorf("the bold button says %q, want %q", got, cat.T(lang, "editor.bold"))
			}
			title := map[string]string{"it": "Il nostro porto", "en": "Our harbour"}[lang]
			b.typeIn("#title", title)

			// A heading, a paragraph with bold text.
			b.do("write the heading", chromedp.Click(chromedp.CSS(".editor-area")), chromedp.KeyEvent(title), chromedp.Click(chromedp.CSS("[data-cmd=h2]")))
			b.do("write a paragraph", chromedp.KeyEvent(kb.End), chromedp.KeyEvent(kb.Enter), chromedp.Click(chromedp.CSS("[data-cmd=p]")),
				chromedp.KeyEvent("Boats come in at "), chromedp.Click(chromedp.CSS("[data-cmd=bold]")), chromedp.KeyEvent("dawn"),
				chromedp.Click(chromedp.CSS("[data-cmd=bold]")), chromedp.KeyEvent("."))
			// An image of the Materials.
			b.do("insert the image", chromedp.Click(chromedp.CSS("[data-cmd=image]")), chromedp.WaitVisible(chromedp.CSS(".editor-images li")),
				chromedp.Click(chromedp.CSS(".editor-images li")), chromedp.Click(chromedp.CSS(".editor-panel button.primary")),
				chromedp.WaitVisible(chromedp.CSS(".editor-area img")))
			// A YouTube video, from its ordinary link.
			b.do("embed the video", chromedp.Click(chromedp.CSS("[data-cmd=embed]")),
				chromedp.SendKeys(chromedp.CSS(".editor-panel input"), "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
				chromedp.Click(chromedp.CSS(".editor-panel button.primary")), chromedp.WaitReady(chromedp.CSS(".editor-area iframe")))
			b.checkPage()
			shot(b, lang+"-editor")
			b.click("save", `form[action="/twinspace/pages/save"] button[type=submit]`)
			b.wantContains(".flash", cat.T(lang, "flash.page_saved"))
			b.wantText(".page-content h2", title)
			b.wantText(".page-content b", "dawn")
			if got := eval[string](b, `document.querySelector('.page-content img').alt + ' ' + document.querySelector('.page-content iframe').src`); got != "The harbour at dawn https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ" {
				t.Errorf("the saved page's image and video: %q", got)
			}

			// Published: a visitor without an account reads it.
			b.click("publish", `form[action="/twinspace/pages/publish"] button[type=submit]`)
			b.wantContains(".flash", cat.T(lang, "flash.page_published"))
			shot(b, lang+"-page")
			page := strings.TrimPrefix(eval[string](b, `location.href`), b.base)
			visitor := privateTab(t, browser, n)
			visitor.do("a phone's window", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
			visitor.open("/language?lang=" + lang + "&next=" + url.QueryEscape(page))
			visitor.wantText(".page-content h2", title)
			visitor.wantText(".page-content b", "dawn")
			shot(visitor, lang+"-public")
			b.click("the history", `a.button[href^="/twinspace/pages/history"]`)
			shot(b, lang+"-history")
			if n := eval[int](visitor, `document.querySelectorAll('.page-content iframe[src^="https://www.youtube-nocookie.com/embed/"]').length`); n != 1 {
				t.Errorf("the visitor sees %d videos", n)
			}
		})
	}
}
