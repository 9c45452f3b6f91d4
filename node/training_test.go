package node_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed/node/training"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/nodetest"
)

// TestTraining_Pages walks professional development on one node: the
// agency publishes a webinar with unlimited places; a teacher finds it,
// applies and is accepted at once; the pages read in Italian.
func TestTraining_Pages(t *testing.T) {
	n := nodetest.MustOpenNode(t, nodetest.Options{})
	seedStaff(t, n, "officer", twinfed.RoleAgencyOfficer)
	seedTeacher(t, n, "anna", "Anna")
	officer := login(t, n, "officer", "staff password 1")
	day := time.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02")
	_, _, loc := officer.Form("/backoffice/training/new", "/backoffice/training/new", url.Values{"kind": {"webinar"}, "title": {"Valutare i progetti"},
		"language": {"it"}, "start": {day}, "end": {day}, "deadline": {day}, "places": {"0"}, "audience": {"country"}})
	if !strings.Contains(loc, "done=training_published") {
		t.Fatalf("publish → %q", loc)
	}
	if code, body := officer.Get(loc); code != 200 || !strings.Contains(body, "Valutare i progetti") {
		t.Fatalf("the agency's page of its training: %d\n%s", code, body)
	}
	// The agency changes it: the form comes filled; a bad change is
	// refused and changes nothing.
	edit := strings.TrimSuffix(loc[:strings.Index(loc, "?")], "/") + "/edit"
	if code, body := officer.Get(edit); code != 200 || !strings.Contains(body, `value="Valutare i progetti"`) || !strings.Contains(body, `value="`+day+`"`) {
		t.Fatalf("the change form: %d\n%s", code, body)
	}
	change := url.Values{"kind": {"webinar"}, "title": {"Valutare i progetti eTwinning"}, "language": {"it"}, "start": {day}, "end": {day}, "deadline": {day}, "places": {"0"}, "audience": {"country"}}
	badForm := url.Values{}
	for k, v := range change {
		badForm[k] = v
	}
	badForm.Set("end", time.Now().UTC().AddDate(0, 0, -3).Format("2006-01-02"))
	if code, body, _ := officer.Form(edit, edit, badForm); code != 400 || !strings.Contains(body, "The last day cannot be before the first.") {
		t.Fatalf("a bad change: %d\n%s", code, body)
	}
	staff := &twinfed.Principal{Username: "officer", Role: twinfed.RoleAgencyOfficer}
	if l, _ := n.Training().List(context.Background(), staff, training.Filter{}); len(l) != 1 || l[0].Title != "Valutare i progetti" || l[0].Version != 1 {
		t.Fatalf("a refused change changed the training: %+v", l)
	}
	if _, _, loc := officer.Form(edit, edit, change); !strings.Contains(loc, "done=training_changed") {
		t.Fatalf("change → %q", loc)
	}
	anna := login(t, n, "anna", "correct horse 1")
	code, body := anna.Get("/training")
	if code != 200 || !strings.Contains(body, "Valutare i progetti eTwinning") || !strings.Contains(body, "Webinar") {
		t.Fatalf("list: %d\n%s", code, body)
	}
	list, err := n.Training().List(context.Background(), &twinfed.Principal{Username: "anna", Role: twinfed.RoleMember}, training.Filter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %v %v", list, err)
	}
	path := training.Path(list[0].ID)
	if _, _, loc := anna.Form(path, path+"/apply", url.Values{}); !strings.HasSuffix(loc, "done=training_accepted") {
		t.Fatalf("apply → %q", loc)
	}
	if code, body := anna.Get(path); code != 200 || !strings.Contains(body, "Your place is confirmed.") || strings.Contains(body, `action="`+path+`/apply"`) {
		t.Fatalf("training page after applying: %d\n%s", code, body)
	}
	if code, body := anna.Get("/training/mine"); code != 200 || !strings.Contains(body, "Valutare i progetti") {
		t.Fatalf("my training: %d\n%s", code, body)
	}
	if code, body := anna.Get("/users/anna"); code != 200 || !strings.Contains(body, `href="/training/mine"`) {
		t.Fatalf("her profile does not lead to her training and certificates: %d", code)
	}
	// Only the agency's staff publish; a teacher's form is refused.
	if code, _ := anna.Get("/backoffice/training/new"); code != 403 {
		t.Fatalf("a teacher on the publishing form: %d", code)
	}
	if _, err := n.Training().Publish(context.Background(), &twinfed.Principal{Username: "anna", Role: twinfed.RoleMember}, training.Input{}); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Fatalf("a teacher publishing: %v", err)
	}

	// The JSON API: the same rules.
	api, csrf := apiSession(t, n.URL(), "officer", "staff password 1")
	var bad struct {
		Error struct {
			Fields map[string]string `json:"fields"`
		} `json:"error"`
	}
	if code := api.API("POST", "/api/v1/agency/training", map[string]any{"kind": "party", "title": "", "language": "it", "start": day, "end": day, "deadline": day, "places": -1, "audience": "all"}, csrf, &bad); code != 400 ||
		bad.Error.Fields["kind"] == "" || bad.Error.Fields["title"] == "" || bad.Error.Fields["places"] == "" {
		t.Fatalf("bad training by the API: %d %v", code, bad.Error.Fields)
	}
	var changed twinfed.Training
	if code := api.API("POST", "/api/v1/agency/training/change", map[string]any{"id": list[0].ID, "kind": "webinar", "title": "Valutare i progetti (2)", "language": "it",
		"start": day, "end": day, "deadline": day, "places": 0, "audience": "country"}, csrf, &changed); code != 200 || changed.Version != 3 || changed.Title != "Valutare i progetti (2)" {
		t.Fatalf("change by the API: %d %+v", code, changed)
	}
	var apps struct {
		Applications []training.Application `json:"applications"`
	}
	if code := api.API("GET", "/api/v1/agency/training/applicants?id="+url.QueryEscape(list[0].ID), nil, "", &apps); code != 200 || len(apps.Applications) != 1 || apps.Applications[0].State != twinfed.ApplicationAccepted {
		t.Fatalf("applicants by the API: %d %+v", code, apps)
	}
	teacher, tcsrf := apiSession(t, n.URL(), "anna", "correct horse 1")
	if code := teacher.API("POST", "/api/v1/agency/training/decide", map[string]any{"id": list[0].ID, "applicant": "anna", "decision": "refused", "reason": "x"}, tcsrf, nil); code != 403 {
		t.Fatalf("a teacher deciding by the API: %d", code)
	}
	var mine struct {
		Training []struct {
			Application training.Application `json:"application"`
		} `json:"training"`
	}
	if code := teacher.API("GET", "/api/v1/training/mine", nil, "", &mine); code != 200 || len(mine.Training) != 1 || mine.Training[0].Application.State != twinfed.ApplicationAccepted {
		t.Fatalf("my training by the API: %d %+v", code, mine)
	}
}
