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
	Subjects        SubjectList  `json:"subjects,omitempty"`
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

// IsFounder reports whether pt is a founder's participation: the founder,
// or a co-founder who accepted. Founders edit, delete and close a project.
func (pt *Partner) IsFounder() bool {
	return pt.Role != RolePartner && pt.Status != PartnerInvited && pt.Status != PartnerDeclined
}

// Deletable reports whether the founders may still delete the project:
// until it is approved, or once it was declined or rejected.
func (p *Project) Deletable() bool {
	return p.Pending() || p.State == ProjectDeclined || p.State == ProjectRejected
}

// AwaitsAgency reports whether pt's participation is in its agency's
// queue: a founder's while the project waits for the agencies, a later
// partner's once the project is approved.
func (p *Project) AwaitsAgency(pt *Partner) bool {
	if pt.Status != PartnerPending {
		return false
	}
	if pt.Role == RolePartner {
		return p.State == ProjectApproved
	}
	return p.State == ProjectAwaitingApproval
}

// EveryAgencyApproved is the rule "every agency approves" (DOMAIN.md,
// Projects): a project becomes approved only when the agency of each of
// its founders (the founder and the co-founder, one agency per country
// involved) has approved that founder's participation; partners who join
// later do not count. ApplyDecision asks it.
func (p *Project) EveryAgencyApproved() bool {
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

// ApplyDecision records an agency's decision d on pt's participation and
// what it means for the project: a rejected founder rejects the project; the
// last approval the project waits for (EveryAgencyApproved) approves it at
// now. It reports whether the project became approved, when its home node
// opens the TwinSpace.
func (p *Project) ApplyDecision(pt *Partner, d Decision, now time.Time) bool {
	pt.Decision = &d
	pt.Status = PartnerRejected
	if d.Approved {
		pt.Status = PartnerApproved
	}
	if pt.Role == RolePartner {
		return false
	}
	if !d.Approved {
		p.State = ProjectRejected
		return false
	}
	if p.State == ProjectAwaitingApproval && p.EveryAgencyApproved() {
		p.State, p.Approved = ProjectApproved, now
		return true
	}
	return false
}

// MsgFoundersSameSchool is what a member is told when the two founders
// would come from the same school.
const MsgFoundersSameSchool = "The two founders must come from two different schools."

// FoundersFromDifferentSchools is the rule that a project's founder and
// co-founder come from two different schools (DOMAIN.md, Projects), given
// their schools' registry ids; an id not known yet ("") does not break it.
// The node asks it when a project is founded (draftProject), when the
// co-founder accepts with a school (AnswerInvitation) and when the home node
// receives that acceptance (applyInvitationAnswer).
func FoundersFromDifferentSchools(founderSchool, cofounderSchool string) bool {
	return founderSchool == "" || cofounderSchool == "" || founderSchool != cofounderSchool
}

// ProjectViewer is who asks ProjectPermissions what they may do with a
// project.
type ProjectViewer struct {
	Actor  string       // a member's actor URL; empty for agency staff and visitors
	Role   Role         // empty for a visitor who is not logged in
	Status MemberStatus // the member's validation; actions need StatusValidated
	// Local reports whether a member's actor belongs to the viewer's node:
	// an agency decides on, and certifies, its own members only. Nil: none.
	Local func(actor string) bool
}

// ProjectPermissions is what one viewer may do with one project
// (Project.Permissions). It is the
// one answer the project card (node/project_web.go and its template), the
// JSON API (ProjectView) and the service's guards (node/projects.go) use.
type ProjectPermissions struct {
	Me      *Partner // the viewer's participation, nil when none
	CanSee  bool     // the card: public projects, and the others to their partners and the agencies involved
	CanEdit bool     // a founder, while the project is pending
	// CanDelete: a founder, while pending, or once declined or rejected.
	CanDelete bool
	CanClose  bool // a founder of an approved project
	// CanAnswerInvitation: the viewer is invited, as co-founder, or as a
	// partner of a project that still takes partners.
	CanAnswerInvitation bool
	CanInvite           bool     // an approved partner of an approved project
	CanDecide           []string // actors whose participation the viewing agency decides now
	CanEnterTwinSpace   bool     // InTwinSpace
	CanPost             bool     // CanPostInTwinSpace
	Certificates        []string // approved partners whose start certificate the viewer may download
}

// Permissions returns what v may do with the project. Members act only
// once their agency validated them; an agency decides on and certifies
// only its own members, and never enters a private TwinSpace.
func (p *Project) Permissions(v ProjectViewer) ProjectPermissions {
	var perm ProjectPermissions
	local := func(actor string) bool { return v.Local != nil && v.Local(actor) }
	if v.Role == RoleMember && v.Actor != "" {
		perm.Me = p.Partner(v.Actor)
	}
	me := perm.Me
	involved := false
	if v.Role.IsAgency() {
		for i := range p.Partners {
			if pt := &p.Partners[i]; local(pt.Actor) {
				involved = true
				if p.AwaitsAgency(pt) {
					perm.CanDecide = append(perm.CanDecide, pt.Actor)
				}
			}
		}
	}
	perm.CanSee = p.Public() || me != nil || involved
	if me != nil && v.Status == StatusValidated {
		founder := me.IsFounder()
		perm.CanEdit = founder && p.Pending()
		perm.CanDelete = founder && p.Deletable()
		perm.CanClose = founder && p.State == ProjectApproved
		perm.CanAnswerInvitation = me.Status == PartnerInvited && (me.Role != RolePartner || p.State == ProjectApproved)
		perm.CanInvite = me.Status == PartnerApproved && p.State == ProjectApproved
	}
	perm.CanEnterTwinSpace = p.InTwinSpace(v.Actor, v.Role)
	perm.CanPost = p.CanPostInTwinSpace(v.Actor, v.Role)
	if p.Public() {
		meApproved := me != nil && me.Status == PartnerApproved
		for _, pt := range p.Partners {
			if pt.Status == PartnerApproved && (meApproved || v.Role.IsAgency() && local(pt.Actor)) {
				perm.Certificates = append(perm.Certificates, pt.Actor)
			}
		}
	}
	return perm
}
