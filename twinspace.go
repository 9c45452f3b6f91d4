package twinfed

// InTwinSpace is the one TwinSpace membership rule: actor is a member of
// the project's TwinSpace when they are a partner whose participation
// their agency approved, once the TwinSpace is open (the project was
// approved). An agency never enters a private TwinSpace (DOMAIN.md): a role
// of agency staff is never a member, whatever the actor. role is the
// viewer's account role; for a remote partner's activity it is RoleMember,
// since partners are members.
//
// The service's TwinSpace page and post (node/projects.go), the home
// node's check of an incoming post (node/projects_incoming.go) and the
// project card (through ProjectPermissions) ask it.
func (p *Project) InTwinSpace(actor string, role Role) bool {
	if role.IsAgency() || actor == "" {
		return false
	}
	pt := p.Partner(actor)
	return pt != nil && p.twinSpaceMember(pt)
}

func (p *Project) twinSpaceMember(pt *Partner) bool {
	return p.TwinSpace != "" && pt.Status == PartnerApproved
}

// TwinSpaceMembers returns the members of the project's TwinSpace, in the
// partners' order: the partners InTwinSpace admits (none before the
// TwinSpace opens).
func (p *Project) TwinSpaceMembers() []Partner {
	var out []Partner
	for i := range p.Partners {
		if p.twinSpaceMember(&p.Partners[i]) {
			out = append(out, p.Partners[i])
		}
	}
	return out
}

// CanPostInTwinSpace reports whether actor may write in the project's
// TwinSpace: a member (InTwinSpace) while the project is approved; once it
// is closed the TwinSpace is a read-only archive.
func (p *Project) CanPostInTwinSpace(actor string, role Role) bool {
	return p.InTwinSpace(actor, role) && p.State == ProjectApproved
}
