package node_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/pupil"
)

// Pupils' and visitors' accounts (node/pupil) through the node's HTTP
// server: a teacher's class list and its credentials sheet, the pupils'
// and visitors' login, a visitor's expiry on the node's moved clock, the
// teachers' authorisation, and a scoped session refused on every
// member's page and endpoint.

// movableClock is a node clock the test moves forward.
type movableClock struct{ off atomic.Int64 }

func (c *movableClock) now() time.Time { return time.Now().Add(time.Duration(c.off.Load())) }

func (c *movableClock) move(d time.Duration) { c.off.Add(int64(d)) }

var (
	credUserRE = regexp.MustCompile(`<code class="username">([^<]+)</code>`)
	credPassRE = regexp.MustCompile(`<code class="password">([^<]+)</code>`)
	credNameRE = regexp.MustCompile(`<tr><td>([^<]+)</td><td><code class="username">`)
)

// shownCredentials reads the credentials a page shows once.
func shownCredentials(t *testing.T, page string) []pupil.Credential {
	t.Helper()
	users, pws, names := credUserRE.FindAllStringSubmatch(page, -1), credPassRE.FindAllStringSubmatch(page, -1), credNameRE.FindAllStringSubmatch(page, -1)
	if len(users) == 0 || len(users) != len(pws) || len(users) != len(names) {
		t.Fatalf("no credentials shown in\n%s", page)
	}
	out := make([]pupil.Credential, len(users))
	for i := range users {
		out[i] = pupil.Credential{Username: users[i][1], Password: pws[i][1], DisplayName: unescape(names[i][1])}
	}
	return out
}

func unescape(s string) string {
	return strings.NewReplacer("&#39;", "'", "&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`).Replace(s)
}

// sheetForm is the credentials sheet's form of creds.
func sheetForm(creds []pupil.Credential) url.Values {
	v := url.Values{}
	for _, c := range creds {
		v.Add("username", c.Username)
		v.Add("name", c.DisplayName)
		v.Add("password", c.Password)
	}
	return v
}

// pdfText extracts a PDF's text with pdftotext (poppler-utils, which
// .ci/run installs).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	cmd := exec.Command("pdftotext", "-layout", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

var spaceLinkRE = regexp.MustCompile(`href="/twinspace/home\?id=([^"]+)"`)

// spaceLinks returns the project ids of the TwinSpace links of a page.
func spaceLinks(page string) []string {
	var out []string
	for _, m := range spaceLinkRE.FindAllStringSubmatch(page, -1) {
		id, _ := url.QueryUnescape(m[1])
		out = append(out, id)
	}
	return out
}

// pupilLogin logs a pupil or a visitor in through /pupils/login.
func pupilLogin(t *testing.T, n *node.Node, user, password string) *browser {
	t.Helper()
	b := newBrowser(t, n.URL())
	code, _, loc := b.Form("/pupils/login", "/pupils/login", url.Values{"username": {user}, "password": {password}})
	if code != http.StatusSeeOther || loc != "/my-twinspaces" {
		t.Fatalf("pupil login %s: %d %q\n%s", user, code, loc, b.Last)
	}
	return b
}

func TestPupils_ClassListSheetAndLogin(t *testing.T) {
	n := MustOpenNode(t, nodeOpts{})
	seedTeacher(t, n, "anna", "Anna")
	seedTeacher(t, n, "bruno", "Bruno")
	anna := login(t, n, "anna", "correct horse 1")

	// A bad class list: a clear message naming the line, nothing made.
	long := strings.Repeat("x", 61)
	code, body, _ := anna.Form("/pupils", "/pupils/create", url.Values{"names": {"Chloé Martin\n\n" + long + "\nLuca"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "Line 3 is longer than 60 characters") {
		t.Fatalf("bad class list: %d\n%s", code, body)
	}
	var list pupil.ListBody
	if anna.API("GET", "/api/v1/pupils", nil, "", &list); len(list.Pupils) != 0 {
		t.Fatalf("a refused class list made %d accounts", len(list.Pupils))
	}
	many := strings.Repeat("Pupil\n", pupil.MaxClassList+1)
	if code, body, _ := anna.Form("/pupils", "/pupils/create", url.Values{"names": {many}}); code != http.StatusBadRequest || !strings.Contains(body, "at most 60 names") {
		t.Fatalf("61 names: %d\n%s", code, body)
	}

	// A class list: blank lines ignored, the credentials shown once.
	names := []string{"Chloé Martin", "Luca B.", "Ξένια", "O'Brien Seán", "Marta", "Ugo", "Ada", "Bea", "Carlo", "Dora", "ليلى حسن"}
	code, body, _ = anna.Form("/pupils", "/pupils/create", url.Values{"names": {"\n" + strings.Join(names, "\n\n") + "\n"}})
	if code != http.StatusOK {
		t.Fatalf("class list: %d\n%s", code, body)
	}
	creds := shownCredentials(t, body)
	if len(creds) != len(names) {
		t.Fatalf("%d credentials for %d names", len(creds), len(names))
	}
	usernameRE := regexp.MustCompile(`^[a-z]{2,12}\.[a-z0-9]{4}$`)
	for i, c := range creds {
		if c.DisplayName != names[i] || !usernameRE.MatchString(c.Username) || len(c.Password) < 10 {
			t.Errorf("credential %d: %+v", i, c)
		}
	}
	if !strings.HasPrefix(creds[0].Username, "chloe.") || !strings.HasPrefix(creds[2].Username, "pupil.") {
		t.Errorf("usernames from the first names: %s, %s", creds[0].Username, creds[2].Username)
	}
	// Never stored: no password in the store, only hashes.
	_ = n.Store().View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, _ := it.Item().ValueCopy(nil)
			if bytes.Contains(v, []byte(creds[0].Password)) {
				t.Errorf("a password is stored under %s", it.Item().Key())
			}
		}
		return nil
	})

	// The sheet: a PDF of one slip per pupil, 10 a page.
	req, _ := http.NewRequest("POST", n.URL()+"/pupils/sheet", strings.NewReader(func() string {
		v := sheetForm(creds)
		v.Set("csrf", anna.CSRF())
		return v.Encode()
	}()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	code, pdf, h := anna.Do(req)
	if code != 200 || h.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf, "%PDF-") {
		t.Fatalf("sheet: %d %s %.200q", code, h.Get("Content-Type"), pdf)
	}
	text := pdfText(t, []byte(pdf))
	if got := strings.Count(text, n.URL()+"/pupils/login"); got != len(creds) {
		t.Errorf("sheet: %d slips for %d pupils\n%s", got, len(creds), text)
	}
	if pages := strings.Count(text, "\f"); pages != 2 {
		t.Errorf("sheet: %d pages for %d slips (10 a page)", pages, len(creds))
	}
	for _, c := range creds {
		// (An Arabic name is drawn shaped, in presentation forms, which
		// pdftotext does not map back.)
		if !strings.Contains(text, c.Username) || !strings.Contains(text, c.Password) || !strings.HasPrefix(c.DisplayName, "ل") && !strings.Contains(text, c.DisplayName) {
			t.Errorf("sheet: no slip for %+v", c)
		}
	}
	// The sheet's form without its token is refused; another teacher's
	// pupils are not printed.
	if code, _, _ := anna.Post("/pupils/sheet", func() url.Values { v := sheetForm(creds); v.Set("csrf", "forged"); return v }()); code != http.StatusForbidden {
		t.Errorf("sheet without CSRF: %d", code)
	}
	bruno := login(t, n, "bruno", "correct horse 1")
	bruno.Get("/pupils")
	if code, body, _ := bruno.Post("/pupils/sheet", sheetForm(creds[:1])); code != http.StatusNotFound {
		t.Errorf("bruno prints anna's pupil: %d\n%.300s", code, body)
	}

	// The list shows them; a pupil logs in and lands on their TwinSpaces.
	if _, page := anna.Get("/pupils"); !strings.Contains(page, creds[0].Username) || !strings.Contains(page, "Chloé Martin") {
		t.Fatalf("my pupils:\n%s", page)
	}
	if code, _ := anna.Get("/my-twinspaces"); code != http.StatusSeeOther {
		t.Errorf("a member's /my-twinspaces: %d", code)
	}
	chloe := pupilLogin(t, n, creds[0].Username, creds[0].Password)
	if code, page := chloe.Get("/my-twinspaces"); code != 200 || !strings.Contains(page, "Chloé Martin") || strings.Contains(page, `href="/people"`) {
		t.Fatalf("my twinspaces: %d\n%s", code, page)
	}
	if code, _ := chloe.Get("/"); code != http.StatusSeeOther {
		t.Errorf("a pupil's home: %d", code)
	}
	// The core adds her to a TwinSpace: it shows, linked.
	err := n.Store().Update(func(txn *badger.Txn) error {
		return n.Pupils().AddSpace(txn, "anna", creds[0].Username, "http://it.example/projects/p1", "Our rivers")
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Store().Update(func(txn *badger.Txn) error {
		return n.Pupils().AddSpace(txn, "bruno", creds[0].Username, "http://it.example/projects/p2", "Not his")
	}); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		t.Errorf("bruno adds anna's pupil: %v", err)
	}
	if _, page := chloe.Get("/my-twinspaces"); !slices.Equal(spaceLinks(page), []string{"http://it.example/projects/p1"}) || !strings.Contains(page, "Our rivers") || strings.Contains(page, "Not his") {
		t.Fatalf("my twinspaces after AddSpace:\n%s", page)
	}
	// Her language, chosen and kept on her account.
	if code, _, _ := chloe.Post("/pupils/language", url.Values{"lang": {"it"}, "next": {"/my-twinspaces"}}); code != http.StatusSeeOther {
		t.Fatalf("language: %d", code)
	}
	if a, _ := n.Pupils().Account(context.Background(), creds[0].Username); a.Locale != "it" {
		t.Errorf("locale: %q", a.Locale)
	}
	if _, page := chloe.Get("/my-twinspaces"); !strings.Contains(page, "I miei TwinSpace") {
		t.Errorf("my twinspaces in Italian:\n%s", page)
	}

	// A wrong password; three wrong passwords lock the username a while.
	other := newBrowser(t, n.URL())
	for i := range 3 {
		code, body, _ := other.Form("/pupils/login", "/pupils/login", url.Values{"username": {creds[1].Username}, "password": {"wrong password"}})
		if code != http.StatusUnauthorized || !strings.Contains(body, "The username or password is wrong.") {
			t.Fatalf("wrong password %d: %d\n%s", i, code, body)
		}
	}
	if code, _, _ := other.Form("/pupils/login", "/pupils/login", url.Values{"username": {creds[1].Username}, "password": {creds[1].Password}}); code != http.StatusTooManyRequests {
		t.Errorf("after three failures: %d", code)
	}
	// The login form without its token.
	if code, _, _ := newBrowser(t, n.URL()).Post("/pupils/login", url.Values{"username": {creds[2].Username}, "password": {creds[2].Password}, "csrf": {"x"}}); code != http.StatusForbidden {
		t.Errorf("login without CSRF: %d", code)
	}

	// Another teacher cannot reset nor remove anna's pupils (UI and API).
	bruno.Get("/pupils")
	for _, path := range []string{"/pupils/" + creds[0].Username + "/reset", "/pupils/" + creds[0].Username + "/remove"} {
		if code, _, _ := bruno.Post(path, url.Values{}); code != http.StatusNotFound {
			t.Errorf("bruno POST %s: %d", path, code)
		}
	}
	bapi, bcsrf := apiSession(t, n.URL(), "bruno", "correct horse 1")
	if code := bapi.API("POST", "/api/v1/pupils/"+creds[0].Username+"/password", nil, bcsrf, nil); code != http.StatusNotFound {
		t.Errorf("bruno API reset: %d", code)
	}
	if code := bapi.API("DELETE", "/api/v1/pupils/"+creds[0].Username, nil, bcsrf, nil); code != http.StatusNotFound {
		t.Errorf("bruno API remove: %d", code)
	}
	if code, _ := chloe.Get("/my-twinspaces"); code != 200 {
		t.Fatalf("chloe's session after bruno's tries: %d", code)
	}
	// anna's forms without a token change nothing.
	anna.Get("/pupils")
	if code, _, _ := anna.Post("/pupils/"+creds[0].Username+"/remove", url.Values{"csrf": {"forged"}}); code != http.StatusForbidden {
		t.Errorf("remove without CSRF: %d", code)
	}
	for _, path := range []string{"/pupils/create", "/pupils/visitors", "/pupils/" + creds[0].Username + "/reset"} {
		if code, _, _ := anna.Post(path, url.Values{"names": {"Zoe"}, "name": {"Zoe"}, "csrf": {"forged"}}); code != http.StatusForbidden {
			t.Errorf("POST %s without CSRF: %d", path, code)
		}
	}
	if code, _, _ := chloe.Post("/pupils/language", url.Values{"lang": {"en"}, "csrf": {"forged"}}); code != http.StatusForbidden {
		t.Errorf("a pupil's language without CSRF: %d", code)
	}

	// anna resets chloe's password: her session ends, the old password
	// fails, the new one (shown once, with a one-slip sheet) works.
	anna.Get("/pupils")
	code, body, _ = anna.Post("/pupils/"+creds[0].Username+"/reset", url.Values{})
	if code != 200 {
		t.Fatalf("reset: %d\n%s", code, body)
	}
	fresh := shownCredentials(t, body)
	if len(fresh) != 1 || fresh[0].Username != creds[0].Username || fresh[0].Password == creds[0].Password {
		t.Fatalf("reset: %+v", fresh)
	}
	if code, _ := chloe.Get("/my-twinspaces"); code != http.StatusSeeOther {
		t.Errorf("a session after the reset: %d", code)
	}
	if code, _, _ := newBrowser(t, n.URL()).Form("/pupils/login", "/pupils/login", url.Values{"username": {creds[0].Username}, "password": {creds[0].Password}}); code != http.StatusUnauthorized {
		t.Errorf("the old password: %d", code)
	}
	chloe = pupilLogin(t, n, fresh[0].Username, fresh[0].Password)

	// anna removes her: the session and the account are gone, the name
	// stays for what she posted, the username is never given again.
	anna.Get("/pupils")
	if code, _, loc := anna.Post("/pupils/"+creds[0].Username+"/remove", url.Values{}); code != http.StatusSeeOther || loc != "/pupils?done=pupil_removed" {
		t.Fatalf("remove: %d %s", code, loc)
	}
	if code, _ := chloe.Get("/my-twinspaces"); code != http.StatusSeeOther {
		t.Errorf("a removed pupil's session: %d", code)
	}
	a, err := n.Pupils().Account(context.Background(), creds[0].Username)
	if err != nil || a.Removed.IsZero() || a.DisplayName != "Chloé Martin" || len(a.Spaces) != 0 {
		t.Errorf("tombstone: %+v %v", a, err)
	}
	if _, page := anna.Get("/pupils"); strings.Contains(page, creds[0].Username) {
		t.Errorf("a removed pupil is still listed")
	}

	// The JSON API: anna's list and a creation.
	aapi, acsrf := apiSession(t, n.URL(), "anna", "correct horse 1")
	var made pupil.CredentialsBody
	if code := aapi.API("POST", "/api/v1/pupils", map[string]any{"names": []string{"Fabio"}}, acsrf, &made); code != 200 || len(made.Credentials) != 1 {
		t.Fatalf("API create: %d %s", code, aapi.Last)
	}
	if code := aapi.API("POST", "/api/v1/pupils", map[string]any{"names": []string{"Gino"}}, "", nil); code != http.StatusForbidden {
		t.Errorf("API create without CSRF: %d", code)
	}
	if aapi.API("GET", "/api/v1/pupils", nil, "", &list); len(list.Pupils) != len(names) {
		t.Errorf("API list: %d pupils, want %d", len(list.Pupils), len(names))
	}
}

func TestPupils_Visitor(t *testing.T) {
	dir := t.TempDir()
	clock := &movableClock{}
	n := MustOpenNode(t, nodeOpts{dir: dir, localOnly: true, now: clock.now})
	anna, annaURL := seedTeacher(t, n, "anna", "Anna")
	_, brunoURL := seedTeacher(t, n, "bruno", "Bruno")
	seedStaff(t, n, "officer", twinfed.RoleAgencyOfficer)
	proj := nationalProject(t, n, anna, annaURL, brunoURL)
	teacher := login(t, n, "anna", "correct horse 1")

	// The form: only her TwinSpaces, an expiry in the future and within a
	// year, a language the node offers; each refused with nothing made.
	if _, page := teacher.Get("/pupils"); !strings.Contains(page, "Our town&#39;s rivers") {
		t.Fatalf("the TwinSpaces offered:\n%s", page)
	}
	day := func(d int) string { return clock.now().UTC().AddDate(0, 0, d).Format(time.DateOnly) }
	good := url.Values{"name": {"Paola Bianchi"}, "email": {"paola@example.org"}, "project": {proj.ID}, "expires": {day(3)}, "lang": {"it"}}
	for _, bad := range []struct{ field, value, want string }{
		{"project", "http://it.example/projects/not-hers", "Choose one of your TwinSpaces."},
		{"expires", day(0), "Choose a day after today."},
		{"expires", day(400), "Choose a day at most one year from today."},
		{"expires", "soon", "Enter the last day of the invitation as a date"},
		{"email", "paola", "Enter an e-mail address"},
		{"lang", "de", "Choose one of the languages offered."},
	} {
		v := url.Values{}
		for k, vs := range good {
			v[k] = vs
		}
		v.Set(bad.field, bad.value)
		if code, body, _ := teacher.Form("/pupils", "/pupils/visitors", v); code != http.StatusBadRequest || !strings.Contains(body, bad.want) {
			t.Errorf("%s=%q: %d, want %q", bad.field, bad.value, code, bad.want)
		}
	}
	var list pupil.ListBody
	if teacher.API("GET", "/api/v1/pupils", nil, "", &list); len(list.Visitors) != 0 {
		t.Fatalf("refused invitations made %d visitors", len(list.Visitors))
	}
	if code, _, loc := teacher.Form("/pupils", "/pupils/visitors", good); code != http.StatusSeeOther || loc != "/pupils?done=visitor_invited" {
		t.Fatalf("invite: %d %s\n%s", code, loc, teacher.Last)
	}

	// The e-mail, in Italian: the login page, the username and the password.
	var mail string
	eventually(t, 10*time.Second, func() bool {
		m := mails(t, n, dir, "paola@example.org")
		if len(m) == 1 {
			mail = m[0]
		}
		return mail != ""
	}, "the visitor's invitation mail")
	user := regexp.MustCompile(`nome utente è (\S+) e la tua password è (\S+)\.`).FindStringSubmatch(mail)
	if user == nil || !strings.Contains(mail, n.URL()+"/pupils/login") || !strings.Contains(mail, "Our town's rivers") {
		t.Fatalf("invitation mail:\n%s", mail)
	}
	paola := pupilLogin(t, n, user[1], user[2])
	if code, page := paola.Get("/my-twinspaces"); code != 200 || !slices.Equal(spaceLinks(page), []string{proj.ID}) {
		t.Fatalf("a visitor's TwinSpaces: %d\n%s", code, page)
	}
	if _, page := teacher.Get("/pupils"); !strings.Contains(page, "Paola Bianchi") || !strings.Contains(page, user[1]) {
		t.Fatalf("the teacher's visitors:\n%s", page)
	}

	// Past the last day: refused on every request of her session, and at
	// login, with the day named.
	clock.move(4 * 24 * time.Hour)
	last := clock.now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	code, page := paola.Get("/my-twinspaces")
	if code != http.StatusForbidden || !strings.Contains(page, "ended on "+last) {
		t.Fatalf("an expired visitor's session: %d\n%s", code, page)
	}
	var apiErr struct {
		Error struct{ Code, Message string }
	}
	if code := paola.API("GET", "/api/v1/my-twinspaces", nil, "", &apiErr); code != http.StatusForbidden || !strings.Contains(apiErr.Error.Message, last) {
		t.Errorf("an expired visitor's API: %d %+v", code, apiErr)
	}
	code, page, _ = newBrowser(t, n.URL()).Form("/pupils/login", "/pupils/login", url.Values{"username": {user[1]}, "password": {user[2]}})
	if code != http.StatusForbidden || !strings.Contains(page, "ended on "+last) {
		t.Fatalf("an expired visitor's login: %d\n%s", code, page)
	}

	// The teacher ends an invitation early.
	clock.move(-4 * 24 * time.Hour)
	paola = pupilLogin(t, n, user[1], user[2])
	teacher.Get("/pupils")
	if code, _, loc := teacher.Post("/pupils/"+user[1]+"/remove", url.Values{}); code != http.StatusSeeOther || loc != "/pupils?done=visitor_ended" {
		t.Fatalf("end the invitation: %d %s", code, loc)
	}
	if code, _ := paola.Get("/my-twinspaces"); code != http.StatusSeeOther {
		t.Errorf("an ended invitation's session: %d", code)
	}
}

// TestPupils_ScopedSessionIsNoMember walks the members' pages and JSON
// API with a pupil's session and a visitor's: each is refused, and
// nothing changes.
func TestPupils_ScopedSessionIsNoMember(t *testing.T) {
	n := MustOpenNode(t, nodeOpts{})
	seedTeacher(t, n, "anna", "Anna")
	ctx := context.Background()
	annaP := &twinfed.Principal{Username: "anna", Role: twinfed.RoleMember, Status: twinfed.StatusValidated}
	creds, err := n.Pupils().CreatePupils(ctx, annaP, []string{"Luca"})
	if err != nil {
		t.Fatal(err)
	}
	b := pupilLogin(t, n, creds[0].Username, creds[0].Password)
	_, page := b.Get("/my-twinspaces")
	csrf := b.CSRF()
	// The pupil's menu: their TwinSpaces, the language, logging out.
	for _, no := range []string{`href="/people"`, `href="/projects"`, `href="/contacts"`, `href="/account"`, `href="/login"`} {
		if strings.Contains(page, no) {
			t.Errorf("a pupil's menu has %s", no)
		}
	}
	for _, yes := range []string{`href="/my-twinspaces"`, `action="/pupils/logout"`, `action="/pupils/language"`} {
		if !strings.Contains(page, yes) {
			t.Errorf("a pupil's menu lacks %s", yes)
		}
	}

	pages := []string{"/account", "/account/profile", "/account/notifications", "/account/export", "/account/delete", "/account/schools",
		"/contacts", "/messages", "/messages/with?peer=" + url.QueryEscape(n.URL()+"/users/anna"), "/notifications",
		"/people", "/people/profile?id=" + url.QueryEscape(n.URL()+"/users/anna"), "/people/schools", "/people/activity", "/people/new",
		"/projects", "/projects/new", "/projects/live", "/events", "/events/calendar", "/events/new", "/forum", "/forum/new",
		"/pupils", "/backoffice", "/backoffice/members", "/backoffice/stats", "/backoffice/projects", "/backoffice/forum", "/register/step/1"}
	for _, p := range pages {
		code, body := b.Get(p)
		if code != http.StatusForbidden || !strings.Contains(body, "This page is for teachers") {
			t.Errorf("pupil GET %s: %d", p, code)
		}
	}
	posts := []string{"/account", "/account/password", "/account/delete", "/pupils/create", "/pupils/visitors", "/contacts/accept", "/messages/send", "/projects/new", "/forum/new"}
	for _, p := range posts {
		if code, _, _ := b.Post(p, url.Values{"csrf": {csrf}, "names": {"Intruder"}}); code != http.StatusForbidden && code != http.StatusNotFound && code != http.StatusMethodNotAllowed {
			t.Errorf("pupil POST %s: %d", p, code)
		}
	}
	apiGets := []string{"/api/v1/me", "/api/v1/me/counts", "/api/v1/me/export", "/api/v1/contacts", "/api/v1/messages", "/api/v1/notifications",
		"/api/v1/people", "/api/v1/projects", "/api/v1/projects/choices", "/api/v1/forum/posts", "/api/v1/feed", "/api/v1/directory", "/api/v1/pupils",
		"/api/v1/agency/members", "/api/v1/agency/stats", "/api/v1/schools"}
	for _, p := range apiGets {
		if code := b.API("GET", p, nil, "", nil); code != http.StatusForbidden {
			t.Errorf("pupil API GET %s: %d", p, code)
		}
	}
	apiWrites := []struct{ method, path string }{{"PATCH", "/api/v1/me"}, {"DELETE", "/api/v1/me"}, {"POST", "/api/v1/me/password"}, {"POST", "/api/v1/contacts"},
		{"POST", "/api/v1/messages"}, {"POST", "/api/v1/projects"}, {"POST", "/api/v1/forum/posts"}, {"POST", "/api/v1/posts"}, {"POST", "/api/v1/pupils"},
		{"POST", "/api/v1/pupils/visitors"}, {"DELETE", "/api/v1/pupils/" + creds[0].Username}, {"POST", "/api/v1/agency/staff"}}
	for _, w := range apiWrites {
		if code := b.API(w.method, w.path, map[string]any{}, csrf, nil); code != http.StatusForbidden {
			t.Errorf("pupil API %s %s: %d", w.method, w.path, code)
		}
	}
	// Nothing changed: anna has her one pupil, still logged in.
	_, visitors, _ := n.Pupils().Mine(ctx, annaP)
	if pupils, _, _ := n.Pupils().Mine(ctx, annaP); len(pupils) != 1 || len(visitors) != 0 {
		t.Errorf("after the walk anna has %d pupils, %d visitors", len(pupils), len(visitors))
	}
	if code, _ := b.Get("/my-twinspaces"); code != 200 {
		t.Errorf("the pupil's session after the walk: %d", code)
	}
	// In the pupil's language: the refusal in Italian.
	b.Post("/pupils/language", url.Values{"lang": {"it"}, "next": {"/my-twinspaces"}})
	if _, body := b.Get("/contacts"); !strings.Contains(body, "Questa pagina è per gli account degli insegnanti") {
		t.Errorf("the refusal in Italian:\n%s", body)
	}
	// The pupil's own endpoint answers them; a member is pointed to their projects.
	var me pupil.Account
	if code := b.API("GET", "/api/v1/my-twinspaces", nil, "", &me); code != 200 || me.Username != creds[0].Username || me.Hash != "" {
		t.Errorf("my-twinspaces API: %d %+v", code, me)
	}
	// Logging out ends the session.
	b.Get("/my-twinspaces")
	if code, _, _ := b.Post("/pupils/logout", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("logout: %d", code)
	}
	if code, _ := b.Get("/my-twinspaces"); code != http.StatusSeeOther {
		t.Errorf("after logout: %d", code)
	}
}

// TestPupils_TeacherDeleted: a teacher's pupils leave with the teacher's
// account.
func TestPupils_TeacherDeleted(t *testing.T) {
	n := MustOpenNode(t, nodeOpts{})
	seedTeacher(t, n, "anna", "Anna")
	ctx := context.Background()
	annaP := &twinfed.Principal{Username: "anna", Role: twinfed.RoleMember, Status: twinfed.StatusValidated}
	creds, err := n.Pupils().CreatePupils(ctx, annaP, []string{"Luca", "Sara"})
	if err != nil {
		t.Fatal(err)
	}
	b := pupilLogin(t, n, creds[0].Username, creds[0].Password)
	if err := n.Accounts().DeleteAccount(ctx, annaP, "correct horse 1"); err != nil {
		t.Fatal(err)
	}
	if code, _ := b.Get("/my-twinspaces"); code != http.StatusSeeOther {
		t.Errorf("a deleted teacher's pupil's session: %d", code)
	}
	for _, c := range creds {
		if a, err := n.Pupils().Account(ctx, c.Username); err != nil || a.Removed.IsZero() {
			t.Errorf("%s after the teacher's deletion: %+v %v", c.Username, a, err)
		}
	}
	if code, _, _ := newBrowser(t, n.URL()).Form("/pupils/login", "/pupils/login", url.Values{"username": {creds[1].Username}, "password": {creds[1].Password}}); code != http.StatusUnauthorized {
		t.Errorf("a deleted teacher's pupil logs in: %d", code)
	}
}
