package node_test

import (
	"context"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
)

// TestService_Usage checks the counts NodeInfo publishes: validated members
// only (agency staff excepted), and who of them logged in lately.
func TestService_Usage(t *testing.T) {
	clock := newClock()
	n := MustOpenNode(t, nodeOpts{now: clock.Now})
	svc, ctx := n.Accounts(), context.Background()
	seedValidated(t, n, "paola", nil)
	seedValidated(t, n, "marco", nil)
	seedTeacher(t, n, "anna", "Anna")
	seedStaff(t, n, "officer", twinfed.RoleAgencyOfficer)
	login(t, n, "paola", "correct horse 1")
	login(t, n, "officer", "staff password 1")

	u, err := svc.Usage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (twinfed.Usage{Users: 3, ActiveMonth: 1, ActiveHalfyear: 1}); u != want {
		t.Fatalf("usage: %+v, want %+v", u, want)
	}

	// Forty days on, paola is active this half-year but not this month; a
	// member validated meanwhile counts once the minute's counts expire.
	clock.Add(40 * 24 * time.Hour)
	seedValidated(t, n, "lucia", nil)
	if u, err = svc.Usage(ctx); err != nil {
		t.Fatal(err)
	}
	if want := (twinfed.Usage{Users: 4, ActiveMonth: 0, ActiveHalfyear: 1}); u != want {
		t.Fatalf("usage 40 days on: %+v, want %+v", u, want)
	}
}
