package twinfed

import (
	"testing"
	"time"
)

// TestSpaceCan_Matrix holds the whole permission matrix of an open
// TwinSpace (DOMAIN.md's TwinSpace roles), every role × every action,
// written out here independently of the grants table: a change to either
// shows.
func TestSpaceCan_Matrix(t *testing.T) {
	roles := []SpaceRole{SpaceAdmin, SpaceTeacher, SpaceObserver, SpacePupilAdmin, SpacePupil, SpaceVisitor}
	//                                       admin teacher observer pupil_admin pupil visitor
	want := map[SpaceAction]string{
		SpaceRead:           "111111",
		SpaceReadBulletin:   "111000",
		SpacePostUpdate:     "110100",
		SpacePostBulletin:   "110000",
		SpaceCreatePage:     "110100",
		SpaceEditPage:       "110100",
		SpacePublishPage:    "110000",
		SpaceReorderPages:   "100000",
		SpaceUpload:         "111110",
		SpaceCreateFolder:   "110000",
		SpaceOpenDiscussion: "110000",
		SpaceOpenThread:     "110100",
		SpaceReply:          "111110",
		SpaceChat:           "111110", // pupils: when the teachers enabled it (below)
		SpaceWriteDiary:     "110000",
		SpaceEditOwn:        "111110",
		SpaceManageOthers:   "100000",
		SpaceRemoveChat:     "110000",
		SpaceInvite:         "110000",
		SpaceRemoveMember:   "100000",
		SpaceSettings:       "100000",
		SpaceBrowsePublic:   "110000",
	}
	if len(want) != len(SpaceActions) {
		t.Fatalf("the matrix has %d actions, SpaceActions %d: every action needs its row", len(want), len(SpaceActions))
	}
	open := SpaceContext{State: ProjectApproved, PupilsChat: true}
	closed := SpaceContext{State: ProjectClosed, PupilsChat: true}
	for _, a := range SpaceActions {
		row, ok := want[a]
		if !ok {
			t.Errorf("no row for %s", a)
			continue
		}
		for i, r := range roles {
			exp := row[i] == '1'
			if got := SpaceCan(r, a, open); got != exp {
				t.Errorf("SpaceCan(%s, %s) in an open TwinSpace = %v, want %v", r, a, got, exp)
			}
			// A closed project's TwinSpace is an archive: reading only.
			readOnly := a == SpaceRead || a == SpaceReadBulletin || a == SpaceBrowsePublic
			if got := SpaceCan(r, a, closed); got != (exp && readOnly) {
				t.Errorf("SpaceCan(%s, %s) in a closed TwinSpace = %v, want %v", r, a, got, exp && readOnly)
			}
		}
	}
	noChat := SpaceContext{State: ProjectApproved}
	for _, r := range roles {
		want := r == SpaceAdmin || r == SpaceTeacher || r == SpaceObserver
		if got := SpaceCan(r, SpaceChat, noChat); got != want {
			t.Errorf("SpaceCan(%s, chat) with the chat closed to pupils = %v, want %v", r, got, want)
		}
	}
	for _, a := range SpaceActions {
		if SpaceCan("", a, open) || SpaceCan("agency", a, open) {
			t.Errorf("a reader without a role may %s", a)
		}
	}
}

// TestSpaceObject_Supersedes checks the ordering rule replicas converge by:
// it is a strict total order on distinct states, whatever the order they
// arrive in.
func TestSpaceObject_Supersedes(t *testing.T) {
	base := SpaceObject{ID: "x", Version: 3}
	at := func(v int64, sec int, editor string, del bool) *SpaceObject {
		o := base
		o.Version, o.Editor, o.Deleted = v, editor, del
		o.Updated = o.Updated.Add(time.Duration(sec) * time.Second)
		return &o
	}
	states := []*SpaceObject{at(3, 0, "a", false), at(3, 0, "b", false), at(3, 1, "a", false), at(4, 0, "a", false), at(3, 1, "a", true), at(2, 9, "z", false)}
	for _, x := range states {
		if x.Supersedes(x) {
			t.Errorf("%+v supersedes itself: a replay would change something", x)
		}
		if !x.Supersedes(nil) {
			t.Errorf("%+v does not supersede nothing", x)
		}
		for _, y := range states {
			if x != y && x.Supersedes(y) == y.Supersedes(x) {
				t.Errorf("%+v and %+v: not ordered one way", x, y)
			}
		}
	}
	// Applying every state in any order ends on the same one.
	final := func(order []int) *SpaceObject {
		var cur *SpaceObject
		for _, i := range order {
			if states[i].Supersedes(cur) {
				cur = states[i]
			}
		}
		return cur
	}
	want := final([]int{0, 1, 2, 3, 4, 5})
	for _, order := range [][]int{{5, 4, 3, 2, 1, 0}, {3, 0, 5, 1, 4, 2}, {2, 4, 0, 3, 5, 1}} {
		if got := final(order); got != want {
			t.Errorf("order %v ends on %+v, want %+v", order, got, want)
		}
	}
}
