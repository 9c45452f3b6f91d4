package node_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/twinfed/twinfed"
)

// TestRegistration_ProposedSchool walks pre-registration, the e-mailed
// link and the four steps through HTTP, proposing a new school, and ends in
// the agency's queue.
func TestRegistration_ProposedSchool(t *testing.T) {
	dir := t.TempDir()
	n := MustOpenNode(t, nodeOpts{dir: dir})
	b := newBrowser(t, n.URL())

	code, _, loc := b.Form("/register", "/register", preReg("maria"))
	if code != http.StatusSeeOther || loc != "/register/sent" {
		t.Fatalf("pre-registration: %d %s\n%s", code, loc, b.Last)
	}
	link := mustLink(t, n, dir, "maria@scuola.it", "/register/confirm")
	if code, body := b.Get(link); code != 200 || !strings.Contains(body, tokenOf(link)) {
		t.Fatalf("confirm page: %d\n%s", code, body)
	}
	code, _, loc = b.Post("/register/confirm", url.Values{"token": {tokenOf(link)}})
	if code != http.StatusSeeOther || loc != "/register/step/1" {
		t.Fatalf("confirm: %d %s\n%s", code, loc, b.Last)
	}
	code, _, loc = b.Form("/register/step/1?propose=1", "/register/step/1", url.Values{"propose": {"1"}, "legal_name": {"IC Leonardo da Vinci"}, "city": {"Firenze"},
		"region": {"Toscana"}, "level": {"primary"}, "institution": {"state"}})
	if code != http.StatusSeeOther || loc != "/register/step/2" {
		t.Fatalf("step 1: %d %s\n%s", code, loc, b.Last)
	}
	code, _, loc = b.Form("/register/step/2", "/register/step/2", url.Values{"role": {"teacher"}})
	if code != http.StatusSeeOther || loc != "/register/step/3" {
		t.Fatalf("step 2: %d %s\n%s", code, loc, b.Last)
	}
	code, _, loc = b.Form("/register/step/3", "/register/step/3", url.Values{"description": {"<p>Maths <script>x</script>teacher</p>"}, "languages": {"it", "en"},
		"pupil_ages": {"8", "9", "10"}, "subjects": {"mathematics"}, "interests": {"robots, coding"}, "avail_project": {"on"}, "public": {"school", "subjects"}})
	if code != http.StatusSeeOther || loc != "/register/step/4" {
		t.Fatalf("step 3: %d %s\n%s", code, loc, b.Last)
	}
	code, body := b.Get("/register/step/4")
	if code != 200 || !strings.Contains(body, "IC Leonardo da Vinci") || strings.Contains(body, "<script>") {
		t.Fatalf("preview: %d\n%s", code, body)
	}
	code, _, loc = b.Post("/register/step/4", url.Values{})
	if code != http.StatusSeeOther {
		t.Fatalf("submit: %d %s\n%s", code, loc, b.Last)
	}
	m, err := n.Accounts().Member(context.Background(), "maria")
	if err != nil || m.Status != twinfed.StatusPending || m.Schools[0].ProposalID == "" || m.Schools[0].Role != "teacher" {
		t.Fatalf("member after submit: %+v %v", m, err)
	}
	if _, err := n.Directory().LocalProfile(context.Background(), "maria"); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		t.Fatalf("a pending member's profile is public: %v", err)
	}
}
