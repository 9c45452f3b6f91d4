package node

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/directory"
	"github.com/twinfed/twinfed/node/project"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/twinspace"
	"github.com/twinfed/twinfed/node/twinspace/diary"
	"github.com/twinfed/twinfed/node/twinspace/discuss"
	"github.com/twinfed/twinfed/node/web"
)

// The assembly of the project and TwinSpace features (node/project,
// node/twinspace): their services, built on the node's store and kits and
// on the accounts, the contacts and the directory; the projects' step of
// the directory's backfill; the TwinSpace's hooks on the project feature;
// and their routes on the web kit.

// Dependencies across packages: each interface is declared by the package
// that uses it.
var (
	_ project.Members    = (*account.Service)(nil)
	_ project.Contacts   = (*social.Service)(nil)
	_ project.Directory  = (*directory.Service)(nil)
	_ project.Nodes      = (*directory.Service)(nil)
	_ project.Labels     = projectLabels{}
	_ twinspace.Projects = (*project.Service)(nil)
)

// assembleProjects builds the project and TwinSpace services on s and
// registers their hooks (Node.Open then opens the project search's index,
// and Node.Close closes it).
func assembleProjects(s *Service, metrics *prometheus.Registry) error {
	ps, err := project.New(project.Config{Country: s.cfg.Country, BaseURL: s.cfg.BaseURL, AgencyName: s.cfg.AgencyName},
		project.Deps{Store: s.store, Registry: s.registry, Acts: s.acts, Prover: s.proofs, Notices: s.notices,
			Members: s.accounts, Contacts: s.social, Directory: s.dir, Nodes: s.dir, Logger: s.log, Metrics: metrics, Now: s.now})
	if err != nil {
		return err
	}
	ts, err := twinspace.New(twinspace.Config{BaseURL: s.cfg.BaseURL},
		twinspace.Deps{Store: s.store, Acts: s.acts, Projects: ps, Logger: s.log, Now: s.now})
	if err != nil {
		return err
	}
	ts.Hooks(ps)
	if s.pupils != nil {
		ts.UsePupils(s.pupils)
	}
	s.discuss = discuss.New(ts)
	// The diary reaches the fediverse through the federation's outbox
	// when the node has one (it implements diary.Publisher, and
	// diary.Fediverse for the agency's page).
	pub, _ := s.acts.Outbox().(diary.Publisher)
	fedi, _ := s.acts.Outbox().(diary.Fediverse)
	s.diary = diary.New(diary.Deps{Core: ts, Projects: ps, Publisher: pub, Fediverse: fedi})
	s.dir.OnBackfill(func(ctx context.Context, fetch directory.Fetcher, base string) error {
		_, err := ps.Backfill(ctx, fetch, base)
		return err
	})
	s.projects, s.twinspaces = ps, ts
	assembleChat(s)
	return nil
}

// Discuss returns the TwinSpace's forum.
func (n *Node) Discuss() *discuss.Service { return n.svc.discuss }

// Projects returns the node's project feature.
func (n *Node) Projects() *project.Service { return n.svc.projects }

// TwinSpaces returns the node's TwinSpace feature.
func (n *Node) TwinSpaces() *twinspace.Service { return n.svc.twinspaces }

// projectRoutes registers the project pages and API.
func (s *Server) projectRoutes(k *web.Kit) error {
	return project.NewWeb(s.svc.projects, project.WebConfig{Signed: s.cfg.Signed, Federation: s.cfg.Federation, Labels: projectLabels{s.svc}}).Routes(k)
}

// twinspaceRoutes registers the TwinSpace's page and API, and its tools'.
func (s *Server) twinspaceRoutes(k *web.Kit) error {
	if err := twinspace.NewWeb(s.svc.twinspaces).Routes(k); err != nil {
		return err
	}
	if err := discuss.NewWeb(s.svc.discuss).Routes(k); err != nil {
		return err
	}
	return diary.NewWeb(s.svc.diary, diary.WebConfig{Federation: s.cfg.Federation}).Routes(k)
}

// Diaries returns the node's project diaries (the federation's
// DiarySource).
func (n *Node) Diaries() *diary.Service { return n.svc.diary }

// projectLabels gives the project card the labels, which sit above
// project in the import order: the card cannot name label's types.
type projectLabels struct{ svc *Service }

// PublicProjectLabels asks the labels (nil, not a nil *label.ProjectLabels,
// on error).
func (a projectLabels) PublicProjectLabels(ctx context.Context, id string) (any, error) {
	l, err := a.svc.labels.PublicProjectLabels(ctx, id)
	if err != nil {
		return nil, err
	}
	return l, nil
}
