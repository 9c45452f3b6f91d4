package twinfed

import (
	"slices"
	"time"
)

// ProjectState is where a project is in its lifecycle (DOMAIN.md, the
// current programme): draft → waiting for the co-founder → waiting for the
// agencies → approved (TwinSpace open) → closed (read-only archive).
type ProjectState string

// Project states.
const (
	ProjectDraft             ProjectState = "draft"
	ProjectAwaitingCofounder ProjectState = "awaiting_cofounder"
	ProjectAwaitingApproval  ProjectState = "awaiting_approval"
	ProjectApproved          ProjectState = "approved"
	ProjectDeclined          ProjectState = "declined" // the co-founder declined
	ProjectRejected          ProjectState = "rejected" // an agency rejected a founder's participation
	ProjectClosed            ProjectState = "closed"
)

// PartnerRole is a partner's place in a project.
type PartnerRole string

// Partner roles.
const (
	RoleFounder   PartnerRole = "founder"
	RoleCofounder PartnerRole = "cofounder"
	RolePartner   PartnerRole = "partner" // joined after approval
)

// PartnerStatus is where one partner's participation is.
type PartnerStatus string

// Partner statuses. A participation counts once its agency approved it.
const (
	PartnerInvited  PartnerStatus = "invited"  // waits for the member's answer
	PartnerDeclined PartnerStatus = "declined" // the member said no
	PartnerPending  PartnerStatus = "pending"  // accepted; waits for the member's agency
	PartnerApproved PartnerStatus = "approved"
	PartnerRejected PartnerStatus = "rejected" // the member's agency said no
)

// Project is a school project planned and run online by teachers of at least
// two schools. Its ID is the URL of its Group actor on the founder's node.
type Project struct {
	ID              string       `json:"id"`
	Title           string       `json:"title"`
	Description     string       `json:"description"` // sanitised HTML
	Subjects        []string     `json:"subjects,omitempty"`
	PupilAges       []int        `json:"pupil_ages,omitempty"`
	Languages       []string     `json:"languages,omitempty"`
	Tools           []string     `json:"tools,omitempty"`
	Aims            string       `json:"aims,omitempty"`
	WorkProcess     string       `json:"work_process,omitempty"`
	ExpectedResults string       `json:"expected_results,omitempty"`
	State           ProjectState `json:"state"`
	Partners        []Partner    `json:"partners"`
	Created         time.Time    `json:"created"`
	Updated         time.Time    `json:"updated"`
	Approved        time.Time    `json:"approved,omitzero"`
	Closed          time.Time    `json:"closed,omitzero"`
	// Version grows with every change the home node makes; a node keeps the
	// highest version it has seen.
	Version int64 `json:"version"`
	// TwinSpace is the URL of the project's TwinSpace, set once, when the
	// project is approved.
	TwinSpace string `json:"twinspace,omitempty"`
	// Founder is the actor of the member who created the project.
	Founder string `json:"founder"`
}

// Partner is one member's participation in a project, with their school
// (fixed for the life of the project) and their agency's decision.
type Partner struct {
	Actor      string        `json:"actor"` // the member's actor URL
	Name       string        `json:"name"`
	Country    string        `json:"country"`
	SchoolID   string        `json:"school_id"`
	SchoolName string        `json:"school_name"`
	Role       PartnerRole   `json:"role"`
	Status     PartnerStatus `json:"status"`
	InvitedBy  string        `json:"invited_by,omitempty"`
	Invitation string        `json:"invitation,omitempty"` // the Invite activity's id
	Decision   *Decision     `json:"decision,omitempty"`
	Joined     time.Time     `json:"joined,omitzero"`
}

// Decision is an agency's approval or rejection of one participation, kept
// with the signed activity that carried it so it can be verified later.
type Decision struct {
	Agency   string    `json:"agency"` // the agency Service actor
	Approved bool      `json:"approved"`
	Reason   string    `json:"reason,omitempty"`
	Decided  time.Time `json:"decided"`
	Activity string    `json:"activity"`        // the Accept/Reject activity id
	Proof    string    `json:"proof,omitempty"` // the signed request (headers and body) as received
}

// European reports whether the project's partners come from more than one
// country. A national project has partners from a single country.
func (p *Project) European() bool {
	var first string
	for _, pt := range p.Partners {
		if pt.Status == PartnerDeclined {
			continue
		}
		if first == "" {
			first = pt.Country
		} else if pt.Country != first {
			return true
		}
	}
	return false
}

// Countries returns the distinct countries of the project's partners, in
// order of joining, leaving out declined invitations.
func (p *Project) Countries() []string {
	return p.countries(func(s PartnerStatus) bool { return s != PartnerDeclined })
}

// ApprovedCountries returns the countries of the partners whose agency
// approved their participation, each once, in the partners' order.
func (p *Project) ApprovedCountries() []string {
	return p.countries(func(s PartnerStatus) bool { return s == PartnerApproved })
}

func (p *Project) countries(keep func(PartnerStatus) bool) []string {
	var out []string
	for _, pt := range p.Partners {
		if keep(pt.Status) && !slices.Contains(out, pt.Country) {
			out = append(out, pt.Country)
		}
	}
	return out
}

// Public reports whether anyone may see the project's card: approved and
// closed projects are public, the others only to those involved.
func (p *Project) Public() bool { return p.State == ProjectApproved || p.State == ProjectClosed }

// Pending reports whether the founders may still edit or delete the project.
func (p *Project) Pending() bool {
	return p.State == ProjectDraft || p.State == ProjectAwaitingCofounder || p.State == ProjectAwaitingApproval
}

// Partner returns the participation of actor, or nil.
func (p *Project) Partner(actor string) *Partner {
	for i := range p.Partners {
		if p.Partners[i].Actor == actor {
			return &p.Partners[i]
		}
	}
	return nil
}

// AllApproved reports whether every founder's participation has been
// approved by its agency: the condition for the project to be approved.
func (p *Project) AllApproved() bool {
	n := 0
	for _, pt := range p.Partners {
		if pt.Role == RolePartner {
			continue
		}
		if pt.Status != PartnerApproved {
			return false
		}
		n++
	}
	return n >= 2
}
