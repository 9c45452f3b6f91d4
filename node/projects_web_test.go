package node_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node"
	"github.com/twinfed/twinfed/node/nodetest"
	"github.com/twinfed/twinfed/node/project"
	"github.com/twinfed/twinfed/node/twinspace"
)

// Projects between two members of one node run entirely on that node: the
// project's home, both partners and their (single) agency are here. The
// agency's decisions still need a signing Prover from the federation, so
// these tests give the service localOnlyProver. cmd/twinfed runs the
// cross-node path with real signatures.

// localOnlyProver is nodetest's outbox and proof signer for projects that
// never leave one node.
type localOnlyProver = nodetest.LocalOnly

// projectNode opens a node with two validated members of two schools who
// are contacts, and an agency officer.
func projectNode(t *testing.T) (n *node.Node, annaURL, brunoURL string) {
	t.Helper()
	n = MustOpenNode(t, nodeOpts{localOnly: true})
	ctx := context.Background()
	anna, annaURL := seedTeacher(t, n, "anna", "Anna")
	bruno, brunoURL := seedTeacher(t, n, "bruno", "Bruno")
	if _, err := n.Social().RequestContact(ctx, anna, brunoURL, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Social().AnswerContact(ctx, bruno, annaURL, true); err != nil {
		t.Fatal(err)
	}
	seedStaff(t, n, "officer", twinfed.RoleAgencyOfficer)
	return n, annaURL, brunoURL
}

func mustContain(t *testing.T, what, page string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(page, w) {
			t.Fatalf("%s: no %q in\n%s", what, w, page)
		}
	}
}

var projectIDRE = regexp.MustCompile(`^/projects/view\?id=([^&]+)&done=project_created$`)

func TestProjects_WebJourney(t *testing.T) {
	n, annaURL, brunoURL := projectNode(t)
	anna := login(t, n, "anna", "correct horse 1")

	// Step 1: the school; step 2: the partner among the contacts.
	code, page := anna.Get("/projects/new")
	if code != 200 {
		t.Fatalf("GET /projects/new: %d\n%s", code, page)
	}
	mustContain(t, "step 1", page, `name="school_id"`, `value="it-anna"`, "Scuola Anna", `aria-current="step"`)
	code, page, _ = anna.Post("/projects/new", url.Values{"step": {"1"}, "go": {"next"}, "school_id": {"it-anna"}})
	if code != 200 {
		t.Fatalf("step 1 → 2: %d\n%s", code, page)
	}
	mustContain(t, "step 2", page, `type="hidden" name="school_id" value="it-anna"`, `name="partner"`, `value="`+brunoURL+`"`, "Bruno Rossi")
	code, page, _ = anna.Post("/projects/new", url.Values{"step": {"2"}, "go": {"next"}, "school_id": {"it-anna"}, "partner": {brunoURL}})
	if code != 200 {
		t.Fatalf("step 2 → 3: %d\n%s", code, page)
	}
	mustContain(t, "step 3", page, `id="title"`, `id="description"`, `id="pupil_ages"`, `type="hidden" name="partner" value="`+brunoURL+`"`)

	// Step 3 with an empty title comes back to step 3 with the message.
	describe := url.Values{"school_id": {"it-anna"}, "partner": {brunoURL}, "title": {""}, "description": {"Pupils measure <b>water</b> in their towns."},
		"subjects": {"Science, Geography"}, "pupil_ages": {"10-12, 14"}, "languages": {"it, en"}, "tools": {"TwinSpace, spreadsheets"},
		"aims": {"Learn to measure."}, "work_process": {"Monthly exchanges."}, "expected_results": {"A shared map."}}
	with := func(v url.Values, kv ...string) url.Values {
		out := url.Values{}
		for k, x := range v {
			out[k] = x
		}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	code, page, _ = anna.Post("/projects/new", with(describe, "step", "3", "go", "next"))
	if code != http.StatusBadRequest {
		t.Fatalf("empty title: %d\n%s", code, page)
	}
	mustContain(t, "empty title", page, `id="title-error"`, "Give the project a title of at least 3 characters.", `href="#title"`, "Describe the project</h2>", `value="10-12, 14"`)
	// Unreadable ages too.
	code, page, _ = anna.Post("/projects/new", with(describe, "step", "3", "go", "next", "title", "Water in our towns", "pupil_ages", "ten"))
	if code != http.StatusBadRequest || !strings.Contains(page, `id="pupil_ages-error"`) {
		t.Fatalf("bad ages: %d\n%s", code, page)
	}
	// A partner who is no contact sends the member back to step 2.
	code, page, _ = anna.Post("/projects/new", with(describe, "step", "3", "go", "next", "title", "Water in our towns", "partner", n.URL()+"/users/nobody"))
	if code != http.StatusBadRequest || !strings.Contains(page, `id="partner-error"`) || !strings.Contains(page, "Choose a partner</h2>") {
		t.Fatalf("bad partner: %d\n%s", code, page)
	}
	describe.Set("title", "Water in our towns")

	// Step 4: the preview, then Back keeps every value.
	code, page, _ = anna.Post("/projects/new", with(describe, "step", "3", "go", "next"))
	if code != 200 {
		t.Fatalf("step 3 → 4: %d\n%s", code, page)
	}
	mustContain(t, "preview", page, "Water in our towns", "<b>water</b>", "10–14", "Science, Geography", "Bruno Rossi", `value="create"`)
	code, page, _ = anna.Post("/projects/new", with(describe, "step", "4", "go", "back"))
	if code != 200 || !strings.Contains(page, `value="Water in our towns"`) {
		t.Fatalf("back to step 3: %d\n%s", code, page)
	}
	code, _, loc := anna.Post("/projects/new", with(describe, "step", "4", "go", "create"))
	m := projectIDRE.FindStringSubmatch(loc)
	if code != http.StatusSeeOther || m == nil {
		t.Fatalf("create: %d %q\n%s", code, loc, anna.Last)
	}
	id, _ := url.QueryUnescape(m[1])
	if !strings.HasPrefix(id, n.URL()+"/projects/") {
		t.Fatalf("project id %q", id)
	}
	card := "/projects/view?id=" + url.QueryEscape(id)
	code, page = anna.Get(loc)
	if code != 200 {
		t.Fatalf("card: %d\n%s", code, page)
	}
	mustContain(t, "new card", page, "The project has been created", "Waiting for the co-founder", "National project", "Edit the description", "Delete the project")

	// The group actor's URL sends a browser to the card.
	code, _, h := anna.Do(func() *http.Request { r, _ := http.NewRequest("GET", id, nil); return r }())
	if code != http.StatusSeeOther || h.Get("Location") != card {
		t.Fatalf("GET %s: %d %q", id, code, h.Get("Location"))
	}
	// A pending project is not shown to strangers.
	if code, _ := newBrowser(t, n.URL()).Get(card); code != http.StatusNotFound {
		t.Fatalf("anonymous view of a pending project: %d", code)
	}

	// The co-founder sees the invitation and accepts with their school.
	bruno := login(t, n, "bruno", "correct horse 1")
	code, page = bruno.Get("/notifications")
	mustContain(t, "bruno's notifications", page, "invited you into the project", `href="/projects/view?id=`, "Water in our towns</a>")
	code, page = bruno.Get("/projects")
	if code != 200 {
		t.Fatalf("bruno's projects: %d\n%s", code, page)
	}
	mustContain(t, "invitations", page, "Invitations waiting for your answer", "Water in our towns", `value="it-bruno"`, "Accept the invitation")
	if _, page = bruno.Get(card); !strings.Contains(page, "You are invited into this project") || strings.Contains(page, "Delete the project") || strings.Contains(page, "Edit the description") {
		t.Fatalf("the invitee's card:\n%s", page)
	}
	code, _, loc = bruno.Post("/projects/answer", url.Values{"id": {id}, "answer": {"accept"}, "school_id": {"it-bruno"}})
	if code != http.StatusSeeOther || loc != card+"&done=project_accepted" {
		t.Fatalf("accept: %d %q\n%s", code, loc, bruno.Last)
	}

	// The agency: both participations in the queue; a rejection needs a reason.
	officer := login(t, n, "officer", "staff password 1")
	code, page = officer.Get("/backoffice/projects")
	if code != 200 || strings.Count(page, `name="decision" value="approve"`) != 2 {
		t.Fatalf("queue: %d\n%s", code, page)
	}
	mustContain(t, "queue", page, "Water in our towns", "Anna Rossi", "Bruno Rossi", "Scuola Bruno")
	code, page, _ = officer.Post("/backoffice/projects/decide", url.Values{"id": {id}, "partner": {annaURL}, "decision": {"reject"}, "reason": {"  "}})
	if code != http.StatusBadRequest {
		t.Fatalf("reject without reason: %d\n%s", code, page)
	}
	mustContain(t, "reject without reason", page, `id="reason-error"`, "Give a reason.", `<textarea id="reason" name="reason"`, `href="#reason"`)
	// The card offers the same decisions to the agency, with the same check.
	code, page = officer.Get(card)
	if code != 200 || strings.Count(page, `name="from" value="card"`) != 4 {
		t.Fatalf("the agency's card: %d\n%s", code, page)
	}
	code, page, _ = officer.Post("/backoffice/projects/decide", url.Values{"id": {id}, "partner": {brunoURL}, "decision": {"reject"}, "from": {"card"}})
	if code != http.StatusBadRequest {
		t.Fatalf("reject without reason from the card: %d\n%s", code, page)
	}
	mustContain(t, "reject without reason from the card", page, `id="reason-error"`, `<textarea id="reason" name="reason"`, "Water in our towns</h1>")
	for _, who := range []string{annaURL, brunoURL} {
		code, _, loc = officer.Form("/backoffice/projects", "/backoffice/projects/decide", url.Values{"id": {id}, "partner": {who}, "decision": {"approve"}})
		if code != http.StatusSeeOther || loc != "/backoffice/projects?done=participation_approved" {
			t.Fatalf("approve %s: %d %q\n%s", who, code, loc, officer.Last)
		}
	}
	if _, page = officer.Get("/backoffice/projects"); !strings.Contains(page, "Nothing here.") {
		t.Fatalf("queue after approval:\n%s", page)
	}

	// Approved: the card shows it, with the verified decisions, the
	// TwinSpace and the certificates.
	code, page = anna.Get(card)
	if code != 200 {
		t.Fatalf("approved card: %d", code)
	}
	mustContain(t, "approved card", page, "<dd>Approved</dd>", "Signature verified", "Open the TwinSpace", "Download the project start certificate", "Close the project")
	// Anna's one contact is a partner already: nobody to invite, and the
	// card does not pretend she has no contacts.
	mustContain(t, "approved card's invitation box", page, "Invite a partner", "None of your contacts can be invited")
	if strings.Contains(page, "You have no contacts yet") {
		t.Fatalf("the card says anna has no contacts:\n%s", page)
	}
	if strings.Contains(page, "Delete the project") {
		t.Fatal("an approved project offers deletion")
	}
	ts := "/twinspace/home?id=" + url.QueryEscape(id)
	code, page = bruno.Get(ts)
	if code != 200 {
		t.Fatalf("twinspace: %d\n%s", code, page)
	}
	mustContain(t, "twinspace", page, "Water in our towns", `name="content"`, "Teachers&#39; bulletin")
	if code, page = bruno.Get("/twinspace/members?id=" + url.QueryEscape(id)); code != 200 {
		t.Fatalf("members: %d\n%s", code, page)
	}
	mustContain(t, "twinspace members", page, "Anna Rossi", "Bruno Rossi", "Teacher administrator")
	code, _, loc = bruno.Post("/twinspace/home/post", url.Values{"id": {id}, "content": {"Ciao a tutti!\nWe start on Monday."}})
	if code != http.StatusSeeOther || loc != ts+"&done=posted" {
		t.Fatalf("post: %d %q\n%s", code, loc, bruno.Last)
	}
	code, page, _ = bruno.Form(ts, "/twinspace/home/post", url.Values{"id": {id}, "content": {" "}})
	if code != http.StatusBadRequest || !strings.Contains(page, `id="content-error"`) {
		t.Fatalf("empty post: %d\n%s", code, page)
	}
	if _, page = anna.Get(ts); !strings.Contains(page, "Ciao a tutti!<br>We start on Monday.") {
		t.Fatalf("the post is not on the board:\n%s", page)
	}

	req, _ := http.NewRequest("GET", n.URL()+"/projects/certificate?id="+url.QueryEscape(id)+"&partner="+url.QueryEscape(brunoURL), nil)
	req.Header.Set("Accept-Language", "it")
	code, pdf, h := anna.Do(req)
	if code != 200 || h.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf, "%PDF") || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment;") {
		t.Fatalf("certificate: %d %v %.20q", code, h, pdf)
	}

	// Closing: the TwinSpace becomes read-only.
	code, _, loc = anna.Form(card, "/projects/close", url.Values{"id": {id}})
	if code != http.StatusSeeOther || loc != card+"&done=project_closed" {
		t.Fatalf("close: %d %q\n%s", code, loc, anna.Last)
	}
	code, page = bruno.Get(ts)
	if code != 200 || strings.Contains(page, `name="content"`) {
		t.Fatalf("closed twinspace: %d\n%s", code, page)
	}
	mustContain(t, "closed twinspace", page, "read-only", "Ciao a tutti!")
	code, page, _ = bruno.Post("/twinspace/home/post", url.Values{"id": {id}, "content": {"Too late"}})
	if code != http.StatusForbidden || !strings.Contains(page, "read-only") {
		t.Fatalf("post to a closed TwinSpace: %d\n%s", code, page)
	}

	// Anyone finds the project and reads its card, in English or Italian.
	visitor := newBrowser(t, n.URL())
	code, page = visitor.Get("/projects/search?q=water&subject=science&age=11&state=closed")
	if code != 200 {
		t.Fatalf("search: %d\n%s", code, page)
	}
	mustContain(t, "search", page, "1 project found", "Water in our towns", "2 partners", "Closed")
	if _, page = visitor.Get("/projects/search?q=water&age=15"); !strings.Contains(page, "0 projects found") {
		t.Fatalf("search by an age the project does not have:\n%s", page)
	}
	if code, page = visitor.Get("/projects/search?age=old"); code != http.StatusBadRequest || !strings.Contains(page, `id="age-error"`) {
		t.Fatalf("search with a bad age: %d\n%s", code, page)
	}
	code, page = visitor.Get(card)
	if code != 200 || strings.Contains(page, "Close the project") || strings.Contains(page, "Download the project start certificate") {
		t.Fatalf("public card: %d\n%s", code, page)
	}
	code, page, _ = visitor.GetLang("/projects/search?q=water", "it-IT,it;q=0.9")
	if code != 200 {
		t.Fatalf("Italian search: %d", code)
	}
	mustContain(t, "Italian search", page, `lang="it"`, "Trova progetti", "1 progetto trovato", "Chiuso")
	_, page, _ = visitor.GetLang(card, "it")
	mustContain(t, "Italian card", page, `lang="it"`, "Progetto nazionale", "Fondatore", "Cofondatore", "Risultati attesi")
	_, page, _ = bruno.GetLang("/projects/new", "it")
	mustContain(t, "Italian form", page, "Fonda un progetto", "Scegli una scuola")
	code, page, _ = officer.GetLang("/backoffice/projects", "it")
	if code != 200 || !strings.Contains(page, "Progetti in attesa di approvazione") {
		t.Fatalf("Italian back office: %d\n%s", code, page)
	}

	// The founders' projects page lists it as closed.
	if _, page = anna.Get("/projects"); !strings.Contains(page, "Closed projects") || !strings.Contains(page, "Water in our towns") {
		t.Fatalf("anna's projects:\n%s", page)
	}
	// The project search's index holds it, the node's one public project.
	if v, ok := scrape(t, http.DefaultClient, n.URL(), "twinfed_node_projects_indexed"); !ok || v != 1 {
		t.Errorf("twinfed_node_projects_indexed: %v (found %v), want 1", v, ok)
	}
}

func TestProjects_WebEditDeleteDecline(t *testing.T) {
	n, _, brunoURL := projectNode(t)
	ctx := context.Background()
	annaP := &twinfed.Principal{Username: "anna", Role: twinfed.RoleMember, Status: twinfed.StatusValidated}
	proj, err := n.Projects().CreateProject(ctx, annaP, project.ProjectDraft{SchoolID: "it-anna", Partner: brunoURL, Title: "Songs of Europe", Description: "We sing."})
	if err != nil {
		t.Fatal(err)
	}
	card := "/projects/view?id=" + url.QueryEscape(proj.ID)
	anna := login(t, n, "anna", "correct horse 1")

	// Edit: the form is filled with the project; a short title is refused.
	code, page := anna.Get("/projects/edit?id=" + url.QueryEscape(proj.ID))
	if code != 200 || !strings.Contains(page, `value="Songs of Europe"`) {
		t.Fatalf("edit form: %d\n%s", code, page)
	}
	code, page, _ = anna.Post("/projects/edit", url.Values{"id": {proj.ID}, "title": {"S"}, "description": {"We sing."}, "pupil_ages": {"8-9"}})
	if code != http.StatusBadRequest || !strings.Contains(page, `id="title-error"`) || !strings.Contains(page, `value="8-9"`) {
		t.Fatalf("edit with a short title: %d\n%s", code, page)
	}
	code, _, loc := anna.Post("/projects/edit", url.Values{"id": {proj.ID}, "title": {"Songs of Europe and beyond"}, "description": {"We sing."}, "pupil_ages": {"8-9"}, "csrf": {anna.CSRF()}})
	if code != http.StatusSeeOther || loc != card+"&done=project_saved" {
		t.Fatalf("edit: %d %q\n%s", code, loc, anna.Last)
	}
	if _, page = anna.Get(card); !strings.Contains(page, "Songs of Europe and beyond") || !strings.Contains(page, "8–9") {
		t.Fatalf("edited card:\n%s", page)
	}

	// The co-founder declines: the project is declined, and can be deleted.
	bruno := login(t, n, "bruno", "correct horse 1")
	code, _, loc = bruno.Form(card, "/projects/answer", url.Values{"id": {proj.ID}, "answer": {"decline"}})
	if code != http.StatusSeeOther || loc != "/projects?done=project_declined" {
		t.Fatalf("decline: %d %q\n%s", code, loc, bruno.Last)
	}
	if _, page = anna.Get("/projects"); !strings.Contains(page, "Declined by the co-founder") {
		t.Fatalf("anna's projects after the decline:\n%s", page)
	}
	if _, page = anna.Get(card); !strings.Contains(page, "Delete the project") || strings.Contains(page, "Edit the description") {
		t.Fatalf("declined card:\n%s", page)
	}
	code, _, loc = anna.Form(card, "/projects/delete", url.Values{"id": {proj.ID}})
	if code != http.StatusSeeOther || loc != "/projects?done=project_deleted" {
		t.Fatalf("delete: %d %q\n%s", code, loc, anna.Last)
	}
	if code, _ := anna.Get(card); code != http.StatusNotFound {
		t.Fatalf("deleted card: %d", code)
	}
	if _, page = anna.Get("/notifications"); !strings.Contains(page, "declined the invitation into the project") {
		t.Fatalf("anna's notifications:\n%s", page)
	}
	// Without contacts the form says where to find partners; visitors log in first.
	seedTeacher(t, n, "carla", "Carla")
	carla := login(t, n, "carla", "correct horse 1")
	carla.Get("/projects/new")
	code, page, _ = carla.Post("/projects/new", url.Values{"step": {"1"}, "go": {"next"}, "school_id": {"it-carla"}})
	if code != 200 || !strings.Contains(page, "You have no contacts yet") || !strings.Contains(page, `href="/people"`) || strings.Contains(page, `value="next"`) {
		t.Fatalf("step 2 without contacts: %d\n%s", code, page)
	}
	if code, _ = newBrowser(t, n.URL()).Get("/projects/new"); code != http.StatusSeeOther {
		t.Fatalf("anonymous project form: %d", code)
	}
}

func TestProjects_API(t *testing.T) {
	n, annaURL, brunoURL := projectNode(t)
	session := func(user, password string) (*browser, string) { return apiSession(t, n.URL(), user, password) }
	anna, annaCSRF := session("anna", "correct horse 1")
	bruno, brunoCSRF := session("bruno", "correct horse 1")
	officer, officerCSRF := session("officer", "staff password 1")

	var choices project.ProjectChoices
	if code := anna.API("GET", "/api/v1/projects/choices", nil, "", &choices); code != 200 || len(choices.Schools) != 1 || len(choices.Contacts) != 1 {
		t.Fatalf("choices: %d %+v", code, choices)
	}
	draft := map[string]any{"school_id": "it-anna", "partner": brunoURL, "title": "", "description": "Robots.", "pupil_ages": []int{12, 13}, "subjects": []string{"technology"}}
	var e struct {
		Error struct {
			Code   string            `json:"code"`
			Fields map[string]string `json:"fields"`
		} `json:"error"`
	}
	if code := anna.API("POST", "/api/v1/projects/preview", draft, annaCSRF, &e); code != 400 || e.Error.Fields["title"] == "" {
		t.Fatalf("preview without title: %d %+v", code, e)
	}
	draft["title"] = "Robots together"
	if code := anna.API("POST", "/api/v1/projects", draft, "", nil); code != http.StatusForbidden {
		t.Fatalf("create without the CSRF header: %d", code)
	}
	var proj twinfed.Project
	if code := anna.API("POST", "/api/v1/projects", draft, annaCSRF, &proj); code != http.StatusCreated || proj.State != twinfed.ProjectAwaitingCofounder {
		t.Fatalf("create: %d %+v", code, proj)
	}
	var mine project.MyProjects
	if code := bruno.API("GET", "/api/v1/projects", nil, "", &mine); code != 200 || len(mine.Invitations) != 1 {
		t.Fatalf("bruno's projects: %d %+v", code, mine)
	}
	if code := bruno.API("POST", "/api/v1/projects/answer", map[string]any{"id": proj.ID, "accept": true, "school_id": "it-bruno"}, brunoCSRF, &proj); code != 200 || proj.State != twinfed.ProjectAwaitingApproval {
		t.Fatalf("accept: %d %+v", code, proj)
	}
	if code := anna.API("GET", "/api/v1/agency/projects", nil, "", &e); code != http.StatusForbidden {
		t.Fatalf("a member reads the agency's queue: %d", code)
	}
	var queue struct {
		Items []project.ApprovalItem `json:"items"`
	}
	if code := officer.API("GET", "/api/v1/agency/projects", nil, "", &queue); code != 200 || len(queue.Items) != 2 {
		t.Fatalf("queue: %d %+v", code, queue)
	}
	if code := officer.API("POST", "/api/v1/agency/projects/decide", map[string]any{"id": proj.ID, "partner": annaURL, "approve": false}, officerCSRF, &e); code != 400 || e.Error.Fields["reason"] == "" {
		t.Fatalf("reject without reason: %d %+v", code, e)
	}
	for _, who := range []string{annaURL, brunoURL} {
		if code := officer.API("POST", "/api/v1/agency/projects/decide", map[string]any{"id": proj.ID, "partner": who, "approve": true}, officerCSRF, &proj); code != 200 {
			t.Fatalf("approve %s: %d %s", who, code, officer.Last)
		}
	}
	if proj.State != twinfed.ProjectApproved || proj.TwinSpace == "" {
		t.Fatalf("after both approvals: %+v", proj)
	}
	var post twinfed.SpaceObject
	if code := anna.API("POST", "/api/v1/twinspace/updates", map[string]any{"id": proj.ID, "content": "Hello <script>x</script>"}, annaCSRF, &post); code != http.StatusCreated || strings.Contains(post.Content, "<script>") {
		t.Fatalf("post: %d %+v", code, post)
	}
	var ts struct {
		Role  twinfed.SpaceRole            `json:"role"`
		Can   map[twinfed.SpaceAction]bool `json:"can"`
		Board twinspace.Board              `json:"board"`
	}
	if code := bruno.API("GET", "/api/v1/twinspace?id="+url.QueryEscape(proj.ID), nil, "", &ts); code != 200 || len(ts.Board.Updates) != 1 || !ts.Can[twinfed.SpacePostUpdate] || ts.Role != twinfed.SpaceAdmin {
		t.Fatalf("twinspace: %d %+v", code, ts)
	}
	var view project.ProjectView
	visitor := newBrowser(t, n.URL())
	if code := visitor.API("GET", "/api/v1/projects/view?id="+url.QueryEscape(proj.ID), nil, "", &view); code != 200 || view.Title != "Robots together" || view.CanClose {
		t.Fatalf("public view: %d %+v", code, view)
	}
	var found project.ProjectPage
	if code := visitor.API("GET", "/api/v1/projects/search?q=robots&language=&age=12", nil, "", &found); code != 200 || found.Total != 1 {
		t.Fatalf("search: %d %+v", code, found)
	}
	if code := anna.API("POST", "/api/v1/projects/close", map[string]any{"id": proj.ID}, annaCSRF, &proj); code != 200 || proj.State != twinfed.ProjectClosed {
		t.Fatalf("close: %d %+v", code, proj)
	}
	if code := anna.API("POST", "/api/v1/twinspace/updates", map[string]any{"id": proj.ID, "content": "late"}, annaCSRF, &e); code != http.StatusForbidden {
		t.Fatalf("post to a closed TwinSpace: %d", code)
	}
}
