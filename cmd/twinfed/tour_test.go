package main

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
)

// walkTour walks the README's tour over HTTP on a running demo, as a
// newcomer would in a browser: log in on IT as a teacher, find a French
// teacher, send a contact request, accept it on FR, found a project
// together, approve it as each agency, open the TwinSpace on both nodes,
// record each agency's quality label, and confirm the European label as
// the CSS with the admin token.
func walkTour(t *testing.T, base int, adminToken string) {
	itBase := fmt.Sprintf("http://127.0.0.1:%d", base+21)
	frBase := fmt.Sprintf("http://127.0.0.1:%d", base+22)
	giuliaActor, camilleActor := itBase+"/users/giulia.rossi", frBase+"/users/camille.martin"
	login := func(nodeBase, user string) *session {
		s := newSession(t, nodeBase)
		if code, body := s.post("/login", "/login", url.Values{"username": {user}, "password": {demoPassword}}); code != http.StatusOK {
			t.Fatalf("login %s: %d %s", user, code, body)
		}
		return s
	}
	eventually := func(what string, cond func() bool) {
		t.Helper()
		consensustest.Eventually(t, 60*time.Second, cond, "tour: "+what)
	}
	must := func(what string) func(code int, body string) string {
		return func(code int, body string) string {
			t.Helper()
			if code != http.StatusOK {
				t.Fatalf("tour: %s: %d\n%s", what, code, body)
			}
			return body
		}
	}

	// 1. Log in on IT as a teacher.
	giulia := login(itBase, "giulia.rossi")
	// 4. Find a French teacher from Italy, in the federated directory.
	eventually("the IT directory finds Camille Martin", func() bool {
		code, body := giulia.get("/people?q=Martin&country=FR")
		return code == 200 && strings.Contains(body, url.QueryEscape(camilleActor))
	})
	profile := "/people/profile?id=" + url.QueryEscape(camilleActor)
	must("Camille's profile")(giulia.get(profile))
	// 5. Send a contact request.
	must("contact request")(giulia.post(profile, "/contacts/request", url.Values{"peer": {camilleActor}, "message": {"Ciao Camille, a project on water?"}}))
	// 6. Accept it on FR.
	camille := login(frBase, "camille.martin")
	eventually("the request reaches FR", func() bool {
		_, body := camille.get("/contacts")
		return strings.Contains(body, "giulia.rossi")
	})
	must("accept")(camille.post("/contacts", "/contacts/accept", url.Values{"peer": {giuliaActor}}))

	// Found a project together: the four steps, the partner among contacts.
	_, step1 := giulia.get("/projects/new")
	m := regexp.MustCompile(`name="school_id"[^>]*value="([^"]+)"`).FindStringSubmatch(step1)
	if m == nil {
		t.Fatalf("tour: step 1 offers no school:\n%s", step1)
	}
	form := url.Values{"school_id": {m[1]}, "step": {"1"}, "go": {"next"}}
	eventually("step 2 offers Camille as partner", func() bool {
		_, body := giulia.post("/projects/new", "/projects/new", form)
		return strings.Contains(body, `value="`+camilleActor+`"`)
	})
	title := "Water, a shared treasure"
	form = url.Values{"school_id": {m[1]}, "partner": {camilleActor}, "title": {title}, "description": {"Our pupils measure the water they use and compare."},
		"subjects": {"science, geography"}, "pupil_ages": {"10-12"}, "languages": {"en, fr, it"}, "tools": {"forum, chat"},
		"aims": {"Save water"}, "work_process": {"Monthly exchanges"}, "expected_results": {"A shared booklet"}, "step": {"3"}, "go": {"next"}}
	preview := must("preview")(giulia.post("/projects/new", "/projects/new", form))
	if !strings.Contains(preview, title) {
		t.Fatalf("tour: step 4 does not preview the project:\n%s", preview)
	}
	form.Set("step", "4")
	form.Set("go", "create")
	card := must("create")(giulia.post("/projects/new", "/projects/new", form))
	im := regexp.MustCompile(`name="id" value="([^"]+)"`).FindStringSubmatch(card)
	if im == nil || !strings.Contains(card, title) {
		t.Fatalf("tour: the new project's card:\n%s", card)
	}
	id := im[1]
	cardPath := "/projects/view?id=" + url.QueryEscape(id)

	// The co-founder accepts on FR.
	eventually("the invitation reaches FR", func() bool {
		_, body := camille.get("/projects")
		return strings.Contains(body, title)
	})
	_, mine := camille.get(cardPath)
	sm := regexp.MustCompile(`name="school_id"[^>]*value="([^"]+)"`).FindStringSubmatch(mine)
	if sm == nil {
		t.Fatalf("tour: the invitation offers no school to answer with:\n%s", mine)
	}
	must("answer")(camille.post(cardPath, "/projects/answer", url.Values{"id": {id}, "answer": {"accept"}, "school_id": {sm[1]}}))

	// Each agency approves its own member's participation.
	officers := map[string]*session{}
	for _, a := range []struct{ base, officer, member string }{{itBase, "agency.it", giuliaActor}, {frBase, "agency.fr", camilleActor}} {
		s := login(a.base, a.officer)
		officers[a.officer] = s
		eventually(a.officer+"'s queue shows the project", func() bool {
			_, body := s.get("/backoffice/projects")
			return strings.Contains(body, title) && strings.Contains(body, a.member)
		})
		must(a.officer + " approves")(s.post("/backoffice/projects", "/backoffice/projects/decide", url.Values{"id": {id}, "partner": {a.member}, "decision": {"approve"}}))
	}

	// The TwinSpace is open on both nodes; a post from FR shows on IT.
	tsPath := "/twinspace/home?id=" + url.QueryEscape(id)
	for _, s := range []*session{giulia, camille} {
		eventually("the TwinSpace opens on "+s.base, func() bool {
			code, _ := s.get(tsPath)
			return code == 200
		})
	}
	must("post")(camille.post(tsPath, "/twinspace/home/post", url.Values{"id": {id}, "content": {"Bonjour l'Italie !"}}))
	eventually("the FR post shows on IT", func() bool {
		_, body := giulia.get(tsPath)
		return strings.Contains(body, "Bonjour l&#39;Italie !")
	})

	// 12. Each agency records its National Quality Label; the card shows
	// both and the European label as eligible.
	for _, o := range []string{"agency.it", "agency.fr"} {
		s := officers[o]
		eventually(o+"'s labels page lists the project", func() bool {
			_, body := s.get("/backoffice/labels")
			return strings.Contains(body, title)
		})
		code, body := s.post("/backoffice/labels", "/backoffice/labels", url.Values{"project_id": {id}, "score": {"24"}})
		if code != http.StatusOK || !strings.Contains(body, title) {
			t.Fatalf("tour: %s records the label: %d\n%s", o, code, body)
		}
	}
	eventually("the card shows both labels, the European one eligible", func() bool {
		_, body := giulia.get(cardPath)
		// Giulia reads Italian: the countries by their names in it.
		return (strings.Contains(body, `<th scope="row">Italia</th>`) || strings.Contains(body, `<th scope="row">Italy</th>`)) &&
			(strings.Contains(body, `<th scope="row">Francia</th>`) || strings.Contains(body, `<th scope="row">France</th>`)) &&
			(strings.Contains(body, "Idoneo:") || strings.Contains(body, "Eligible:"))
	})

	// The CSS confirms the year's European labels from the command line.
	var out, errOut strings.Builder
	if err := newApp(&out, &errOut).RunContext(t.Context(), []string{"twinfed", "labels", "confirm",
		fmt.Sprintf("--member=http://127.0.0.1:%d", base+1), "--token=" + adminToken, "--school-year", twinfed.SchoolYearOf(time.Now().UTC())}); err != nil {
		t.Fatalf("tour: twinfed labels confirm: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), `"awarded": 1`) {
		t.Fatalf("tour: twinfed labels confirm printed %s, want one label awarded", out.String())
	}
	eventually("the FR card shows the European label awarded", func() bool {
		_, body := camille.get(cardPath)
		return strings.Contains(body, "Attribué") || strings.Contains(body, "Awarded") // Camille reads French
	})
}
