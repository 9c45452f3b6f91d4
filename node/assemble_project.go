package node

import (
	"context"
	"path/filepath"

	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/directory"
	"github.com/twinfed/twinfed/node/label"
	"github.com/twinfed/twinfed/node/project"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/twinspace/workspace"
	"github.com/twinfed/twinfed/node/web"
)

// The assembly of the project feature (node/project) and of the
// TwinSpaces with their tools (node/twinspace/workspace): their services,
// built on the node's store and kits and on the accounts, the contacts,
// the directory and the pupils' accounts; the projects' step of the
// directory's backfill; and their routes on the web kit.

// Dependencies across packages: each interface is declared by the package
// that uses it.
var (
	_ project.Members   = (*account.Service)(nil)
	_ project.Contacts  = (*social.Service)(nil)
	_ project.Directory = (*directory.Service)(nil)
	_ project.Nodes     = (*directory.Service)(nil)
	_ project.Labels    = label.CardLabels{}
)

// assembleProjects builds the projects and the TwinSpaces on s (Node.Open
// then opens the project search's index, and Node.Close closes it). The
// Materials' files are in o.Blobs (object storage) or else in
// o.Materials.Dir (<o.Dir>/blobs by default), and partner nodes' files are
// fetched with o.FetchFile.
func assembleProjects(s *Service, o Options) error {
	ps, err := project.New(project.Config{Country: s.cfg.Country, BaseURL: s.cfg.BaseURL, AgencyName: s.cfg.AgencyName},
		project.Deps{Store: s.store, Registry: s.registry, Acts: s.acts, Prover: s.proofs, Notices: s.notices,
			Members: s.accounts, Contacts: s.social, Directory: s.dir, Nodes: s.dir, Logger: s.log, Metrics: o.Metrics, Now: s.now})
	if err != nil {
		return err
	}
	files := o.Materials
	if files.Dir == "" {
		files.Dir = filepath.Join(o.Dir, "blobs")
	}
	ts, err := workspace.New(workspace.Config{BaseURL: s.cfg.BaseURL, Embeds: s.cfg.Embeds, Materials: files},
		workspace.Deps{Store: s.store, Acts: s.acts, Projects: ps, Pupils: s.pupils, Blobs: o.Blobs, Fetch: o.FetchFile, Logger: s.log, Now: s.now})
	if err != nil {
		return err
	}
	s.dir.OnBackfill(func(ctx context.Context, fetch directory.Fetcher, base string) error {
		_, err := ps.Backfill(ctx, fetch, base)
		return err
	})
	s.projects, s.twinspaces = ps, ts
	return nil
}

// Projects returns the node's project feature.
func (n *Node) Projects() *project.Service { return n.svc.projects }

// TwinSpaces returns the node's TwinSpaces and their tools.
func (n *Node) TwinSpaces() *workspace.Tools { return n.svc.twinspaces }

// projectRoutes registers the project pages and API.
func (s *Server) projectRoutes(k *web.Kit) error {
	return project.NewWeb(s.svc.projects, project.WebConfig{Signed: s.cfg.Signed, Federation: s.cfg.Federation, Labels: s.svc.labels.ForCard()}).Routes(k)
}

// twinspaceRoutes registers the TwinSpaces' pages and API, and their
// tools'.
func (s *Server) twinspaceRoutes(k *web.Kit) error {
	return s.svc.twinspaces.Routes(k, workspace.WebConfig{Signed: s.cfg.Signed, Federation: s.cfg.Federation})
}
