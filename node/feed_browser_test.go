package node_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/twinfed/twinfed/node/web"
)

// browserFeed: an Italian teacher posts on her wall with an image from the
// home page; a bad file is refused with the Italian message; her French
// follower sees the post and its image in his feed, likes it and replies;
// her profile's tabs work. Every page is checked for English, raw ids and
// codes in its language (i18nLeaks) and for checkPage's basics.
func browserFeed(t *testing.T, browser context.Context) {
	langs := []string{"en", "it", "fr"}
	cat, err := web.NewCatalog(langs)
	if err != nil {
		t.Fatal(err)
	}
	n := MustOpenNode(t, nodeOpts{localOnly: true, langs: langs})
	_, annaURL := seedTeacher(t, n, "anna", "Anna")
	bruno, _ := seedTeacher(t, n, "bruno", "Bruno")
	if err := n.Social().FollowMember(context.Background(), bruno, annaURL); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "primavera.png"), filepath.Join(dir, "note.png")
	if err := os.WriteFile(good, pngImage(t), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("this is a text, not a picture"), 0o644); err != nil {
		t.Fatal(err)
	}
	leaks := func(b *tab, lang string) {
		t.Helper()
		if bad := i18nLeaks(cat, lang, eval[[]string](b, pageTextJS)); len(bad) > 0 {
			t.Errorf("%s in %s: %d problem(s):\n  %s", b.path, lang, len(bad), strings.Join(bad, "\n  "))
		}
	}

	// Anna, in Italian.
	b := reuseTab(t, browser, n)
	b.open("/language?lang=it&next=/")
	b.logIn("anna", "correct horse 1")
	b.wantText("#feed-title", cat.T("it", "feed.title"))
	leaks(b, "it")
	b.typeIn("#text", "Il nostro progetto di primavera")
	b.do("choose a file that is not an image", chromedp.SetUploadFiles(chromedp.CSS("#images"), []string{bad}))
	b.load("publish a non-image", 400, chromedp.Click(chromedp.CSS(`form[action="/posts"] button[type=submit]`)))
	b.wantText("#images-error", cat.T("it", "This file is not an image: upload a JPEG, PNG, GIF or WebP image."))
	leaks(b, "it")
	b.do("choose an image", chromedp.SetUploadFiles(chromedp.CSS("#images"), []string{good}))
	b.click("publish", `form[action="/posts"] button[type=submit]`)
	b.wantContains(".feed", "Il nostro progetto di primavera")
	// The image loads after the page: wait for it (at most 10 s).
	var w float64
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if w = eval[float64](b, `(document.querySelector(".feed .images img")||{}).naturalWidth||0`); w == 3 || time.Now().After(deadline) {
			break
		}
	}
	if w != 3 {
		t.Fatalf("the post's image did not load (width %v)", w)
	}
	leaks(b, "it")
	b.open("/people/activity?id=" + url.QueryEscape(annaURL))
	b.wantContains(".profile", "Il nostro progetto di primavera")
	leaks(b, "it")
	for _, tab := range []string{"photos", "events", "groups", "projects"} {
		b.open("/people/activity?tab=" + tab + "&id=" + url.QueryEscape(annaURL))
		leaks(b, "it")
	}
	b.click("log out", `form[action="/logout"] button[type=submit]`)

	// Bruno, in French.
	b.open("/language?lang=fr&next=/")
	b.logIn("bruno", "correct horse 1")
	b.wantContains(".feed", "Il nostro progetto di primavera")
	if w := eval[float64](b, `document.querySelector(".feed .images img").naturalWidth`); w != 3 {
		t.Fatalf("the follower does not see the image (width %v)", w)
	}
	leaks(b, "fr")
	b.click("like", `form[action="/posts/like"] button[type=submit]`)
	b.wantContains(".feed", cat.T("fr", "feed.you_like"))
	b.click("open the post", `.feed .post a.when`)
	b.typeIn("#reply-text", "Magnifique !")
	b.click("reply", `form[action="/posts/reply"] button[type=submit]`)
	b.wantContains("#replies", "Magnifique !")
	leaks(b, "fr")
	for _, path := range []string{"/people/activity?tab=photos&id=" + url.QueryEscape(annaURL), "/people/new", "/people/schools?q=Galilei", "/people?q=Rossi"} {
		b.open(path)
		leaks(b, "fr")
	}
}
