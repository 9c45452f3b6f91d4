package node_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/twinspace/discuss"
	"github.com/twinfed/twinfed/node/web"
)

// browserTwinSpaceForum walks the TwinSpace's Forum tab in a real browser
// on a phone (390 px), in French and in Italian: a teacher reading the
// site in French opens a discussion (an empty title is refused next to
// its field) and a thread; the pupil administrator replies; a teacher
// reading it in Italian sees the reply marked new, quotes it and answers.
// No page shows an English text, a raw message id or an ISO code.
//
// Pupils' sessions over HTTP come with node/pupil: until this branch has
// it, the pupil administrator's reply is written through the service.
func browserTwinSpaceForum(t *testing.T, browser context.Context) {
	langs := []string{"it", "fr", "en"}
	cat, err := web.NewCatalog(langs)
	if err != nil {
		t.Fatal(err)
	}
	f := newForumSpace(t, langs...)
	if err := f.n.TwinSpaces().Core.SetRole(context.Background(), f.anna, f.p.ID, f.brunoURL, twinfed.SpaceTeacher); err != nil {
		t.Fatal(err)
	}
	b := reuseTab(t, browser, f.n)
	b.do("set a phone's window", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
	defer b.do("reset the window", chromedp.EmulateReset())
	clean := func(lang string) {
		t.Helper()
		if bad := i18nLeaks(cat, lang, eval[[]string](b, pageTextJS)); len(bad) > 0 {
			t.Errorf("%s in %s: %d problem(s):\n  %s", b.path, lang, len(bad), strings.Join(bad, "\n  "))
		}
	}

	// In French: a discussion, then a thread.
	b.logIn("anna", "correct horse 1")
	b.open("/language?lang=fr&next=" + url.QueryEscape(discuss.ForumLink(f.p.ID)))
	b.wantText("#forum-title", cat.T("fr", "tsf.discussions"))
	clean("fr")
	b.load("open a discussion without a title", 400, chromedp.Click(chromedp.CSS(`form[action="/twinspace/forum/discussion/new"] button[type=submit]`)))
	b.wantContains("#title-error", cat.T("fr", "Give a title of at most 200 characters."))
	clean("fr")
	b.typeIn("#title", "Nos rivières")
	b.typeIn("#text", "Mesures et photos de nos rivières.")
	b.click("ouvrir la discussion", `form[action="/twinspace/forum/discussion/new"] button[type=submit]`)
	b.wantText("#discussion-title", "Nos rivières")
	clean("fr")
	b.typeIn("#title", "Semaine 1")
	b.typeIn("#text", "Qu'avez-vous mesuré ?")
	b.click("ouvrir le sujet", `form[action="/twinspace/forum/thread/new"] button[type=submit]`)
	b.wantText("#thread-title", "Semaine 1")
	b.wantContains("#replies-title", cat.TN("fr", "tsf.replies", 0))
	clean("fr")
	b.click("se déconnecter", `form[action="/logout"] button[type=submit]`)

	// The pupil administrator replies.
	ov, err := f.n.TwinSpaces().Forum.Overview(f.view(t, f.pupilAdmin))
	if err != nil || len(ov) != 1 {
		t.Fatalf("the pupil administrator's forum: %v %+v", err, ov)
	}
	dp, err := f.n.TwinSpaces().Forum.Discussion(f.view(t, f.pupilAdmin), ov[0].ID)
	if err != nil || len(dp.Threads) != 1 {
		t.Fatalf("the discussion: %v %+v", err, dp)
	}
	if _, err := f.n.TwinSpaces().Forum.Reply(context.Background(), f.pupilAdmin, f.p.ID, dp.Threads[0].ID, discuss.Input{Text: "L'acqua era a 12 gradi."}); err != nil {
		t.Fatal(err)
	}

	// In Italian: the reply is new; quote it and answer.
	b.logIn("bruno", "correct horse 1")
	b.open("/language?lang=it&next=" + url.QueryEscape(discuss.ForumLink(f.p.ID)))
	b.wantContains(".forum-list", "Nos rivières", cat.TN("it", "tsf.unread", 1))
	clean("it")
	b.click("apri la discussione", `.forum-list a`)
	b.wantContains(".forum-list", "Semaine 1", cat.TN("it", "tsf.unread", 1))
	clean("it")
	b.click("apri l'argomento", `.forum-list a`)
	b.wantContains("ol.forum-replies", "L'acqua era a 12 gradi.", "Pupil Two", cat.T("it", "tsf.new"))
	clean("it")
	b.click("cita", `ol.forum-replies .actions a`)
	b.wantContains(`form[action="/twinspace/forum/reply"] blockquote`, "Pupil Two", "12 gradi")
	b.typeIn("#text", "Brava! Da noi 14 gradi.")
	b.click("invia la risposta", `form[action="/twinspace/forum/reply"] button[type=submit]`)
	b.wantContains("ol.forum-replies li:last-child", "Brava! Da noi 14 gradi.", "Pupil Two")
	b.wantContains(".flash", cat.T("it", "flash.posted"))
	clean("it")
	if n := eval[int](b, `document.querySelectorAll("ol.forum-replies .new").length`); n != 0 {
		t.Errorf("replies still new after reading and answering: %d", n)
	}
}
