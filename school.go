package twinfed

import "time"

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
