package project

import (
	"context"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/inbound"
)

// Project activities as they arrive from other nodes, claimed by
// InboxRoutes for the node's inbox (node/inbox.go, which calls the Apply
// methods within the transaction that records the activity); this node's own members' actions make their effect
// themselves, with the functions below they share. The home node checks
// every request against its record: an invitation into an approved project
// only from an approved partner, an answer only from the member invited, a
// decision only from the partner's own agency, an edit, a closing or a
// deletion only from a founder. The other nodes take the home node's
// Update{Group}, Delete{Group} and Announce, and nothing else, about a
// project.

// homeProject loads a project this node is home to.
func (s *Service) homeProject(txn *badger.Txn, id string) (*twinfed.Project, error) {
	if !s.isLocal(id) {
		return nil, drop("project %s does not live on this node", id)
	}
	p, err := getProject(txn, id)
	if err != nil {
		return nil, drop("there is no project %s on this node", id)
	}
	return p, nil
}

// cleanProject sanitises a project from another node before it is stored.
func (s *Service) cleanProject(p *twinfed.Project) *twinfed.Project {
	c := cloneProject(p)
	c.Description = s.html.Sanitize(c.Description)
	c.Aims = s.html.Sanitize(c.Aims)
	c.WorkProcess = s.html.Sanitize(c.WorkProcess)
	c.ExpectedResults = s.html.Sanitize(c.ExpectedResults)
	return c
}

// ApplyInvite applies an Invite into a project: on the home node, an
// approved partner's invitation of a contact; elsewhere, the invitation of
// a member of this node, shown to them.
func (s *Service) ApplyInvite(ctx context.Context, txn *badger.Txn, a *twinfed.Activity) error {
	if a.Project == nil || a.Target != a.Project.ID || a.Object == "" {
		return drop("Invite %s must name the invited member and carry the project", a.ID)
	}
	inv := a.Project.Partner(a.Object)
	if inv == nil || inv.Invitation != a.ID || inv.Status != twinfed.PartnerInvited || inv.InvitedBy != a.Actor {
		return drop("Invite %s does not match the invitation in its project", a.ID)
	}
	if s.isLocal(a.Project.ID) {
		old, err := s.homeProject(txn, a.Target)
		if err != nil {
			return err
		}
		if cur := old.Partner(a.Object); cur != nil && cur.Invitation == a.ID {
			return nil // recorded when it was made here, or a replay
		}
		inviter := old.Partner(a.Actor)
		if inviter == nil || inviter.Status != twinfed.PartnerApproved {
			return twinfed.Errorf(twinfed.EFORBIDDEN, "%s is not an approved partner of %s and cannot invite", a.Actor, old.ID)
		}
		if old.State != twinfed.ProjectApproved {
			return drop("project %s does not take new partners (it is %s)", old.ID, old.State)
		}
		if cur := old.Partner(a.Object); cur != nil && cur.Status != twinfed.PartnerDeclined {
			return nil // already a partner
		}
		p := cloneProject(old)
		var kept []twinfed.Partner
		for _, pt := range p.Partners {
			if pt.Actor != a.Object {
				kept = append(kept, pt)
			}
		}
		n := *inv
		n.Role, n.Decision, n.Joined = twinfed.RolePartner, nil, a.Published
		p.Partners = append(kept, n)
		return s.changeProject(ctx, txn, old, p)
	}
	if !s.isLocal(a.Object) {
		return drop("Invite %s is for %s, not a member of this node", a.ID, a.Object)
	}
	u, err := s.contacts.LocalTarget(txn, a.Object)
	if err != nil {
		return err
	}
	if !s.contacts.AcceptedContact(txn, u, a.Actor) {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "%s invited %s into a project without being their contact", a.Actor, a.Object)
	}
	old, _ := getProject(txn, a.Project.ID)
	if old != nil && (old.Version > a.Project.Version || old.Version == a.Project.Version && old.Partner(a.Object) != nil) {
		return nil
	}
	return s.storeProject(txn, old, s.cleanProject(a.Project))
}

// ApplyInvitationAnswer applies, on the home node, an invitee's Accept or
// Reject of their invitation.
func (s *Service) ApplyInvitationAnswer(ctx context.Context, txn *badger.Txn, a *twinfed.Activity) error {
	old, err := s.homeProject(txn, a.Target)
	if err != nil {
		return err
	}
	pt := old.Partner(a.Actor)
	if pt == nil || pt.Invitation != a.Object {
		return drop("%s answers an invitation of %s it did not receive", a.Actor, old.ID)
	}
	if pt.Status != twinfed.PartnerInvited {
		return nil // answered already: a replay
	}
	accept := a.Type == twinfed.ActivityAccept
	p := cloneProject(old)
	me := p.Partner(a.Actor)
	if accept {
		if a.Project == nil || a.Project.Partner(a.Actor) == nil || a.Project.Partner(a.Actor).SchoolID == "" {
			return drop("Accept %s does not say which school %s takes part with", a.ID, a.Actor)
		}
		in := a.Project.Partner(a.Actor)
		if s.registry != nil && !s.isLocal(a.Actor) {
			c, err := s.registry.CountryByHost(ctx, twinfed.URLHost(a.Actor))
			if err != nil {
				return err
			}
			if c.Code != in.Country {
				return drop("Accept %s: %s claims country %s, its node is %s's", a.ID, a.Actor, in.Country, c.Code)
			}
		}
		if me.Role == twinfed.RoleCofounder {
			if f := p.Partner(p.Founder); f != nil && !twinfed.FoundersFromDifferentSchools(f.SchoolID, in.SchoolID) {
				return drop("Accept %s: the two founders come from the same school", a.ID)
			}
		}
		me.SchoolID, me.SchoolName, me.Country, me.Name = in.SchoolID, in.SchoolName, in.Country, in.Name
	}
	answerPartner(p, me, accept, a.Published)
	return s.changeProject(ctx, txn, old, p)
}

// ApplyDecision applies, on the home node, an agency's Accept or Reject of
// one of its members' participation, kept with its proof.
func (s *Service) ApplyDecision(ctx context.Context, txn *badger.Txn, a *twinfed.Activity) error {
	old, err := s.homeProject(txn, a.Target)
	if err != nil {
		return err
	}
	pt := old.Partner(a.Object)
	if pt == nil {
		return drop("%s is not a partner of %s", a.Object, old.ID)
	}
	if AgencyOf(pt.Actor) != a.Actor {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "the agency %s cannot decide on the participation of %s, a member of another country", a.Actor, pt.Actor)
	}
	if pt.Decision != nil && pt.Decision.Activity == a.ID {
		return nil // the same decision delivered again
	}
	if !old.AwaitsAgency(pt) {
		return drop("the participation of %s in %s is not waiting for a decision (%s)", pt.Actor, old.ID, pt.Status)
	}
	return s.recordDecision(ctx, txn, old, pt.Actor, a)
}

// recordDecision records on the home node the agency's decision a on the
// participation of partner in old, a project waiting for it: from another
// node's agency (applyDecision) or from this node's (DecideParticipation).
func (s *Service) recordDecision(ctx context.Context, txn *badger.Txn, old *twinfed.Project, partner string, a *twinfed.Activity) error {
	p := cloneProject(old)
	np := p.Partner(partner)
	if decide(p, np, a, s.now().UTC()) {
		for _, fn := range s.onApproved {
			if err := fn(txn, p); err != nil {
				return err
			}
		}
	}
	if np.Role == twinfed.RolePartner && p.InTwinSpace(np.Actor, twinfed.RoleMember) {
		for _, fn := range s.onPartnerApproved {
			if err := fn(txn, p, np.Actor); err != nil {
				return err
			}
		}
	}
	return s.changeProject(ctx, txn, old, p)
}

// ApplyProjectUpdate applies an Update{Group}: the home node's new version
// of a project, or, on the home node, a founder's edit or closing.
func (s *Service) ApplyProjectUpdate(ctx context.Context, txn *badger.Txn, a *twinfed.Activity) error {
	in := a.Project
	if in.ID != a.Object {
		return drop("Update %s: object %s is not the project it carries", a.ID, a.Object)
	}
	if !s.isLocal(in.ID) {
		if a.Actor != in.ID {
			return drop("Update of project %s by %s: only the project's home node changes it", in.ID, a.Actor)
		}
		old, _ := getProject(txn, in.ID)
		if old != nil && old.Version >= in.Version {
			return nil // older or the same
		}
		if old == nil && !in.Public() && !s.involved(in) {
			return nil
		}
		return s.storeProject(txn, old, s.cleanProject(in))
	}
	// A founder on another node asks the home node for a change.
	old, err := s.homeProject(txn, in.ID)
	if err != nil {
		return err
	}
	pt := old.Partner(a.Actor)
	if pt == nil || !pt.IsFounder() {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "%s is not a founder of %s", a.Actor, old.ID)
	}
	p := cloneProject(old)
	switch {
	case in.State == twinfed.ProjectClosed && old.State == twinfed.ProjectApproved:
		p.State, p.Closed = twinfed.ProjectClosed, a.Published
	case in.State == twinfed.ProjectClosed && old.State == twinfed.ProjectClosed:
		return nil
	case old.Pending():
		d := ProjectDraft{Title: in.Title, Description: in.Description, Subjects: in.Subjects, PupilAges: in.PupilAges, Languages: in.Languages,
			Tools: in.Tools, Aims: in.Aims, WorkProcess: in.WorkProcess, ExpectedResults: in.ExpectedResults}
		if err := s.describe(p, d, false); err != nil {
			return drop("edit of %s: %s", old.ID, twinfed.ErrorMessage(err))
		}
	default:
		return drop("project %s cannot be changed any more (it is %s)", old.ID, old.State)
	}
	return s.changeProject(ctx, txn, old, p)
}

// involved reports whether one of p's partners is a member of this node.
func (s *Service) involved(p *twinfed.Project) bool {
	for _, pt := range p.Partners {
		if s.isLocal(pt.Actor) {
			return true
		}
	}
	return false
}

// ApplyProjectDelete applies a Delete{Group}: the home node's deletion of
// a project, or, on the home node, a founder's request to delete it.
func (s *Service) ApplyProjectDelete(ctx context.Context, txn *badger.Txn, a *twinfed.Activity) error {
	old, err := getProject(txn, a.Object)
	if err != nil {
		return nil // never held, or gone already
	}
	if !s.isHome(old) {
		if a.Actor != old.ID {
			return drop("Delete of project %s by %s: only its home node deletes it", old.ID, a.Actor)
		}
		return s.storeProject(txn, old, nil)
	}
	pt := old.Partner(a.Actor)
	if pt == nil || !pt.IsFounder() {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "%s is not a founder of %s", a.Actor, old.ID)
	}
	if !old.Deletable() {
		return drop("project %s is %s and cannot be deleted", old.ID, old.State)
	}
	if err := s.storeProject(txn, old, nil); err != nil {
		return err
	}
	return s.publishProject(ctx, txn, old, true)
}

// InboxRoutes are the projects' claims on activities from other nodes
// (node/inbound): an Invite into a project; the Update or Delete of a
// project, carried as the object or the target (after the claims of
// events' and wall posts' notes); then an Accept or Reject with a target
// that no booking claimed: from a node's agency (its Service actor) a
// decision on a participation, from anyone else an invitation's answer.
func (s *Service) InboxRoutes() []inbound.Route {
	types := func(t ...twinfed.ActivityType) []twinfed.ActivityType { return t }
	carries := func(_ *badger.Txn, a *twinfed.Activity) bool { return a.Project != nil }
	answers := types(twinfed.ActivityAccept, twinfed.ActivityReject)
	return []inbound.Route{
		{Name: "project.ApplyInvite", Types: types(twinfed.ActivityInvite), Apply: s.ApplyInvite,
			Claims: func(_ *badger.Txn, a *twinfed.Activity) bool { return a.Project != nil || a.Target != "" }},
		{Name: "project.ApplyProjectUpdate", Types: types(twinfed.ActivityUpdate), Claims: carries, Apply: s.ApplyProjectUpdate},
		{Name: "project.ApplyProjectDelete", Types: types(twinfed.ActivityDelete), Claims: carries, Apply: s.ApplyProjectDelete},
		{Name: "project.ApplyDecision", Types: answers, Pass: inbound.ByReference, Apply: s.ApplyDecision,
			Claims: func(_ *badger.Txn, a *twinfed.Activity) bool { return a.Target != "" && a.Actor == AgencyOf(a.Actor) }},
		{Name: "project.ApplyInvitationAnswer", Types: answers, Pass: inbound.ByReference, Apply: s.ApplyInvitationAnswer,
			Claims: func(_ *badger.Txn, a *twinfed.Activity) bool { return a.Target != "" }},
	}
}
