package federation

import (
	"testing"

	"github.com/twinfed/twinfed"
)

// TestSimpleType_MatchesGoFed checks that simpleType, which decodeActivity
// asks instead of newAS2Activity, accepts exactly the types newAS2Activity
// builds, for every activity type of the domain and a few that are not.
func TestSimpleType_MatchesGoFed(t *testing.T) {
	types := []twinfed.ActivityType{
		twinfed.ActivityFollow, twinfed.ActivityAccept, twinfed.ActivityReject, twinfed.ActivityUndo,
		twinfed.ActivityCreate, twinfed.ActivityUpdate, twinfed.ActivityDelete, twinfed.ActivityInvite,
		twinfed.ActivityJoin, twinfed.ActivityLeave, twinfed.ActivityAnnounce, twinfed.ActivityFlag,
		"Like", "Block", "Add", "Remove", "Move", "Note", "Person", "follow", "",
	}
	for _, ty := range types {
		_, built := newAS2Activity(ty)
		if got := simpleType(ty); got != built {
			t.Errorf("simpleType(%q) = %v, newAS2Activity builds it: %v", ty, got, built)
		}
	}
}
