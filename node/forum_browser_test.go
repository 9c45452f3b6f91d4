package node_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// browserForum walks the partner forum in a real browser, in French and
// in Italian: a teacher reading the site in French posts an idea through
// the form (a first empty try is refused field by field); a teacher
// reading it in Italian finds it with the filters (partners sought in
// Italy, the subject), replies, and contacts its author from the post.
// No page shows an English text, a raw message id or an ISO code.
func browserForum(t *testing.T, browser context.Context) {
	langs := []string{"it", "fr", "en"}
	cat, err := web.NewCatalog(langs)
	if err != nil {
		t.Fatal(err)
	}
	n := MustOpenNode(t, nodeOpts{langs: langs})
	seedTeacher(t, n, "anna", "Anne")
	_, brunoURL := seedTeacher(t, n, "bruno", "Bruno")
	b := reuseTab(t, browser, n)
	clean := func(lang string) {
		t.Helper()
		if got := eval[string](b, `document.documentElement.lang`); got != lang {
			t.Fatalf("%s: html lang=%q, want %q", b.path, got, lang)
		}
		if bad := i18nLeaks(cat, lang, eval[[]string](b, pageTextJS)); len(bad) > 0 {
			t.Errorf("%s in %s: %d problem(s):\n  %s", b.path, lang, len(bad), strings.Join(bad, "\n  "))
		}
	}

	// In French: the forum, then a post.
	b.logIn("anna", "correct horse 1")
	b.open("/language?lang=fr&next=/forum")
	b.wantText("h1", cat.T("fr", "nav.forum"))
	clean("fr")
	b.click("publier une idée", `a[href="/forum/new"]`)
	clean("fr")
	b.load("publier un message vide", 400, chromedp.Click(chromedp.CSS(`form[action="/forum/new"] button[type=submit]`)))
	if got := b.text(".problem"); !strings.Contains(got, cat.T("fr", "Some fields need your attention.")) {
		t.Fatalf("the summary of the refused form: %q", got)
	}
	b.wantContains("#subjects-error", cat.T("fr", "Choose from one to eight subjects from the list."))
	clean("fr")
	b.do("choisir le fil", chromedp.SetValue(chromedp.CSS("#thread"), "age_6_11"))
	b.typeIn("#title", "Chansons de nos villes")
	for _, box := range []string{"#sub-music", "#band-age_6_11", "#lang-fr", "#seek-IT"} {
		b.do("cocher "+box, chromedp.Click(chromedp.CSS(box)))
	}
	b.typeIn("#months", "6")
	b.typeIn("#idea", "Nos élèves chantent leur ville ; les vôtres chantent la leur.")
	b.click("publier", `form[action="/forum/new"] button[type=submit]`)
	b.wantText("h1", "Chansons de nos villes")
	b.wantContains(".flash", cat.T("fr", "flash.forum_posted"))
	b.wantContains("article dl", cat.T("fr", "subject.music"), cat.T("fr", "ageband.age_6_11"), "Italie")
	clean("fr")
	b.click("se déconnecter", `form[action="/logout"] button[type=submit]`)

	// In Italian: find it by filters, reply, contact its author.
	b.logIn("bruno", "correct horse 1")
	b.open("/language?lang=it&next=/forum")
	clean("it")
	b.do("filtri", chromedp.SetValue(chromedp.CSS("#country"), "IT"), chromedp.SetValue(chromedp.CSS("#subject"), "music"),
		chromedp.SetValue(chromedp.CSS("#band"), "age_6_11"))
	b.click("cerca", `form[action="/forum"] button[type=submit]`)
	b.wantContains("#results-title", "1")
	clean("it")
	b.click("apri il messaggio", `ul.forum-posts a`)
	b.wantText("h1", "Chansons de nos villes")
	clean("it")
	b.typeIn("#text", "Volentieri! La mia classe canta Roma.")
	b.click("rispondi", `form[action="/forum/reply"] button[type=submit]`)
	b.wantContains(".flash", cat.T("it", "flash.forum_replied"))
	b.wantContains("ol.forum-replies", "La mia classe canta Roma")
	clean("it")
	b.typeIn("#message", "Scriviamoci!")
	b.click("contatta", `form[action="/forum/contact"] button[type=submit]`)
	b.wantContains(".flash", cat.T("it", "flash.contact_requested"))
	clean("it")

	anna := &twinfed.Principal{Username: "anna", Role: twinfed.RoleMember, Status: twinfed.StatusValidated}
	net, err := n.Social().Network(context.Background(), anna)
	if err != nil || len(net.Incoming) != 1 || net.Incoming[0].Peer != brunoURL || !strings.Contains(net.Incoming[0].Message, "Chansons de nos villes") {
		t.Fatalf("anna's incoming requests: %+v %v", net, err)
	}
}
