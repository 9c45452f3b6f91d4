package node_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/account"
)

const emailLink = "/account/email/confirm"

// tryLogin posts the login form from a fresh browser and returns the status
// (303 logged in, 401 refused).
func tryLogin(t *testing.T, n *node.Node, login, password string) int {
	t.Helper()
	code, _, _ := newBrowser(t, n.URL()).Form("/login", "/login", url.Values{"username": {login}, "password": {password}})
	return code
}

// emailOf returns a member's current address.
func emailOf(t *testing.T, n *node.Node, user string) string {
	t.Helper()
	m, err := n.Accounts().Member(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	return m.Email
}

// requestEmail asks for a change of address through the account form.
func requestEmail(t *testing.T, b *browser, email string) {
	t.Helper()
	code, _, loc := b.Form("/account", "/account", url.Values{"first_name": {"Paola"}, "last_name": {"Bianchi"}, "email": {email}, "locale": {"en"}})
	if code != http.StatusSeeOther || loc != "/account?done=email_sent" {
		t.Fatalf("request change to %s: %d %s\n%s", email, code, loc, b.Last)
	}
}

// refused opens link with b (GET, then POST of its token) and checks that
// both answer status with want in the page.
func refused(t *testing.T, b *browser, link string, status int, want string) {
	t.Helper()
	if code, body := b.Get(link); code != status || !strings.Contains(body, want) {
		t.Fatalf("GET %s: %d, want %d and %q\n%s", link, code, status, want, body)
	}
	if code, body, _ := b.Post(emailLink, url.Values{"token": {tokenOf(link)}}); code != status || !strings.Contains(body, want) {
		t.Fatalf("POST %s: %d, want %d and %q\n%s", emailLink, code, status, want, body)
	}
}

// TestEmailChange_ConfirmByLink changes an address through the account
// form: nothing changes until the link mailed to the new address is
// confirmed by the member logged in; the old address gets a notice without
// the link; the link works once.
func TestEmailChange_ConfirmByLink(t *testing.T) {
	dir := t.TempDir()
	clk := newClock()
	n := MustOpenNode(t, nodeOpts{dir: dir, now: clk.Now})
	seedValidated(t, n, "paola", nil)
	seedValidated(t, n, "other", nil)
	b := login(t, n, "paola", "correct horse 1")

	requestEmail(t, b, "paola.new@scuola.it")
	if got := emailOf(t, n, "paola"); got != "paola@scuola.it" {
		t.Fatalf("the address changed before confirmation: %s", got)
	}
	if code := tryLogin(t, n, "paola@scuola.it", "correct horse 1"); code != http.StatusSeeOther {
		t.Fatalf("login with the old address before confirmation: %d", code)
	}
	if code := tryLogin(t, n, "paola.new@scuola.it", "correct horse 1"); code != http.StatusUnauthorized {
		t.Fatalf("login with the new address before confirmation: %d", code)
	}

	// The link goes to the new address; the old one gets a notice without it.
	link := mustLink(t, n, dir, "paola.new@scuola.it", emailLink)
	token := tokenOf(link)
	var notice string
	for _, m := range mails(t, n, dir, "paola@scuola.it") {
		if strings.Contains(m, "change of the e-mail address") {
			notice = m
		}
	}
	if notice == "" || !strings.Contains(notice, "paola.new@scuola.it") || strings.Contains(notice, token) || strings.Contains(notice, emailLink) {
		t.Fatalf("notice to the old address:\n%s", notice)
	}
	// The link is stored hashed: the token is nowhere in the store.
	err := n.Store().DB().View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, _ := it.Item().ValueCopy(nil)
			if bytes.Contains(it.Item().Key(), []byte(token)) || bytes.Contains(v, []byte(token)) {
				t.Errorf("the link's token is stored in clear under %q", it.Item().Key())
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// The account page and the API show the pending change.
	code, body := b.Get("/account")
	mustContain(t, "account page with a pending change", body, "We have sent a confirmation link to:", "<strong>paola.new@scuola.it</strong>",
		"Until you open it, your address stays:", "<strong>paola@scuola.it</strong>", `name="cancel_email_change"`)
	if code != http.StatusOK {
		t.Fatalf("account page: %d", code)
	}
	var me struct {
		Member      struct{ Email string }
		EmailChange *account.EmailChange `json:"email_change"`
	}
	if code := b.API("GET", "/api/v1/me", nil, "", &me); code != http.StatusOK || me.Member.Email != "paola@scuola.it" || me.EmailChange == nil || me.EmailChange.NewEmail != "paola.new@scuola.it" {
		t.Fatalf("GET /api/v1/me: %d %+v", code, me)
	}
	var patched struct {
		Username    string
		FirstName   string `json:"first_name"`
		Email       string
		EmailChange *account.EmailChange `json:"email_change"`
	}
	b.Get("/account")
	if code := b.API("PATCH", "/api/v1/me", map[string]string{"first_name": "Paolina"}, b.CSRF(), &patched); code != http.StatusOK ||
		patched.Username != "paola" || patched.FirstName != "Paolina" || patched.Email != "paola@scuola.it" || patched.EmailChange == nil || patched.EmailChange.NewEmail != "paola.new@scuola.it" {
		t.Fatalf("PATCH /api/v1/me: %d %+v", code, patched)
	}

	// Not logged in: the link asks to log in first. Another member: refused.
	if code, _ := newBrowser(t, n.URL()).Get(link); code != http.StatusSeeOther {
		t.Fatalf("link without a session: %d", code)
	}
	refused(t, login(t, n, "other", "correct horse 1"), link, http.StatusForbidden, "This link is for another account")
	if got := emailOf(t, n, "paola"); got != "paola@scuola.it" {
		t.Fatalf("another member's click changed the address: %s", got)
	}

	// The member confirms.
	if code, body := b.Get(link); code != http.StatusOK || !strings.Contains(body, "paola.new@scuola.it") || !strings.Contains(body, token) {
		t.Fatalf("confirmation page: %d\n%s", code, body)
	}
	code, _, loc := b.Post(emailLink, url.Values{"token": {token}})
	if code != http.StatusSeeOther || loc != "/account?done=email_changed" {
		t.Fatalf("confirm: %d %s\n%s", code, loc, b.Last)
	}
	if got := emailOf(t, n, "paola"); got != "paola.new@scuola.it" {
		t.Fatalf("after confirmation: %s", got)
	}
	if code := tryLogin(t, n, "paola.new@scuola.it", "correct horse 1"); code != http.StatusSeeOther {
		t.Fatalf("login with the new address after confirmation: %d", code)
	}
	if code := tryLogin(t, n, "paola@scuola.it", "correct horse 1"); code != http.StatusUnauthorized {
		t.Fatalf("login with the old address after confirmation: %d", code)
	}
	if _, body := b.Get("/account?done=email_changed"); !strings.Contains(body, "Your e-mail address has been changed.") || strings.Contains(body, "cancel_email_change") {
		t.Fatalf("account page after confirmation:\n%s", body)
	}

	// The link works once.
	refused(t, b, link, http.StatusConflict, "already been used")
	if got := emailOf(t, n, "paola"); got != "paola.new@scuola.it" {
		t.Fatalf("after a reused link: %s", got)
	}
}

// TestEmailChange_ReplacedExpiredCancelled checks that a second request
// makes the first link stop working, that an expired link and the link of
// a cancelled change are refused, and that none of them changes anything.
func TestEmailChange_ReplacedExpiredCancelled(t *testing.T) {
	dir := t.TempDir()
	clk := newClock()
	n := MustOpenNode(t, nodeOpts{dir: dir, now: clk.Now})
	seedValidated(t, n, "paola", nil)
	b := login(t, n, "paola", "correct horse 1")

	requestEmail(t, b, "first@scuola.it")
	first := mustLink(t, n, dir, "first@scuola.it", emailLink)
	clk.Add(time.Minute)
	requestEmail(t, b, "second@scuola.it")
	second := mustLink(t, n, dir, "second@scuola.it", emailLink)
	if _, body := b.Get("/account"); !strings.Contains(body, "<strong>second@scuola.it</strong>") || strings.Contains(body, "first@scuola.it") {
		t.Fatalf("account page after a second request:\n%s", body)
	}
	refused(t, b, first, http.StatusConflict, "This link no longer works")
	if got := emailOf(t, n, "paola"); got != "paola@scuola.it" {
		t.Fatalf("the replaced link changed the address: %s", got)
	}

	// Past the link's lifetime (accounts.confirm_link_ttl, 48h by default).
	clk.Add(48*time.Hour + time.Minute)
	refused(t, b, second, http.StatusBadRequest, "This link has expired")
	if got := emailOf(t, n, "paola"); got != "paola@scuola.it" {
		t.Fatalf("the expired link changed the address: %s", got)
	}
	if _, body := b.Get("/account"); strings.Contains(body, "cancel_email_change") {
		t.Fatalf("an expired change still shown as pending:\n%s", body)
	}
	if code := tryLogin(t, n, "second@scuola.it", "correct horse 1"); code != http.StatusUnauthorized {
		t.Fatalf("login with an unconfirmed address: %d", code)
	}

	// A cancelled change: its link stops working.
	requestEmail(t, b, "third@scuola.it")
	third := mustLink(t, n, dir, "third@scuola.it", emailLink)
	b.Get("/account")
	if code, _, loc := b.Post("/account", url.Values{"cancel_email_change": {"1"}}); code != http.StatusSeeOther || loc != "/account?done=email_cancelled" {
		t.Fatalf("cancel: %d %s\n%s", code, loc, b.Last)
	}
	if _, body := b.Get("/account?done=email_cancelled"); strings.Contains(body, "third@scuola.it") || !strings.Contains(body, "The change of e-mail address is cancelled") {
		t.Fatalf("account page after cancelling:\n%s", body)
	}
	refused(t, b, third, http.StatusConflict, "This link no longer works")
	if got := emailOf(t, n, "paola"); got != "paola@scuola.it" {
		t.Fatalf("a cancelled change's link changed the address: %s", got)
	}
}

// TestEmailChange_AddressTaken checks that an address of another account
// is refused when asked for, and when another account took it between the
// request and the confirmation: the address stays, the other account
// keeps its own, the pending change is cleared and the link used up.
func TestEmailChange_AddressTaken(t *testing.T) {
	dir := t.TempDir()
	n := MustOpenNode(t, nodeOpts{dir: dir})
	seedValidated(t, n, "paola", nil)
	seedValidated(t, n, "other", nil)
	b := login(t, n, "paola", "correct horse 1")

	if code, body, _ := b.Form("/account", "/account", url.Values{"email": {"other@scuola.it"}}); code != http.StatusConflict || !strings.Contains(body, "Another account uses this e-mail address.") {
		t.Fatalf("asking for another account's address: %d\n%s", code, body)
	}
	if len(mails(t, n, dir, "other@scuola.it")) != 0 {
		t.Fatal("a link was mailed to another account's address")
	}

	requestEmail(t, b, "late@scuola.it")
	link := mustLink(t, n, dir, "late@scuola.it", emailLink)
	seedValidated(t, n, "late", nil) // registers late@scuola.it meanwhile
	b.Get(link)
	code, body, _ := b.Post(emailLink, url.Values{"token": {tokenOf(link)}})
	if code != http.StatusConflict || !strings.Contains(body, "Another account now uses this e-mail address") {
		t.Fatalf("confirming a taken address: %d\n%s", code, body)
	}
	if got := emailOf(t, n, "paola"); got != "paola@scuola.it" {
		t.Fatalf("paola's address after the refusal: %s", got)
	}
	if got := emailOf(t, n, "late"); got != "late@scuola.it" {
		t.Fatalf("the other account's address: %s", got)
	}
	if code := tryLogin(t, n, "paola@scuola.it", "correct horse 1"); code != http.StatusSeeOther {
		t.Fatalf("login with paola's address: %d", code)
	}
	if _, body := b.Get("/account"); strings.Contains(body, "cancel_email_change") {
		t.Fatalf("the refused change is still pending:\n%s", body)
	}
	refused(t, b, link, http.StatusConflict, "already been used")
}
