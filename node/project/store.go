package project

import (
	"context"
	"net/url"
	"slices"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/notice"
	"github.com/twinfed/twinfed/node/store"
)

// The project records: pj/ (the projects), pm/ (this node's members'
// projects) and pa/ (the participations this node's agency decides), all
// written by storeProject.

func projectKey(id string) string { return store.PrefixProject + id }

func getProject(txn *badger.Txn, id string) (*twinfed.Project, error) {
	var p twinfed.Project
	if err := store.GetJSON(txn, projectKey(id), &p); err != nil {
		if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			return nil, twinfed.Errorf(twinfed.ENOTFOUND, "There is no such project on this node.")
		}
		return nil, err
	}
	return &p, nil
}

// isHome reports whether this node is the project's home node.
func (s *Service) isHome(p *twinfed.Project) bool { return s.isLocal(p.ID) }

// storeProject writes p (old is what was there, nil for none), keeps the
// member and approval indexes, and notifies this node's members of what
// changed for them. Every write of a project goes through it, on the home
// node and on the others.
func (s *Service) storeProject(txn *badger.Txn, old, p *twinfed.Project) error {
	index := func(pr *twinfed.Project, set bool) error {
		if pr == nil {
			return nil
		}
		for i := range pr.Partners {
			pt := &pr.Partners[i]
			if !s.isLocal(pt.Actor) {
				continue
			}
			keys := []string{}
			if u, ok := twinfed.UsernameFromActor(s.cfg.BaseURL, pt.Actor); ok && pt.Status != twinfed.PartnerDeclined {
				keys = append(keys, store.PrefixMyProject+u+"/"+pr.ID)
			}
			if pr.AwaitsAgency(pt) {
				keys = append(keys, store.PrefixApproval+pr.ID+" "+pt.Actor)
			}
			for _, k := range keys {
				var err error
				if set {
					err = txn.Set([]byte(k), nil)
				} else {
					err = txn.Delete([]byte(k))
				}
				if err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := index(old, false); err != nil {
		return err
	}
	if p == nil {
		for _, pt := range old.Partners {
			if u, ok := twinfed.UsernameFromActor(s.cfg.BaseURL, pt.Actor); ok && s.isLocal(pt.Actor) && pt.Status != twinfed.PartnerDeclined {
				if err := s.notices.NotifyProject(txn, u, notice.ProjectDeleted, old.ID, old); err != nil {
					return err
				}
			}
		}
		s.store.AfterCommit(txn, func() { s.projectChanged(old.ID) })
		return txn.Delete([]byte(projectKey(old.ID)))
	}
	if err := index(p, true); err != nil {
		return err
	}
	s.store.AfterCommit(txn, func() { s.projectChanged(p.ID) })
	if err := store.SetJSON(txn, projectKey(p.ID), p); err != nil {
		return err
	}
	return s.projectNotices(txn, old, p)
}

// projectNotices tells this node's members what changed in a project.
func (s *Service) projectNotices(txn *badger.Txn, old, p *twinfed.Project) error {
	tell := func(pt *twinfed.Partner, kind notice.Kind, actor string) error {
		u, ok := twinfed.UsernameFromActor(s.cfg.BaseURL, pt.Actor)
		if !ok || !s.isLocal(pt.Actor) {
			return nil
		}
		return s.notices.NotifyProject(txn, u, kind, actor, p)
	}
	stateNotice := map[twinfed.ProjectState]notice.Kind{
		twinfed.ProjectAwaitingApproval: notice.ProjectAccepted, twinfed.ProjectDeclined: notice.ProjectDeclined,
		twinfed.ProjectApproved: notice.ProjectApproved, twinfed.ProjectRejected: notice.ProjectRejected, twinfed.ProjectClosed: notice.ProjectClosed,
	}
	for i := range p.Partners {
		pt := &p.Partners[i]
		var before *twinfed.Partner
		if old != nil {
			before = old.Partner(pt.Actor)
		}
		switch {
		case pt.Status == twinfed.PartnerInvited && (before == nil || before.Status != twinfed.PartnerInvited):
			if err := tell(pt, notice.ProjectInvited, pt.InvitedBy); err != nil {
				return err
			}
			continue
		case pt.Status == twinfed.PartnerDeclined:
			continue
		}
		// (The co-founder is not told of their own answer.)
		if kind, ok := stateNotice[p.State]; ok && (old == nil || old.State != p.State) && pt.Status != twinfed.PartnerInvited &&
			!(pt.Role == twinfed.RoleCofounder && (p.State == twinfed.ProjectAwaitingApproval || p.State == twinfed.ProjectDeclined)) {
			if err := tell(pt, kind, p.ID); err != nil {
				return err
			}
		}
		if pt.Role == twinfed.RolePartner && before != nil && before.Status != pt.Status {
			switch pt.Status {
			case twinfed.PartnerApproved:
				if err := tell(pt, notice.ParticipationOK, AgencyOf(pt.Actor)); err != nil {
					return err
				}
			case twinfed.PartnerRejected:
				if err := tell(pt, notice.ParticipationRefuse, AgencyOf(pt.Actor)); err != nil {
					return err
				}
			case twinfed.PartnerPending:
				for j := range p.Partners {
					if p.Partners[j].Role != twinfed.RolePartner {
						if err := tell(&p.Partners[j], notice.PartnerJoined, pt.Actor); err != nil {
							return err
						}
					}
				}
			}
		}
	}
	return nil
}

// AgencyOf returns the agency actor of the node an actor lives on.
func AgencyOf(actor string) string {
	u, err := url.Parse(actor)
	if err != nil {
		return ""
	}
	return twinfed.AgencyURL(u.Scheme + "://" + u.Host)
}

// publishProject sends the home node's new version of p to every other
// node that must hold it: the partners', their agencies', and, once the
// project is public, every node of the federation.
func (s *Service) publishProject(ctx context.Context, txn *badger.Txn, p *twinfed.Project, deleted bool) error {
	var to []string
	seen := map[string]bool{}
	add := func(actor string) {
		if actor == "" || s.isLocal(actor) || seen[actor] {
			return
		}
		seen[actor] = true
		to = append(to, actor)
	}
	for _, pt := range p.Partners {
		add(pt.Actor)
		add(AgencyOf(pt.Actor))
	}
	if p.Public() {
		for _, a := range s.otherNodes(ctx) {
			add(a)
		}
	}
	if len(to) == 0 {
		return nil
	}
	o, err := s.acts.Connected()
	if err != nil {
		return err
	}
	typ := twinfed.ActivityUpdate
	if deleted {
		typ = twinfed.ActivityDelete
	}
	cp := *p
	a := s.acts.NewBy(typ, p.ID)
	a.To, a.Object, a.Project = to, p.ID, &cp
	return o.Enqueue(txn, a)
}

// changeProject stores the home node's new version of p and publishes it.
func (s *Service) changeProject(ctx context.Context, txn *badger.Txn, old, p *twinfed.Project) error {
	p.Version++
	p.Updated = s.now().UTC()
	if err := s.storeProject(txn, old, p); err != nil {
		return err
	}
	return s.publishProject(ctx, txn, p, false)
}

func cloneProject(p *twinfed.Project) *twinfed.Project {
	c := *p
	c.Partners = slices.Clone(p.Partners)
	for i := range c.Partners {
		if d := c.Partners[i].Decision; d != nil {
			dd := *d
			c.Partners[i].Decision = &dd
		}
	}
	return &c
}

// Project returns the project id this node holds, read within txn;
// ENOTFOUND when it holds none.
func (s *Service) Project(txn *badger.Txn, id string) (*twinfed.Project, error) {
	return getProject(txn, id)
}

// HeldProject returns this node's copy of a project, whatever its state
// and its home node; ENOTFOUND when the node holds none (label.Projects).
func (s *Service) HeldProject(ctx context.Context, id string) (*twinfed.Project, error) {
	var p *twinfed.Project
	err := s.store.View(func(txn *badger.Txn) (err error) { p, err = getProject(txn, id); return err })
	return p, err
}

// CanViewProject returns nil when viewer (nil: a visitor) may see the
// project's card (ViewProject's rules; label.Projects).
func (s *Service) CanViewProject(ctx context.Context, viewer *twinfed.Principal, id string) error {
	_, err := s.ViewProject(ctx, viewer, id)
	return err
}

// MembersProjects returns the projects of this node's members, each once
// (EachMembersProject; label.Projects).
func (s *Service) MembersProjects(ctx context.Context) ([]*twinfed.Project, error) {
	var all []*twinfed.Project
	err := s.store.View(func(txn *badger.Txn) error {
		return s.EachMembersProject(txn, func(p *twinfed.Project) error { all = append(all, p); return nil })
	})
	return all, err
}

// Has reports whether this node holds project id, within txn (the inbox
// asks it to route a note to a project's TwinSpace).
func (s *Service) Has(txn *badger.Txn, id string) bool { return store.Has(txn, projectKey(id)) }

// IsHome reports whether this node is the project's home node.
func (s *Service) IsHome(p *twinfed.Project) bool { return s.isHome(p) }

// HomeProject loads, within txn, a project this node is home to, for an
// activity from another node: EINVALID (the activity is dropped) when the
// project lives elsewhere or is not here.
func (s *Service) HomeProject(txn *badger.Txn, id string) (*twinfed.Project, error) {
	return s.homeProject(txn, id)
}

// EachMembersProject calls fn, within txn, with each project one of this
// node's members takes part in (pm/), once each, in id order of the
// members' index.
func (s *Service) EachMembersProject(txn *badger.Txn, fn func(p *twinfed.Project) error) error {
	seen := map[string]bool{}
	for _, k := range store.KeysUnder(txn, store.PrefixMyProject, 0) {
		_, id, ok := strings.Cut(k, "/")
		if !ok || seen[id] {
			continue
		}
		seen[id] = true
		p, err := getProject(txn, id)
		if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			continue
		} else if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

// StoreProjects writes projects as copies received from other nodes would
// be (1,000 to a transaction): for seeding and the benchmarks, far faster
// than delivering each in an activity.
func (s *Service) StoreProjects(ps []*twinfed.Project) error {
	for start := 0; start < len(ps); start += 1000 {
		err := s.update(func(txn *badger.Txn) error {
			for _, p := range ps[start:min(start+1000, len(ps))] {
				old, _ := getProject(txn, p.ID)
				if err := s.storeProject(txn, old, p); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
