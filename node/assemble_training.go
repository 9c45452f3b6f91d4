package node

import (
	"github.com/twinfed/twinfed/node/training"
	"github.com/twinfed/twinfed/node/web"
)

// newTraining builds professional development (node/training) on s; a
// deleted account's applications go with it.
func newTraining(s *Service) (err error) {
	cfg := training.Config{BaseURL: s.cfg.BaseURL, Country: s.cfg.Country, AgencyName: s.cfg.AgencyName}
	s.training, err = training.New(cfg, training.Deps{Store: s.store, Members: s.accounts, Notices: s.notices, Acts: s.acts,
		Registry: s.registry, Catalog: s.cat, Logger: s.log, Now: s.now})
	if err == nil {
		s.accounts.OnDelete(s.training.Forget)
	}
	return err
}

// Training returns the node's professional development feature.
func (n *Node) Training() *training.Service { return n.svc.training }

// trainingRoutes registers the training's pages.
func (s *Server) trainingRoutes(k *web.Kit) error { return training.NewWeb(s.svc.training).Routes(k) }
