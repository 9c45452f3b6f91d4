package node_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/nodetest"
	"github.com/twinfed/twinfed/node/web"
)

// TestTraining_Browser: in real Chromium, the agency's officer publishes a
// learning event with one place from the back office; a teacher, on a
// phone and reading Italian, finds it, applies, and is told the agency
// selects; the officer accepts her; she sees her place confirmed and her
// notification. Every page is whole in its language and passes the page
// checks (labels, headings, no wider than the phone).
func TestTraining_Browser(t *testing.T) {
	browser := startBrowser(t)
	n := nodetest.MustOpenNode(t, nodetest.Options{Languages: []string{"it", "fr", "en"}})
	seedStaff(t, n, "officer", twinfed.RoleAgencyOfficer)
	seedTeacher(t, n, "giulia", "Giulia")
	cat, err := web.NewCatalog([]string{"it", "fr", "en"})
	if err != nil {
		t.Fatal(err)
	}
	whole := func(b *tab, lang string) {
		t.Helper()
		if bad := i18nLeaks(cat, lang, eval[[]string](b, pageTextJS)); len(bad) > 0 {
			t.Errorf("%s in %s: %d problem(s):\n  %s", b.path, lang, len(bad), strings.Join(bad, "\n  "))
		}
	}
	day := time.Now().UTC().AddDate(0, 0, 7).Format("2006-01-02")

	// The officer, in French, publishes.
	o := reuseTab(t, browser, n)
	o.logIn("officer", "staff password 1")
	o.open("/language?lang=fr&next=/backoffice/training")
	whole(o, "fr")
	o.click("publish a training", `a[href="/backoffice/training/new"]`)
	whole(o, "fr")
	o.typeIn("#title", "Progetti e valutazione")
	o.do("fill the form",
		chromedp.SetValue(chromedp.CSS("#kind"), "learning_event"),
		chromedp.SetValue(chromedp.CSS("#language"), "it"),
		chromedp.SetValue(chromedp.CSS("#start"), day),
		chromedp.SetValue(chromedp.CSS("#end"), day),
		chromedp.SetValue(chromedp.CSS("#deadline"), day),
		chromedp.SetValue(chromedp.CSS("#places"), "1"))
	o.click("publish", `form[action="/backoffice/training/new"] button[type=submit]`)
	whole(o, "fr")
	o.wantContains("main", "Progetti e valutazione", "La formation a été publiée.")
	boPath := o.path[:strings.Index(o.path, "?")]

	// Giulia, on a phone, in Italian.
	g := privateTab(t, browser, n)
	g.do("a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
	g.logIn("giulia", "correct horse 1")
	g.open("/language?lang=it&next=/training")
	whole(g, "it")
	g.click("open the training", `ul.training a`)
	whole(g, "it")
	g.click("apply", `form[action$="/apply"] button`)
	whole(g, "it")
	g.wantContains("main", "Ti sei candidato; la tua agenzia selezionerà tra i candidati.")
	trainingPath := g.path[:strings.Index(g.path, "?")]

	// The officer accepts her.
	o.open(boPath)
	whole(o, "fr")
	o.wantContains("main", "Giulia Rossi")
	o.do("accept", chromedp.Click(chromedp.CSS(`#app-giulia input[value=accepted]`)))
	o.click("save the decision", `#app-giulia form.decide button[type=submit]`)
	whole(o, "fr")
	o.wantContains("main", "La décision a été enregistrée et le membre prévenu.")

	// Giulia sees her place and her notification.
	g.open(trainingPath)
	whole(g, "it")
	g.wantContains("#my-application", "Il tuo posto è confermato.")
	g.open("/notifications")
	whole(g, "it")
	g.wantContains("main", "La tua agenzia ha deciso sulla tua candidatura alla formazione", "Progetti e valutazione")
	if !eval[bool](g, `document.documentElement.scrollWidth <= 390`) {
		t.Error("the notifications are wider than the phone")
	}
}
