package node_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/twinfed/twinfed/node/web"
)

// browserChat: two teachers of a project on one node, one reading in
// Spanish, the other in French, each in a browser of their own at a
// phone's width (390 px): the Chat tab passes checkPage and shows no
// English, a raw id or an ISO code; a message sent by one shows on the
// other's open page without a reload, and a removal takes it off both.
// (Two nodes: cmd/twinfed's TestBrowser_ChatAcrossNodes.)
func browserChat(t *testing.T, browser context.Context) {
	langs := []string{"es", "fr", "en"}
	cat, err := web.NewCatalog(langs)
	if err != nil {
		t.Fatal(err)
	}
	n := MustOpenNode(t, nodeOpts{localOnly: true, langs: langs})
	anna, annaURL := seedTeacher(t, n, "anna", "Anna")
	_, brunoURL := seedTeacher(t, n, "bruno", "Bruno")
	p := nationalProject(t, n, anna, annaURL, brunoURL)
	chat := "/twinspace/chat?id=" + url.QueryEscape(p.ID)
	open := func(user, lang string) *tab {
		b := privateTab(t, browser, n)
		b.do("a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
		b.logIn(user, "correct horse 1")
		b.open("/language?lang=" + lang + "&next=" + url.QueryEscape(chat))
		if bad := i18nLeaks(cat, lang, eval[[]string](b, pageTextJS)); len(bad) > 0 {
			t.Errorf("the chat in %s: %d problem(s):\n  %s", lang, len(bad), strings.Join(bad, "\n  "))
		}
		b.wantText("#chat-title", cat.T(lang, "chat.title"))
		eval[bool](b, `window.chatNoReload = true`)
		return b
	}
	until := func(b *tab, what, cond string) {
		t.Helper()
		if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			t.Fatalf("%s: %v\n%s", what, err, b.html())
		}
	}
	shows := func(text string) string {
		return `document.getElementById("chat-log").innerText.includes(` + jsString(text) + `)`
	}

	es, fr := open("anna", "es"), open("bruno", "fr")
	es.typeIn("#chat-content", "¡Hola Bruno! ¿Empezamos el lunes?")
	es.do("enviar", chromedp.Click(chromedp.CSS(`#chat-form button[type=submit]`)))
	until(fr, "Anna's message on Bruno's page", shows("¡Hola Bruno!"))
	until(es, "Anna's message on her page", shows("¡Hola Bruno!"))
	fr.wantContains("#chat-log .chat-remove button", cat.T("fr", "chat.remove"))
	fr.checkPage()
	if bad := i18nLeaks(cat, "fr", eval[[]string](fr, pageTextJS)); len(bad) > 0 {
		t.Errorf("a streamed message in French: %s", strings.Join(bad, "; "))
	}
	fr.do("retirer", chromedp.Click(chromedp.CSS(`#chat-log .chat-remove button`)))
	until(es, "the removal on Anna's page", "!"+shows("¡Hola Bruno!"))
	until(fr, "the removal on Bruno's page", "!"+shows("¡Hola Bruno!"))
	for _, b := range []*tab{es, fr} {
		if !eval[bool](b, `window.chatNoReload === true && document.documentElement.scrollWidth <= 390`) {
			t.Errorf("%s: the page reloaded or overflows 390 px", b.path)
		}
	}
}
