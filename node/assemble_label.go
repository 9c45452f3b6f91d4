package node

import (
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/label"
	"github.com/twinfed/twinfed/node/project"
	"github.com/twinfed/twinfed/node/web"
)

// The assembly of the quality labels (node/label): its service, built on
// the node's registry, the projects, its clock, logger and metrics.

var (
	_ label.Registry = twinfed.Registry(nil)
	_ label.Projects = (*project.Service)(nil)
)

// newLabels builds the labels' service on s and gives it to s (the
// project card reads the labels through label.CardLabels).
func newLabels(s *Service) error {
	l, err := label.New(label.Config{Country: s.cfg.Country}, label.Deps{Registry: s.registry, Projects: s.projects, Logger: s.log, Now: s.now,
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
