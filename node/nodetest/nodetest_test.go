package nodetest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed/node/nodetest"
)

// TestHelpers drives a node through the helpers: pre-registration by the
// form, the mailed link, its token, and a refused API login.
func TestHelpers(t *testing.T) {
	dir := t.TempDir()
	n := nodetest.MustOpenNode(t, nodetest.Options{Dir: dir})
	b := nodetest.NewBrowser(t, n.URL())
	pre := url.Values{"first_name": {"Maria"}, "last_name": {"Rossi"}, "email": {"maria@scuola.it"}, "email_confirm": {"maria@scuola.it"},
		"username": {"maria"}, "password": {"correct horse 1"}, "password_confirm": {"correct horse 1"}}
	if code, _, loc := b.Form("/register", "/register", pre); code != http.StatusSeeOther || loc != "/register/sent" {
		t.Fatalf("pre-registration: %d %s\n%s", code, loc, b.Last)
	}
	nodetest.Eventually(t, 5*time.Second, func() bool { return len(nodetest.Mails(t, n, dir, "maria@scuola.it")) == 1 }, "no mail to maria")
	link := nodetest.MustLink(t, n, dir, "maria@scuola.it", "/register/confirm")
	token := nodetest.TokenOf(link)
	if code, body := b.Get(link); code != 200 || token == "" || !strings.Contains(body, token) {
		t.Fatalf("confirm page: %d %q\n%s", code, token, body)
	}
	if code, _, loc := b.Post("/register/confirm", url.Values{"token": {token}}); code != http.StatusSeeOther || loc != "/register/step/1" {
		t.Fatalf("confirm: %d %s\n%s", code, loc, b.Last)
	}

	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	api := nodetest.NewBrowser(t, n.URL())
	if code := api.API("POST", "/api/v1/session", map[string]string{"username": "maria", "password": "wrong password 1"}, "", &e); code != http.StatusUnauthorized || e.Error.Code == "" {
		t.Fatalf("a wrong password: %d %+v", code, e)
	}
}
