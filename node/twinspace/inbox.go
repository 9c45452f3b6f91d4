package twinspace

import (
	"context"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
)

// TwinSpace posts as they arrive from other nodes, routed here by the
// node's inbox (node/inbox.go, which calls the Apply methods within the
// transaction that records the activity): on the home node, a partner's
// Create{Note} to the project's Group, checked against the project and
// shared with every partner node; on the others, the Group's Announce.

// ApplyPost takes a TwinSpace post on the project's home node and shares it
// with every partner node (Announce by the project's Group).
func (s *Service) ApplyPost(ctx context.Context, txn *badger.Txn, a *twinfed.Activity) error {
	n := a.Note
	if n.From != a.Actor {
		return drop("post %s by %s sent by %s", n.ID, n.From, a.Actor)
	}
	p, err := s.projects.HomeProject(txn, n.To)
	if err != nil {
		return err
	}
	// A partner's actor is a member's: the agency's never is one.
	if !p.InTwinSpace(a.Actor, twinfed.RoleMember) {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "%s is not a member of the TwinSpace of %s", a.Actor, p.ID)
	}
	if !p.CanPostInTwinSpace(a.Actor, twinfed.RoleMember) {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "the TwinSpace of %s is read-only (the project is %s)", p.ID, p.State)
	}
	return s.publishPost(txn, p, n)
}

// publishPost stores post n on the board of p's TwinSpace, on its home
// node, and shares it with every partner node (Announce by the project's
// Group): a post from another node (ApplyPost) or from a member of this
// node (PostToTwinSpace).
func (s *Service) publishPost(txn *badger.Txn, p *twinfed.Project, n *twinfed.Note) error {
	if err := s.storePost(txn, p, n); err != nil {
		return err
	}
	var to []string
	seen := map[string]bool{}
	for _, x := range p.TwinSpaceMembers() {
		if !s.isLocal(x.Actor) && !seen[twinfed.URLHost(x.Actor)] {
			seen[twinfed.URLHost(x.Actor)] = true
			to = append(to, x.Actor)
		}
	}
	if len(to) == 0 {
		return nil
	}
	o, err := s.acts.Connected()
	if err != nil {
		return err
	}
	nc := *n
	ann := s.acts.NewBy(twinfed.ActivityAnnounce, p.ID)
	ann.To, ann.Object, ann.Note = to, n.ID, &nc
	return o.Enqueue(txn, ann)
}

// ApplyAnnouncedPost takes a TwinSpace post the project's Group shares.
func (s *Service) ApplyAnnouncedPost(_ context.Context, txn *badger.Txn, a *twinfed.Activity) error {
	p, err := s.projects.Project(txn, a.Note.To)
	if err != nil {
		return drop("post %s for a project this node does not hold", a.Note.ID)
	}
	if a.Actor != p.ID {
		return drop("post %s announced by %s, not by its project", a.Note.ID, a.Actor)
	}
	return s.storePost(txn, p, a.Note)
}

// sharePosts sends a TwinSpace's posts so far to a partner who has just
// joined, unless another member of their node already receives them.
func (s *Service) sharePosts(txn *badger.Txn, p *twinfed.Project, actor string) error {
	if s.isLocal(actor) {
		return nil
	}
	for _, x := range p.TwinSpaceMembers() {
		if x.Actor != actor && twinfed.URLHost(x.Actor) == twinfed.URLHost(actor) {
			return nil
		}
	}
	o, err := s.acts.Connected()
	if err != nil {
		return err
	}
	return store.EachJSON(txn, store.PrefixPost+p.ID+" ", func(tp *TwinSpacePost) error {
		n := &twinfed.Note{ID: tp.ID, From: tp.Author, To: p.ID, Content: tp.Content, Published: tp.Published}
		ann := s.acts.NewBy(twinfed.ActivityAnnounce, p.ID)
		ann.To, ann.Object, ann.Note = []string{actor}, n.ID, n
		return o.Enqueue(txn, ann)
	})
}
