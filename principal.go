package twinfed

// Principal is who makes a request: a logged-in account (or the agency's API
// token). Scope is empty for full accounts; pupils will be scoped to one
// TwinSpace.
type Principal struct {
	Username string
	Role     Role
	Status   MemberStatus
	Scope    string
	Locale   string // the member's chosen UI language, "" for none (Authenticate sets it)
}

// IsAgency reports whether the principal is agency staff.
func (p *Principal) IsAgency() bool { return p != nil && p.Role.IsAgency() }
