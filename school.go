package twinfed

import (
	"slices"
	"time"
)

// SchoolLevel is the level of education a school offers.
type SchoolLevel string

// School levels.
const (
	LevelEarlyChildhood SchoolLevel = "early_childhood"
	LevelPrimary        SchoolLevel = "primary"
	LevelLowerSecondary SchoolLevel = "lower_secondary"
	LevelUpperSecondary SchoolLevel = "upper_secondary"
	LevelVocational     SchoolLevel = "vocational" // with CourseYears
	LevelSpecialNeeds   SchoolLevel = "special_needs"
	LevelOther          SchoolLevel = "other"
)

// SchoolLevels lists every level, in the order forms show them.
var SchoolLevels = []SchoolLevel{LevelEarlyChildhood, LevelPrimary, LevelLowerSecondary, LevelUpperSecondary, LevelVocational, LevelSpecialNeeds, LevelOther}

// Institution is the legal status of a school.
type Institution string

// Institution kinds. Eligibility is a national policy over these (see DOMAIN.md).
const (
	InstitutionState                Institution = "state"
	InstitutionRecognisedPrivate    Institution = "recognised_private"
	InstitutionNonRecognisedPrivate Institution = "non_recognised_private"
	InstitutionUniversity           Institution = "university"
	InstitutionAdultEducation       Institution = "adult_education"
	InstitutionCompany              Institution = "company"
	InstitutionOther                Institution = "other"
)

// Institutions lists every institution kind, in the order forms show them.
var Institutions = []Institution{InstitutionState, InstitutionRecognisedPrivate, InstitutionNonRecognisedPrivate, InstitutionUniversity, InstitutionAdultEducation, InstitutionCompany, InstitutionOther}

// SchoolStatus is where a school is in its lifecycle.
type SchoolStatus string

// School lifecycle.
const (
	SchoolProposed  SchoolStatus = "proposed"
	SchoolValidated SchoolStatus = "validated"
	SchoolRejected  SchoolStatus = "rejected"
	SchoolClosed    SchoolStatus = "closed"
)

// School is a school as the registry holds it: one identity across the
// federation.
type School struct {
	ID             string       `json:"id"` // federation-wide id, assigned by the registry
	Country        string       `json:"country"`
	LegalName      string       `json:"legal_name"`
	PublicName     string       `json:"public_name,omitempty"`
	City           string       `json:"city,omitempty"`
	Region         string       `json:"region,omitempty"`
	NationalNumber string       `json:"national_number,omitempty"` // unique within its country when given
	Level          SchoolLevel  `json:"level"`
	CourseYears    int          `json:"course_years,omitempty"` // for vocational schools
	Institution    Institution  `json:"institution"`
	Status         SchoolStatus `json:"status"`
	ValidatedBy    string       `json:"validated_by,omitempty"` // agency (country code) that validated it
	Created        time.Time    `json:"created,omitzero"`
	Updated        time.Time    `json:"updated,omitzero"`
}

// Name returns the public name, or the legal name when there is none.
func (s *School) Name() string {
	if s.PublicName != "" {
		return s.PublicName
	}
	return s.LegalName
}

// SchoolFilter selects schools in a search. Empty fields do not filter.
type SchoolFilter struct {
	Country        string       `json:"country,omitempty"`
	Query          string       `json:"q,omitempty"` // words matched against the names
	City           string       `json:"city,omitempty"`
	Region         string       `json:"region,omitempty"`
	NationalNumber string       `json:"national_number,omitempty"`
	Status         SchoolStatus `json:"status,omitempty"`
	Offset         int          `json:"offset,omitempty"`
	Limit          int          `json:"limit,omitempty"` // 0 means a default page
}

// Bounds of a school record, checked by ValidateSchool.
const (
	MaxSchoolName     = 300 // legal and public name, in bytes
	MaxSchoolPlace    = 200 // city and region, in bytes
	MaxNationalNumber = 64
	// MaxCourseYears bounds the length of a school's courses in years; 0
	// means not given (it matters for vocational schools only).
	MaxCourseYears = 10
)

// ValidateSchool checks a school record against the federation's bounds:
// a country, a legal name, names and places within their lengths, a known
// level, institution and status, and course years from 0 to
// MaxCourseYears. It returns nil, or an EINVALID *Error whose Fields say
// what is wrong with each field, in the registry's wording. It changes
// nothing: callers trim and fill defaults first.
//
// The registry asks it for every school it writes (consensus: create,
// update, import), and a node for a member's proposal of a new school
// (node/registration.go, resolveSchool), so that the node never accepts a
// proposal the registry would refuse.
func ValidateSchool(s *School) *Error {
	var fields map[string]string // made at the first problem: imports check thousands of valid records
	bad := func(field, msg string) {
		if fields == nil {
			fields = map[string]string{}
		}
		fields[field] = msg
	}
	if s.Country == "" {
		bad("country", "is required: the school's country code, such as IT")
	}
	if s.LegalName == "" {
		bad("legal_name", "is required")
	} else if len(s.LegalName) > MaxSchoolName || len(s.PublicName) > MaxSchoolName {
		bad("legal_name", "names are at most 300 characters")
	}
	if len(s.City) > MaxSchoolPlace || len(s.Region) > MaxSchoolPlace || len(s.NationalNumber) > MaxNationalNumber {
		bad("city", "city and region are at most 200 characters, the national number 64")
	}
	if !slices.Contains(SchoolLevels, s.Level) {
		bad("level", "must be one of early_childhood, primary, lower_secondary, upper_secondary, vocational, special_needs, other")
	}
	if !slices.Contains(Institutions, s.Institution) {
		bad("institution", "must be one of state, recognised_private, non_recognised_private, university, adult_education, company, other")
	}
	switch s.Status {
	case SchoolProposed, SchoolValidated, SchoolRejected, SchoolClosed:
	default:
		bad("status", "must be proposed, validated, rejected or closed")
	}
	if s.CourseYears < 0 || s.CourseYears > MaxCourseYears {
		bad("course_years", "must be between 0 and 10")
	}
	if len(fields) > 0 {
		return &Error{Code: EINVALID, Message: "the school record is not valid", Fields: fields}
	}
	return nil
}
