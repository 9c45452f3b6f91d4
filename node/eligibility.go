package node

import (
	"fmt"
	"slices"

	"github.com/twinfed/twinfed"
)

// Policy is an agency's eligibility policy (DOMAIN.md "Eligibility"): which
// roles at a school and which schools may register. The Italian rules are
// the shipped example (deploy/node.example.toml).
type Policy struct {
	AcceptedRoles        []string
	RefusedRoles         []string
	AcceptedInstitutions []twinfed.Institution
	RefusedInstitutions  []twinfed.Institution
	AcceptedLevels       []twinfed.SchoolLevel // empty: every level
	MinVocationalYears   int                   // 0: no rule
}

// ItalianPolicy returns the Italian agency's rules of DOMAIN.md.
func ItalianPolicy() Policy {
	return Policy{
		AcceptedRoles:        []string{"teacher", "lab_teacher", "boarding_educator", "head_teacher", "librarian", "language_assistant", "guidance_counsellor"},
		RefusedRoles:         []string{"administrative_staff", "technical_assistant", "professional_educator"},
		AcceptedInstitutions: []twinfed.Institution{twinfed.InstitutionState, twinfed.InstitutionRecognisedPrivate},
		RefusedInstitutions:  []twinfed.Institution{twinfed.InstitutionNonRecognisedPrivate, twinfed.InstitutionUniversity, twinfed.InstitutionCompany, twinfed.InstitutionAdultEducation},
		AcceptedLevels:       []twinfed.SchoolLevel{twinfed.LevelEarlyChildhood, twinfed.LevelPrimary, twinfed.LevelLowerSecondary, twinfed.LevelUpperSecondary, twinfed.LevelVocational, twinfed.LevelSpecialNeeds},
		MinVocationalYears:   3,
	}
}

// Rule names, as refusals cite them (they are the config keys).
const (
	RuleRefusedRoles        = "eligibility.refused_roles"
	RuleAcceptedRoles       = "eligibility.accepted_roles"
	RuleRefusedInstitutions = "eligibility.refused_institutions"
	RuleAcceptedInst        = "eligibility.accepted_institutions"
	RuleAcceptedLevels      = "eligibility.accepted_levels"
	RuleMinVocationalYears  = "eligibility.min_vocational_years"
)

// refusal builds the EFORBIDDEN error of an ineligible registration: the
// message names the rule so that the member and the agency know why.
func refusal(field, rule, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...) + fmt.Sprintf(" (agency rule %s)", rule)
	return &twinfed.Error{Code: twinfed.EFORBIDDEN, Message: msg, Fields: map[string]string{field: msg}}
}

// CheckRole returns nil when role may register, or an EFORBIDDEN error
// naming the rule that refuses it.
func (p *Policy) CheckRole(role string) error {
	if slices.Contains(p.RefusedRoles, role) {
		return refusal("role", RuleRefusedRoles, "The role %q is not eligible for eTwinning in this country.", role)
	}
	if !slices.Contains(p.AcceptedRoles, role) {
		return refusal("role", RuleAcceptedRoles, "The role %q is not among the eligible roles of this country.", role)
	}
	return nil
}

// CheckSchool returns nil when a member of school s may register, or an
// EFORBIDDEN error naming the rule that refuses it.
func (p *Policy) CheckSchool(s *twinfed.School) error {
	if slices.Contains(p.RefusedInstitutions, s.Institution) {
		return refusal("school", RuleRefusedInstitutions, "Schools of kind %q are not eligible in this country.", s.Institution)
	}
	if !slices.Contains(p.AcceptedInstitutions, s.Institution) {
		return refusal("school", RuleAcceptedInst, "Schools of kind %q are not among the eligible kinds of this country.", s.Institution)
	}
	if len(p.AcceptedLevels) > 0 && !slices.Contains(p.AcceptedLevels, s.Level) {
		return refusal("school", RuleAcceptedLevels, "Schools of level %q are not eligible in this country.", s.Level)
	}
	if s.Level == twinfed.LevelVocational && p.MinVocationalYears > 0 && s.CourseYears < p.MinVocationalYears {
		return refusal("school", RuleMinVocationalYears, "Vocational centres are eligible only with courses of at least %d years (this one: %d).", p.MinVocationalYears, s.CourseYears)
	}
	return nil
}
