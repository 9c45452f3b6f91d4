package node_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/twinfed/twinfed"
)

// TestTwinSpace_PupilsJourney: a teacher makes accounts for two pupils and
// adds one to the project's TwinSpace; the pupil enters it with their own
// credentials and reads it in their role, and is refused, in the pages and
// in the JSON API, what the matrix forbids a pupil; the agency and a
// teacher outside the project see only what the public sees; a removed
// pupil leaves the TwinSpace.
func TestTwinSpace_PupilsJourney(t *testing.T) {
	ctx := context.Background()
	n := MustOpenNode(t, nodeOpts{localOnly: true})
	anna, annaURL := seedTeacher(t, n, "anna", "Anna")
	_, brunoURL := seedTeacher(t, n, "bruno", "Bruno")
	seedTeacher(t, n, "carla", "Carla")
	seedStaff(t, n, "officer", twinfed.RoleAgencyOfficer)
	proj := nationalProject(t, n, anna, annaURL, brunoURL)
	q := url.QueryEscape(proj.ID)
	creds, err := n.Pupils().CreatePupils(ctx, anna, []string{"Luca Verdi", "Sara Neri"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.TwinSpaces().Core.PostUpdate(ctx, anna, proj.ID, "Teachers only: the plan", true); err != nil {
		t.Fatal(err)
	}

	// Anna adds Luca from the Members tab.
	teacher := login(t, n, "anna", "correct horse 1")
	code, page := teacher.Get("/twinspace/members?id=" + q)
	if code != 200 || !strings.Contains(page, "Luca Verdi") || !strings.Contains(page, "Sara Neri") {
		t.Fatalf("members tab offers her pupils: %d\n%s", code, page)
	}
	if code, _, loc := teacher.Form("/twinspace/members?id="+q, "/twinspace/members/add", url.Values{"id": {proj.ID}, "pupil": {creds[0].Username}}); code != http.StatusSeeOther || !strings.Contains(loc, "done=saved") {
		t.Fatalf("add a pupil: %d %s\n%s", code, loc, teacher.Last)
	}
	if _, page = teacher.Get("/twinspace/members?id=" + q); !strings.Contains(page, "Luca Verdi</strong> · Pupil") {
		t.Fatalf("Luca is not a pupil of the TwinSpace:\n%s", page)
	}

	// Luca logs in with his credentials and lands on his TwinSpaces.
	luca := pupilLogin(t, n, creds[0].Username, creds[0].Password)
	if code, page := luca.Get("/my-twinspaces"); code != 200 || !strings.Contains(page, "Our town&#39;s rivers") {
		t.Fatalf("Luca's TwinSpaces: %d\n%s", code, page)
	}
	code, page = luca.Get("/twinspace/home?id=" + q)
	if code != 200 || !strings.Contains(page, "<strong>Pupil</strong>") || strings.Contains(page, "Teachers only") || strings.Contains(page, `action="/twinspace/home/post"`) {
		t.Fatalf("Luca's Twinboard (no bulletin, no form to post): %d\n%s", code, page)
	}
	csrf := luca.CSRF()
	// What a pupil may not do, refused in the pages and the API, and
	// nothing changes.
	if code, page, _ := luca.Post("/twinspace/home/post", url.Values{"id": {proj.ID}, "content": {"hello"}}); code != http.StatusForbidden || !strings.Contains(page, "Your role in this TwinSpace does not allow this.") {
		t.Errorf("a pupil posts an update: %d\n%s", code, page)
	}
	if code, page, _ := luca.Post("/twinspace/settings", url.Values{"id": {proj.ID}, "cover": {"mine"}, "pupils_chat": {"1"}}); code != http.StatusForbidden {
		t.Errorf("a pupil changes the settings: %d\n%s", code, page)
	}
	var e struct {
		Error struct{ Code, Message string }
	}
	if code := luca.API("POST", "/api/v1/twinspace/updates", map[string]any{"id": proj.ID, "content": "hello"}, csrf, &e); code != http.StatusForbidden {
		t.Errorf("a pupil posts an update through the API: %d %+v", code, e)
	}
	if code := luca.API("POST", "/api/v1/twinspace/members/role", map[string]any{"id": proj.ID, "actor": twinfed.PupilURL(n.URL(), creds[0].Username), "role": "pupil_admin"}, csrf, &e); code != http.StatusForbidden {
		t.Errorf("a pupil promotes himself: %d %+v", code, e)
	}
	var view struct {
		Role  twinfed.SpaceRole            `json:"role"`
		Can   map[twinfed.SpaceAction]bool `json:"can"`
		Board struct {
			Updates  []twinfed.SpaceObject `json:"updates"`
			Bulletin []twinfed.SpaceObject `json:"bulletin"`
		} `json:"board"`
	}
	if code := luca.API("GET", "/api/v1/twinspace?id="+q, nil, "", &view); code != 200 || view.Role != twinfed.SpacePupil || view.Can[twinfed.SpacePostUpdate] || !view.Can[twinfed.SpaceReply] || len(view.Board.Bulletin) != 0 || len(view.Board.Updates) != 0 {
		t.Errorf("Luca's view through the API: %d %+v", code, view)
	}
	// His session is not a member's: the members' pages refuse it.
	if code, _ := luca.Get("/contacts"); code == 200 {
		t.Errorf("a pupil's session opened /contacts")
	}

	// Sara, not added: the TwinSpace is closed to her, as to Carla (a
	// teacher outside the project) and to the agency, who see only what
	// the public sees.
	sara := pupilLogin(t, n, creds[1].Username, creds[1].Password)
	carla := login(t, n, "carla", "correct horse 1")
	officer := login(t, n, "officer", "staff password 1")
	for who, b := range map[string]*browser{"a pupil not added": sara, "a teacher outside the project": carla, "the agency": officer} {
		if code, page := b.Get("/twinspace/members?id=" + q); code != http.StatusForbidden || !strings.Contains(page, "open only to its members") {
			t.Errorf("%s opened the Members tab: %d", who, code)
		}
		if code, page := b.Get("/twinspace/home?id=" + q); code != 200 || strings.Contains(page, "Teachers only") || strings.Contains(page, "Latest actions") {
			t.Errorf("%s saw more than the public's Home: %d\n%s", who, code, page)
		}
	}

	// Anna removes Luca's account: he leaves the TwinSpace.
	if err := n.Pupils().Remove(ctx, anna, creds[0].Username); err != nil {
		t.Fatal(err)
	}
	if _, page = teacher.Get("/twinspace/members?id=" + q); strings.Contains(page, "Luca Verdi") {
		t.Errorf("a removed pupil is still a member:\n%s", page)
	}
}

// TestTwinSpace_MembersPages: the Members tab shows the teachers and the
// pupils 60 at a time, with a link to the next ones.
func TestTwinSpace_MembersPages(t *testing.T) {
	ctx := context.Background()
	n := MustOpenNode(t, nodeOpts{localOnly: true})
	anna, annaURL := seedTeacher(t, n, "anna", "Anna")
	_, brunoURL := seedTeacher(t, n, "bruno", "Bruno")
	proj := nationalProject(t, n, anna, annaURL, brunoURL)
	for _, size := range []int{60, 5} {
		names := make([]string, size)
		for i := range names {
			names[i] = fmt.Sprintf("Pupil %02d-%d", i, size)
		}
		creds, err := n.Pupils().CreatePupils(ctx, anna, names)
		if err != nil {
			t.Fatal(err)
		}
		var users []string
		for _, c := range creds {
			users = append(users, c.Username)
		}
		if _, err := n.TwinSpaces().Core.AddMembers(ctx, anna, proj.ID, users); err != nil {
			t.Fatal(err)
		}
	}
	teacher := login(t, n, "anna", "correct horse 1")
	q := url.QueryEscape(proj.ID)
	_, page := teacher.Get("/twinspace/members?id=" + q)
	if got := strings.Count(page, "</strong> · Pupil"); got != 60 || !strings.Contains(page, "Anna Rossi") || !strings.Contains(page, `rel="next"`) {
		t.Fatalf("first page: %d pupils, next link %v", got, strings.Contains(page, `rel="next"`))
	}
	_, page = teacher.Get("/twinspace/members?id=" + q + "&p=1")
	if got := strings.Count(page, "</strong> · Pupil"); got != 5 || !strings.Contains(page, "Anna Rossi") || strings.Contains(page, `rel="next"`) {
		t.Fatalf("second page: %d pupils, next link %v", got, strings.Contains(page, `rel="next"`))
	}
}

// The home page shows the 20 newest updates, newest first, however many
// there are (it reads them from the index's end: issue 21's soak test found
// it slower with each post when it read them all).
func TestTwinSpace_HomeShowsTheNewestUpdates(t *testing.T) {
	ctx := context.Background()
	n := MustOpenNode(t, nodeOpts{localOnly: true})
	anna, annaURL := seedTeacher(t, n, "anna", "Anna")
	_, brunoURL := seedTeacher(t, n, "bruno", "Bruno")
	proj := nationalProject(t, n, anna, annaURL, brunoURL)
	for i := range 25 {
		if _, err := n.TwinSpaces().Core.PostUpdate(ctx, anna, proj.ID, fmt.Sprintf("Update number %02d.", i), false); err != nil {
			t.Fatal(err)
		}
	}
	_, page := login(t, n, "anna", "correct horse 1").Get("/twinspace/home?id=" + url.QueryEscape(proj.ID))
	last := -1
	for i := range 25 {
		at := strings.Index(page, fmt.Sprintf("Update number %02d.", i))
		switch {
		case i < 5 && at >= 0:
			t.Errorf("update %02d, one of the 5 oldest, is on the home page", i)
		case i >= 5 && at < 0:
			t.Errorf("update %02d, one of the 20 newest, is not on the home page", i)
		case i >= 5 && last >= 0 && at > last:
			t.Errorf("update %02d is below update %02d: want the newest first", i, i-1)
		}
		if at >= 0 {
			last = at
		}
	}
}
