package node_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// browserDiary: at a phone's width (390 px), a teacher reading the site in
// Italian writes a diary post through the Diary tab (a first try without a
// title is refused on the field), and a visitor without an account,
// reading in French in a private window, reads it on the Diary tab and on
// the diary's canonical page; no page shows an English text, a raw
// message id or an ISO code, and none is wider than the window.
func browserDiary(t *testing.T, browser context.Context) {
	langs := []string{"it", "fr", "en"}
	cat, err := web.NewCatalog(langs)
	if err != nil {
		t.Fatal(err)
	}
	n := MustOpenNode(t, nodeOpts{localOnly: true, langs: langs})
	anna, annaURL := seedTeacher(t, n, "anna", "Anna")
	_, brunoURL := seedTeacher(t, n, "bruno", "Bruno")
	seedStaff(t, n, "officer", twinfed.RoleAgencyOfficer)
	p := nationalProject(t, n, anna, annaURL, brunoURL)
	diaryTab := "/twinspace/diary?id=" + url.QueryEscape(p.ID)

	b := reuseTab(t, browser, n)
	b.do("set a phone's window", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
	defer b.do("reset the window", chromedp.EmulateReset())
	clean := func(b *tab, lang string) {
		t.Helper()
		if got := eval[string](b, `document.documentElement.lang`); got != lang {
			t.Fatalf("%s: html lang=%q, want %q", b.path, got, lang)
		}
		if bad := i18nLeaks(cat, lang, eval[[]string](b, pageTextJS)); len(bad) > 0 {
			t.Errorf("%s in %s: %d problem(s):\n  %s", b.path, lang, len(bad), strings.Join(bad, "\n  "))
		}
	}

	// In Italian, the teacher writes.
	b.logIn("anna", "correct horse 1")
	b.open("/language?lang=it&next=" + url.QueryEscape(diaryTab))
	b.wantText("#diary-title", cat.T("it", "diary.title"))
	clean(b, "it")
	// The text in the formatting editor, with a word in bold.
	b.do("write the post", chromedp.Click(chromedp.CSS(".editor-area")), chromedp.KeyEvent("Oggi al fiume "),
		chromedp.Click(chromedp.CSS("[data-cmd=bold]")), chromedp.KeyEvent("abbiamo misurato"),
		chromedp.Click(chromedp.CSS("[data-cmd=bold]")), chromedp.KeyEvent(" l'acqua."))
	b.load("pubblicare senza titolo", 400, chromedp.Click(chromedp.CSS(`form[action="/twinspace/diary/save"] button[type=submit]`)))
	b.wantContains("#title-error", cat.T("it", "Give the post a title of at most 200 characters."))
	clean(b, "it")
	b.typeIn("#diary-post-title", "Una giornata al fiume")
	b.click("pubblicare", `form[action="/twinspace/diary/save"] button[type=submit]`)
	b.wantContains(".flash", cat.T("it", "flash.diary_published"))
	b.wantText("article.diary-post h3", "Una giornata al fiume")
	b.wantContains("article.diary-post .content strong, article.diary-post .content b", "abbiamo misurato")
	clean(b, "it")

	// In French, a visitor without an account reads it.
	v := privateTab(t, browser, n)
	v.do("set a phone's window", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
	rid := p.ID[strings.LastIndexByte(p.ID, '/')+1:]
	for _, page := range []string{diaryTab, "/projects/" + rid + "/diary"} {
		v.open("/language?lang=fr&next=" + url.QueryEscape(page))
		v.wantText("#diary-title", cat.T("fr", "diary.title"))
		v.wantText("article.diary-post h3", "Una giornata al fiume")
		v.wantContains("article.diary-post .content strong, article.diary-post .content b", "abbiamo misurato")
		if n := eval[int](v, `document.querySelectorAll('form[action="/twinspace/diary/save"]').length`); n != 0 {
			t.Fatalf("the visitor sees the diary's form on %s", page)
		}
		clean(v, "fr")
	}
}
