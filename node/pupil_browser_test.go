package node_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/twinfed/twinfed/node/web"
)

// browserPupils: on a phone (390 px), in Italian and in English, a
// teacher pastes a class list, downloads the credentials sheet with its
// button, and a pupil logs in with a slip's username and password and
// lands on their TwinSpaces.
func browserPupils(t *testing.T, chrome context.Context) {
	cat, err := web.NewCatalog([]string{"it", "en"})
	if err != nil {
		t.Fatal(err)
	}
	n := MustOpenNode(t, nodeOpts{})
	seedTeacher(t, n, "anna", "Anna")
	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(chrome, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads}); err != nil {
		t.Fatalf("allow downloads: %v", err)
	}
	phone := chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch)

	for i, lang := range []string{"it", "en"} {
		b := reuseTab(t, chrome, n)
		b.do("set a phone's window", phone)
		b.open("/language?lang=" + lang + "&next=/")
		b.logIn("anna", "correct horse 1")
		b.open("/pupils")
		b.wantText("h1", cat.T(lang, "title.pupils"))
		names := []string{"Giulia R.", "Émile D.", "Ξένια K."}
		if i == 1 {
			names = []string{"Tom S.", "Ana P."}
		}
		b.do("paste the class list", chromedp.SetValue(chromedp.CSS("#names"), strings.Join(names, "\n\n")))
		b.click("make the accounts", `#class-form button[type=submit]`)
		b.wantText("h1", cat.T(lang, "title.pupils_created"))
		users := eval[[]string](b, `[...document.querySelectorAll("#credentials code.username")].map(e => e.textContent)`)
		pws := eval[[]string](b, `[...document.querySelectorAll("#credentials code.password")].map(e => e.textContent)`)
		if len(users) != len(names) || len(pws) != len(names) {
			t.Fatalf("%s: %d usernames and %d passwords shown for %d names", lang, len(users), len(pws), len(names))
		}

		// The sheet, with its button: a PDF of one slip per pupil.
		sheet := filepath.Join(downloads, "credentials.pdf")
		_ = os.Remove(sheet)
		b.do("download the sheet", chromedp.Click(chromedp.CSS(`#sheet-form button[type=submit]`)))
		var pdf []byte
		eventually(t, 20*time.Second, func() bool {
			pdf, err = os.ReadFile(sheet)
			return err == nil && len(pdf) > 0 && strings.HasSuffix(strings.TrimSpace(string(pdf)), "%%EOF")
		}, "the credentials sheet downloaded")
		text := pdfText(t, pdf)
		if got := strings.Count(text, n.URL()+"/pupils/login"); got != len(names) {
			t.Errorf("%s: the sheet has %d slips for %d pupils", lang, got, len(names))
		}
		for j := range names {
			if !strings.Contains(text, users[j]) || !strings.Contains(text, pws[j]) || !strings.Contains(text, names[j]) {
				t.Errorf("%s: no slip of %s (%s) in\n%s", lang, names[j], users[j], text)
			}
		}
		if !strings.Contains(text, cat.T(lang, "pupils.sheet.password")) {
			t.Errorf("%s: the sheet is not in %s:\n%s", lang, lang, text)
		}

		// A pupil, on another phone, in the same language.
		p := privateTab(t, chrome, n)
		p.do("set a phone's window", phone)
		p.open("/language?lang=" + lang + "&next=/pupils/login")
		p.open("/pupils/login")
		p.wantText("h1", cat.T(lang, "title.pupil_login"))
		p.typeIn("#username", users[0])
		p.typeIn("#password", pws[0])
		p.click("the pupil logs in", `form[action="/pupils/login"] button[type=submit]`)
		if p.path != "/my-twinspaces" {
			t.Fatalf("%s: the pupil landed on %s", lang, p.path)
		}
		p.wantText("h1", cat.T(lang, "title.my_twinspaces"))
		p.wantContains("#who", names[0])
		p.wantText("header.site nav ul.menu", cat.T(lang, "nav.my_twinspaces"))
	}
}
