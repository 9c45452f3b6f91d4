package node_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/event"
	"github.com/twinfed/twinfed/node/nodetest"
	"github.com/twinfed/twinfed/node/web"
)

// TestEventFiles_Browser: in real Chromium at phone width, a confirmed
// participant reading Italian opens the event's files from its page and
// uploads a picture, which shows with its thumbnail; the organiser
// reading French finds it; both pages are whole in their language and
// pass the page checks.
func TestEventFiles_Browser(t *testing.T) {
	browser := startBrowser(t)
	clock := &eventClock{}
	n := nodetest.MustOpenNode(t, nodetest.Options{Now: clock.Now, Languages: []string{"it", "fr", "en"}, Tune: func(o *node.Options) {
		o.Service.Events = event.Config{Rooms: 2, Capacity: 100}
	}})
	org, _ := seedTeacher(t, n, "marie", "Marie")
	lucaP, _ := seedTeacher(t, n, "luca", "Luca")
	cat, err := web.NewCatalog([]string{"it", "fr", "en"})
	if err != nil {
		t.Fatal(err)
	}
	whole := func(b *tab, lang string) {
		t.Helper()
		if bad := i18nLeaks(cat, lang, eval[[]string](b, pageTextJS)); len(bad) > 0 {
			t.Errorf("%s in %s: %d problem(s):\n  %s", b.path, lang, len(bad), strings.Join(bad, "\n  "))
		}
		b.checkPage()
	}
	date, _ := cetDay(clock.Now(), 4)
	e, err := n.Events().Create(t.Context(), org, event.Input{Title: "Robotique en classe", Language: "fr", Kind: twinfed.EventOnline, Audience: twinfed.AudienceAll, Date: date, Slot: "14:00", Minutes: 60})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := n.Events().Participate(t.Context(), lucaP, e.ID); st != twinfed.BookingConfirmed {
		t.Fatalf("luca: %s", st)
	}
	path := n.Events().Path(e.ID)

	l := reuseTab(t, browser, n)
	l.do("phone width", chromedp.EmulateViewport(390, 844))
	l.logIn("luca", "correct horse 1")
	l.open("/language?lang=it&next=" + path)
	l.click("open the files", `a[href="`+path+`/files"]`)
	whole(l, "it")
	l.wantContains("main", "Ancora nessun file.")
	pic := filepath.Join(t.TempDir(), "robot.png")
	if err := os.WriteFile(pic, testPNG(t), 0o600); err != nil {
		t.Fatal(err)
	}
	l.do("choose the file", chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{pic}))
	l.load("upload", 200, chromedp.Click(chromedp.CSS(`form.upload button[type=submit]`)))
	whole(l, "it")
	l.wantContains("main", "robot.png", "PNG")
	l.do("wait for the thumbnail", chromedp.Poll[chromedp.Void](`(() => { const i = document.querySelector("ul.files img"); return i && i.complete && i.naturalWidth > 0 })()`, chromedp.WithPollingTimeout(10*time.Second)))

	m := privateTab(t, browser, n)
	m.do("phone width", chromedp.EmulateViewport(390, 844))
	m.logIn("marie", "correct horse 1")
	m.open("/language?lang=fr&next=" + path + "/files")
	whole(m, "fr")
	m.wantContains("main", "Fichiers de l'événement", "robot.png")
	if k := eval[float64](m, `document.querySelectorAll("ul.files form[action$='/files/delete']").length`); k != 1 {
		t.Fatalf("the organiser is offered %v deletions, want 1", k)
	}
}
