package node_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/chromedp/chromedp"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/web"
)

// screenshotLanguages are the languages whose pages are kept as
// screenshots when TWINFED_SCREENSHOTS names a directory: the scripts
// the other languages do not cover (Arabic right to left, Greek,
// Georgian, Armenian, Cyrillic).
var screenshotLanguages = []string{"ar", "el", "ka", "hy", "uk"}

// pageTextJS returns the page's visible text pieces in its own language,
// each as "TAG<tab>text" (TAG: the element that holds it): every text
// node, and the attributes a person reads (aria-label, title,
// placeholder, alt, a submit input's value), skipping what is marked as
// another language (the language switcher's names, each in itself).
const pageTextJS = `(() => {
  const lang = document.documentElement.lang, out = [];
  const own = el => { const l = el.closest("[lang]"); return !l || l.lang === lang; };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement, s = n.textContent.trim();
    if (!el || s === "" || !own(el) || el.closest("script, style")) continue;
    out.push(el.tagName + "\t" + s);
  }
  for (const el of document.querySelectorAll("[aria-label], [title], [placeholder], [alt], input[type=submit][value]")) {
    if (!own(el)) continue;
    for (const a of ["aria-label", "title", "placeholder", "alt"]) {
      const v = (el.getAttribute(a) || "").trim();
      if (v) out.push("ATTR\t" + v);
    }
    if (el.matches("input[type=submit]")) out.push("ATTR\t" + el.value.trim());
  }
  out.push("TITLE\t" + document.title.trim());
  return out;
})()`

// i18nLeaks returns what is wrong with a page's text pieces in lang (as
// pageTextJS gives them): English left in (a text or attribute that is
// the English text of a message whose lang text differs, or contains a
// long one), a raw message id, an ISO code of a language or country
// standing for a name: an upper-case country code anywhere, lower-case
// language codes as a list, or alone where a name stands (a cell, a
// definition, an option, a label: alone in a sentence, "de" or "da" are
// words of French, Spanish or Italian).
func i18nLeaks(cat *web.Catalog, lang string, pieces []string) []string {
	english := map[string]bool{}
	var long []string
	for _, id := range cat.MessageIDs() {
		en := cat.T("en", id)
		if tr, ok := cat.Translation(lang, id); ok && tr == en || cat.Allowed(lang, id) || !strings.ContainsFunc(en, unicode.IsLetter) || strings.Contains(en, "{{") {
			continue
		}
		english[en] = true
		if len(en) >= 24 {
			long = append(long, en)
		}
	}
	ids, own := map[string]bool{}, map[string]bool{}
	for _, id := range cat.MessageIDs() {
		ids[id] = true
		if tr, ok := cat.Translation(lang, id); ok {
			own[tr] = true // "da" is Italian's "from", not Danish
		}
	}
	countries := map[string]bool{}
	for _, c := range twinfed.SeedCountries() {
		countries[c.Code] = true
	}
	langCodes := append(twinfed.UILanguageCodes(), twinfed.Languages...)
	split := regexp.MustCompile(`[\s,;()·—/|]+`)
	var bad []string
	for _, piece := range pieces {
		tag, s, ok := strings.Cut(piece, "\t")
		if !ok {
			tag, s = "", piece
		}
		switch {
		case own[s]:
			continue // "Partner", "Art": words of the language itself
		case english[s]:
			bad = append(bad, "English: "+s)
			continue
		case ids[s]:
			bad = append(bad, "raw message id: "+s)
			continue
		}
		for _, l := range long {
			if strings.Contains(s, l) {
				bad = append(bad, "English: "+l+" (in "+s+")")
			}
		}
		codes, others := 0, 0
		for _, tok := range split.Split(s, -1) {
			if ids[tok] {
				bad = append(bad, "raw message id: "+tok+" (in "+s+")")
			}
			if countries[tok] {
				bad = append(bad, "country code: "+tok+" (in "+s+")")
			}
			switch {
			case slices.Contains(langCodes, tok):
				codes++
			case strings.ContainsFunc(tok, unicode.IsLetter):
				others++
			}
		}
		if others == 0 && !own[s] && (codes > 1 || codes == 1 && slices.Contains([]string{"DD", "TD", "TH", "OPTION", "LABEL", "LI"}, tag)) {
			bad = append(bad, "language code(s): "+s)
		}
	}
	return bad
}

// browserLanguages walks the main pages (home, people search with
// filters, a profile, a project card, the TwinSpace, the languages page, a
// page that does not exist, the agency's back office) in every language that has a catalogue, at a phone's width
// (390 px), on one node: no English text outside the allowlist, no raw
// message id, no ISO code, and checkPage's basics (the page no wider
// than the phone among them). Arabic pages must be right to left.
// Screenshots of screenshotLanguages go to $TWINFED_SCREENSHOTS when set.
func browserLanguages(t *testing.T, browser context.Context) {
	cat, err := web.NewCatalog(nil)
	if err != nil {
		t.Fatal(err)
	}
	langs := cat.CatalogueLanguages()
	t.Logf("walking the pages in %d languages: %v", len(langs), langs)
	cat, err = web.NewCatalog(langs)
	if err != nil {
		t.Fatal(err)
	}
	shots := os.Getenv("TWINFED_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, l := range screenshotLanguages {
			if !slices.Contains(langs, l) {
				t.Logf("no catalogue for %s yet: no screenshots of it", l)
			}
		}
	}

	n := MustOpenNode(t, nodeOpts{localOnly: true, langs: langs})
	anna, annaURL := seedTeacher(t, n, "anna", "Anna")
	_, brunoURL := seedTeacher(t, n, "bruno", "Bruno")
	seedStaff(t, n, "officer", twinfed.RoleAgencyOfficer)
	proj := nationalProject(t, n, anna, annaURL, brunoURL)
	id := url.QueryEscape(proj.ID)
	member := []string{"/", "/people?country=IT&subject=music&language=it&project=1", "/people/profile?id=" + url.QueryEscape(brunoURL),
		"/projects/view?id=" + id, "/twinspace/home?id=" + id, "/languages", "/no/such/page"}
	officer := []string{"/backoffice", "/backoffice/members", "/backoffice/members/anna", "/backoffice/projects"}

	b := reuseTab(t, browser, n)
	b.do("set a phone's window", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
	defer b.do("reset the window", chromedp.EmulateReset())
	walk := func(who string, pages []string) {
		for _, lang := range langs {
			b.open("/language?lang=" + lang + "&next=/")
			for _, p := range pages {
				if p == "/no/such/page" {
					b.load("open a page that does not exist", 404, chromedp.Navigate(b.base+p))
					b.wantText("h1", cat.T(lang, "error.not_found"))
				} else {
					b.open(p)
				}
				if got := eval[string](b, `document.documentElement.lang`); got != lang {
					t.Errorf("%s in %s: html lang=%q", p, lang, got)
				}
				dir := eval[string](b, `getComputedStyle(document.documentElement).direction`)
				if want := twinfed.TextDirection(lang); dir != want {
					t.Errorf("%s in %s: direction %s, want %s", p, lang, dir, want)
				}
				if lang == "ar" {
					// Mirrored: the account menu sits on the left of the header.
					if x := eval[float64](b, `(() => { const h = document.querySelector("header.site").getBoundingClientRect(), a = document.querySelector("header.site .brand").getBoundingClientRect(); return (a.left + a.width / 2) - (h.left + h.width / 2) })()`); x < 0 {
						t.Errorf("%s in ar: the brand is on the left (%.0f px from the centre): the header is not mirrored", p, x)
					}
				}
				if lang != "en" {
					if bad := i18nLeaks(cat, lang, eval[[]string](b, pageTextJS)); len(bad) > 0 {
						t.Errorf("%s in %s (%s): %d problem(s):\n  %s", p, lang, who, len(bad), strings.Join(bad, "\n  "))
					}
				}
				if shots != "" && slices.Contains(screenshotLanguages, lang) {
					buf, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
					if err != nil {
						t.Fatalf("screenshot of %s in %s: %v", p, lang, err)
					}
					name := lang + "-" + who + strings.NewReplacer("/", "_", "?", "_", "=", "_", "&", "_", "%", "_").Replace(p)
					if len(name) > 80 {
						name = name[:80]
					}
					if err := os.WriteFile(filepath.Join(shots, name+".png"), buf, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
	b.logIn("anna", "correct horse 1")
	walk("member", member)
	b.click("log out", `form[action="/logout"] button[type=submit]`)
	b.logIn("officer", "staff password 1")
	walk("agency", officer)
}

// TestI18nLeaks: the page checker finds English, raw ids and codes.
func TestI18nLeaks(t *testing.T) {
	cat, err := web.NewCatalog([]string{"it", "en"})
	if err != nil {
		t.Fatal(err)
	}
	got := i18nLeaks(cat, "it", []string{
		"A\t" + cat.T("it", "nav.people"), "P\tAnna Rossi", "SPAN\tItalia", "P\tda", "DD\t—", // fine
		"A\t" + cat.T("en", "nav.people"),        // English left in
		"SPAN\tnav.people",                       // a raw id
		"P\tScuola Anna (IT)",                    // a country code
		"P\tit, en",                              // language codes
		"DD\tde",                                 // a language code for a name
		"P\tNote: " + cat.T("en", "hint.public"), // a long English text inside
	})
	want := []string{"English: People", "raw message id: nav.people", "country code: IT", "language code(s): it, en", "language code(s): de",
		"English: " + cat.T("en", "hint.public")}
	if len(got) != len(want) {
		t.Fatalf("found %d problems, want %d:\n  %s", len(got), len(want), strings.Join(got, "\n  "))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d: %q, want it to begin with %q", i, got[i], want[i])
		}
	}
}
