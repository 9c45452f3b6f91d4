package twinfed

import (
	"slices"
	"time"
)

// Role is what an account may do on its node. Every request checks it.
type Role string

// Account roles. Pupils and visitors have no platform account: a teacher
// makes theirs on the teacher's node, scoped to the TwinSpaces they were
// added to (node/pupil); they never pass for members.
const (
	RoleMember        Role = "member"         // an eTwinner
	RoleAgencyOfficer Role = "agency_officer" // NSO staff: validates members and schools
	RoleAgencyAdmin   Role = "agency_admin"   // NSO staff: an officer who also manages staff accounts
	RolePupil         Role = "pupil"          // a pupil's account, made by their teacher
	RoleVisitor       Role = "visitor"        // a visitor's read-only account, invited by e-mail, with an expiry
)

// IsScoped reports whether the role is a pupil's or a visitor's: an
// account that sees only the TwinSpaces it was added to, and no member page.
func (r Role) IsScoped() bool { return r == RolePupil || r == RoleVisitor }

// IsAgency reports whether the role belongs to the node's agency staff.
func (r Role) IsAgency() bool { return r == RoleAgencyOfficer || r == RoleAgencyAdmin }

// MemberStatus is where a member is in registration and validation.
type MemberStatus string

// Member lifecycle: unconfirmed → registering → pending → validated (or
// rejected, from which the member may correct and submit again).
const (
	StatusUnconfirmed MemberStatus = "unconfirmed" // pre-registered, e-mail not confirmed yet
	StatusRegistering MemberStatus = "registering" // e-mail confirmed, the four steps not submitted yet
	StatusPending     MemberStatus = "pending"     // submitted; waits in the agency's queue
	StatusValidated   MemberStatus = "validated"   // validated by the agency
	StatusRejected    MemberStatus = "rejected"    // rejected by the agency, with a reason the member sees
)

// MemberStatuses lists every status, in lifecycle order.
var MemberStatuses = []MemberStatus{StatusUnconfirmed, StatusRegistering, StatusPending, StatusValidated, StatusRejected}

// SchoolRoles lists the roles a person can hold at a school, as the
// registration form offers them. Which are eligible is each agency's policy.
var SchoolRoles = []string{
	"teacher", "lab_teacher", "boarding_educator", "head_teacher", "librarian",
	"language_assistant", "guidance_counsellor", "administrative_staff",
	"technical_assistant", "professional_educator",
}

// Public field names a member can choose to show in the public profile.
const (
	PublicSchool      = "school"
	PublicSubjects    = "subjects"
	PublicLanguages   = "languages"
	PublicPupilAges   = "pupil_ages"
	PublicDescription = "description"
	PublicInterests   = "interests"
	PublicAvailable   = "available"
	PublicPhoto       = "photo"
	PublicRole        = "role"
	PublicLastLogin   = "last_login" // when the member last logged in, on their profile
)

// PublicFields lists every field a member may make public. The name and the
// country are always public once the member is validated.
var PublicFields = []string{PublicSchool, PublicRole, PublicSubjects, PublicLanguages, PublicPupilAges, PublicDescription, PublicInterests, PublicAvailable, PublicPhoto, PublicLastLogin}

// MemberSchool is one school a member works in.
type MemberSchool struct {
	SchoolID   string      `json:"school_id,omitempty"`   // registry id; empty while the school is only proposed
	ProposalID string      `json:"proposal_id,omitempty"` // the node's proposal, until the agency validates it
	Name       string      `json:"name"`
	Region     string      `json:"region,omitempty"`
	Level      SchoolLevel `json:"level,omitempty"`
	Role       string      `json:"role,omitempty"` // the member's role at this school
}

// Member is an account on a national node, with its whole profile: personal
// data that stays in the country. Profile is the public part derived from it.
type Member struct {
	Username     string         `json:"username"` // never changes
	FirstName    string         `json:"first_name"`
	LastName     string         `json:"last_name"`
	Email        string         `json:"email"`
	Country      string         `json:"country"`
	Role         Role           `json:"role"`
	Status       MemberStatus   `json:"status"`
	RejectReason string         `json:"reject_reason,omitempty"`
	Schools      []MemberSchool `json:"schools,omitempty"` // the first is the main school
	Description  string         `json:"description,omitempty"`
	Languages    []string       `json:"languages,omitempty"`
	PupilAges    []int          `json:"pupil_ages,omitempty"`
	Subjects     SubjectList    `json:"subjects,omitempty"`
	Interests    []string       `json:"interests,omitempty"`
	Available    Available      `json:"available"`
	Public       []string       `json:"public,omitempty"` // PublicFields the member shows
	HasPhoto     bool           `json:"has_photo,omitempty"`
	Locale       string         `json:"locale,omitempty"`    // UI language chosen by the member
	TimeZone     string         `json:"time_zone,omitempty"` // IANA zone the member reads times in (TimeZones); empty: the node country's
	Created      time.Time      `json:"created"`
	Submitted    time.Time      `json:"submitted,omitzero"`
	Validated    time.Time      `json:"validated,omitzero"`
	ValidatedBy  string         `json:"validated_by,omitempty"`
	LastLogin    time.Time      `json:"last_login,omitzero"`
	Updated      time.Time      `json:"updated,omitzero"`
}

// Clone returns a copy of m with slices of its own, so that changing the
// copy changes nothing of m (TestMember_Clone checks every field).
func (m *Member) Clone() *Member {
	c := *m
	c.Schools = slices.Clone(m.Schools)
	c.Languages = slices.Clone(m.Languages)
	c.PupilAges = slices.Clone(m.PupilAges)
	c.Subjects = slices.Clone(m.Subjects)
	c.Interests = slices.Clone(m.Interests)
	c.Public = slices.Clone(m.Public)
	return &c
}

// Name returns the member's display name.
func (m *Member) Name() string { return m.FirstName + " " + m.LastName }

// IsPublic reports whether the member shows field in the public profile.
func (m *Member) IsPublic(field string) bool {
	for _, f := range m.Public {
		if f == field {
			return true
		}
	}
	return false
}

// MainSchool returns the member's first school, or nil.
func (m *Member) MainSchool() *MemberSchool {
	if len(m.Schools) == 0 {
		return nil
	}
	return &m.Schools[0]
}

// RegistrationStep returns the first registration step the member has not
// completed (1: the main school, 2: the role there, 3: the preferences), or
// 4 when only the preview and confirmation remain. The registration's pages
// and JSON API, the login's redirect and the home page all ask it.
func RegistrationStep(m *Member) int {
	switch {
	case len(m.Schools) == 0:
		return 1
	case m.Schools[0].Role == "":
		return 2
	case len(m.Languages) == 0 || len(m.Subjects) == 0 || len(m.PupilAges) == 0:
		return 3
	}
	return 4
}

// PublicProfile returns the public part of the profile, with only the fields
// the member chose to show. actorID is the member's actor URL.
func (m *Member) PublicProfile(actorID, photoURL string) *Profile {
	p := &Profile{ID: actorID, Username: m.Username, Country: m.Country, Name: m.Name(), Updated: m.Updated}
	if s := m.MainSchool(); s != nil && m.IsPublic(PublicSchool) {
		p.SchoolID, p.SchoolName, p.SchoolLevel, p.Region = s.SchoolID, s.Name, s.Level, s.Region
	}
	if s := m.MainSchool(); s != nil && m.IsPublic(PublicRole) {
		p.Role = s.Role
	}
	if m.IsPublic(PublicSubjects) {
		p.Subjects = m.Subjects
	}
	if m.IsPublic(PublicLanguages) {
		p.Languages = m.Languages
	}
	if m.IsPublic(PublicPupilAges) {
		p.PupilAges = m.PupilAges
	}
	if m.IsPublic(PublicDescription) {
		p.Description = m.Description
	}
	if m.IsPublic(PublicInterests) {
		p.Interests = m.Interests
	}
	if m.IsPublic(PublicAvailable) {
		p.Available = m.Available
	}
	if m.IsPublic(PublicPhoto) && m.HasPhoto {
		p.PhotoURL = photoURL
	}
	return p
}
