package node

import (
	"context"
	"time"

	"github.com/twinfed/twinfed"
)

// What the web pages and the JSON API ask of the service beyond its
// actions: they read the service through these methods, never its fields.

// AgencyName returns the national agency's name.
func (s *Service) AgencyName() string { return s.cfg.AgencyName }

// Now is the node's clock.
func (s *Service) Now() time.Time { return s.now() }

// StoreClosed reports whether the store is closed (the node is stopping).
func (s *Service) StoreClosed() bool { return s.store.DB().IsClosed() }

// IsLocal reports whether an actor URL lives on this node.
func (s *Service) IsLocal(actor string) bool { return s.isLocal(actor) }

// Countries lists the federation's countries, from the registry; nil
// when the node has no registry or it cannot be read.
func (s *Service) Countries(ctx context.Context) []*twinfed.Country {
	if s.registry == nil {
		return nil
	}
	list, _ := s.registry.Countries(ctx)
	return list
}
