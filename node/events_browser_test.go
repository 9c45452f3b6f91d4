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

// TestEvents_Browser: in real Chromium, a teacher reading French creates
// an online event with the wizard (the free slots of the chosen day, in
// CET); a teacher reading Italian finds it in the month calendar and
// participates; the pages are whole in their language (no English left,
// no raw id, no ISO code), and pass the page checks (labels, headings).
func TestEvents_Browser(t *testing.T) {
	browser := startBrowser(t)
	clock := &eventClock{}
	n := nodetest.MustOpenNode(t, nodetest.Options{Now: clock.Now, Languages: []string{"it", "fr", "en"}, Tune: func(o *node.Options) {
		o.Service.Events = event.Config{Rooms: 2, Capacity: 100, MeetingURL: "https://meet.example/{room}"}
	}})
	seedTeacher(t, n, "marie", "Marie")
	seedTeacher(t, n, "luca", "Luca")
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
	date, _ := cetDay(clock.Now(), 4)

	// Marie, in French.
	b := reuseTab(t, browser, n)
	b.logIn("marie", "correct horse 1")
	b.open("/language?lang=fr&next=/events")
	whole(b, "fr")
	b.click("create an event", `a[href="/events/new"]`)
	whole(b, "fr")
	b.typeIn("#title", "Robotique en classe")
	b.typeIn("#description", "Premiers pas avec les robots.")
	photo := filepath.Join(t.TempDir(), "robot.png")
	if err := os.WriteFile(photo, testPNG(t), 0o600); err != nil {
		t.Fatal(err)
	}
	b.do("choose a photo", chromedp.SetUploadFiles(chromedp.CSS("#photos"), []string{photo}))
	b.do("choose the audience and the countries",
		chromedp.Click(chromedp.CSS("#audience-countries")),
		chromedp.Evaluate[chromedp.Void](`for (const o of document.querySelectorAll("#countries option")) o.selected = (o.value === "IT" || o.value === "FR")`),
		chromedp.SetValue(chromedp.CSS("#date"), date),
		chromedp.SetValue(chromedp.CSS("#minutes"), "60"))
	b.click("next step: the slots", `button[name=go][value=next]`)
	whole(b, "fr")
	b.wantContains("#slot", "CET")
	b.do("choose 14:00", chromedp.Click(chromedp.CSS(`input[name=slot][value="14:00"]`)))
	b.load("create", 200, chromedp.Click(chromedp.CSS(`button[name=go][value=create]`)))
	whole(b, "fr")
	b.wantContains("h1", "Robotique en classe")
	eventPath := b.path[:strings.Index(b.path, "?")]
	// The photo shows, served by this node (the CSP allows only 'self').
	b.do("wait for the photo", chromedp.Poll[chromedp.Void](`(() => { const i = document.querySelector("ul.photos img"); return i && i.complete && i.naturalWidth > 0 })()`, chromedp.WithPollingTimeout(10*time.Second)))

	// Marie corrects the title and the description from the edit form.
	b.click("change the event", `a[href="`+eventPath+`/edit"]`)
	whole(b, "fr")
	b.do("correct the title", chromedp.Evaluate[chromedp.Void](`document.getElementById("title").value = "Robotique en classe (atelier)"`))
	b.load("save", 200, chromedp.Click(chromedp.CSS(`form[action$="/edit"] button[type=submit]`)))
	whole(b, "fr")
	b.wantContains("h1", "Robotique en classe (atelier)")
	b.wantContains("main", "Vos modifications ont été enregistrées.")
	if n := eval[float64](b, `document.querySelectorAll("ul.photos img").length`); n != 1 {
		t.Fatalf("%v photos after the edit, want the one kept", n)
	}

	// Luca, in Italian, in a window of his own.
	l := privateTab(t, browser, n)
	l.logIn("luca", "correct horse 1")
	l.open("/language?lang=it&next=/events/calendar?month=" + date[:7])
	whole(l, "it")
	l.click("open the event from the calendar", `a.event[href="`+eventPath+`"]`)
	whole(l, "it")
	l.click("participate", `form[action$="/participate"] button`)
	whole(l, "it")
	l.wantContains("main", "Partecipi a questo evento.", "1 / 100", "Robotique en classe (atelier)")
	if n := eval[float64](l, `document.querySelectorAll("ul.photos img").length`); n != 1 {
		t.Fatalf("Luca sees %v photos, want 1", n)
	}

	// The event is live: Enter the meeting room, in Italian.
	start, _ := time.ParseInLocation("2006-01-02 15:04", date+" 14:00", mustZone(t))
	clock.Move(start.Add(time.Minute))
	l.open(eventPath)
	whole(l, "it")
	l.wantContains("main", "In diretta", "Entra nella sala riunioni")
	if v, err := n.Events().Get(t.Context(), &twinfed.Principal{Username: "luca", Role: twinfed.RoleMember}, n.URL()+eventPath); err != nil || v.State != twinfed.BookingConfirmed {
		t.Fatalf("luca's booking: %+v %v", v, err)
	}
}

func mustZone(t *testing.T) *time.Location {
	loc, err := time.LoadLocation(twinfed.ProgrammeZone)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
