package twinfed

// MayBackUp is the rule of the node's backups: a backup holds every
// member's record, password hash and the node's private keys, so only an
// agency administrator of the node (or its operator's API token, which
// acts as one) may take it.
func MayBackUp(p *Principal) error {
	if p == nil || p.Role != RoleAgencyAdmin {
		return Errorf(EFORBIDDEN, "Only an administrator of the national agency can take a backup of the node.")
	}
	return nil
}
