package node_test

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/project"
)

// TestBrowser_UI drives the web UI of real nodes with headless Chromium
// (Debian's chromium package) through chromedp: it clicks, types and
// chooses as a person would, and checks every page it loads for the basics
// of accessibility and for the CSRF token of its forms (checkPage). Set
// TWINFED_SKIP_BROWSER=1 to skip it on a machine without Chromium.

// browserTimeout bounds the browser tests as a whole: Chromium's start,
// every page and its shutdown. It is generous: on a 2-core machine running
// the other packages' tests at the same time, Chromium's start alone can
// take tens of seconds. A page that never loads still fails the test, with
// the step it was at.
const browserTimeout = 10 * time.Minute

// chromiumPath finds Debian's Chromium, failing the test when it is missing
// unless TWINFED_SKIP_BROWSER=1.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if os.Getenv("TWINFED_SKIP_BROWSER") == "1" {
		t.Skip("TWINFED_SKIP_BROWSER=1: browser tests skipped")
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium on PATH: the browser tests need Debian's chromium package " +
		"(apt-get install -y chromium); set TWINFED_SKIP_BROWSER=1 to skip them")
	return ""
}

// startBrowser launches headless Chromium and returns the context of its
// first tab; the browser is closed at the end of the test.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	ctx, cancelTimeout := context.WithTimeout(context.Background(), browserTimeout)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("lang", "en-GB"),
		chromedp.Flag("accept-lang", "en-GB,en"),
		chromedp.WindowSize(1280, 900),
		// Less work at start and in the background: the machine has 2
		// cores, shared with the rest of the tests.
		chromedp.Flag("disable-features", "Translate,MediaRouter,DialMediaRouteProvider,OptimizationHints,"+
			"CertificateTransparencyComponentUpdater,LensOverlay,AutofillServerCommunication,PaintHolding"),
		chromedp.Flag("disable-field-trial-config", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("disable-search-engine-choice-screen", true),
		chromedp.Flag("disable-back-forward-cache", true),
		chromedp.Flag("no-service-autorun", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("mute-audio", true),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancelTimeout()
	})
	start := time.Now()
	// Do with no action starts the browser and opens the tab.
	if err := chromedp.Do(tabCtx); err != nil {
		t.Fatalf("start Chromium (%s): %v", path, err)
	}
	t.Logf("Chromium %s started in %v", path, time.Since(start).Round(time.Millisecond))
	return tabCtx
}

// tab is a browser tab on a node's web UI.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string
	path string // the page on screen, for messages
}

// reuseTab points the browser's first tab at n, with no cookie left from an
// earlier test (the nodes share the host 127.0.0.1, and cookies ignore the
// port).
func reuseTab(t *testing.T, browser context.Context, n *node.Node) *tab {
	t.Helper()
	if _, err := chromedp.Call(browser, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		t.Fatalf("clear cookies: %v", err)
	}
	return &tab{t: t, ctx: browser, base: n.URL()}
}

// privateTab opens a tab on n in a new browser context: it shares no cookie
// with the other tabs, as a private window. It is closed at the end of the
// test.
func privateTab(t *testing.T, browser context.Context, n *node.Node) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab in a new browser context: %v", err)
	}
	return &tab{t: t, ctx: ctx, base: n.URL()}
}

func (b *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s (on %s): %v", what, b.path, err)
	}
}

// load runs steps that load a page (a navigation, a click on a link or a
// submit button), waits for the page, then checks its status and its basics.
func (b *tab) load(what string, status int64, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, steps...)
	if err != nil {
		b.t.Fatalf("%s (from %s): %v", what, b.path, err)
	}
	b.path = strings.TrimPrefix(resp.URL, b.base)
	if resp.Status != status {
		b.t.Fatalf("%s: %s answered %d, want %d\n%s", what, b.path, resp.Status, status, b.html())
	}
	b.checkPage()
}

func (b *tab) open(path string) {
	b.t.Helper()
	b.load("open "+path, 200, chromedp.Navigate(b.base+path))
}

// click clicks an element that loads a page answered with 200.
func (b *tab) click(what, sel string) {
	b.t.Helper()
	b.load(what, 200, chromedp.Click(chromedp.CSS(sel)))
}

func (b *tab) typeIn(sel, text string) {
	b.t.Helper()
	b.do("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), text))
}

func eval[T any](b *tab, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("evaluate %s (on %s): %v", js, b.path, err)
	}
	return v
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

// text is the rendered text of the first element that sel matches.
func (b *tab) text(sel string) string {
	b.t.Helper()
	s := eval[*string](b, `(() => { const e = document.querySelector(`+jsString(sel)+`); return e ? e.innerText : null })()`)
	if s == nil {
		b.t.Fatalf("no %s on %s:\n%s", sel, b.path, b.html())
	}
	return strings.TrimSpace(*s)
}

// prop is a property of the element with the id.
func prop[T any](b *tab, id, name string) T {
	b.t.Helper()
	return eval[T](b, `document.getElementById(`+jsString(id)+`).`+name)
}

func (b *tab) html() string {
	return eval[string](b, `document.documentElement.outerHTML`)
}

func (b *tab) wantText(sel, want string) {
	b.t.Helper()
	if got := b.text(sel); got != want {
		b.t.Fatalf("%s on %s: %q, want %q", sel, b.path, got, want)
	}
}

func (b *tab) wantContains(sel string, want ...string) {
	b.t.Helper()
	got := b.text(sel)
	for _, w := range want {
		if !strings.Contains(got, w) {
			b.t.Fatalf("%s on %s: no %q in %q", sel, b.path, w, got)
		}
	}
}

// pageProblemsJS lists what a page gets wrong among the basics: every
// control a person fills in or chooses has a name (label[for], a wrapping
// label, aria-label or aria-labelledby), the page has one <h1>, <html> has
// a lang, every POST form carries a CSRF token, no positive tabindex upsets
// the focus order, every image has an alt, every piece of rendered text
// has the contrast WCAG 2 AA asks for against its background (4.5:1, or
// 3:1 for large text), and the page is no wider than the window (a phone's
// too, when the viewport is a phone's).
const pageProblemsJS = `(() => {
  const bad = [];
  const show = el => el.outerHTML.replace(/\s+/g, " ").slice(0, 160);
  const hasText = el => el && el.textContent.trim() !== "";
  const named = el => {
    if ((el.getAttribute("aria-label") || "").trim()) return true;
    const by = (el.getAttribute("aria-labelledby") || "").split(/\s+/).filter(Boolean);
    if (by.some(id => hasText(document.getElementById(id)))) return true;
    if (hasText(el.closest("label"))) return true;
    return el.id !== "" && [...document.querySelectorAll("label[for]")].some(l => l.htmlFor === el.id && hasText(l));
  };
  for (const el of document.querySelectorAll("input, select, textarea")) {
    const type = (el.getAttribute("type") || "").toLowerCase();
    if (el.tagName === "INPUT" && (type === "hidden" || type === "submit")) continue;
    if (!named(el)) bad.push("no label: " + show(el));
  }
  const h1 = document.querySelectorAll("h1").length;
  if (h1 !== 1) bad.push(h1 + " <h1> elements, want 1");
  if (!(document.documentElement.getAttribute("lang") || "").trim()) bad.push("<html> has no lang");
  for (const f of document.querySelectorAll("form")) {
    if ((f.getAttribute("method") || "get").toLowerCase() !== "post") continue;
    const c = f.querySelector("input[type=hidden][name=csrf]");
    if (!c || !c.value) bad.push("POST form without a CSRF token: " + show(f).slice(0, 80));
  }
  for (const el of document.querySelectorAll("[tabindex]")) {
    if (parseInt(el.getAttribute("tabindex"), 10) > 0) bad.push("positive tabindex changes the focus order: " + show(el));
  }
  for (const img of document.querySelectorAll("img")) {
    if (!img.hasAttribute("alt")) bad.push("image without alt: " + show(img));
  }
  const rgb = s => {
    const m = /rgba?\(([^)]*)\)/.exec(s);
    if (!m) return null;
    const v = m[1].split(/[\s,\/]+/).filter(Boolean).map(parseFloat);
    return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1];
  };
  const lum = c => {
    const f = x => { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (cs.backgroundImage !== "none") return null; // cannot tell
      const c = rgb(cs.backgroundColor);
      if (c && c[3] > 0) return c;
    }
    return [255, 255, 255, 1];
  };
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || seen.has(el) || n.textContent.trim() === "") continue;
    seen.add(el);
    if (el.getClientRects().length === 0) continue; // not rendered
    const cs = getComputedStyle(el);
    if (cs.visibility === "hidden" || cs.clip === "rect(0px, 0px, 0px, 0px)" || cs.clipPath === "inset(50%)") continue;
    const fg = rgb(cs.color), bg = background(el);
    if (!fg || !bg) continue;
    const mix = [0, 1, 2].map(i => fg[i] * fg[3] + bg[i] * (1 - fg[3]));
    const l1 = lum(mix), l2 = lum(bg);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(cs.fontSize), bold = parseInt(cs.fontWeight, 10) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < need) bad.push("contrast " + ratio.toFixed(2) + ":1, want " + need + ":1, for \"" + n.textContent.trim().slice(0, 40) + "\" in " + show(el).slice(0, 100));
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1) {
    bad.push("the page is " + document.documentElement.scrollWidth + "px wide in a " + window.innerWidth + "px window");
  }
  return bad;
})()`

// checkPage reports every basic problem of the page on screen.
func (b *tab) checkPage() {
	b.t.Helper()
	if bad := eval[[]string](b, pageProblemsJS); len(bad) > 0 {
		b.t.Errorf("%s: %d accessibility or form problems:\n  %s", b.path, len(bad), strings.Join(bad, "\n  "))
	}
}

// logIn fills in the login form as a person would.
func (b *tab) logIn(user, password string) {
	b.t.Helper()
	b.open("/login")
	b.typeIn("#username", user)
	b.typeIn("#password", password)
	b.click("log in as "+user, `form[action="/login"] button[type=submit]`)
}

func (b *tab) cookies() map[string]*network.Cookie {
	b.t.Helper()
	res, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base + "/"}})
	if err != nil {
		b.t.Fatalf("get cookies: %v", err)
	}
	out := map[string]*network.Cookie{}
	for _, c := range res.Cookies {
		out[c.Name] = c
	}
	return out
}

// TestBrowser_UI starts Chromium once (its start is most of the cost) and
// runs each journey against a node of its own.
func TestBrowser_UI(t *testing.T) {
	browser := startBrowser(t)
	t.Run("PageChecks", func(t *testing.T) { browserPageChecks(t, browser) })
	t.Run("Login", func(t *testing.T) { browserLogin(t, browser) })
	t.Run("FoundProject", func(t *testing.T) { browserFoundProject(t, browser) })
	t.Run("LanguageSwitch", func(t *testing.T) { browserLanguageSwitch(t, browser) })
	t.Run("EveryPage", func(t *testing.T) { browserEveryPage(t, browser) })
	t.Run("Languages", func(t *testing.T) { browserLanguages(t, browser) })
	t.Run("Forum", func(t *testing.T) { browserForum(t, browser) })
	t.Run("TwinSpaceForum", func(t *testing.T) { browserTwinSpaceForum(t, browser) })
	t.Run("NotifyPrefs", func(t *testing.T) { browserNotifyPrefs(t, browser) })
	t.Run("Feed", func(t *testing.T) { browserFeed(t, browser) })
	t.Run("Pupils", func(t *testing.T) { browserPupils(t, browser) })
	t.Run("Materials", func(t *testing.T) { browserMaterials(t, browser) })
	t.Run("Chat", func(t *testing.T) { browserChat(t, browser) })
	t.Run("Diary", func(t *testing.T) { browserDiary(t, browser) })
}

// browserEveryPage opens every page of the web UI, as a visitor, a member
// and an agency officer, in a desktop window and in a phone's (375×740,
// touch, mobile), and runs checkPage on each.
func browserEveryPage(t *testing.T, browser context.Context) {
	n, annaURL, brunoURL := projectNode(t)
	ctx := context.Background()
	anna := &twinfed.Principal{Username: "anna", Role: twinfed.RoleMember, Status: twinfed.StatusValidated}
	// A European project for the labels page (this node has no registry:
	// the page and the card say the labels cannot be read).
	eu := frProject("water", "Water for tomorrow", annaURL, twinfed.ProjectApproved, twinfed.PartnerApproved)
	deliverProject(t, n, eu)
	// Something on each list: a project waiting for bruno, a message.
	d := project.ProjectDraft{SchoolID: "it-anna", Partner: brunoURL, Title: "Water in our towns", Description: "We measure water.",
		Languages: []string{"it"}, Subjects: []string{"science"}, PupilAges: []int{10, 11, 12}}
	proj, err := n.Projects().CreateProject(ctx, anna, d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Social().SendMessage(ctx, anna, brunoURL, "Ciao Bruno!"); err != nil {
		t.Fatal(err)
	}
	idea, err := n.Forum().Post(ctx, anna, &twinfed.ForumPost{Thread: twinfed.ForumErasmus, Title: "Water and climate", Subjects: []string{"science"},
		AgeBands: []string{"age_12_15"}, Languages: []string{"it", "en"}, Seeking: []string{"FR"}, Months: 12, Idea: "We measure rain together."})
	if err != nil {
		t.Fatal(err)
	}
	visitor := []string{"/", "/login", "/register", "/password/forgot", "/register/resend", "/users/bruno", "/projects/search"}
	member := []string{"/", "/people", "/people?q=bruno", "/contacts", "/messages", "/messages/with?peer=" + url.QueryEscape(brunoURL),
		"/notifications", "/account", "/account/notifications", "/account/profile", "/account/schools", "/account/delete", "/projects", "/projects/new",
		"/projects/view?id=" + url.QueryEscape(proj.ID), "/projects/view?id=" + url.QueryEscape(eu.ID), "/projects/search", "/users/anna", "/users/bruno",
		"/forum", "/forum?thread=erasmus&country=FR", "/forum/new", "/forum/post?id=" + url.QueryEscape(idea.ID)}
	officer := []string{"/backoffice", "/backoffice/members", "/backoffice/members/anna", "/backoffice/schools", "/backoffice/stats",
		"/backoffice/staff", "/backoffice/projects", "/backoffice/labels", "/backoffice/mail", "/account", "/forum", "/forum/post?id=" + url.QueryEscape(idea.ID), "/backoffice/forum"}
	for _, size := range []struct {
		name string
		view chromedp.Action[chromedp.Void]
	}{
		{"desktop", chromedp.EmulateViewport(1280, 900)},
		{"phone", chromedp.EmulateViewport(375, 740, chromedp.EmulateMobile, chromedp.EmulateTouch)},
	} {
		t.Run(size.name, func(t *testing.T) {
			b := reuseTab(t, browser, n)
			b.do("set the window to "+size.name+" size", size.view)
			for _, p := range visitor {
				b.open(p)
			}
			b.logIn("bruno", "correct horse 1")
			for _, p := range member {
				b.open(p)
			}
			b.click("log out", `form[action="/logout"] button[type=submit]`)
			b.logIn("officer", "staff password 1")
			for _, p := range officer {
				b.open(p)
			}
			b.do("reset the window", chromedp.EmulateReset())
		})
	}
}

// browserPageChecks: checkPage's script finds what it is meant to find, and
// nothing else, on a page made for it.
func browserPageChecks(t *testing.T, browser context.Context) {
	b := &tab{t: t, ctx: browser, path: "a test page"}
	b.do("open a test page", chromedp.Navigate("data:text/html,"+url.PathEscape(`<!doctype html><html><body>
<h1>One</h1><h1>Two</h1>
<form method="post" action="/x">
<input id="bare" name="bare">
<select name="s"><option>a</option></select>
<label for="named">Named</label><input id="named" name="named">
<label>Wrapped <input name="wrapped"></label>
<input name="aria" aria-label="By aria-label">
<span id="cap">Caption</span><textarea name="t" aria-labelledby="cap"></textarea>
<label for="empty"></label><input id="empty" name="empty" type="checkbox">
<input type="hidden" name="h"><input type="submit" value="Send">
</form>
<form method="post" action="/y"><input type="hidden" name="csrf" value="token"></form>
<form method="get" action="/z"></form>
<a href="#" tabindex="2">Jump</a><a href="#" tabindex="0">Fine</a>
<img src="data:,"><img src="data:," alt="">
<p style="color:#aaa">Too pale</p><p style="color:#767676">Grey enough</p>
<p style="color:#fff;background:#0b5ea8">White on blue</p>
<div style="width:3000px">Too wide</div>
</body></html>`)))
	got := eval[[]string](b, pageProblemsJS)
	want := []string{`no label: <input id="bare"`, `no label: <select name="s">`, `no label: <input id="empty"`,
		"2 <h1> elements", "<html> has no lang", `POST form without a CSRF token: <form method="post" action="/x">`,
		`positive tabindex changes the focus order: <a href="#" tabindex="2">`, `image without alt: <img src="data:,">`,
		`contrast 2.32:1, want 4.5:1, for "Too pale"`, "the page is 30"}
	if len(got) != len(want) {
		t.Fatalf("page checks found %d problems, want %d:\n  %s", len(got), len(want), strings.Join(got, "\n  "))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d: %q, want it to begin with %q", i, got[i], want[i])
		}
	}
}

// browserLogin: the login form, a wrong password, the session cookie, the
// CSRF token of the forms, logout.
func browserLogin(t *testing.T, browser context.Context) {
	n := MustOpenNode(t, nodeOpts{})
	seedTeacher(t, n, "anna", "Anna")
	b := reuseTab(t, browser, n)

	b.open("/login")
	b.wantText("h1", "Log in")
	if lang := eval[string](b, `document.documentElement.lang`); lang != "en" {
		t.Fatalf("an English-speaking browser got a page in %q", lang)
	}
	if v := eval[string](b, `(document.querySelector('form[action="/login"] input[type=hidden][name=csrf]') || {}).value || ""`); len(v) < 16 {
		t.Fatalf("login form CSRF token %q", v)
	}

	// A wrong password: the form comes back with the problem, the username
	// kept and the password emptied.
	b.typeIn("#username", "anna")
	b.typeIn("#password", "wrong horse 1")
	b.load("log in with a wrong password", 401, chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)))
	b.wantText("h1", "Log in")
	b.wantContains(".problem[role=alert]", "The username or password is wrong.")
	if u, p := prop[string](b, "username", "value"), prop[string](b, "password", "value"); u != "anna" || p != "" {
		t.Fatalf("after a wrong password: username %q, password %q", u, p)
	}

	b.typeIn("#password", "correct horse 1")
	b.click("log in as anna", `form[action="/login"] button[type=submit]`)
	if b.path != "/" {
		t.Fatalf("login led to %s, want /", b.path)
	}
	b.wantText("h1", "Welcome, Anna")
	b.wantContains("header.site nav.account", "Anna Rossi", "Log out")

	// The session cookie: HttpOnly, SameSite=Lax, out of scripts' reach.
	ck := b.cookies()
	sess := ck["twinfed_session"]
	if sess == nil {
		t.Fatalf("no session cookie after login: %v", ck)
	}
	if !sess.HTTPOnly || sess.SameSite != network.CookieSameSiteLax || sess.Path != "/" {
		t.Fatalf("session cookie: HttpOnly %v, SameSite %q, Path %q", sess.HTTPOnly, sess.SameSite, sess.Path)
	}
	for name, c := range ck {
		if !c.HTTPOnly {
			t.Errorf("cookie %s is not HttpOnly", name)
		}
	}
	if js := eval[string](b, `document.cookie`); js != "" {
		t.Fatalf("scripts read cookies: %q", js)
	}
	// The logout form of the logged-in page carries the session's token.
	if v := eval[string](b, `(document.querySelector('form[action="/logout"] input[type=hidden][name=csrf]') || {}).value || ""`); len(v) < 16 {
		t.Fatalf("logout form CSRF token %q", v)
	}

	// Log out with the header's button.
	b.click("log out", `form[action="/logout"] button[type=submit]`)
	b.wantContains("header.site nav.account", "Log in")
	if _, ok := b.cookies()["twinfed_session"]; ok {
		t.Fatal("the session cookie is still there after logout")
	}
}

// browserFoundProject: a national project through the four steps, then the
// co-founder accepts the invitation in a browser context of their own.
func browserFoundProject(t *testing.T, browser context.Context) {
	n, _, brunoURL := projectNode(t)
	anna := reuseTab(t, browser, n)
	anna.logIn("anna", "correct horse 1")

	// From the menu to the form.
	anna.click("menu: projects", `header.site a[href="/projects"]`)
	anna.wantText("h1", "My projects")
	anna.click("found a project", `main a[href="/projects/new"]`)
	anna.wantText("h1", "Found a project")

	// Step 1: the school.
	anna.wantText(`[aria-current=step]`, "Choose a school")
	anna.do("choose the school", chromedp.Click(chromedp.CSS(`label[for="school-0"]`)))
	if !prop[bool](anna, "school-0", "checked") {
		t.Fatal("clicking the school's label did not choose it")
	}
	anna.click("step 1: next", `button[name=go][value=next]`)

	// Step 2: the partner, among the contacts.
	anna.wantText(`[aria-current=step]`, "Choose a partner")
	anna.wantContains(`label[for="partner-0"]`, "Bruno Rossi", "Scuola Bruno")
	if v := prop[string](anna, "partner-0", "value"); v != brunoURL {
		t.Fatalf("partner-0 is %q, want %q", v, brunoURL)
	}
	anna.do("choose the partner", chromedp.Click(chromedp.CSS(`label[for="partner-0"]`)))
	if !prop[bool](anna, "partner-0", "checked") {
		t.Fatal("clicking the partner's label did not choose them")
	}
	anna.click("step 2: next", `button[name=go][value=next]`)

	// Step 3: the description.
	const title = "Water in our towns"
	anna.wantText(`[aria-current=step]`, "Describe the project")
	anna.typeIn("#title", title)
	anna.typeIn("#description", "We measure water.")
	anna.typeIn("#pupil_ages", "10-12")
	anna.click("step 3: next", `button[name=go][value=next]`)

	// Step 4: the preview, then create.
	anna.wantText(`[aria-current=step]`, "Preview")
	anna.wantText("#preview-title", title)
	anna.wantContains("dl.preview", "Anna Rossi", "Bruno Rossi", "We measure water.", "10–12")
	anna.click("create", `button[name=go][value=create]`)
	if !strings.HasPrefix(anna.path, "/projects/view?id=") {
		t.Fatalf("create led to %s", anna.path)
	}
	card := strings.TrimSuffix(anna.path, "&done=project_created")
	anna.wantText("h1", title)
	anna.wantContains(".flash", "The project has been created")
	anna.wantContains("dl.preview", "Waiting for the co-founder", "National project")

	// The co-founder, in a browser context of their own, accepts from the
	// list of their projects.
	bruno := privateTab(t, browser, n)
	bruno.logIn("bruno", "correct horse 1")
	bruno.wantText("h1", "Welcome, Bruno")
	bruno.click("menu: projects", `header.site a[href="/projects"]`)
	bruno.wantText("#invitations-title", "Invitations waiting for your answer")
	bruno.wantContains("section[aria-labelledby=invitations-title]", title, "Anna Rossi", "Scuola Anna", "Accept the invitation")
	if !prop[bool](bruno, "school-0-0", "checked") {
		t.Fatal("bruno's only school is not chosen by default")
	}
	bruno.click("accept", `section[aria-labelledby=invitations-title] button[name=answer][value=accept]`)
	if want := card + "&done=project_accepted"; bruno.path != want {
		t.Fatalf("accept led to %s, want %s", bruno.path, want)
	}
	bruno.wantText("h1", title)
	bruno.wantContains(".flash", "You have joined the project")
	bruno.wantContains("dl.preview", "Waiting for the agencies' approval")

	// Anna, in her own context, sees the new state.
	anna.open(card)
	anna.wantContains("dl.preview", "Waiting for the agencies' approval")
}

// browserLanguageSwitch: Italiano from the footer's language form, kept
// after login.
func browserLanguageSwitch(t *testing.T, browser context.Context) {
	n := MustOpenNode(t, nodeOpts{})
	seedTeacher(t, n, "anna", "Anna")
	b := reuseTab(t, browser, n)

	b.open("/login")
	if lang := eval[string](b, `document.documentElement.lang`); lang != "en" {
		t.Fatalf("page in %q before the switch", lang)
	}
	// Choose Italiano in the footer's list with the keyboard, then Change.
	b.do("choose Italiano", chromedp.Focus(chromedp.CSS("#lang-select")), chromedp.KeyEvent("Ital"))
	if v := prop[string](b, "lang-select", "value"); v != "it" {
		t.Fatalf("typing Ital in the language list chose %q", v)
	}
	b.click("change the language", `footer form.lang button[type=submit]`)
	if b.path != "/login" {
		t.Fatalf("the language form led to %s, want back to /login", b.path)
	}
	if lang := eval[string](b, `document.documentElement.lang`); lang != "it" {
		t.Fatalf(`after choosing Italiano: html lang=%q, want "it"`, lang)
	}
	b.wantText("h1", "Accedi")
	b.wantText(`label[for="lang-select"]`, "Lingua")
	b.wantText(`label[for="username"]`, "Nome utente o e-mail")
	if v := prop[string](b, "lang-select", "value"); v != "it" {
		t.Fatalf("the language list shows %q after the switch", v)
	}
	if c := b.cookies()["twinfed_lang"]; c == nil || c.Value != "it" || !c.HTTPOnly {
		t.Fatalf("language cookie %+v", c)
	}

	// The choice holds after logging in.
	b.typeIn("#username", "anna")
	b.typeIn("#password", "correct horse 1")
	b.click("accedi", `form[action="/login"] button[type=submit]`)
	b.wantText("h1", "Benvenuto/a, Anna")
	if lang := eval[string](b, `document.documentElement.lang`); lang != "it" {
		t.Fatalf("home after login in %q", lang)
	}
}
