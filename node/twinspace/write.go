package twinspace

import (
	"context"
	"maps"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
)

// Writing in a TwinSpace. A member's write is applied on their own node at
// once (they see it without waiting), and travels to the project's Group
// on the home node (Create, Update or Delete carrying the object), which
// checks the writer's role with the same rule, applies it, and shares it
// with every partner node (Announce by the Group). A write on the home
// node is shared at once. Every node applies every state through apply,
// ordered by twinfed.(*SpaceObject).Supersedes: replicas converge, a
// replay changes nothing, and a node that was offline gets what it missed
// from the delivery queues, which retry for the federation's retry window
// (48 hours by default).

// Edit creates (id "", or an id the tool derives, like MemberID) or
// changes an object of kind in project's TwinSpace as p: fn gets the
// reader's view and a copy of the current state (a new object for a
// creation: ID, Project, Kind, Author, Name and Created already set) and
// sets the new state; Edit checks what the change needs against the
// reader's role (twinfed.SpaceCan, through the kind's rules), versions it,
// applies it and sends it. fn's error is returned as it is.
func (s *Service) Edit(ctx context.Context, p *twinfed.Principal, project string, kind twinfed.SpaceKind, id string, fn func(v *View, o *twinfed.SpaceObject) error) (*twinfed.SpaceObject, error) {
	out, err := s.EditAll(ctx, p, project, Step{Kind: kind, ID: id, Fn: fn})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// edit is Edit within txn, for v's reader.
func (s *Service) edit(txn *badger.Txn, v *View, kind twinfed.SpaceKind, id string, fn func(v *View, o *twinfed.SpaceObject) error) (*twinfed.SpaceObject, error) {
	now := s.now().UTC()
	var old *twinfed.SpaceObject
	if id != "" {
		var err error
		old, err = Object(txn, v.Project.ID, id)
		if err != nil && twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
			return nil, err
		}
		if old != nil && old.Kind != kind {
			return nil, twinfed.Errorf(twinfed.ENOTFOUND, "This item of the TwinSpace does not exist (or no longer does).")
		}
	} else {
		id = s.cfg.BaseURL + "/twinspace/o/" + store.NewID()
	}
	var o twinfed.SpaceObject
	if old != nil {
		o = *old
		o.Fields = maps.Clone(old.Fields)
	} else {
		o = twinfed.SpaceObject{ID: id, Project: v.Project.ID, Kind: kind, Author: v.Actor, Name: v.Name, Created: now}
	}
	if err := fn(v, &o); err != nil {
		return nil, err
	}
	o.ID, o.Project, o.Kind = id, v.Project.ID, kind
	if old != nil {
		o.Author, o.Name, o.Created, o.Version = old.Author, old.Name, old.Created, old.Version+1
	} else {
		o.Version = 1
	}
	o.Editor, o.EditName = v.Actor, v.Name
	if o.Updated = now; old != nil && !now.After(old.Updated) {
		o.Updated = old.Updated.Add(1) // a clock behind the last writer's must not lose the change
	}
	if err := s.allowed(v, old, &o); err != nil {
		return nil, err
	}
	if applied, _, err := s.apply(txn, &o); err != nil {
		return nil, err
	} else if !applied {
		return nil, twinfed.Errorf(twinfed.ECONFLICT, "Someone changed this at the same moment; reload the page and try again.")
	}
	return &o, s.send(txn, v.Project, old, &o)
}

// allowed checks what the change old → o needs against v's role.
func (s *Service) allowed(v *View, old, o *twinfed.SpaceObject) error {
	needs, err := s.needs(old, o)
	if err != nil {
		return err
	}
	for _, a := range needs {
		if err := v.Require(a); err != nil {
			return err
		}
	}
	return nil
}

// send shares a state just applied on this node: from the home node with
// every partner node (Announce); from a partner node to the project's
// Group, which checks and shares it.
func (s *Service) send(txn *badger.Txn, p *twinfed.Project, old, o *twinfed.SpaceObject) error {
	if s.projects.IsHome(p) {
		return s.announce(txn, p, o, "")
	}
	typ := twinfed.ActivityUpdate
	switch {
	case o.Deleted:
		typ = twinfed.ActivityDelete
	case old == nil && strings.HasPrefix(o.ID, s.cfg.BaseURL+"/"):
		typ = twinfed.ActivityCreate
	}
	a := s.acts.NewBy(typ, o.Writer())
	oc := *o
	a.To, a.Object, a.Space = []string{p.ID}, o.ID, &oc
	return s.acts.Send(txn, a)
}

// announce shares o with every partner node but this one (only with the
// node of actor "to" when it is set): the project's Group announces it.
func (s *Service) announce(txn *badger.Txn, p *twinfed.Project, o *twinfed.SpaceObject, to string) error {
	var dest []string
	if to != "" {
		dest = []string{to}
	} else {
		seen := map[string]bool{}
		for _, x := range p.TwinSpaceMembers() {
			if h := twinfed.URLHost(x.Actor); !s.isLocal(x.Actor) && !seen[h] {
				seen[h] = true
				dest = append(dest, x.Actor)
			}
		}
	}
	if len(dest) == 0 {
		return nil
	}
	out, err := s.acts.Connected()
	if err != nil {
		return err
	}
	oc := *o
	ann := s.acts.NewBy(twinfed.ActivityAnnounce, p.ID)
	ann.To, ann.Object, ann.Space = dest, o.ID, &oc
	return out.Enqueue(txn, ann)
}

// ApplyWrite takes, on the project's home node, a write a member of a
// partner node sent to the project's Group: it checks that the writer is
// the activity's actor and holds a role that allows the change (the same
// rule as on their node, asked of this node's roster), applies it and
// shares it with every partner node. A state older than the one held here
// is answered with the current one, to the writer's node, so that it
// converges too.
func (s *Service) ApplyWrite(ctx context.Context, txn *badger.Txn, a *twinfed.Activity) error {
	o := a.Space
	if o.Writer() != a.Actor {
		return drop("TwinSpace object %s written by %s but sent by %s", o.ID, o.Writer(), a.Actor)
	}
	if (a.Type == twinfed.ActivityDelete) != o.Deleted {
		return drop("a %s of TwinSpace object %s whose deleted flag is %v", a.Type, o.ID, o.Deleted)
	}
	p, err := s.projects.HomeProject(txn, o.Project)
	if err != nil {
		return err
	}
	v := &View{Project: p, Actor: a.Actor, Home: true, ReadOnly: p.State != twinfed.ProjectApproved}
	v.Context.State = p.State
	if st, _ := Object(txn, p.ID, SettingsID(p.ID)); st != nil && st.Fields["pupils_chat"] == "1" {
		v.Context.PupilsChat = true
	}
	v.Role, v.Name = s.roleOf(txn, p, a.Actor, accountRole(a.Actor))
	if v.Role == "" {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "%s is not a member of the TwinSpace of %s", a.Actor, p.ID)
	}
	old, err := Object(txn, p.ID, o.ID)
	if err != nil && twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		return err
	}
	if old == nil && twinfed.URLHost(o.ID) != a.Host() && !strings.HasPrefix(o.ID, p.ID+"/twinspace/") {
		return drop("new TwinSpace object %s is not under its writer's node %s", o.ID, a.Host())
	}
	if old != nil && !o.Supersedes(old) {
		if old.Supersedes(o) {
			return s.announce(txn, p, old, a.Actor)
		}
		return nil // the same state again
	}
	if err := s.allowed(v, old, o); err != nil {
		return err
	}
	applied, _, err := s.apply(txn, o)
	if err != nil || !applied {
		return err
	}
	return s.announce(txn, p, o, "")
}

// ApplyAnnounced takes a TwinSpace object the project's Group shares, on a
// partner node: the home node checked the writer's role.
func (s *Service) ApplyAnnounced(_ context.Context, txn *badger.Txn, a *twinfed.Activity) error {
	p, err := s.projects.Project(txn, a.Space.Project)
	if err != nil {
		return drop("TwinSpace object %s of a project this node does not hold", a.Space.ID)
	}
	if a.Actor != p.ID {
		return drop("TwinSpace object %s announced by %s, not by its project", a.Space.ID, a.Actor)
	}
	_, _, err = s.apply(txn, a.Space)
	return err
}

// shareAll sends a TwinSpace's content so far to a partner who has just
// joined, unless another member of their node already receives it.
func (s *Service) shareAll(txn *badger.Txn, p *twinfed.Project, actor string) error {
	if s.isLocal(actor) {
		return nil
	}
	for _, x := range p.TwinSpaceMembers() {
		if x.Actor != actor && twinfed.URLHost(x.Actor) == twinfed.URLHost(actor) {
			return nil
		}
	}
	return store.EachJSON(txn, store.PrefixSpaceObject+p.ID+" ", func(o *twinfed.SpaceObject) error {
		return s.announce(txn, p, o, actor)
	})
}

// Has reports whether id is an object of a TwinSpace this node holds.
func (s *Service) Has(txn *badger.Txn, project, id string) bool {
	return store.Has(txn, string(objectKey(project, id)))
}
