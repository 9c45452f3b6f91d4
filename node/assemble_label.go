package node

import (
	"context"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/label"
	"github.com/twinfed/twinfed/node/web"
)

// The assembly of the quality labels (node/label): its service, built on
// the node's registry, clock, logger and metrics, and the adapter that
// gives it the projects, which are still node's.

var (
	_ label.Registry = twinfed.Registry(nil)
	_ label.Projects = labelProjects{}
)

// newLabels builds the labels' service on s and gives it to s (the
// project card reads the labels through s.PublicProjectLabels).
func newLabels(s *Service) error {
	l, err := label.New(label.Config{Country: s.cfg.Country}, label.Deps{Registry: s.registry, Projects: labelProjects{s}, Logger: s.log, Now: s.now,
		Recorded: func() { s.validations.WithLabelValues("label", "recorded").Inc() }})
	if err != nil {
		return err
	}
	s.labels = l
	return nil
}

// Labels returns the node's quality labels' service.
func (n *Node) Labels() *label.Service { return n.svc.labels }

// labelRoutes registers the labels' pages and JSON API.
func (s *Server) labelRoutes(k *web.Kit) error {
	if s.svc.labels == nil {
		return nil
	}
	return s.svc.labels.Routes(k)
}

// ProjectLabels are a project's quality labels as one viewer sees them
// (label.ProjectLabels), named here for the project card (project_web.go)
// until it moves.
type ProjectLabels = label.ProjectLabels

// labelProjects gives the labels the projects this node holds.
type labelProjects struct{ s *Service }

// HeldProject reads this node's copy of a project.
func (a labelProjects) HeldProject(ctx context.Context, id string) (*twinfed.Project, error) {
	var p *twinfed.Project
	err := a.s.store.View(func(txn *badger.Txn) (err error) { p, err = a.s.projects.Project(txn, id); return err })
	if err != nil {
		return nil, err
	}
	return p, nil
}

// CanViewProject applies ViewProject's rules.
func (a labelProjects) CanViewProject(ctx context.Context, viewer *twinfed.Principal, id string) error {
	_, err := a.s.projects.ViewProject(ctx, viewer, id)
	return err
}

// MembersProjects reads the projects of this node's members (the index
// store.PrefixMyProject), each once.
func (a labelProjects) MembersProjects(ctx context.Context) ([]*twinfed.Project, error) {
	var all []*twinfed.Project
	err := a.s.store.View(func(txn *badger.Txn) error {
		return a.s.projects.EachMembersProject(txn, func(p *twinfed.Project) error {
			all = append(all, p)
			return nil
		})
	})
	return all, err
}
