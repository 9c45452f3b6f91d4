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
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/blob"
	"github.com/twinfed/twinfed/node/web"
)

// browserMaterials: on a phone's screen (390 px), a teacher uploads two
// files at once in Italian (the page's script sends them with a progress
// bar) and sees their thumbnails; in English, a file whose content is not
// what its name says is refused with the message on the page, and a file
// dropped on the form is uploaded.
func browserMaterials(t *testing.T, browser context.Context) {
	cat, err := web.NewCatalog([]string{"it", "en"})
	if err != nil {
		t.Fatal(err)
	}
	n := MustOpenNode(t, nodeOpts{localOnly: true})
	anna, annaURL := seedTeacher(t, n, "anna", "Anna")
	_, brunoURL := seedTeacher(t, n, "bruno", "Bruno")
	seedStaff(t, n, "officer", twinfed.RoleAgencyOfficer)
	proj := nationalProject(t, n, anna, annaURL, brunoURL)
	page := "/twinspace/materials?id=" + url.QueryEscape(proj.ID)

	dir := t.TempDir()
	photo, report, fake := filepath.Join(dir, "fiume.png"), filepath.Join(dir, "relazione.pdf"), filepath.Join(dir, "foto.jpg")
	for name, content := range map[string][]byte{photo: pngFile(t, 640, 400, 3), report: pdfFile(), fake: pdfFile()} {
		if err := os.WriteFile(name, content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	previews := 1
	if blob.PDFPreview() {
		previews = 2
	}

	b := reuseTab(t, browser, n)
	b.do("set a phone's window", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
	defer b.do("reset the window", chromedp.EmulateReset())
	b.open("/language?lang=it&next=/")
	b.logIn("anna", "correct horse 1")
	b.open(page)
	b.wantContains(".quota", cat.T("it", "mat.quota_space"))
	b.do("choose two files", chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{photo, report}))
	b.do("upload them", chromedp.Click(chromedp.CSS(`#upload-form button[type=submit]`)))
	b.do("wait for the list", chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.path = strings.TrimPrefix(eval[string](b, `location.href`), b.base)
	b.checkPage()
	b.wantText(".flash", cat.T("it", "flash.uploaded"))
	b.wantContains(".files", "fiume.png", "relazione.pdf")
	deadline := time.Now().Add(30 * time.Second)
	for {
		loaded := eval[float64](b, `[...document.querySelectorAll(".files img")].filter(i => i.complete && i.naturalWidth > 0).length`)
		if int(loaded) == previews {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v thumbnails shown, want %d:\n%s", loaded, previews, b.html())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if bad := i18nLeaks(cat, "it", eval[[]string](b, pageTextJS)); len(bad) > 0 {
		t.Errorf("the materials page in it: %d problem(s):\n  %s", len(bad), strings.Join(bad, "\n  "))
	}
	if shots := os.Getenv("TWINFED_SCREENSHOTS"); shots != "" {
		buf, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err == nil {
			err = os.WriteFile(filepath.Join(shots, "it-materials-390.png"), buf, 0o644)
		}
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
	}

	// In English: a PDF named foto.jpg is refused, said on the page.
	b.open("/language?lang=en&next=" + url.QueryEscape(page))
	b.open(page)
	b.do("choose a file that is not what it says", chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{fake}))
	b.do("upload it", chromedp.Click(chromedp.CSS(`#upload-form button[type=submit]`)))
	b.do("wait for the refusal", chromedp.Poll[chromedp.Void](`document.getElementById("upload-status").innerText.includes("PDF")`, chromedp.WithPollingTimeout(30*time.Second)))
	b.wantContains("#upload-status", "“foto.jpg” is named as JPG but its content is PDF")
	if n := eval[float64](b, `document.querySelectorAll(".files .file").length`); n != 2 {
		t.Fatalf("%v files listed after the refusal, want 2", n)
	}

	// A file dropped on the form is uploaded at once.
	eval[bool](b, `(() => {
		const dt = new DataTransfer();
		dt.items.add(new File(["Notes for Monday: the river walk.\n"], "notes.txt", {type: "text/plain"}));
		document.getElementById("drop-zone").dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
		return true;
	})()`)
	b.do("wait for the list", chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.wantText(".flash", cat.T("en", "flash.uploaded"))
	b.wantContains(".files", "notes.txt")
}
