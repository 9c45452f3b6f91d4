package node_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/account"
)

// italianMonths are the months as the Italian catalogue writes them in a
// date.
var italianMonths = []string{"gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"}

// isoDate matches a date as Go's default formatting writes it.
var isoDate = regexp.MustCompile(`\b20\d\d-\d\d-\d\d\b`)

// seedNamed stores a member whose subjects are names, as the demo data of
// earlier versions stored them ("English", not english).
func seedNamed(t *testing.T, n *node.Node, user string) string {
	t.Helper()
	_, err := n.Accounts().SeedMember(context.Background(), account.PreRegistration{FirstName: "Giulia", LastName: "Rossi", Email: user + "@scuola.it",
		Username: user, Password: "correct horse 1", PasswordConfirm: "correct horse 1"},
		&twinfed.Member{Schools: []twinfed.MemberSchool{{SchoolID: "it-" + user, Name: "Liceo Galilei", Region: "Toscana", Level: twinfed.LevelUpperSecondary, Role: "teacher"}},
			Description: "CLIL", Languages: []string{"it", "en"}, PupilAges: []int{11, 12, 13}, Subjects: []string{"English", "Computer science"},
			Available: twinfed.Available{Project: true}, Public: twinfed.PublicFields})
	if err != nil {
		t.Fatal(err)
	}
	return n.URL() + "/users/" + user
}

// formValues reads what a browser would submit from the first POST form of
// page whose action is action, untouched: text inputs, ticked boxes and
// radios, selected options, textareas.
func formValues(t *testing.T, page, action string) url.Values {
	t.Helper()
	start := strings.Index(page, `action="`+action+`"`)
	if start < 0 {
		t.Fatalf("no form to %s in:\n%s", action, page)
	}
	form := page[start:]
	form = form[:strings.Index(form, "</form>")]
	v := url.Values{}
	attr := func(tag, name string) (string, bool) {
		m := regexp.MustCompile(`\s` + name + `="([^"]*)"`).FindStringSubmatch(tag)
		if m == nil {
			return "", false
		}
		return html.UnescapeString(m[1]), true
	}
	for _, tag := range regexp.MustCompile(`<input[^>]*>`).FindAllString(form, -1) {
		name, ok := attr(tag, "name")
		typ, _ := attr(tag, "type")
		if !ok || typ == "file" || (typ == "checkbox" || typ == "radio") && !strings.Contains(tag, " checked") {
			continue
		}
		val, _ := attr(tag, "value")
		if val == "" && (typ == "checkbox" || typ == "radio") {
			val = "on"
		}
		v.Add(name, val)
	}
	for _, m := range regexp.MustCompile(`(?s)<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>`).FindAllStringSubmatch(form, -1) {
		v.Add(m[1], html.UnescapeString(m[2]))
	}
	for _, m := range regexp.MustCompile(`(?s)<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>`).FindAllStringSubmatch(form, -1) {
		if sel := regexp.MustCompile(`<option value="([^"]*)"[^>]* selected`).FindStringSubmatch(m[2]); sel != nil {
			v.Add(m[1], html.UnescapeString(sel[1]))
		}
	}
	return v
}

// A member whose subjects were stored as names (the old demo data) sees
// them by name in Italian, not as raw keys, and saving the profile form
// untouched succeeds and stores the ids.
func TestProfile_SubjectNamesAndUntouchedSave(t *testing.T) {
	n := MustOpenNode(t, nodeOpts{})
	seedNamed(t, n, "giulia")

	_, page, _ := newBrowser(t, n.URL()).GetLang("/users/giulia", "it")
	if !strings.Contains(page, "Inglese") || !strings.Contains(page, "Informatica") || strings.Contains(page, "subject.") {
		t.Fatalf("the profile in Italian does not name the subjects:\n%s", page)
	}
	_, page, _ = newBrowser(t, n.URL()).GetLang("/users/giulia", "en")
	if !strings.Contains(page, "English, Computing") {
		t.Fatalf("the profile in English does not name the subjects:\n%s", page)
	}

	b := login(t, n, "giulia", "correct horse 1")
	code, page := b.Get("/account/profile")
	if code != http.StatusOK {
		t.Fatalf("profile form: %d", code)
	}
	v := formValues(t, page, "/account/profile")
	if got := v["subjects"]; !slices.Equal(got, []string{"computing", "english"}) {
		t.Fatalf("the form ticks subjects %q, want computing and english\n%s", got, page)
	}
	code, _, loc := b.Post("/account/profile", v)
	if code != http.StatusSeeOther {
		t.Fatalf("saving the untouched profile: %d %s\n%s", code, loc, b.Last)
	}
	m, err := n.Accounts().Member(context.Background(), "giulia")
	if err != nil || !slices.Equal(m.Subjects, twinfed.SubjectList{"english", "computing"}) && !slices.Equal(m.Subjects, twinfed.SubjectList{"computing", "english"}) {
		t.Fatalf("stored subjects after the save: %q %v", m.Subjects, err)
	}

	// People search by subject finds her, by the filter's id and by an
	// older link's name.
	for _, q := range []string{"subject=english", "subject=English"} {
		if _, page, _ := b.GetLang("/people?"+q, "it"); !strings.Contains(page, "Giulia Rossi") {
			t.Fatalf("people search %s does not find giulia:\n%s", q, page)
		}
	}
}

// A project card in Italian names its subjects and writes its dates in
// Italian in the node's zone; a member who chose another zone reads times
// in it.
func TestProjects_ItalianCardAndZones(t *testing.T) {
	n := MustOpenNode(t, nodeOpts{localOnly: true})
	ctx := context.Background()
	anna, annaURL := seedTeacher(t, n, "anna", "Anna")
	_, brunoURL := seedTeacher(t, n, "bruno", "Bruno")
	p := nationalProject(t, n, anna, annaURL, brunoURL)

	b := login(t, n, "anna", "correct horse 1")
	if _, err := n.Social().SendMessage(ctx, anna, brunoURL, "Ciao Bruno"); err != nil {
		t.Fatal(err)
	}
	_, page, _ := b.GetLang("/projects/view?id="+url.QueryEscape(p.ID), "it")
	rome, _ := time.LoadLocation("Europe/Rome")
	created := p.Created.In(rome)
	want := strconv.Itoa(created.Day()) + " " + italianMonths[created.Month()-1] + " " + strconv.Itoa(created.Year())
	if !strings.Contains(page, want) || isoDate.MatchString(page) {
		t.Fatalf("the project card does not write its date as %q:\n%s", want, page)
	}

	// The project search filters by subject from a list of names.
	draftPage := func(lang string) string {
		_, page, _ := b.GetLang("/projects/search?subject=science", lang)
		return page
	}
	if !strings.Contains(draftPage("it"), `<option value="science" selected>Scienze</option>`) {
		t.Fatalf("the project search's subject filter is not a list of names:\n%s", draftPage("it"))
	}

	// The conversation shows the message's time in the node's zone (CET or
	// CEST), then in the zone anna chooses on her account page.
	_, page, _ = b.GetLang("/messages/with?peer="+url.QueryEscape(brunoURL), "it")
	if !regexp.MustCompile(`\d\d:\d\d CES?T`).MatchString(page) || strings.Contains(page, " UTC") {
		t.Fatalf("the conversation's time is not in the node's zone:\n%s", page)
	}
	_, page, _ = b.GetLang("/account", "it")
	if !strings.Contains(html.UnescapeString(page), "Armenia (UTC+4)") || !strings.Contains(page, `<option value="default" selected>`) {
		t.Fatalf("the account page does not offer the zones in Italian:\n%s", page)
	}
	v := formValues(t, page, "/account")
	v.Set("time_zone", "Asia/Yerevan")
	if code, _, _ := b.Post("/account", v); code != http.StatusSeeOther {
		t.Fatalf("choosing a zone: %d\n%s", code, b.Last)
	}
	_, page, _ = b.GetLang("/messages/with?peer="+url.QueryEscape(brunoURL), "it")
	if !regexp.MustCompile(`\d\d:\d\d UTC\+4`).MatchString(html.UnescapeString(page)) {
		t.Fatalf("the conversation's time is not in anna's zone:\n%s", page)
	}
	// A zone outside the list is refused and changes nothing.
	v.Set("time_zone", "America/New_York")
	if code, _, _ := b.Post("/account", v); code == http.StatusSeeOther {
		t.Fatal("a zone outside the list was accepted")
	}
	if m, _ := n.Accounts().Member(ctx, "anna"); m.TimeZone != "Asia/Yerevan" {
		t.Fatalf("anna's zone is %q", m.TimeZone)
	}
}
