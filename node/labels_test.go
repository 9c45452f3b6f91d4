package node_test

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/label"
	"github.com/twinfed/twinfed/node/project"
)

// The quality labels run against a real three-member registry cluster: the
// IT node records its agency's label signed as the node, a client signing
// as the FR node records France's, and the registry derives the European
// label. The European project lives on the FR node; it reaches the IT node
// as the FR node's Update{Group} would, through HandleActivity (the
// federation's signature checks are cmd/twinfed's tests).

const frBase = "http://fr-node.example"

var officerP = &twinfed.Principal{Username: "officer", Role: twinfed.RoleAgencyOfficer, Status: twinfed.StatusValidated}

// deliverProject hands n's service a project whose home is another node,
// as that node's Update{Group}.
func deliverProject(t *testing.T, n *node.Node, p *twinfed.Project) {
	t.Helper()
	a := &twinfed.Activity{ID: twinfed.ActivityURL(frBase, "update-"+strconv.FormatInt(p.Version, 10)+"-"+p.Title), Type: twinfed.ActivityUpdate,
		Actor: p.ID, To: []string{twinfed.AgencyURL(n.URL())}, Object: p.ID, Project: p, Published: time.Now().UTC()}
	if err := n.Service().HandleActivity(context.Background(), a); err != nil {
		t.Fatalf("deliver %s: %v", p.Title, err)
	}
}

// frProject is a project founded on the FR node by Jean, with annaURL as
// its IT co-founder.
func frProject(slug, title, annaURL string, state twinfed.ProjectState, annaStatus twinfed.PartnerStatus) *twinfed.Project {
	now := time.Now().UTC()
	jean := twinfed.ActorURL(frBase, "jean")
	p := &twinfed.Project{ID: twinfed.ProjectURL(frBase, slug), Title: title, Description: "<p>Pupils measure the water they use.</p>",
		State: state, Founder: jean, Created: now, Updated: now, Version: 1,
		Partners: []twinfed.Partner{
			{Actor: jean, Name: "Jean Dupont", Country: "FR", SchoolID: "fr-jean", SchoolName: "École Jean Moulin", Role: twinfed.RoleFounder, Status: twinfed.PartnerApproved, Joined: now},
			{Actor: annaURL, Name: "Anna Rossi", Country: "IT", SchoolID: "it-anna", SchoolName: "Scuola Anna", Role: twinfed.RoleCofounder, Status: annaStatus, Joined: now},
		}}
	if state == twinfed.ProjectApproved {
		p.Approved = now
	}
	return p
}

// nationalProject founds and approves a project of anna and bruno, both
// on n.
func nationalProject(t testing.TB, n *node.Node, anna *twinfed.Principal, annaURL, brunoURL string) *twinfed.Project {
	t.Helper()
	ctx := context.Background()
	bruno := &twinfed.Principal{Username: "bruno", Role: twinfed.RoleMember, Status: twinfed.StatusValidated}
	if _, err := n.Social().RequestContact(ctx, anna, brunoURL, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Social().AnswerContact(ctx, bruno, annaURL, true); err != nil {
		t.Fatal(err)
	}
	p, err := n.Projects().CreateProject(ctx, anna, project.ProjectDraft{SchoolID: "it-anna", Partner: brunoURL, Title: "Our town's rivers", Description: "Rivers."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Projects().AnswerInvitation(ctx, bruno, p.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{annaURL, brunoURL} {
		if p, err = n.Projects().DecideParticipation(ctx, officerP, p.ID, who, true, ""); err != nil {
			t.Fatal(err)
		}
	}
	if p.State != twinfed.ProjectApproved {
		t.Fatalf("national project: %s", p.State)
	}
	return p
}

// labelsOf returns a project's labels as the IT node's agency reads them.
func labelsOf(t *testing.T, n *node.Node, id string) *label.ProjectLabels {
	t.Helper()
	l, err := n.Labels().ProjectLabels(context.Background(), officerP, id)
	if err != nil {
		t.Fatalf("labels of %s: %v", id, err)
	}
	return l
}

func TestLabels_RecordAndShow(t *testing.T) {
	ctx := context.Background()
	cluster := consensustest.MustOpenCluster(t, 3)
	rn := mustRegistryNode(t, cluster, "IT", true)
	anna, annaURL := seedTeacher(t, rn.Node, "anna", "Anna")
	_, brunoURL := seedTeacher(t, rn.Node, "bruno", "Bruno")
	seedStaff(t, rn.Node, "officer", twinfed.RoleAgencyOfficer)
	// Before France's node is registered: an approved project is published
	// to every node the registry lists, which the test's outbox refuses.
	national := nationalProject(t, rn.Node, anna, annaURL, brunoURL)

	// France's node: registered with its own key; its client writes as FR.
	fr := cluster.MustNodeClient(t, "FR", frBase)

	eu := frProject("water", "Water for tomorrow", annaURL, twinfed.ProjectApproved, twinfed.PartnerApproved)
	pending := frProject("air", "Air we breathe", annaURL, twinfed.ProjectAwaitingApproval, twinfed.PartnerPending)
	deliverProject(t, rn.Node, eu)
	deliverProject(t, rn.Node, pending)
	now := time.Now().UTC()
	year := twinfed.SchoolYearOf(now)
	first, _ := strconv.Atoi(year[:4])
	lastYear := strconv.Itoa(first-1) + "-" + strconv.Itoa(first)
	nextYear := strconv.Itoa(first+1) + "-" + strconv.Itoa(first+2)
	card := "/projects/view?id=" + url.QueryEscape(eu.ID)

	o := login(t, rn.Node, "officer", "staff password 1")
	teacher := login(t, rn.Node, "anna", "correct horse 1")

	t.Run("the page lists the European project only", func(t *testing.T) {
		code, page := o.Get("/backoffice/labels")
		if code != 200 {
			t.Fatalf("GET /backoffice/labels: %d\n%s", code, page)
		}
		mustContain(t, "labels page", page, "<h1>Quality labels</h1>", `href="/backoffice/labels"`, "Water for tomorrow", "France, Italy",
			`<option value="`+eu.ID+`">`, `id="school_year"`, `value="`+year+`"`, `id="score"`, "No label yet.", "Not yet: it needs National Quality Labels")
		for _, not := range []string{"Our town", "Air we breathe"} {
			if strings.Contains(page, not) {
				t.Errorf("the labels page lists %q:\n%s", not, page)
			}
		}
		if _, page = o.Get("/backoffice/labels?project=" + url.QueryEscape(eu.ID)); !strings.Contains(page, `<option value="`+eu.ID+`" selected>`) {
			t.Errorf("?project= does not choose the project:\n%s", page)
		}
		if _, page = teacher.Get(card); strings.Contains(page, `id="labels-title"`) {
			t.Errorf("the card shows labels before any:\n%s", page)
		}
	})

	t.Run("an officer records the label from the form", func(t *testing.T) {
		code, _, loc := o.Form("/backoffice/labels", "/backoffice/labels", url.Values{"project_id": {eu.ID}, "school_year": {year}, "score": {"24"}})
		if code != http.StatusSeeOther || loc != "/backoffice/labels?done=label_recorded" {
			t.Fatalf("record: %d %q\n%s", code, loc, o.Last)
		}
		_, page := o.Get(loc)
		mustContain(t, "after recording", page, "The National Quality Label has been recorded in the registry.", `<th scope="row">Italy</th><td>`+year+`</td><td>24/30</td>`)
		// In the registry, read by a client of its own.
		admin := cluster.AdminClient(t)
		consensustest.Eventually(t, 30*time.Second, func() bool {
			nat, _, err := admin.ProjectLabels(ctx, eu.ID)
			return err == nil && len(nat) == 1 && nat[0].Country == "IT" && nat[0].SchoolYear == year && nat[0].Score == 24
		}, "the IT label never reached the registry")
		if l := labelsOf(t, rn.Node, eu.ID); l.EQL != label.EQLNone || l.European != nil {
			t.Fatalf("one country's label made the project eligible: %+v", l)
		}
	})

	t.Run("the teacher sees the national label", func(t *testing.T) {
		code, page := teacher.Get(card)
		if code != 200 {
			t.Fatalf("card: %d", code)
		}
		mustContain(t, "card with one label", page, `id="labels-title"`, "National Quality Labels", `<th scope="row">Italy</th><td>`+year+`</td>`, "Not yet")
		if strings.Contains(page, "24/30") {
			t.Errorf("the teacher sees the agency's score:\n%s", page)
		}
	})

	t.Run("a second country's label makes the project eligible", func(t *testing.T) {
		if err := fr.RecordQualityLabel(ctx, twinfed.QualityLabel{ProjectID: eu.ID, Country: "FR", SchoolYear: year, Score: 22}); err != nil {
			t.Fatal(err)
		}
		eligible := template.HTMLEscapeString("Eligible: National Quality Labels of two countries; waiting for the Central Support Service's yearly confirmation")
		var page string
		consensustest.Eventually(t, 30*time.Second, func() bool {
			_, page = teacher.Get(card)
			return strings.Contains(page, eligible)
		}, "the card never showed the European label as eligible")
		mustContain(t, "card with two labels", page, `<th scope="row">France</th><td>`+year+`</td>`, `<th scope="row">Italy</th><td>`+year+`</td>`)
		_, page = o.Get("/backoffice/labels")
		mustContain(t, "labels page, eligible", page, eligible+" ("+year+")", `<th scope="row">France</th><td>`+year+`</td><td>22/30</td>`)
		if l := labelsOf(t, rn.Node, eu.ID); l.EQL != twinfed.EQLEligible || l.European == nil || len(l.European.Countries) != 2 {
			t.Fatalf("labels: %+v", l)
		}
	})

	t.Run("a malformed form writes nothing", func(t *testing.T) {
		unknown := twinfed.ProjectURL(frBase, "nope")
		for _, tc := range []struct {
			name, project, year, score, field, msg string
		}{
			{"score 31", eu.ID, year, "31", "score", "Give the score as a whole number from 0 to 30."},
			{"score abc", eu.ID, year, "abc", "score", "Give the score as a whole number from 0 to 30."},
			{"no score", eu.ID, year, "", "score", "Give the score as a whole number from 0 to 30."},
			{"negative score", eu.ID, year, "-1", "score", "Give the score as a whole number from 0 to 30."},
			{"one year", eu.ID, "2025", "20", "school_year", "Give a school year such as 2025-2026: two years that follow each other."},
			{"years apart", eu.ID, "2025-2027", "20", "school_year", "Give a school year such as 2025-2026: two years that follow each other."},
			{"a future year", eu.ID, nextYear, "20", "school_year", "A label cannot be given for a school year that has not started yet."},
			{"before the project", eu.ID, lastYear, "20", "school_year", "The project did not exist yet in that school year."},
			{"no project", "", year, "20", "project_id", "Choose one of the projects in the list."},
			{"unknown project", unknown, year, "20", "project_id", "There is no such project on this node; choose one from the list."},
			{"national project", national.ID, year, "20", "project_id", "Only European projects (approved partners from at least two countries) can receive a National Quality Label."},
			{"pending project", pending.ID, year, "20", "project_id", "Only approved or closed projects can receive a quality label."},
		} {
			t.Run(tc.name, func(t *testing.T) {
				code, page, _ := o.Form("/backoffice/labels", "/backoffice/labels", url.Values{"project_id": {tc.project}, "school_year": {tc.year}, "score": {tc.score}})
				if code != http.StatusBadRequest {
					t.Fatalf("%d, want 400\n%s", code, page)
				}
				mustContain(t, tc.name, page, `role="alert"`, `href="#`+tc.field+`"`, `id="`+tc.field+`-error"`, template.HTMLEscapeString(tc.msg), `aria-invalid="true"`)
				if tc.field != "score" && tc.score != "" {
					mustContain(t, tc.name+": the form keeps the score", page, `value="`+tc.score+`"`)
				}
			})
		}
		l := labelsOf(t, rn.Node, eu.ID)
		if len(l.National) != 2 || *l.National[0].Score != 22 || *l.National[1].Score != 24 {
			t.Fatalf("a malformed form changed the labels: %+v", l.National)
		}
		for _, id := range []string{national.ID, pending.ID, unknown} {
			nat, _, err := cluster.AdminClient(t).ProjectLabels(ctx, id)
			if err != nil || len(nat) != 0 {
				t.Fatalf("labels of %s: %v %+v", id, err, nat)
			}
		}
	})

	t.Run("members and visitors are refused", func(t *testing.T) {
		if code, _ := teacher.Get("/backoffice/labels"); code != http.StatusForbidden {
			t.Fatalf("a member opened the labels page: %d", code)
		}
		teacher.Get("/account")
		if code, _, _ := teacher.Post("/backoffice/labels", url.Values{"project_id": {eu.ID}, "school_year": {year}, "score": {"30"}}); code != http.StatusForbidden {
			t.Fatalf("a member posted a label: %d\n%s", code, teacher.Last)
		}
		visitor := newBrowser(t, rn.URL())
		if code, _ := visitor.Get("/backoffice/labels"); code != http.StatusSeeOther {
			t.Fatalf("a visitor opened the labels page: %d", code)
		}
		if l := labelsOf(t, rn.Node, eu.ID); *l.National[1].Score != 24 {
			t.Fatalf("a member changed the label: %+v", l.National)
		}
	})

	t.Run("the JSON API", func(t *testing.T) {
		session := func(user, password string) (*browser, string) { return apiSession(t, rn.URL(), user, password) }
		off, offCSRF := session("officer", "staff password 1")
		mem, memCSRF := session("anna", "correct horse 1")
		var e struct {
			Error struct {
				Code   string            `json:"code"`
				Fields map[string]string `json:"fields"`
			} `json:"error"`
		}
		if code := off.API("POST", "/api/v1/agency/labels", map[string]any{"project_id": eu.ID, "school_year": year, "score": 31}, offCSRF, &e); code != 400 || e.Error.Fields["score"] == "" {
			t.Fatalf("score 31: %d %+v", code, e)
		}
		if code := off.API("POST", "/api/v1/agency/labels", map[string]any{"project_id": national.ID}, offCSRF, &e); code != 400 || e.Error.Fields["project_id"] == "" || e.Error.Fields["score"] == "" {
			t.Fatalf("a national project without a score: %d %+v", code, e)
		}
		if code := mem.API("POST", "/api/v1/agency/labels", map[string]any{"project_id": eu.ID, "score": 30}, memCSRF, &e); code != http.StatusForbidden {
			t.Fatalf("a member recorded a label: %d", code)
		}
		if code := mem.API("GET", "/api/v1/agency/labels", nil, "", &e); code != http.StatusForbidden {
			t.Fatalf("a member read the agency's list: %d", code)
		}
		// The school year defaults to the current one; recording it again corrects the score.
		var got twinfed.QualityLabel
		if code := off.API("POST", "/api/v1/agency/labels", map[string]any{"project_id": eu.ID, "score": 26}, offCSRF, &got); code != http.StatusCreated ||
			got.Country != "IT" || got.SchoolYear != year || got.Score != 26 || got.Recorded.IsZero() {
			t.Fatalf("record: %d %+v", code, got)
		}
		var list label.LabelPage
		if code := off.API("GET", "/api/v1/agency/labels", nil, "", &list); code != 200 || list.Total != 1 || list.Projects[0].Project.ID != eu.ID ||
			list.Projects[0].Labels == nil || list.Projects[0].Labels.EQL != twinfed.EQLEligible {
			t.Fatalf("list: %d %+v", code, list)
		}
		var pl label.ProjectLabels
		visitor := newBrowser(t, rn.URL())
		if code := visitor.API("GET", "/api/v1/projects/labels?id="+url.QueryEscape(eu.ID), nil, "", &pl); code != 200 || len(pl.National) != 2 || pl.EQL != twinfed.EQLEligible {
			t.Fatalf("public labels: %d %+v", code, pl)
		}
		for _, n := range pl.National {
			if n.Score != nil {
				t.Fatalf("a visitor reads the agencies' scores: %+v", pl.National)
			}
		}
		if code := visitor.API("GET", "/api/v1/projects/labels?id="+url.QueryEscape(pending.ID), nil, "", &e); code != http.StatusNotFound {
			t.Fatalf("a visitor reads a pending project's labels: %d", code)
		}
		if l := labelsOf(t, rn.Node, eu.ID); *l.National[1].Score != 26 || len(l.National) != 2 {
			t.Fatalf("after the correction: %+v", l.National)
		}
	})

	t.Run("the awarded European label", func(t *testing.T) {
		if n, err := cluster.AdminClient(t).ConfirmEuropeanLabels(ctx, year, eu.ID); err != nil || n != 1 {
			t.Fatalf("confirm: %d %v", n, err)
		}
		consensustest.Eventually(t, 30*time.Second, func() bool {
			_, page := teacher.Get(card)
			return strings.Contains(page, "<dd>Awarded ("+year+")</dd>")
		}, "the card never showed the awarded European label")
	})
}

// TestLabels_RegistryUnavailable: without a registry the pages still
// render, with a note, and recording a label says why it cannot, changing
// nothing.
func TestLabels_RegistryUnavailable(t *testing.T) {
	n := MustOpenNode(t, nodeOpts{})
	_, annaURL := seedTeacher(t, n, "anna", "Anna")
	seedStaff(t, n, "officer", twinfed.RoleAgencyOfficer)
	eu := frProject("water", "Water for tomorrow", annaURL, twinfed.ProjectApproved, twinfed.PartnerApproved)
	deliverProject(t, n, eu)

	o := login(t, n, "officer", "staff password 1")
	code, page := o.Get("/backoffice/labels")
	if code != 200 {
		t.Fatalf("labels page: %d\n%s", code, page)
	}
	mustContain(t, "labels page without a registry", page, "Water for tomorrow", "The labels cannot be read from the registry right now")
	code, page, _ = o.Post("/backoffice/labels", url.Values{"project_id": {eu.ID}, "school_year": {twinfed.SchoolYearOf(time.Now())}, "score": {"20"}})
	if code != http.StatusServiceUnavailable {
		t.Fatalf("record without a registry: %d\n%s", code, page)
	}
	mustContain(t, "record without a registry", page, `role="alert"`, "nothing was recorded", `value="20"`)

	teacher := login(t, n, "anna", "correct horse 1")
	code, page = teacher.Get("/projects/view?id=" + url.QueryEscape(eu.ID))
	if code != 200 {
		t.Fatalf("card without a registry: %d\n%s", code, page)
	}
	mustContain(t, "card without a registry", page, "Water for tomorrow", "quality labels cannot be shown right now")
}
