package node

import (
	"path/filepath"

	"github.com/twinfed/twinfed/node/project"
	"github.com/twinfed/twinfed/node/twinspace/materials"
	"github.com/twinfed/twinfed/node/web"
)

// The assembly of the TwinSpace's Materials tab (node/twinspace/materials):
// built on the TwinSpace core, with the node's blob store in
// Options.Materials.Dir (<Dir>/blobs by default) or Options.Blobs (object
// storage), partner nodes' files
// fetched with Options.FetchFile, and its files served to other nodes
// behind the signature check.

var _ materials.Projects = (*project.Service)(nil)

// assembleMaterials builds the Materials tool on the TwinSpace core.
func assembleMaterials(s *Service, o Options) error {
	cfg := o.Materials
	if cfg.Dir == "" {
		cfg.Dir = filepath.Join(o.Dir, "blobs")
	}
	m, err := materials.New(cfg, materials.Deps{Spaces: s.twinspaces, Projects: s.projects, Blobs: o.Blobs, Fetch: o.FetchFile, Logger: s.log})
	if err != nil {
		return err
	}
	s.materials = m
	if s.pages != nil {
		s.pages.SetImages(m) // the page editor's picker lists the Materials' images
	}
	return nil
}

// Materials returns the node's Materials tool.
func (n *Node) Materials() *materials.Service { return n.svc.materials }

// materialsRoutes registers the Materials tab's pages, files and API.
func (s *Server) materialsRoutes(k *web.Kit) error {
	return materials.NewWeb(s.svc.materials, materials.WebConfig{Signed: s.cfg.Signed}).Routes(k)
}
