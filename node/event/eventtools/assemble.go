package eventtools

import (
	"context"

	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/directory"
	"github.com/twinfed/twinfed/node/event"
	"github.com/twinfed/twinfed/node/event/eventfiles"
	"github.com/twinfed/twinfed/node/event/eventplaces"
	"github.com/twinfed/twinfed/node/feature"
	"github.com/twinfed/twinfed/node/project"
	"github.com/twinfed/twinfed/node/social"
	"github.com/twinfed/twinfed/node/twinspace/workspace"
	"github.com/twinfed/twinfed/node/web"
)

var (
	_ event.Members  = (*account.Service)(nil)
	_ event.Contacts = (*social.Service)(nil)
	_ event.Projects = (*project.Service)(nil)
)

// Assemble builds the events and their tools (New) on the node's kit
// (cfg's BaseURL and Country are the kit's), the accounts,
// the contacts, the directory (the names of the forums' authors) and the
// projects with their TwinSpaces (a TwinSpace's Live tab; the photos and
// files go to the Materials' blob store), with the counts of places of
// other nodes' events asked of their home nodes (eventplaces.Assemble),
// and adds their pages, JSON API and, for other nodes, photos, files,
// counts of places and catch-ups to the node's routes;
// the reminders and, for a node that fetches from others (Kit.Fetch), the
// forums' catch-up to its background work.
func Assemble(k *feature.Kit, cfg event.Config, files eventfiles.Config, accounts *account.Service, contacts *social.Service, dir *directory.Service,
	projects *project.Service, spaces *workspace.Tools) (*Tools, error) {
	cfg.BaseURL, cfg.Country = k.BaseURL, k.Country
	t, err := New(cfg, files, Deps{Store: k.Store, Members: accounts, Contacts: contacts, Projects: projects, Acts: k.Acts, Registry: k.Registry,
		Mailer: k.Mailer, Notices: k.Notices, Blobs: spaces.Materials.Blobs(), Fetch: k.FetchFile, FetchPage: k.Fetch, Profiles: dir.Profiles, Catalog: k.Catalog,
		Logger: k.Log, Now: k.Now})
	if err != nil {
		return nil, err
	}
	if t.Places, err = eventplaces.Assemble(k, t.Events); err != nil {
		return nil, err
	}
	k.AddRoutes(func(w *web.Kit) error { return t.Routes(w, k.Web.Signed) })
	k.AddLoop(t.Events.Run)
	if k.Fetch != nil && k.Registry != nil {
		k.AddLoop(func(ctx context.Context) { t.Forum.Run(ctx, k.Fetch, k.CatchUpEvery) })
	}
	return t, nil
}
