package workspace

import (
	"context"

	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/blob"
	"github.com/twinfed/twinfed/node/directory"
	"github.com/twinfed/twinfed/node/feature"
	"github.com/twinfed/twinfed/node/label"
	"github.com/twinfed/twinfed/node/project"
	"github.com/twinfed/twinfed/node/pupil"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/web"
)

// The projects and their TwinSpaces are assembled here: node/project is
// at the size bound of a node package (layout_test.go), and the
// TwinSpaces and the project pages are built on the projects and the
// labels, which are built on the projects.

var (
	_ project.Members   = (*account.Service)(nil)
	_ project.Contacts  = (*social.Service)(nil)
	_ project.Directory = (*directory.Service)(nil)
	_ project.Nodes     = (*directory.Service)(nil)
)

// AssembleProjects builds the projects on the node's kit, the accounts,
// the contacts and the directory, and adds the projects' step to the
// directory's backfill. Assemble adds their pages, once the labels are
// built on them.
func AssembleProjects(k *feature.Kit, accounts *account.Service, contacts *social.Service, dir *directory.Service) (*project.Service, error) {
	ps, err := project.New(project.Config{Country: k.Country, BaseURL: k.BaseURL, AgencyName: k.AgencyName},
		project.Deps{Store: k.Store, Registry: k.Registry, Acts: k.Acts, Prover: k.Proofs, Notices: k.Notices,
			Members: accounts, Contacts: contacts, Directory: dir, Nodes: dir, Logger: k.Log, Metrics: k.Metrics, Now: k.Now})
	if err != nil {
		return nil, err
	}
	dir.OnBackfill(func(ctx context.Context, fetch directory.Fetcher, base string) error {
		_, err := ps.Backfill(ctx, fetch, base)
		return err
	})
	return ps, nil
}

// Assemble builds the TwinSpaces and their tools (New) on the node's kit,
// the projects and the pupils' accounts, their files in blobs (nil: on
// disk in cfg.Materials.Dir), and adds the project pages (with the
// labels a card shows) and the TwinSpaces' pages to the node's routes.
func Assemble(k *feature.Kit, cfg Config, ps *project.Service, pupils *pupil.Service, labels *label.Service, blobs blob.Store) (*Tools, error) {
	cfg.BaseURL = k.BaseURL
	t, err := New(cfg, Deps{Store: k.Store, Acts: k.Acts, Projects: ps, Pupils: pupils, Blobs: blobs, Fetch: k.FetchFile, Logger: k.Log, Now: k.Now})
	if err != nil {
		return nil, err
	}
	k.AddRoutes(func(w *web.Kit) error {
		if err := project.NewWeb(ps, project.WebConfig{Signed: k.Web.Signed, Federation: k.Web.Federation, Labels: labels.ForCard()}).Routes(w); err != nil {
			return err
		}
		return t.Routes(w, WebConfig{Signed: k.Web.Signed, Federation: k.Web.Federation})
	})
	return t, nil
}
