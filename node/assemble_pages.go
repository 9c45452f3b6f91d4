package node

import (
	"github.com/twinfed/twinfed/config"
	"github.com/twinfed/twinfed/node/twinspace/pages"
	"github.com/twinfed/twinfed/node/web"
	"github.com/twinfed/twinfed/node/web/pagehtml"
)

// The assembly of the TwinSpace's Pages tool (node/twinspace/pages), on
// the TwinSpace's core, with the node's embeddable services.

// assemblePages builds the Pages tool on s's TwinSpaces.
func assemblePages(s *Service) error {
	list := s.cfg.Embeds
	if list == nil {
		list = config.DefaultEmbeds()
	}
	embeds, err := pagehtml.NewEmbeds(list)
	if err != nil {
		return err
	}
	s.pages = pages.New(s.twinspaces, embeds, nil)
	return nil
}

// Pages returns the node's TwinSpace Pages tool.
func (n *Node) Pages() *pages.Service { return n.svc.pages }

// pagesRoutes registers the Pages tab's pages and API.
func (s *Server) pagesRoutes(k *web.Kit) error {
	return pages.NewWeb(s.svc.pages).Routes(k)
}
