package node_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/account"
)

// clock is a settable test clock. It starts at the real time of the test
// (newClock), never at a fixed date: what the node stamps with it (a
// session, a link's expiry) meets the real clock of the cookie jar and the
// signatures, so a fixed date would make the test fail once the real clock
// passes it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

// newClock returns a clock set to now.
func newClock() *clock { return &clock{t: time.Now().UTC().Truncate(time.Second)} }

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func countMembers(t *testing.T, n *node.Node) int {
	t.Helper()
	st, err := n.Agency().Stats(context.Background(), &twinfed.Principal{Username: "t", Role: twinfed.RoleAgencyAdmin})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, c := range st.ByStatus {
		total += c
	}
	return total
}

// TestPreRegistration_BadInput checks that every kind of bad input answers
// with a message on the field and stores nothing.
func TestPreRegistration_BadInput(t *testing.T) {
	dir := t.TempDir()
	n := MustOpenNode(t, nodeOpts{dir: dir})
	b := newBrowser(t, n.URL())
	if code, _, _ := b.Form("/register", "/register", preReg("taken")); code != http.StatusSeeOther {
		t.Fatalf("first registration: %d", code)
	}
	with := func(k, v string) url.Values { f := preReg("newuser"); f.Set(k, v); return f }
	for _, tc := range []struct {
		name  string
		form  url.Values
		code  int
		field string
		text  string
	}{
		{"missing first name", with("first_name", ""), 400, "first_name", "Enter your first name."},
		{"missing last name", with("last_name", " "), 400, "last_name", "Enter your last name."},
		{"missing e-mail", with("email", ""), 400, "email", "Enter your e-mail address."},
		{"bad e-mail", with("email", "maria@"), 400, "email", "Enter an e-mail address such as"},
		{"mismatched e-mails", with("email_confirm", "other@scuola.it"), 400, "email_confirm", "The two e-mail addresses differ"},
		{"bad username", with("username", "Ma ria"), 400, "username", "Choose a username"},
		{"short password", func() url.Values {
			f := preReg("newuser")
			f.Set("password", "short")
			f.Set("password_confirm", "short")
			return f
		}(), 400, "password", "at least 10 characters"},
		{"mismatched passwords", with("password_confirm", "another password"), 400, "password_confirm", "The two passwords differ"},
		{"duplicate username", func() url.Values {
			f := preReg("taken")
			f.Set("email", "x@scuola.it")
			f.Set("email_confirm", "x@scuola.it")
			return f
		}(), 409, "username", "This username is taken"},
		{"duplicate e-mail", with("email_confirm", "taken@scuola.it"), 0, "", ""},
		{"duplicate e-mail (both fields)", func() url.Values {
			f := preReg("newuser")
			f.Set("email", "TAKEN@scuola.it")
			f.Set("email_confirm", "taken@scuola.it")
			return f
		}(), 409, "email", "An account with this e-mail address exists already"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.code == 0 {
				return // covered by the next case (the confirmation differs from the address)
			}
			before := countMembers(t, n)
			mailsBefore := len(mails(t, n, dir, tc.form.Get("email")))
			code, body, _ := b.Form("/register", "/register", tc.form)
			if code != tc.code {
				t.Fatalf("status %d, want %d\n%s", code, tc.code, body)
			}
			if !strings.Contains(body, `id="`+tc.field+`-error"`) || !strings.Contains(body, tc.text) || !strings.Contains(body, `role="alert"`) || !strings.Contains(body, `href="#`+tc.field+`"`) {
				t.Fatalf("no message %q next to %s and in the summary:\n%s", tc.text, tc.field, body)
			}
			if strings.Contains(body, "correct horse 1") {
				t.Fatal("the password was echoed back")
			}
			if countMembers(t, n) != before || len(mails(t, n, dir, tc.form.Get("email"))) != mailsBefore {
				t.Fatal("bad input changed something")
			}
		})
	}
	t.Run("errors in Italian", func(t *testing.T) {
		b.Get("/register")
		f := with("email_confirm", "other@scuola.it")
		f.Set("csrf", b.CSRF())
		req, _ := http.NewRequest("POST", n.URL()+"/register", strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept-Language", "it-IT,it;q=0.9")
		code, body, _ := b.Do(req)
		if code != 400 || !strings.Contains(body, "I due indirizzi e-mail sono diversi") || !strings.Contains(body, `lang="it"`) {
			t.Fatalf("Italian error: %d\n%s", code, body)
		}
	})
}

// TestConfirmLink checks the single-use link: reused, expired, forged.
func TestConfirmLink(t *testing.T) {
	dir := t.TempDir()
	clk := newClock()
	n := MustOpenNode(t, nodeOpts{dir: dir, now: clk.Now})
	b := newBrowser(t, n.URL())
	b.Form("/register", "/register", preReg("maria"))
	b.Form("/register", "/register", preReg("late"))
	link := mustLink(t, n, dir, "maria@scuola.it", "/register/confirm")
	lateLink := mustLink(t, n, dir, "late@scuola.it", "/register/confirm")

	b.Get(link)
	if code, _, _ := b.Post("/register/confirm", url.Values{"token": {tokenOf(link)}}); code != http.StatusSeeOther {
		t.Fatalf("first use: %d\n%s", code, b.Last)
	}
	b2 := newBrowser(t, n.URL())
	b2.Get(link)
	if code, body, _ := b2.Post("/register/confirm", url.Values{"token": {tokenOf(link)}}); code != http.StatusConflict || !strings.Contains(body, "already been used") {
		t.Fatalf("reused link: %d\n%s", code, body)
	}
	b2.Get(link)
	if code, body, _ := b2.Post("/register/confirm", url.Values{"token": {"forged-token-that-does-not-exist"}}); code != http.StatusNotFound || !strings.Contains(body, "not valid") {
		t.Fatalf("forged link: %d\n%s", code, body)
	}
	clk.Add(49 * time.Hour)
	b2.Get(lateLink)
	if code, body, _ := b2.Post("/register/confirm", url.Values{"token": {tokenOf(lateLink)}}); code != http.StatusBadRequest || !strings.Contains(body, "expired") {
		t.Fatalf("expired link: %d\n%s", code, body)
	}
	if m, _ := n.Accounts().Member(context.Background(), "late"); m.Status != twinfed.StatusUnconfirmed {
		t.Fatalf("expired link changed the member: %s", m.Status)
	}
	// An unconfirmed account cannot log in; a new link can be asked for.
	bl := newBrowser(t, n.URL())
	if code, body, _ := bl.Form("/login", "/login", url.Values{"username": {"late"}, "password": {"correct horse 1"}}); code != http.StatusForbidden || !strings.Contains(body, "Confirm your e-mail") {
		t.Fatalf("unconfirmed login: %d\n%s", code, body)
	}
	bl.Form("/register/resend", "/register/resend", url.Values{"email": {"late@scuola.it"}})
	fresh := mustLink(t, n, dir, "late@scuola.it", "/register/confirm")
	if fresh == lateLink {
		t.Fatal("no new link")
	}
	bl.Get(fresh)
	if code, _, _ := bl.Post("/register/confirm", url.Values{"token": {tokenOf(fresh)}}); code != http.StatusSeeOther {
		t.Fatalf("new link: %d\n%s", code, bl.Last)
	}
}

// TestCSRF checks that every POST form needs the right token and that a
// refused form changes nothing.
func TestCSRF(t *testing.T) {
	dir := t.TempDir()
	n := MustOpenNode(t, nodeOpts{dir: dir})
	b := newBrowser(t, n.URL())
	for _, tc := range []struct {
		name  string
		token string
	}{{"missing", ""}, {"wrong", "not-the-token"}} {
		t.Run("anonymous "+tc.name, func(t *testing.T) {
			b.Get("/register")
			f := preReg("csrfuser")
			if tc.token != "" {
				f.Set("csrf", tc.token)
			} else {
				f["csrf"] = nil
			}
			code, body, _ := b.Post("/register", f)
			if code != http.StatusForbidden || !strings.Contains(body, "Reload the page") {
				t.Fatalf("%d\n%s", code, body)
			}
			if _, err := n.Accounts().Member(context.Background(), "csrfuser"); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
				t.Fatal("a refused form registered someone")
			}
		})
	}
	// A logged-in member: another session's token does not work either.
	b1 := confirmedSimple(t, n, dir, "alice")
	b2 := confirmedSimple(t, n, dir, "bob")
	b2.Get("/register/step/1")
	otherToken := b2.CSRF()
	b1.Get("/register/step/1?propose=1")
	code, _, _ := b1.Post("/register/step/1", url.Values{"csrf": {otherToken}, "propose": {"1"}, "legal_name": {"X"}, "city": {"Y"}, "region": {"Z"}, "level": {"primary"}, "institution": {"state"}})
	if code != http.StatusForbidden {
		t.Fatalf("another session's token: %d", code)
	}
	if m, _ := n.Accounts().Member(context.Background(), "alice"); len(m.Schools) != 0 {
		t.Fatal("changed with a wrong token")
	}
	// JSON API with a session cookie needs X-CSRF-Token.
	var me struct{ Member twinfed.Member }
	if code := b1.API("PATCH", "/api/v1/me", map[string]string{"first_name": "Eve"}, "", &me); code != http.StatusForbidden {
		t.Fatalf("API without X-CSRF-Token: %d", code)
	}
	if m, _ := n.Accounts().Member(context.Background(), "alice"); m.FirstName != "Maria" {
		t.Fatal("changed without the CSRF header")
	}
}

func confirmedSimple(t *testing.T, n *node.Node, dir, user string) *browser {
	t.Helper()
	b := newBrowser(t, n.URL())
	if code, _, _ := b.Form("/register", "/register", preReg(user)); code != http.StatusSeeOther {
		t.Fatalf("pre-register: %d\n%s", code, b.Last)
	}
	link := mustLink(t, n, dir, user+"@scuola.it", "/register/confirm")
	b.Get(link)
	if code, _, _ := b.Post("/register/confirm", url.Values{"token": {tokenOf(link)}}); code != http.StatusSeeOther {
		t.Fatalf("confirm: %d", code)
	}
	return b
}

// seedValidated stores a validated member directly (no registry needed).
func seedValidated(t *testing.T, n *node.Node, user string, public []string) {
	t.Helper()
	_, err := n.Accounts().SeedMember(context.Background(), account.PreRegistration{FirstName: "Paola", LastName: "Bianchi", Email: user + "@scuola.it", Username: user, Password: "correct horse 1", PasswordConfirm: "correct horse 1"},
		&twinfed.Member{Schools: []twinfed.MemberSchool{{SchoolID: "it-1", Name: "IC Dante", Region: "Lazio", Level: twinfed.LevelPrimary, Role: "teacher"}},
			Description: "Private description", Languages: []string{"it"}, PupilAges: []int{7, 8}, Subjects: []string{"music"}, Interests: []string{"choir"},
			Available: twinfed.Available{Project: true}, Public: public})
	if err != nil {
		t.Fatal(err)
	}
}

// TestUpload_TooLarge checks that an oversized photo is refused with 413
// and stores nothing, and that a wrong file type is refused.
func TestUpload_TooLarge(t *testing.T) {
	dir := t.TempDir()
	n := MustOpenNode(t, nodeOpts{dir: dir, upload: 4096})
	seedValidated(t, n, "paola", nil)
	b := login(t, n, "paola", "correct horse 1")
	upload := func(data []byte) (int, string) {
		b.Get("/account/profile")
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("csrf", b.CSRF())
		fw, _ := mw.CreateFormFile("photo", "me.png")
		fw.Write(data)
		mw.Close()
		req, _ := http.NewRequest("POST", n.URL()+"/account/photo", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Accept-Language", "en")
		code, body, _ := b.Do(req)
		return code, body
	}
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...)
	big := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 200<<10)...)
	if code, body := upload(big); code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "too large") {
		t.Fatalf("oversized: %d\n%s", code, body)
	}
	if code, body := upload(append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 5000)...)); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("just over the limit: %d\n%s", code, body)
	}
	if m, _ := n.Accounts().Member(context.Background(), "paola"); m.HasPhoto {
		t.Fatal("an oversized photo was stored")
	}
	if code, body := upload([]byte("#!/bin/sh\necho not an image\n")); code != http.StatusBadRequest || !strings.Contains(body, "JPEG, PNG or WebP") {
		t.Fatalf("wrong type: %d\n%s", code, body)
	}
	if code, _ := upload(png); code != http.StatusSeeOther {
		t.Fatalf("good photo: %d\n%s", code, b.Last)
	}
	if code, _ := newBrowser(t, n.URL()).Get("/users/paola/photo"); code != 200 {
		t.Fatalf("photo not served: %d", code)
	}
	// Through the API too.
	bb := newBrowser(t, n.URL())
	var s struct {
		CSRFToken string `json:"csrf_token"`
	}
	bb.API("POST", "/api/v1/session", map[string]string{"username": "paola", "password": "correct horse 1"}, "", &s)
	req, _ := http.NewRequest("PUT", n.URL()+"/api/v1/me/photo", bytes.NewReader(big))
	req.Header.Set("X-CSRF-Token", s.CSRFToken)
	if code, body, _ := bb.Do(req); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("API oversized: %d %s", code, body)
	}
}

// TestLogin_RateLimit checks that failed logins are limited per username
// and address, and that the right password is refused while limited.
func TestLogin_RateLimit(t *testing.T) {
	dir := t.TempDir()
	n := MustOpenNode(t, nodeOpts{dir: dir})
	seedValidated(t, n, "paola", nil)
	b := newBrowser(t, n.URL())
	for i := 0; i < 3; i++ {
		if code, body, _ := b.Form("/login", "/login", url.Values{"username": {"paola"}, "password": {fmt.Sprint("wrong", i)}}); code != http.StatusUnauthorized || !strings.Contains(body, "wrong") {
			t.Fatalf("attempt %d: %d\n%s", i, code, body)
		}
	}
	code, body, _ := b.Form("/login", "/login", url.Values{"username": {"paola"}, "password": {"correct horse 1"}})
	if code != http.StatusTooManyRequests || !strings.Contains(body, "Too many failed attempts. Try again in 1 minute.") { // the window is a minute; the wait, in words
		t.Fatalf("limited login: %d\n%s", code, body)
	}
	var e struct{ Error struct{ Code string } }
	if code := newBrowser(t, n.URL()).API("POST", "/api/v1/session", map[string]string{"username": "paola", "password": "correct horse 1"}, "", &e); code != http.StatusTooManyRequests || e.Error.Code != "rate_limited" {
		t.Fatalf("API limited login: %d %+v", code, e)
	}
	// Another username from the same address is not affected.
	seedValidated(t, n, "other", nil)
	login(t, n, "other", "correct horse 1")
}
