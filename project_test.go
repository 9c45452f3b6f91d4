package twinfed_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
)

const (
	itBase = "https://it.example"
	frBase = "https://fr.example"
)

var (
	anna  = itBase + "/users/anna"  // founder, IT
	marc  = frBase + "/users/marc"  // co-founder, FR
	luca  = itBase + "/users/luca"  // a partner who joined later
	other = itBase + "/users/other" // no part in the project
)

// project returns a project in state with the founder, the co-founder and
// a later partner in the given statuses.
func project(state twinfed.ProjectState, founder, cofounder, partner twinfed.PartnerStatus) *twinfed.Project {
	p := &twinfed.Project{ID: itBase + "/projects/1", State: state, Founder: anna, Partners: []twinfed.Partner{
		{Actor: anna, Country: "IT", SchoolID: "s1", Role: twinfed.RoleFounder, Status: founder},
		{Actor: marc, Country: "FR", SchoolID: "s2", Role: twinfed.RoleCofounder, Status: cofounder},
	}}
	if partner != "" {
		p.Partners = append(p.Partners, twinfed.Partner{Actor: luca, Country: "IT", SchoolID: "s3", Role: twinfed.RolePartner, Status: partner})
	}
	if state == twinfed.ProjectApproved || state == twinfed.ProjectClosed {
		p.TwinSpace = twinfed.TwinSpaceURL(p.ID)
	}
	return p
}

func member(actor string) twinfed.ProjectViewer {
	return twinfed.ProjectViewer{Actor: actor, Role: twinfed.RoleMember, Status: twinfed.StatusValidated}
}

func italianAgency() twinfed.ProjectViewer {
	return twinfed.ProjectViewer{Role: twinfed.RoleAgencyOfficer, Local: func(a string) bool { return strings.HasPrefix(a, itBase+"/") }}
}

func TestProject_Permissions(t *testing.T) {
	const (
		see = 1 << iota
		edit
		del
		closing
		answer
		invite
		enter
		post
	)
	unvalidated := member(anna)
	unvalidated.Status = twinfed.StatusPending
	for _, tc := range []struct {
		name   string
		p      *twinfed.Project
		v      twinfed.ProjectViewer
		want   int
		decide []string
		certs  []string
	}{
		{"founder, waiting for the co-founder", project(twinfed.ProjectAwaitingCofounder, twinfed.PartnerPending, twinfed.PartnerInvited, ""), member(anna), see | edit | del, nil, nil},
		{"invited co-founder", project(twinfed.ProjectAwaitingCofounder, twinfed.PartnerPending, twinfed.PartnerInvited, ""), member(marc), see | answer, nil, nil},
		{"stranger, pending project", project(twinfed.ProjectAwaitingApproval, twinfed.PartnerPending, twinfed.PartnerPending, ""), member(other), 0, nil, nil},
		{"visitor, pending project", project(twinfed.ProjectAwaitingApproval, twinfed.PartnerPending, twinfed.PartnerPending, ""), twinfed.ProjectViewer{}, 0, nil, nil},
		{"agency, pending project", project(twinfed.ProjectAwaitingApproval, twinfed.PartnerPending, twinfed.PartnerPending, ""), italianAgency(), see, []string{anna}, nil},
		{"co-founder, pending", project(twinfed.ProjectAwaitingApproval, twinfed.PartnerPending, twinfed.PartnerPending, ""), member(marc), see | edit | del, nil, nil},
		{"unvalidated founder", project(twinfed.ProjectAwaitingApproval, twinfed.PartnerPending, twinfed.PartnerPending, ""), unvalidated, see, nil, nil},
		{"founder, rejected", project(twinfed.ProjectRejected, twinfed.PartnerRejected, twinfed.PartnerPending, ""), member(anna), see | del, nil, nil},
		{"founder, approved", project(twinfed.ProjectApproved, twinfed.PartnerApproved, twinfed.PartnerApproved, ""), member(anna), see | closing | invite | enter | post, nil, []string{anna, marc}},
		{"invited partner, approved", project(twinfed.ProjectApproved, twinfed.PartnerApproved, twinfed.PartnerApproved, twinfed.PartnerInvited), member(luca), see | answer, nil, nil},
		{"pending partner, approved", project(twinfed.ProjectApproved, twinfed.PartnerApproved, twinfed.PartnerApproved, twinfed.PartnerPending), member(luca), see, nil, nil},
		{"agency, pending partner", project(twinfed.ProjectApproved, twinfed.PartnerApproved, twinfed.PartnerApproved, twinfed.PartnerPending), italianAgency(), see, []string{luca}, []string{anna}},
		{"approved partner", project(twinfed.ProjectApproved, twinfed.PartnerApproved, twinfed.PartnerApproved, twinfed.PartnerApproved), member(luca), see | invite | enter | post, nil, []string{anna, marc, luca}},
		{"visitor, approved", project(twinfed.ProjectApproved, twinfed.PartnerApproved, twinfed.PartnerApproved, ""), twinfed.ProjectViewer{}, see, nil, nil},
		{"founder, closed", project(twinfed.ProjectClosed, twinfed.PartnerApproved, twinfed.PartnerApproved, ""), member(anna), see | enter, nil, []string{anna, marc}},
		{"invited partner, closed", project(twinfed.ProjectClosed, twinfed.PartnerApproved, twinfed.PartnerApproved, twinfed.PartnerInvited), member(luca), see, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			perm := tc.p.Permissions(tc.v)
			got := 0
			for bit, ok := range map[int]bool{see: perm.CanSee, edit: perm.CanEdit, del: perm.CanDelete, closing: perm.CanClose, answer: perm.CanAnswerInvitation,
				invite: perm.CanInvite, enter: perm.CanEnterTwinSpace, post: perm.CanPost} {
				if ok {
					got |= bit
				}
			}
			if got != tc.want {
				t.Errorf("permissions %08b, want %08b (%+v)", got, tc.want, perm)
			}
			if !slices.Equal(perm.CanDecide, tc.decide) {
				t.Errorf("CanDecide %q, want %q", perm.CanDecide, tc.decide)
			}
			if !slices.Equal(perm.Certificates, tc.certs) {
				t.Errorf("Certificates %q, want %q", perm.Certificates, tc.certs)
			}
		})
	}
}

func TestProject_InTwinSpace(t *testing.T) {
	open := project(twinfed.ProjectApproved, twinfed.PartnerApproved, twinfed.PartnerApproved, twinfed.PartnerPending)
	notOpen := project(twinfed.ProjectApproved, twinfed.PartnerApproved, twinfed.PartnerApproved, "")
	notOpen.TwinSpace = ""
	closed := project(twinfed.ProjectClosed, twinfed.PartnerApproved, twinfed.PartnerApproved, "")
	for _, tc := range []struct {
		name      string
		p         *twinfed.Project
		actor     string
		role      twinfed.Role
		in, write bool
	}{
		{"approved founder", open, anna, twinfed.RoleMember, true, true},
		{"approved co-founder on another node", open, marc, twinfed.RoleMember, true, true},
		{"partner waiting for the agency", open, luca, twinfed.RoleMember, false, false},
		{"stranger", open, other, twinfed.RoleMember, false, false},
		{"no actor", open, "", twinfed.RoleMember, false, false},
		{"the agency, even as a partner's actor", open, anna, twinfed.RoleAgencyOfficer, false, false},
		{"an agency admin", open, anna, twinfed.RoleAgencyAdmin, false, false},
		{"the agency's actor", open, twinfed.AgencyURL(itBase), twinfed.RoleMember, false, false},
		{"TwinSpace not open", notOpen, anna, twinfed.RoleMember, false, false},
		{"closed: read-only", closed, anna, twinfed.RoleMember, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.InTwinSpace(tc.actor, tc.role); got != tc.in {
				t.Errorf("InTwinSpace = %v, want %v", got, tc.in)
			}
			if got := tc.p.CanPostInTwinSpace(tc.actor, tc.role); got != tc.write {
				t.Errorf("CanPostInTwinSpace = %v, want %v", got, tc.write)
			}
		})
	}
	var members []string
	for _, pt := range open.TwinSpaceMembers() {
		members = append(members, pt.Actor)
	}
	if !slices.Equal(members, []string{anna, marc}) {
		t.Errorf("TwinSpaceMembers = %q, want anna and marc", members)
	}
	if m := notOpen.TwinSpaceMembers(); len(m) != 0 {
		t.Errorf("TwinSpaceMembers before the TwinSpace opens = %v", m)
	}
}

func TestProject_EveryAgencyApproved(t *testing.T) {
	for _, tc := range []struct {
		name                        string
		founder, cofounder, partner twinfed.PartnerStatus
		want                        bool
	}{
		{"both founders approved", twinfed.PartnerApproved, twinfed.PartnerApproved, "", true},
		{"co-founder pending", twinfed.PartnerApproved, twinfed.PartnerPending, "", false},
		{"founder pending", twinfed.PartnerPending, twinfed.PartnerApproved, "", false},
		{"founder rejected", twinfed.PartnerRejected, twinfed.PartnerApproved, "", false},
		{"a later partner pending does not count", twinfed.PartnerApproved, twinfed.PartnerApproved, twinfed.PartnerPending, true},
	} {
		p := project(twinfed.ProjectAwaitingApproval, tc.founder, tc.cofounder, tc.partner)
		if got := p.EveryAgencyApproved(); got != tc.want {
			t.Errorf("%s: EveryAgencyApproved = %v, want %v", tc.name, got, tc.want)
		}
	}
	alone := &twinfed.Project{Partners: []twinfed.Partner{{Actor: anna, Role: twinfed.RoleFounder, Status: twinfed.PartnerApproved}}}
	if alone.EveryAgencyApproved() {
		t.Error("a project with one founder is approved")
	}
}

func TestProject_ApplyDecision(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	p := project(twinfed.ProjectAwaitingApproval, twinfed.PartnerPending, twinfed.PartnerPending, "")
	if p.ApplyDecision(&p.Partners[0], twinfed.Decision{Approved: true}, now) || p.State != twinfed.ProjectAwaitingApproval {
		t.Fatalf("one approval of two approved the project: %s", p.State)
	}
	if !p.ApplyDecision(&p.Partners[1], twinfed.Decision{Approved: true}, now) || p.State != twinfed.ProjectApproved || !p.Approved.Equal(now) {
		t.Fatalf("the last approval: state %s, approved %v", p.State, p.Approved)
	}
	p = project(twinfed.ProjectAwaitingApproval, twinfed.PartnerPending, twinfed.PartnerPending, "")
	if p.ApplyDecision(&p.Partners[1], twinfed.Decision{Reason: "no"}, now) || p.State != twinfed.ProjectRejected || p.Partners[1].Status != twinfed.PartnerRejected {
		t.Fatalf("a founder's rejection: state %s, partner %s", p.State, p.Partners[1].Status)
	}
	p = project(twinfed.ProjectApproved, twinfed.PartnerApproved, twinfed.PartnerApproved, twinfed.PartnerPending)
	if p.ApplyDecision(&p.Partners[2], twinfed.Decision{Reason: "no"}, now) || p.State != twinfed.ProjectApproved || p.Partners[2].Decision == nil {
		t.Fatalf("a later partner's rejection changed the project: %s", p.State)
	}
}

func TestFoundersFromDifferentSchools(t *testing.T) {
	for _, tc := range []struct {
		founder, cofounder string
		want               bool
	}{
		{"s1", "s2", true},
		{"s1", "s1", false},
		{"s1", "", true}, // the co-founder's school is not known yet
		{"", "s1", true},
	} {
		if got := twinfed.FoundersFromDifferentSchools(tc.founder, tc.cofounder); got != tc.want {
			t.Errorf("FoundersFromDifferentSchools(%q, %q) = %v, want %v", tc.founder, tc.cofounder, got, tc.want)
		}
	}
}
