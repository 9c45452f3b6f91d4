package node_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/twinspace"
	"github.com/twinfed/twinfed/node/twinspace/discuss"
)

// TestTwinSpace_MatrixThroughAPI holds the permission matrix through the
// JSON API, with a real session of each role: what GET /api/v1/twinspace
// says each reader may do is twinfed.SpaceCan for every action, and every
// write the API offers is answered 2xx to a role that may and 403 to one
// that may not (with nothing written). A teacher administrator, a teacher,
// an observer (project partners given those roles), a pupil
// administrator, a pupil and a visitor (accounts of a teacher of the
// node), each with the chat open to pupils.
func TestTwinSpace_MatrixThroughAPI(t *testing.T) {
	ctx := context.Background()
	n := MustOpenNode(t, nodeOpts{localOnly: true})
	anna, annaURL := seedTeacher(t, n, "anna", "Anna")
	_, brunoURL := seedTeacher(t, n, "bruno", "Bruno")
	carla, carlaURL := seedTeacher(t, n, "carla", "Carla")
	seedStaff(t, n, "officer", twinfed.RoleAgencyOfficer)
	officer := &twinfed.Principal{Username: "officer", Role: twinfed.RoleAgencyOfficer, Status: twinfed.StatusValidated}
	p := nationalProject(t, n, anna, annaURL, brunoURL)
	// Carla joins as a third partner: a contact of Anna's, invited,
	// accepting, approved by the agency.
	if _, err := n.Social().RequestContact(ctx, anna, carlaURL, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Social().AnswerContact(ctx, carla, annaURL, true); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Projects().InvitePartner(ctx, anna, p.ID, carlaURL); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Projects().AnswerInvitation(ctx, carla, p.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Projects().DecideParticipation(ctx, officer, p.ID, carlaURL, true, ""); err != nil {
		t.Fatal(err)
	}
	for actor, role := range map[string]twinfed.SpaceRole{brunoURL: twinfed.SpaceTeacher, carlaURL: twinfed.SpaceObserver} {
		if err := n.TwinSpaces().Core.SetRole(ctx, anna, p.ID, actor, role); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.TwinSpaces().Core.SaveSettings(ctx, anna, p.ID, "", true); err != nil {
		t.Fatal(err)
	}
	pupils, err := n.Pupils().CreatePupils(ctx, anna, []string{"Pia Admin", "Pio Pupil", "Vera Visitor"})
	if err != nil {
		t.Fatal(err)
	}
	for i, role := range []twinfed.SpaceRole{twinfed.SpacePupilAdmin, twinfed.SpacePupil} {
		if _, err := n.TwinSpaces().Core.AddMembers(ctx, anna, p.ID, []string{pupils[i].Username}); err != nil {
			t.Fatal(err)
		}
		if err := n.TwinSpaces().Core.SetRole(ctx, anna, p.ID, twinfed.PupilURL(n.URL(), pupils[i].Username), role); err != nil && role != twinfed.SpacePupil {
			t.Fatal(err)
		}
	}
	vera := twinfed.PupilURL(n.URL(), pupils[2].Username)
	if _, err := n.TwinSpaces().Core.Edit(ctx, anna, p.ID, twinfed.SpaceKindMember, twinspace.MemberID(p.ID, vera), func(v *twinspace.View, o *twinfed.SpaceObject) error {
		o.Title = "Vera Visitor"
		o.Fields = map[string]string{"actor": vera, "role": string(twinfed.SpaceVisitor), "expires": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// A discussion, a thread and a page to act on.
	disc, err := n.TwinSpaces().Forum.OpenDiscussion(ctx, anna, p.ID, discuss.Input{Title: "Plans", Text: "What we plan."})
	if err != nil {
		t.Fatal(err)
	}
	thread, err := n.TwinSpaces().Forum.OpenThread(ctx, anna, p.ID, disc.ID, discuss.Input{Title: "Week 1", Text: "What we did."})
	if err != nil {
		t.Fatal(err)
	}

	type reader struct {
		role twinfed.SpaceRole
		b    *browser
		csrf string
	}
	var readers []reader
	for _, x := range []struct {
		role twinfed.SpaceRole
		user string
	}{{twinfed.SpaceAdmin, "anna"}, {twinfed.SpaceTeacher, "bruno"}, {twinfed.SpaceObserver, "carla"}} {
		b, csrf := apiSession(t, n.URL(), x.user, "correct horse 1")
		readers = append(readers, reader{x.role, b, csrf})
	}
	for i, role := range []twinfed.SpaceRole{twinfed.SpacePupilAdmin, twinfed.SpacePupil, twinfed.SpaceVisitor} {
		b := pupilLogin(t, n, pupils[i].Username, pupils[i].Password)
		b.Get("/my-twinspaces")
		readers = append(readers, reader{role, b, b.CSRF()})
	}
	q := url.QueryEscape(p.ID)
	open := twinfed.SpaceContext{State: twinfed.ProjectApproved, PupilsChat: true}

	for _, r := range readers {
		t.Run(string(r.role), func(t *testing.T) {
			// What the API says the reader may do: SpaceCan, action by action.
			var view struct {
				Role twinfed.SpaceRole            `json:"role"`
				Can  map[twinfed.SpaceAction]bool `json:"can"`
			}
			if code := r.b.API("GET", "/api/v1/twinspace?id="+q, nil, "", &view); code != 200 || view.Role != r.role {
				t.Fatalf("GET /api/v1/twinspace: %d, role %q", code, view.Role)
			}
			for _, a := range twinfed.SpaceActions {
				if view.Can[a] != twinfed.SpaceCan(r.role, a, open) {
					t.Errorf("can %s: the API says %v, SpaceCan %v", a, view.Can[a], !view.Can[a])
				}
			}
			// Every write, by the action it needs.
			tag := string(r.role)
			for _, w := range []struct {
				action twinfed.SpaceAction
				path   string
				body   map[string]any
			}{
				{twinfed.SpacePostUpdate, "/api/v1/twinspace/updates", map[string]any{"id": p.ID, "content": "update by " + tag}},
				{twinfed.SpacePostBulletin, "/api/v1/twinspace/updates", map[string]any{"id": p.ID, "content": "note by " + tag, "bulletin": true}},
				{twinfed.SpaceCreatePage, "/api/v1/twinspace/pages", map[string]any{"id": p.ID, "title": "Page by " + tag, "content": "<p>x</p>"}},
				{twinfed.SpaceCreateFolder, "/api/v1/twinspace/materials/folders", map[string]any{"id": p.ID, "name": "Folder by " + tag}},
				{twinfed.SpaceOpenDiscussion, "/api/v1/twinspace/forum/discussions", map[string]any{"id": p.ID, "title": "Discussion by " + tag, "text": "x"}},
				{twinfed.SpaceOpenThread, "/api/v1/twinspace/forum/threads", map[string]any{"id": p.ID, "discussion": disc.ID, "title": "Thread by " + tag, "text": "x"}},
				{twinfed.SpaceReply, "/api/v1/twinspace/forum/replies", map[string]any{"id": p.ID, "thread": thread.ID, "text": "reply by " + tag}},
				{twinfed.SpaceChat, "/api/v1/twinspace/chat", map[string]any{"id": p.ID, "content": "chat by " + tag}},
				{twinfed.SpaceWriteDiary, "/api/v1/twinspace/diary", map[string]any{"id": p.ID, "title": "Diary by " + tag, "content": "<p>x</p>"}},
				{twinfed.SpaceSettings, "/api/v1/twinspace/settings", map[string]any{"id": p.ID, "cover": "cover by " + tag, "pupils_chat": true}},
				{twinfed.SpaceRemoveMember, "/api/v1/twinspace/members/role", map[string]any{"id": p.ID, "actor": twinfed.PupilURL(n.URL(), pupils[1].Username), "role": "pupil"}},
			} {
				var e struct{ Error struct{ Code string } }
				code := r.b.API("POST", w.path, w.body, r.csrf, &e)
				want := twinfed.SpaceCan(r.role, w.action, open)
				if ok := code >= 200 && code < 300; ok != want {
					t.Errorf("%s (%s): %d %s, want allowed=%v", w.path, w.action, code, e.Error.Code, want)
				}
				if !want && code != http.StatusForbidden {
					t.Errorf("%s (%s): %d, want 403", w.path, w.action, code)
				}
			}
		})
	}
}
