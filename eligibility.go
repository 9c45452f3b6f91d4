package twinfed

import (
	"fmt"
	"slices"
)

// Eligibility is an agency's registration policy (DOMAIN.md "Eligibility"):
// which roles at a school and which schools may register. A role or kind in
// a refused list is refused with that rule; one in neither list is refused
// as not accepted. Each node configures its own (config.Node's
// [eligibility] section, hence the TOML keys); the node's registration and
// profile (node/registration.go, node/profile.go) ask CheckRole and
// CheckSchool.
type Eligibility struct {
	AcceptedRoles        []string      `toml:"accepted_roles"`
	RefusedRoles         []string      `toml:"refused_roles"`
	AcceptedInstitutions []Institution `toml:"accepted_institutions"`
	RefusedInstitutions  []Institution `toml:"refused_institutions"`
	AcceptedLevels       []SchoolLevel `toml:"accepted_levels"`      // empty: every level
	MinVocationalYears   int           `toml:"min_vocational_years"` // vocational schools need courses at least this long; 0 for no rule
}

// ItalianEligibility returns the Italian agency's rules of DOMAIN.md: the
// shipped example (deploy/node.example.toml) and config's default.
func ItalianEligibility() Eligibility {
	return Eligibility{
		AcceptedRoles:        []string{"teacher", "lab_teacher", "boarding_educator", "head_teacher", "librarian", "language_assistant", "guidance_counsellor"},
		RefusedRoles:         []string{"administrative_staff", "technical_assistant", "professional_educator"},
		AcceptedInstitutions: []Institution{InstitutionState, InstitutionRecognisedPrivate},
		RefusedInstitutions:  []Institution{InstitutionNonRecognisedPrivate, InstitutionUniversity, InstitutionCompany, InstitutionAdultEducation},
		AcceptedLevels:       []SchoolLevel{LevelEarlyChildhood, LevelPrimary, LevelLowerSecondary, LevelUpperSecondary, LevelVocational, LevelSpecialNeeds},
		MinVocationalYears:   3,
	}
}

// Eligibility rule names, as refusals cite them; they are the keys of the
// node's configuration file.
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
	return &Error{Code: EFORBIDDEN, Message: msg, Fields: map[string]string{field: msg}}
}

// CheckRole returns nil when role may register, or an EFORBIDDEN error
// naming the rule that refuses it.
func (e *Eligibility) CheckRole(role string) error {
	if slices.Contains(e.RefusedRoles, role) {
		return refusal("role", RuleRefusedRoles, "The role %q is not eligible for eTwinning in this country.", role)
	}
	if !slices.Contains(e.AcceptedRoles, role) {
		return refusal("role", RuleAcceptedRoles, "The role %q is not among the eligible roles of this country.", role)
	}
	return nil
}

// CheckSchool returns nil when a member of school s may register, or an
// EFORBIDDEN error naming the rule that refuses it.
func (e *Eligibility) CheckSchool(s *School) error {
	if slices.Contains(e.RefusedInstitutions, s.Institution) {
		return refusal("school", RuleRefusedInstitutions, "Schools of kind %q are not eligible in this country.", s.Institution)
	}
	if !slices.Contains(e.AcceptedInstitutions, s.Institution) {
		return refusal("school", RuleAcceptedInst, "Schools of kind %q are not among the eligible kinds of this country.", s.Institution)
	}
	if len(e.AcceptedLevels) > 0 && !slices.Contains(e.AcceptedLevels, s.Level) {
		return refusal("school", RuleAcceptedLevels, "Schools of level %q are not eligible in this country.", s.Level)
	}
	if s.Level == LevelVocational && e.MinVocationalYears > 0 && s.CourseYears < e.MinVocationalYears {
		return refusal("school", RuleMinVocationalYears, "Vocational centres are eligible only with courses of at least %d years (this one: %d).", e.MinVocationalYears, s.CourseYears)
	}
	return nil
}

// Problems checks the policy's own contents: every role, kind and level is
// a known one (SchoolRoles, Institutions, SchoolLevels), some roles and
// kinds are accepted, none is both accepted and refused, and the minimum
// course years is not negative. It calls report once per problem with
// the rule name (the config key, with an index for a list item) and what
// is wrong and what is accepted; never for a sound policy.
// config.Node.Validate reports them with its other keys.
func (e *Eligibility) Problems(report func(key, problem string)) {
	add := func(key, format string, args ...any) { report(key, fmt.Sprintf(format, args...)) }
	unknown(add, RuleAcceptedRoles, e.AcceptedRoles, SchoolRoles)
	unknown(add, RuleRefusedRoles, e.RefusedRoles, SchoolRoles)
	unknown(add, RuleAcceptedInst, e.AcceptedInstitutions, Institutions)
	unknown(add, RuleRefusedInstitutions, e.RefusedInstitutions, Institutions)
	unknown(add, RuleAcceptedLevels, e.AcceptedLevels, SchoolLevels)
	if len(e.AcceptedRoles) == 0 {
		add(RuleAcceptedRoles, "is empty: nobody could register; list the eligible roles, e.g. teacher")
	}
	if len(e.AcceptedInstitutions) == 0 {
		add(RuleAcceptedInst, "is empty: no school could be chosen; list e.g. state")
	}
	for _, r := range e.AcceptedRoles {
		if slices.Contains(e.RefusedRoles, r) {
			add(RuleRefusedRoles, "%q is both accepted and refused; keep it in one list", r)
		}
	}
	for _, r := range e.AcceptedInstitutions {
		if slices.Contains(e.RefusedInstitutions, r) {
			add(RuleRefusedInstitutions, "%q is both accepted and refused; keep it in one list", r)
		}
	}
	if e.MinVocationalYears < 0 {
		add(RuleMinVocationalYears, "must not be negative; use 0 for no rule")
	}
}

// unknown reports each value of list that is not in known, with its index.
func unknown[T ~string](add func(key, format string, args ...any), key string, list, known []T) {
	for i, v := range list {
		if !slices.Contains(known, v) {
			add(fmt.Sprintf("%s[%d]", key, i), "%q is unknown; use one of %v", v, known)
		}
	}
}
