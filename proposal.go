package twinfed

// SchoolProposal is a school a member proposed because it is not in the
// registry yet. The node's agency validates it (then it is written to the
// registry) or rejects it.
type SchoolProposal struct {
	ID             string       `json:"id"`
	Country        string       `json:"country"`
	LegalName      string       `json:"legal_name"`
	PublicName     string       `json:"public_name,omitempty"`
	City           string       `json:"city"`
	Region         string       `json:"region"`
	NationalNumber string       `json:"national_number,omitempty"`
	Level          SchoolLevel  `json:"level"`
	CourseYears    int          `json:"course_years,omitempty"`
	Institution    Institution  `json:"institution"`
	Status         SchoolStatus `json:"status"`
	ProposedBy     string       `json:"proposed_by"`
	RejectReason   string       `json:"reject_reason,omitempty"`
	SchoolID       string       `json:"school_id,omitempty"` // registry id once validated
	Created        string       `json:"created"`
	DecidedBy      string       `json:"decided_by,omitempty"`
}

// School returns the school the proposal describes, without an id or a
// status.
func (p *SchoolProposal) School() *School {
	return &School{Country: p.Country, LegalName: p.LegalName, PublicName: p.PublicName, City: p.City, Region: p.Region,
		NationalNumber: p.NationalNumber, Level: p.Level, CourseYears: p.CourseYears, Institution: p.Institution}
}

// SchoolChoice is step 1 of registration (or adding a school later): a
// registry school by id, or a new school proposed to the agency.
type SchoolChoice struct {
	SchoolID string          `json:"school_id,omitempty"`
	Proposal *SchoolProposal `json:"proposal,omitempty"`
}
